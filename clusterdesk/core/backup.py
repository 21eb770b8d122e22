"""Backup, restore and verification of a whole installation (``manage.py backup|restore|verify_backup``).

A backup is a folder:

- ``database.sqlite3`` (SQLite, made with the online backup API, so a consistent copy while
  the system writes) or ``database.dump`` (PostgreSQL, ``pg_dump -Fc`` of an exported snapshot);
- ``media/``, a copy of the private files (``PRIVATE_MEDIA_ROOT``, or the bucket with
  ``CLUSTERDESK_STORAGE=s3``: read through the storage API either way) made *after* the database, so every file a
  database record names is already there when the media are copied (files are never changed
  in place, only added, so a later copy holds them all);
- ``manifest.json``: the table row counts, every stored-file record (table, id, file, SHA-256)
  and the last audit event, all read from the same snapshot as the database copy, and the size
  and SHA-256 of the database copy and of every media file.

``verify`` checks a backup folder (database integrity, every hash, every file record has its
file with the recorded SHA-256) and, with ``installation=True``, the installed database and
media against it (what ``restore`` runs at the end).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import timezone as dt_timezone
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .files import local_root, open_private, private_storage, walk_private

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
MEDIA = "media"
FORMAT = 1

# Every record naming a stored file: (model label, file field, SHA-256 field).
FILE_RECORDS = (
    ("applications.EvidenceFile", "stored_name", "sha256"),
    ("registry.ChangeEvidence", "stored_name", "sha256"),
    ("rereview.RereviewEvidence", "stored_name", "sha256"),
    ("reviews.SpotCheckFile", "stored_name", "sha256"),
    ("reviews.RecommendationList", "letter_stored", "letter_sha256"),
)
AUDIT_MODEL = "audit.AuditEvent"
# Rows that make an installation "not empty": restore refuses to write over them.
OCCUPIED_MODELS = ("orgs.User", "orgs.Org", "audit.AuditEvent")


class BackupError(Exception):
    """A backup, restore or verification that cannot go on; the message is for the operator."""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked_files: int = 0
    checked_records: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


# --- reading a snapshot (any DB-API cursor) -------------------------------------------------

def _tables() -> list[str]:
    return sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy})


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_specs():
    for label, file_field, sha_field in FILE_RECORDS:
        model = apps.get_model(label)
        yield (model._meta.db_table, model._meta.pk.column, model._meta.get_field(file_field).column,
               model._meta.get_field(sha_field).column)


def read_snapshot(cursor, existing: set[str] | None = None) -> dict:
    """Counts, file records and the last audit event, read through ``cursor`` (one snapshot)."""
    tables = [t for t in _tables() if existing is None or t in existing]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_q(table)}")
        counts[table] = cursor.fetchone()[0]
    records = []
    for table, pk, stored, sha in _file_specs():
        if table not in counts:
            continue
        cursor.execute(f"SELECT {_q(pk)}, {_q(stored)}, {_q(sha)} FROM {_q(table)} "
                       f"WHERE {_q(stored)} <> '' ORDER BY {_q(pk)}")
        records += [{"table": table, "id": row[0], "file": row[1], "sha256": row[2]} for row in cursor.fetchall()]
    audit = apps.get_model(AUDIT_MODEL)._meta
    cursor.execute(f"SELECT {_q(audit.pk.column)}, {_q(audit.get_field('at').column)} FROM {_q(audit.db_table)} "
                   f"ORDER BY {_q(audit.pk.column)} DESC LIMIT 1")
    last = cursor.fetchone()
    at = last[1] if last else None
    if isinstance(at, str):  # SQLite through the sqlite3 module: text; through Django: a datetime
        at = parse_datetime(at)
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at, dt_timezone.utc)
    return {"tables": counts, "file_records": records,
            "audit": {"count": counts.get(audit.db_table, 0), "last_id": last[0] if last else None,
                      "last_at": at.isoformat() if hasattr(at, "isoformat") else at}}


def _sqlite_snapshot(path: Path) -> dict:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        existing = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return read_snapshot(db.cursor(), existing)
    finally:
        db.close()


# --- PostgreSQL tools -----------------------------------------------------------------------

def pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore`` on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return candidates[-1]
    raise BackupError(f"找不到 {name}：请安装 postgresql-client（与数据库同一主版本）后重试")


def _pg_env() -> dict:
    s = connection.settings_dict
    env = dict(os.environ)
    for key, value in (("PGHOST", s.get("HOST")), ("PGPORT", s.get("PORT")), ("PGUSER", s.get("USER")),
                       ("PGPASSWORD", s.get("PASSWORD")), ("PGDATABASE", s.get("NAME"))):
        if value:
            env[key] = str(value)
    return env


def _run(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} 失败（退出码 {done.returncode}）：{done.stderr.strip()[:2000]}")
    return done


# --- backup ---------------------------------------------------------------------------------

def _copy_media(dest: Path) -> dict:
    """Copy the private media into ``dest`` and answer {relative path: {size, sha256}}."""
    files = {}
    root = local_root()
    if root is not None and not root.exists():
        return files
    for relative in walk_private(""):
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with open_private(relative) as src, open(target, "wb") as out:
                for chunk in iter(lambda: src.read(1024 * 1024), b""):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except FileNotFoundError:  # removed while copying (a temporary or replaced file)
            target.unlink(missing_ok=True)
            continue
        files[relative] = {"size": size, "sha256": digest.hexdigest()}
    return files


def backup(dest: Path) -> dict:
    """Back up the database, then the media, then write the manifest; answers the manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"备份目录 {dest} 不是空的：请指定一个新的（或空的）目录")
    dest.mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    if engine() == "sqlite":
        db_file = dest / SQLITE_FILE
        connection.ensure_connection()
        target = sqlite3.connect(db_file)
        try:
            # One step: SQLite copies a consistent state even while other processes write.
            connection.connection.backup(target)
        finally:
            target.close()
        snapshot = _sqlite_snapshot(db_file)
    else:
        db_file = dest / PG_FILE
        connection.ensure_connection()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snap_id = cursor.fetchone()[0]
                _run([pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snap_id}",
                      "-f", str(db_file)], env=_pg_env())
                snapshot = read_snapshot(cursor)
    database = {"file": db_file.name, "size": db_file.stat().st_size, "sha256": sha256_of(db_file)}
    media = _copy_media(dest / MEDIA)
    manifest = {"format": FORMAT, "engine": engine(), "started_at": started.isoformat(),
                "finished_at": timezone.now().isoformat(), "database": database, "media": media, **snapshot}
    tmp = dest / (MANIFEST + ".part")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, dest / MANIFEST)
    return manifest


# --- verify ---------------------------------------------------------------------------------

def load_manifest(src: Path) -> dict:
    path = Path(src) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{src} 不是完整的备份：缺少 {MANIFEST}（备份可能没有完成）") from None
    except ValueError as exc:
        raise BackupError(f"{path} 无法读取（{exc}）：备份已损坏") from None


def _stored_sha256(relative: str) -> str | None:
    """SHA-256 of a file in the private storage (None when it is not there)."""
    try:
        with open_private(relative) as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
            return digest.hexdigest()
    except FileNotFoundError:
        return None


def _check_files(report: Report, records, media_root: Path | None, where: str) -> None:
    """Every record's file is there with its SHA-256: in the folder ``media_root`` (a backup's),
    or with None in the installed private storage."""
    for rec in records:
        report.checked_records += 1
        if media_root is not None:
            path = media_root / rec["file"]
            found = sha256_of(path) if path.is_file() else None
        else:
            found = _stored_sha256(rec["file"])
        if found is None:
            report.problems.append(f"{where}：{rec['table']} #{rec['id']} 的文件 {rec['file']} 不存在")
        elif found != rec["sha256"]:
            report.problems.append(f"{where}：{rec['table']} #{rec['id']} 的文件 {rec['file']} 与记录的 SHA-256 不符")


def verify(src: Path, *, installation: bool = False) -> Report:
    """Check the backup in ``src``; with ``installation`` also the installed database and media."""
    src = Path(src)
    manifest = load_manifest(src)
    report = Report()
    db_file = src / manifest["database"]["file"]
    if not db_file.is_file():
        report.problems.append(f"数据库备份文件 {db_file.name} 不存在")
    elif sha256_of(db_file) != manifest["database"]["sha256"]:
        report.problems.append(f"数据库备份文件 {db_file.name} 的 SHA-256 与清单不符（文件已损坏或被改动）")
    elif manifest["engine"] == "sqlite":
        db = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            result = [r[0] for r in db.execute("PRAGMA integrity_check")]
        finally:
            db.close()
        if result != ["ok"]:
            report.problems.append(f"数据库备份未通过完整性检查（PRAGMA integrity_check）：{'；'.join(result)[:500]}")
        else:
            snapshot = _sqlite_snapshot(db_file)
            for key in ("tables", "audit"):
                if snapshot[key] != manifest[key]:
                    report.problems.append(f"数据库备份的{'表行数' if key == 'tables' else '审计日志'}与清单不符")
            if snapshot["file_records"] != manifest["file_records"]:
                report.problems.append("数据库备份中的文件记录与清单不符")
    else:
        try:
            _run([pg_tool("pg_restore"), "--list", str(db_file)])
        except BackupError as exc:
            report.problems.append(f"数据库备份无法读取（pg_restore --list）：{exc}")
    media = src / MEDIA
    for relative, meta in manifest["media"].items():
        path = media / relative
        report.checked_files += 1
        if not path.is_file():
            report.problems.append(f"备份中缺少文件 {relative}")
        elif sha256_of(path) != meta["sha256"]:
            report.problems.append(f"备份中的文件 {relative} 与清单记录的 SHA-256 不符")
    _check_files(report, manifest["file_records"], media, "备份")
    if installation:
        with connection.cursor() as cursor:
            live = read_snapshot(cursor)
        if live["audit"] != manifest["audit"]:
            report.problems.append(
                f"审计日志与备份不符：备份 {manifest['audit']['count']} 条（最后 #{manifest['audit']['last_id']}），"
                f"当前 {live['audit']['count']} 条（最后 #{live['audit']['last_id']}）")
        _check_files(report, live["file_records"], None, "当前安装")
    return report


# --- restore --------------------------------------------------------------------------------

def occupied() -> list[str]:
    """Why the installation is not empty (nothing: it is)."""
    reasons = []
    existing = set(connection.introspection.table_names())
    for label in OCCUPIED_MODELS:
        model = apps.get_model(label)
        if model._meta.db_table in existing and model.objects.exists():
            reasons.append(f"数据库中已有{model._meta.verbose_name}记录（{model.objects.count()} 条）")
    root = local_root()
    if root is not None:
        if root.exists() and any(root.iterdir()):
            reasons.append(f"文件目录 {root} 不是空的")
    elif next(walk_private(""), None) is not None:
        reasons.append("对象存储中的文件存储桶（CLUSTERDESK_S3_BUCKET / CLUSTERDESK_S3_PREFIX）不是空的")
    return reasons


def restore(src: Path) -> Report:
    """Restore the backup in ``src`` into this (empty) installation, then verify it.

    Refuses a backup that does not verify, one made on the other database engine, and an
    installation that holds data. Package jobs the backup caught running are failed on the
    way (their worker is not here), see ``documents.service.fail_interrupted_jobs``.
    """
    src = Path(src)
    manifest = load_manifest(src)
    if manifest.get("engine") != engine():
        raise BackupError(f"该备份来自 {manifest.get('engine')} 数据库，当前安装使用 {engine()}：请在同类数据库上恢复")
    report = verify(src)
    if not report.ok:
        raise BackupError("备份未通过校验，未恢复：\n" + "\n".join(report.problems))
    reasons = occupied()
    if reasons:
        raise BackupError("只能恢复到空的安装中（新的数据库和空的文件目录）：" + "；".join(reasons)
                          + "。请换用新的数据库和空的 CLUSTERDESK_MEDIA_DIR 后重试")
    db_file = src / manifest["database"]["file"]
    if manifest["engine"] == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        connection.close()
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "-d", connection.settings_dict["NAME"], str(db_file)], env=_pg_env())
    root = local_root()
    media = src / MEDIA
    if root is None:  # an object store: each file is one upload, complete or absent
        storage = private_storage()
        for relative in manifest["media"]:
            with open(media / relative, "rb") as handle:
                storage.save(relative, File(handle, name=relative))
    for relative in manifest["media"] if root is not None else []:
        root.mkdir(parents=True, exist_ok=True)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            with open(media / relative, "rb") as handle:
                shutil.copyfileobj(handle, tmp, 1024 * 1024)
        os.replace(tmp.name, target)
    from clusterdesk.documents.service import fail_interrupted_jobs

    fail_interrupted_jobs(reason="restored")
    return verify(src, installation=True)
