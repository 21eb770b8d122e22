"""Private file storage shared by evidence, letters, spot-check files and prepared packages.

Files live in the ``private`` storage (``settings.STORAGES["private"]``): by default the local
folder ``settings.PRIVATE_MEDIA_ROOT``, or with ``CLUSTERDESK_STORAGE=s3`` an S3-compatible
bucket shared by several application servers. Every read, write, listing and removal goes
through Django's storage API (:func:`private_storage`), never through a path, except where the
local disk has something an object store has not (fsync before recording an upload, an atomic
rename of a prepared package's folder, free-space checks, the backup's copy): those use
:func:`local_root`, which is None on an object store.

Names are random (never derived from what a user called them); uploads are written by
streaming their chunks while their SHA-256 and CRC-32 are computed, and files are only ever
served by permission-checked views.
"""

import errno
import hashlib
import os
import shutil
import uuid
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
# The same CRC-32 as zlib's (and ZIP's), with SIMD: ~60 GB/s here against zlib's ~7 GB/s.
from zlib_ng.zlib_ng import crc32

from .errors import DomainError


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class PrivateFileSystemStorage(FileSystemStorage):
    """The local private storage: always at the current ``settings.PRIVATE_MEDIA_ROOT`` (tests
    and scripts change it at run time), files 0600 and folders 0700, no public URL."""

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return str(self._location or settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("private files have no URL: they are served by permission-checked views")


def private_storage() -> Storage:
    return storages["private"]


def local_root() -> Path | None:
    """The private storage's folder when it is on the local disk; None on an object store."""
    storage = private_storage()
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def private_root() -> Path:
    """The local private folder, for what needs the local disk (backup, health, tests that damage
    a file on purpose); callers that may run on an object store check :func:`local_root` first."""
    root = local_root()
    return root if root is not None else Path(settings.PRIVATE_MEDIA_ROOT)


def private_path(relative: str) -> Path:
    return private_root() / relative


def _not_found(exc: Exception) -> bool:
    """An object store's "no such key" (botocore's ClientError with a 404)."""
    response = getattr(exc, "response", None) or {}
    return (str(response.get("Error", {}).get("Code", "")) in {"404", "NoSuchKey", "NotFound"}
            or response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404)


def open_private(relative: str):
    """The stored file, opened for reading in chunks; FileNotFoundError when it is not there."""
    if not relative:
        raise FileNotFoundError("no stored file")
    storage = private_storage()
    if _is_s3(storage):
        return _open_s3_stream(storage, relative)
    try:
        return storage.open(relative, "rb")
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise FileNotFoundError(relative) from None
    except Exception as exc:
        if _not_found(exc):
            raise FileNotFoundError(relative) from exc
        raise


def _is_s3(storage) -> bool:
    return type(storage).__module__ == "storages.backends.s3"


def _open_s3_stream(storage, relative: str):
    """The object's body as a stream (botocore ``StreamingBody``: ``read(n)``, ``close()``).

    django-storages' ``S3File`` downloads the whole object into a SpooledTemporaryFile before the
    first byte is read (in memory, with its default ``max_memory_size`` of 0): a 1 GB package
    would hold every file whole in turn. One GET read in chunks keeps memory constant. Uses
    django-storages 1.14's ``_normalize_name`` (the key with the storage's prefix), pinned.
    """
    from botocore.exceptions import ClientError
    from storages.utils import clean_name

    key = storage._normalize_name(clean_name(relative))
    try:
        return storage.bucket.Object(key).get()["Body"]
    except ClientError as exc:
        if _not_found(exc):
            raise FileNotFoundError(relative) from exc
        raise


def private_size(relative: str) -> int | None:
    """The size of a stored file; None when it is not there (or, on the local disk, not a file)."""
    if not relative:
        return None
    root = local_root()
    if root is not None:
        path = root / relative
        try:
            return path.stat().st_size if path.is_file() else None
        except OSError:
            return None
    try:
        return private_storage().size(relative)
    except FileNotFoundError:
        return None
    except Exception as exc:
        if _not_found(exc):
            return None
        raise


def delete_private(relative: str) -> None:
    """Remove a stored file; nothing happens when it is not there."""
    if not relative:
        return
    try:
        private_storage().delete(relative)
    except FileNotFoundError:
        pass


def walk_private(folder: str):
    """Every stored file under ``folder`` (names relative to the storage), by ``listdir``."""
    try:
        dirs, files = private_storage().listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    root = local_root()
    for name in sorted(files):
        yield prefix + name
    for sub in sorted(dirs):
        if root is not None and (root / prefix / sub).is_symlink():
            continue  # never follow a link out of the private folder (as Path.rglob does not)
        yield from walk_private(prefix + sub)


def delete_private_tree(folder: str) -> None:
    """Remove a folder and everything in it, best effort (as ``shutil.rmtree(ignore_errors=True)``)."""
    if not folder:
        return
    root = local_root()
    if root is not None:
        shutil.rmtree(root / folder, ignore_errors=True)
        return
    for name in list(walk_private(folder)):
        try:
            delete_private(name)
        except Exception:  # noqa: BLE001 - best effort; cleanup_files and the next build retry
            pass


class Stored(NamedTuple):
    """A stored upload: where it is (relative to the private root) and what it was."""

    relative: str
    size: int
    sha256: str
    crc32: int  # the ZIP checksum: lets the electronic package check the file without a second SHA-256


def store_upload(upload, folder: str, kind: str, name: str) -> Stored:
    """Stream ``upload`` into ``folder`` under a random name.

    Refuses (and leaves nothing behind) when the stream is larger than ``MAX_UPLOAD_MB``, and
    with status 507 when the disk is full. On the local disk the file is fsynced before this
    returns, so a record the caller writes next never names bytes a crash could lose; an object
    store acknowledges the upload only once it has stored it.
    """
    relative = f"{folder}/{uuid.uuid4().hex}.{kind}"
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    too_big = DomainError(
        f"文件“{name}”超过了单个文件 {settings.MAX_UPLOAD_MB} MB 的上限，请压缩或拆分后分别上传", field="file")
    root = local_root()
    if root is None:
        return _store_elsewhere(upload, relative, limit, too_big)
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    crc = 0
    size = 0
    try:
        with open(path, "xb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:  # the declared size lied
                    raise too_big
                digest.update(chunk)
                crc = crc32(chunk, crc)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())  # on disk before the database records it
        path.chmod(0o600)
    except OSError as exc:
        path.unlink(missing_ok=True)
        if exc.errno in NO_SPACE:
            raise DomainError(f"服务器存储空间已满，文件“{name}”没有保存；请联系系统管理员清理空间后重新上传",
                              field="file", status=507) from exc
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Stored(relative, size, digest.hexdigest(), crc)


class _HashingReader:
    """A read-only file over an upload's chunks that hashes what is read and stops at the limit.

    Storages read it by ``read(n)`` (boto3's multipart upload) or through ``File.chunks()``
    (which calls ``read``): the upload is never held whole in memory.
    """

    def __init__(self, upload, limit: int, too_big: DomainError):
        self._chunks = iter(upload.chunks())
        self._buffer = b""
        self._limit, self._too_big = limit, too_big
        self.digest, self.crc, self.size = hashlib.sha256(), 0, 0
        self.content_type = getattr(upload, "content_type", None) or "application/octet-stream"

    def _next(self) -> bytes:
        chunk = next(self._chunks, b"")
        if chunk:
            self.size += len(chunk)
            if self.size > self._limit:  # the declared size lied
                raise self._too_big
            self.digest.update(chunk)
            self.crc = crc32(chunk, self.crc)
        return chunk

    def read(self, n: int = -1) -> bytes:
        if n is None:
            n = -1
        while n < 0 or len(self._buffer) < n:
            chunk = self._next()
            if not chunk:
                break
            self._buffer += chunk
        if n < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size - len(self._buffer)

    closed = False

    def close(self) -> None:
        self.closed = True


def _store_elsewhere(upload, relative: str, limit: int, too_big: DomainError) -> Stored:
    """Stream the upload into a storage that is not the local disk (an object store)."""
    reader = _HashingReader(upload, limit, too_big)
    try:
        saved = private_storage().save(relative, File(reader, name=relative))
    except BaseException:
        delete_private(relative)
        raise
    return Stored(saved, reader.size, reader.digest.hexdigest(), reader.crc)


def decode_text(raw: bytes) -> str | None:
    """Text of an uploaded CSV: UTF-8 (with or without BOM), or GB18030 as Excel on Windows
    saves it by default. None when it is neither; the caller says so in its own words."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
