"""Files left behind by crashes (issue 16 §5): ``manage.py cleanup_files`` and the worker's hourly run.

Two kinds go, both only when older than ``CLEANUP_GRACE_HOURS`` (an upload being stored right
now, or whose record is not yet committed, is younger than that):

- a file under one of the record folders of the private storage (``UPLOAD_FOLDERS``: where
  ``core.files.store_upload`` writes) that no file record names (``backup.FILE_RECORDS``) — what a
  crash between writing and recording, or a killed upload, leaves;
- Django's temporary upload files (``tmp*.upload*`` in ``FILE_UPLOAD_TEMP_DIR`` or the system
  temporary directory) of a process that died before deleting them.

The private files are listed, dated and removed through the storage API (``listdir``,
``get_modified_time``, ``delete``), so this works on an object store too; the upload
temporaries are local files of this machine (run it on every application server).

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
from .files import delete_private, local_root, private_size, private_storage, walk_private

logger = logging.getLogger("clusterdesk.cleanup")

# Where store_upload writes files that a record names (relative to PRIVATE_MEDIA_ROOT).
UPLOAD_FOLDERS = ("evidence", "letters", "spotchecks", "rereview", "registry/changes")
TEMP_PATTERN = "tmp*.upload*"


@dataclass
class Cleanup:
    orphans: list[str] = field(default_factory=list)  # names in the private storage
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


def _stored_old(name: str, cutoff: float) -> bool:
    """A stored file last written before ``cutoff`` (a symlink on the local disk never is)."""
    root = local_root()
    if root is not None:
        return _old(root / name, cutoff)
    try:
        return private_storage().get_modified_time(name).timestamp() < cutoff
    except (OSError, NotImplementedError):
        return False


def cleanup(*, dry_run: bool = False, now: float | None = None) -> Cleanup:
    """Remove (or with ``dry_run`` only list) orphaned uploads and stale upload temporaries."""
    cutoff = (time.time() if now is None else now) - settings.CLEANUP_GRACE_HOURS * 3600
    result = Cleanup()
    # The records are read after the listing's candidates are known to be old: a file recorded
    # in between is then in the set (records are committed after the file is stored).
    candidates = []
    for folder in UPLOAD_FOLDERS:
        for name in walk_private(folder):
            if _stored_old(name, cutoff):
                candidates.append(name)
            else:
                result.kept_young += 1
    recorded = recorded_files() if candidates else set()
    result.orphans = [name for name in candidates if name not in recorded]
    tmp = temp_dir()
    if tmp.is_dir():
        result.temporaries = sorted(p for p in tmp.glob(TEMP_PATTERN) if _old(p, cutoff))
    if dry_run:
        return result
    for name in result.orphans:
        try:
            size = private_size(name) or 0
            delete_private(name)
            result.freed += size
        except Exception:  # noqa: BLE001 - one file that cannot go does not stop the others
            logger.exception("cleanup could not remove %s", name)
    for path in result.temporaries:
        try:
            size = path.stat().st_size
            path.unlink()
            result.freed += size
        except FileNotFoundError:
            pass
        except OSError:
            logger.exception("cleanup could not remove %s", path)
    root = local_root()
    if root is not None:  # empty folders exist only on a disk (an object store has prefixes)
        for folder in {(root / name).parent for name in result.orphans}:
            try:
                folder.rmdir()  # only when empty
            except OSError:
                pass
    if result.removed:
        _audit(result)
    return result


def _audit(result: Cleanup) -> None:
    from clusterdesk.audit.domain import record

    with transaction.atomic():
        record(action="system.files_cleaned", object_type="files", object_repr="遗留文件清理",
               after={"orphans": len(result.orphans), "temporaries": len(result.temporaries), "bytes": result.freed,
                      "grace_hours": settings.CLEANUP_GRACE_HOURS,
                      "files": result.orphans[:200]})
