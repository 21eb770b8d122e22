"""Backup while the system writes, restore into an empty installation, verify, and build the same
electronic package from the restored copy (issue 16 §1). Runs on SQLite and, when DATABASE_URL
is PostgreSQL, on PostgreSQL (pg_dump -Fc / pg_restore)."""

import csv
import io
import json
import shutil
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core import backup
from clusterdesk.documents import package
from clusterdesk.documents.models import PackageJob
from clusterdesk.notifications.models import Message
from clusterdesk.orgs.models import User
from tests.documents.test_package import make_formal

pytestmark = pytest.mark.django_db(transaction=True)


class Writer(threading.Thread):
    """Another user of the system: writes a message row as fast as it can until stopped."""

    def __init__(self, user_id: int):
        super().__init__(daemon=True)
        self.user_id = user_id
        self.stop = threading.Event()
        self.written = 0
        self.errors = []

    def run(self):
        try:
            while not self.stop.is_set():
                try:
                    Message.objects.create(recipient_id=self.user_id, kind="load", title=f"写入 {self.written}")
                    self.written += 1
                except OperationalError as exc:  # SQLite's shared in-memory test database: table locked
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.001)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            connection.close()

    def wait_for(self, n: int, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while self.written < n and not self.errors and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not self.errors, self.errors
        assert self.written >= n, "the writer did not get going"


def package_rows(round_, org, relative):
    """What the package job prepares (the same title as ``tasks.build_package``)."""
    return package.prepare(package.plan(round_, org), relative,
                           title=package.download_name(round_, org).removesuffix(".zip"))


def manifest_csv(members) -> dict:
    """The package's manifest.csv: {path: (size, sha256)}."""
    member = next(m for m in members if m.arcname.endswith(package.MANIFEST_CSV))
    rows = list(csv.reader(io.StringIO(member.path.read_bytes().decode("utf-8-sig"))))
    return {path: (int(size), sha) for path, size, sha in rows[1:]}


@pytest.fixture
def installation(accounts, round_open):
    """延边州's formal recommendation of two applications, with evidence, letter and audit events."""
    make_formal(accounts, round_open, [("dunhua", "敦化市医药产业集群"), ("yanji", "延吉市人参大健康产业集群")])
    return round_open


def test_backup_during_writes_restore_verify_and_the_same_package(installation, accounts, settings, tmp_path):
    round_ = installation
    org = accounts["yanbian"].org
    original = package_rows(round_, org, "packages/original")
    # A package job caught "running" by the backup must not block packaging after the restore.
    PackageJob.objects.create(round=round_, org=org, requested_by=accounts["yanbian"], status="running", progress=33)
    audit_before = AuditEvent.objects.count()
    assert audit_before > 0

    writer = Writer(accounts["dunhua"].pk)
    writer.start()
    try:
        writer.wait_for(20)
        out = io.StringIO()
        call_command("backup", str(tmp_path / "bk"), stdout=out)
        at_backup = writer.written
        writer.wait_for(at_backup + 20)  # and it goes on writing after the backup
    finally:
        writer.stop.set()
        writer.join()
    assert not writer.errors, writer.errors
    assert "备份完成" in out.getvalue()

    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text(encoding="utf-8"))
    in_backup = manifest["tables"]["notifications_message"]
    assert 20 <= in_backup < Message.objects.count()  # a snapshot taken during the writes
    assert manifest["audit"]["count"] == audit_before
    assert manifest["audit"]["last_id"] == AuditEvent.objects.order_by("-pk").first().pk
    kinds = {r["table"] for r in manifest["file_records"]}
    assert {"applications_evidencefile", "reviews_recommendationlist"} <= kinds
    assert all(r["file"] in manifest["media"] for r in manifest["file_records"])

    call_command("verify_backup", str(tmp_path / "bk"), stdout=io.StringIO())

    # Not into an installation that holds data.
    with pytest.raises(CommandError, match="只能恢复到空的安装中"):
        call_command("restore", str(tmp_path / "bk"), stdout=io.StringIO())

    # A fresh installation: an empty database, an empty media directory.
    call_command("flush", interactive=False, verbosity=0)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "fresh-media"
    out = io.StringIO()
    call_command("restore", str(tmp_path / "bk"), stdout=out)
    assert "恢复后校验通过" in out.getvalue()
    assert Message.objects.count() == in_backup
    assert AuditEvent.objects.count() == audit_before
    call_command("verify_backup", str(tmp_path / "bk"), "--installation", stdout=io.StringIO())

    # The restored copy builds the same package: same members, same stored files, same bytes.
    job = PackageJob.objects.get()
    assert job.status == "failed" and "从备份恢复" in job.error
    job, created = package.start_job(actor=User.objects.get(username="yanbian_city"), round_=round_, org=org)
    assert created and job.status == "done", job.error
    restored = package.members(job.folder)
    assert [m.arcname for m in restored] == [m.arcname for m in original.members]
    sizes = lambda members: [(m.arcname, m.size) for m in members if not m.arcname.endswith(".xlsx")]  # noqa: E731
    assert sizes(restored) == sizes(original.members)  # .xlsx files carry the time they were made
    stored_before = {m.arcname: m.sha256 for m in original.members if m.kind != "已生成的文档"}
    stored_after = {m.arcname: m.sha256 for m in restored if m.kind != "已生成的文档"}
    assert stored_after == stored_before and len(stored_before) >= 5
    before, after = manifest_csv(original.members), manifest_csv(restored)
    # Every path the same; every row the same except the Office files, whose bytes carry the
    # time they were rendered (ZIP entry times, document properties) and so differ per rendering.
    assert list(after) == list(before) and len(before) == len(original.members) - 1
    office = (".docx", ".xlsx")
    assert {k: v for k, v in after.items() if not k.endswith(office)} == \
        {k: v for k, v in before.items() if not k.endswith(office)}
    assert sum(1 for k in before if k.endswith(".pdf")) >= 7


def test_verify_names_what_is_wrong(installation, tmp_path):
    call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
    manifest = backup.load_manifest(tmp_path / "bk")
    evidence = next(r for r in manifest["file_records"] if r["table"] == "applications_evidencefile")
    letter = next(r for r in manifest["file_records"] if r["table"] == "reviews_recommendationlist")
    (tmp_path / "bk" / "media" / evidence["file"]).write_bytes(b"%PDF-1.4 changed")
    (tmp_path / "bk" / "media" / letter["file"]).unlink()

    with pytest.raises(CommandError) as failed:
        call_command("verify_backup", str(tmp_path / "bk"), stdout=io.StringIO())
    message = str(failed.value)
    assert f"备份中的文件 {evidence['file']} 与清单记录的 SHA-256 不符" in message
    assert f"备份中缺少文件 {letter['file']}" in message
    assert f"reviews_recommendationlist #{letter['id']} 的文件 {letter['file']} 不存在" in message

    # A broken backup is never restored.
    with pytest.raises(CommandError, match="备份未通过校验，未恢复"):
        call_command("restore", str(tmp_path / "bk"), stdout=io.StringIO())

    # A backup cut short (no manifest) says so.
    (tmp_path / "bk" / "manifest.json").unlink()
    with pytest.raises(CommandError, match="缺少 manifest.json"):
        call_command("verify_backup", str(tmp_path / "bk"), stdout=io.StringIO())


def test_a_damaged_database_copy_is_refused(installation, tmp_path):
    call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
    manifest = backup.load_manifest(tmp_path / "bk")
    db_file = tmp_path / "bk" / manifest["database"]["file"]
    data = bytearray(db_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    db_file.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="SHA-256 与清单不符"):
        call_command("verify_backup", str(tmp_path / "bk"), stdout=io.StringIO())


def test_installation_check_finds_a_missing_restored_file(installation, tmp_path, settings):
    call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
    call_command("flush", interactive=False, verbosity=0)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "fresh"
    call_command("restore", str(tmp_path / "bk"), stdout=io.StringIO())
    evidence = next(r for r in backup.load_manifest(tmp_path / "bk")["file_records"]
                    if r["table"] == "applications_evidencefile")
    (tmp_path / "fresh" / evidence["file"]).unlink()
    report = backup.verify(tmp_path / "bk", installation=True)
    assert report.problems == [
        f"当前安装：applications_evidencefile #{evidence['id']} 的文件 {evidence['file']} 不存在"]


def test_backup_refuses_a_used_destination(installation, tmp_path):
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "old").write_text("x")
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
    shutil.rmtree(tmp_path / "bk")
