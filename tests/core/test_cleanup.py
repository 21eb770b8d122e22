"""Files left by crashes (issue 16 §5): ``manage.py cleanup_files`` removes uploads without a
record and stale upload temporaries older than the grace period — never a recorded file, a young
file, a package folder or anything outside the upload folders."""

import os
import time
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from clusterdesk.applications.models import EvidenceFile
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.files import private_path
from tests.applications.test_evidence import pdf_bytes

DAY = 24 * 3600


def age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def put(relative, seconds, data=b"x" * 100):
    path = private_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return age(path, seconds)


@pytest.fixture
def leftovers(accounts, draft, client, api_token, settings, tmp_path):
    """A recorded evidence file (old), an old and a young orphan, an old upload temporary, an old
    package folder and an old file outside the upload folders."""
    settings.CLEANUP_GRACE_HOURS = 24
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploadtmp")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    response = client.post(f"/api/v1/applications/{draft.pk}/evidence",
                           {"item": "E01", "file": SimpleUploadedFile("产值证明.pdf", pdf_bytes())},
                           **api_token(accounts["dunhua"]))
    assert response.status_code == 201, response.content
    recorded = age(private_path(EvidenceFile.objects.get().stored_name), 3 * DAY)
    temp = tmp_path / "uploadtmp"
    (temp / "tmpabc123.upload.pdf").write_bytes(b"t")
    (temp / "tmpyoung.upload").write_bytes(b"t")
    return {
        "recorded": recorded,
        "orphan_old": put(f"evidence/{draft.pk}/0123abcd.pdf", 25 * 3600),
        "orphan_letter": put("letters/1/220000/feed.pdf", 3 * DAY),
        "orphan_young": put(f"evidence/{draft.pk}/4567ef.pdf", 23 * 3600),
        "temp_old": age(temp / "tmpabc123.upload.pdf", 2 * DAY),
        "temp_young": age(temp / "tmpyoung.upload", 60),
        "package": put("packages/1/220000/package.zip", 10 * DAY),
        "other": put("notes/readme.txt", 10 * DAY),
    }


def run(*args):
    out = StringIO()
    call_command("cleanup_files", *args, stdout=out)
    return out.getvalue()


def test_old_orphans_and_temporaries_go_recorded_young_and_other_files_stay(leftovers):
    out = run()

    gone = {"orphan_old", "orphan_letter", "temp_old"}
    for name, path in leftovers.items():
        assert path.exists() == (name not in gone), name
    assert "已删除（无记录的上传文件）evidence/" in out and "letters/1/220000/feed.pdf" in out
    assert "已删除 2 个无记录文件、1 个临时文件" in out
    event = AuditEvent.objects.get(action="system.files_cleaned")
    assert event.after["orphans"] == 2 and event.after["temporaries"] == 1
    assert EvidenceFile.objects.count() == 1  # the record is untouched

    # nothing left to do: no second event
    assert "已删除 0 个无记录文件、0 个临时文件" in run()
    assert AuditEvent.objects.filter(action="system.files_cleaned").count() == 1


def test_dry_run_removes_nothing(leftovers):
    out = run("--dry-run")

    assert all(path.exists() for path in leftovers.values())
    assert "将删除（无记录的上传文件）" in out and "预演：将删除 2 个无记录文件、1 个临时文件" in out
    assert not AuditEvent.objects.filter(action="system.files_cleaned").exists()


def test_the_grace_period_is_a_setting(leftovers, settings):
    settings.CLEANUP_GRACE_HOURS = 100
    run()
    assert leftovers["orphan_old"].exists() and leftovers["orphan_letter"].exists()


def test_the_default_worker_cleans_up_hourly_the_mail_worker_not():
    from clusterdesk.core.management.commands import worker

    assert worker.cleans_files("default,mail") and worker.cleans_files("default")
    assert not worker.cleans_files("mail")
    assert worker.CLEANUP_EVERY == 3600


def test_the_sweep_loop_beats_and_cleans_up_once_an_hour(monkeypatch, settings, tmp_path):
    from types import SimpleNamespace

    from clusterdesk.core.management.commands import worker

    settings.WORKER_HEARTBEAT_DIR = tmp_path / "heartbeat"
    clock = {"now": 1000.0}
    cleaned, beats = [], []
    monkeypatch.setattr(worker, "recover", lambda: (0, 0))
    monkeypatch.setattr(worker, "_cleanup", lambda: cleaned.append(clock["now"]))
    monkeypatch.setattr(worker, "_beat", lambda queues: beats.append(queues))
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "connection", SimpleNamespace(close=lambda: None))
    monkeypatch.setattr(worker.time, "monotonic", lambda: clock["now"])

    class Minutes:  # each wait is one minute; the loop ends after two hours
        def __init__(self):
            self.rounds = 0

        def wait(self, interval):
            self.rounds += 1
            clock["now"] += 60
            return self.rounds > 120

    worker._sweeper(60, Minutes(), "default")
    assert len(beats) == 120 and cleaned == [1060.0, 4660.0]

    cleaned.clear()
    worker._sweeper(60, Minutes(), "mail")
    assert cleaned == []
