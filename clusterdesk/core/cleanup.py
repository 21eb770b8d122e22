"""Files left behind by crashes (issue 16 §5): ``manage.py cleanup_files`` and the worker's hourly run.

Two kinds go, both only when older than ``CLEANUP_GRACE_HOURS`` (an upload being stored right
now, or whose record is not yet committed, is younger than that):

- a file under one of the record folders of the private media (``UPLOAD_FOLDERS``: where
  ``core.files.store_upload`` writes) that no file record names (``backup.FILE_RECORDS``) — what a
  crash between writing and recording, or a killed upload, leaves;
- Django's temporary upload files (``tmp*.upload*`` in ``FILE_UPLOAD_TEMP_DIR`` or the system
  temporary directory) of a process that died before deleting them.

Nothing else is looked at: package folders (``documents``), backups and anything outside those
folders stay whatever their age. A run that removed something writes one ``system.files_cleaned``
audit event with the counts.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import transaction

from .backup import FILE_RECORDS
from .files import private_root

logger = logging.getLogger("clusterdesk.cleanup")

# Where store_upload writes files that a record names (relative to PRIVATE_MEDIA_ROOT).
UPLOAD_FOLDERS = ("evidence", "letters", "spotchecks", "rereview", "registry/changes")
TEMP_PATTERN = "tmp*.upload*"


@dataclass
class Cleanup:
    orphans: list[Path] = field(default_factory=list)
    temporaries: list[Path] = field(default_factory=list)
    freed: int = 0
    kept_young: int = 0

    @property
    def removed(self) -> int:
        return len(self.orphans) + len(self.temporaries)


def recorded_files() -> set[str]:
    """Every stored file a record names, relative to the private root."""
    names: set[str] = set()
    for label, file_field, _sha in FILE_RECORDS:
        model = apps.get_model(label)
        names.update(n for n in model._base_manager.exclude(**{file_field: ""}).values_list(file_field, flat=True) if n)
    return names


def temp_dir() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def _old(path: Path, cutoff: float) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff
    except OSError:
        return False


def cleanup(*, dry_run: bool = False, now: float | None = None) -> Cleanup:
    """Remove (or with ``dry_run`` only list) orphaned uploads and stale upload temporaries."""
    cutoff = (time.time() if now is None else now) - settings.CLEANUP_GRACE_HOURS * 3600
    result = Cleanup()
    root = private_root()
    # The records are read after the listing's candidates are known to be old: a file recorded
    # in between is then in the set (records are committed after the file is fsynced).
    candidates = []
    for folder in UPLOAD_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if not path.is_file():
                continue
            if _old(path, cutoff):
                candidates.append(path)
            else:
                result.kept_young += 1
    recorded = recorded_files() if candidates else set()
    for path in candidates:
        if path.relative_to(root).as_posix() not in recorded:
            result.orphans.append(path)
    tmp = temp_dir()
    if tmp.is_dir():
        result.temporaries = sorted(p for p in tmp.glob(TEMP_PATTERN) if _old(p, cutoff))
    if dry_run:
        return result
    for path in result.orphans + result.temporaries:
        try:
            size = path.stat().st_size
            path.unlink()
            result.freed += size
        except FileNotFoundError:
            pass
        except OSError:
            logger.exception("cleanup could not remove %s", path)
    for folder in {p.parent for p in result.orphans}:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass
    if result.removed:
        _audit(result)
    return result


def _audit(result: Cleanup) -> None:
    from clusterdesk.audit.domain import record

    root = private_root()
    with transaction.atomic():
        record(action="system.files_cleaned", object_type="files", object_repr="遗留文件清理",
               after={"orphans": len(result.orphans), "temporaries": len(result.temporaries), "bytes": result.freed,
                      "grace_hours": settings.CLEANUP_GRACE_HOURS,
                      "files": [p.relative_to(root).as_posix() for p in result.orphans[:200]]})
