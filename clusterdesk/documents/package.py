"""The electronic package (电子材料包): one ZIP with everything a list sends upward.

For a recommending unit (a city): the applications of its formal recommendation (阶段二); for
the province: the applications on its national list (``NationalPick``, in rank order). Layout::

    01-{申报编号}-{集群名称}/附件1申报表.pdf
    01-{申报编号}-{集群名称}/附件1申报表.docx
    01-{申报编号}-{集群名称}/佐证材料/{清单项编号}-{清单项名称}/{原文件名}   (checklist order)
    02-…/
    附件2推荐汇总表.xlsx
    推荐文件（盖章件）.pdf          (the city's uploaded signed letter, when there is one)
    推荐文件（草稿）.docx
    清单.xlsx                       (every file above: path, size, SHA-256)
    manifest.csv                    (the same plus 清单.xlsx; UTF-8 with BOM)

Evidence is the submitted version's list (the files as submitted, ``ApplicationVersion.evidence``),
read from private storage. Names are made safe for ZIP and for Windows (:func:`safe_name`) and
never collide inside a folder (:class:`Folder`: "名（2）.pdf"). The ZIP is STORED (evidence is
already compressed: PDF, JPG, OFD…), names carry the UTF-8 flag (zipstream-ng sets bit 11 for
any non-ASCII name), and it is produced as a stream: memory stays constant whatever the size.

``plan`` → ``check`` → ``build`` (to a file, for the background job) or ``stream`` (straight
into the HTTP response, for small packages). The SHA-256 of every file is computed from the
bytes written while they are written; a stored file whose size or hash differs from what the
version recorded fails the build, as does a missing file (named in the message). ``build``
writes to a temporary file renamed only when complete, so a failure leaves nothing behind.

Throughput: three threads share the work, joined by bounded queues of 1 MiB chunks (constant
memory): one reads the stored files ahead, in order; the caller's thread checksums (CRC-32 for
the ZIP, SHA-256 for the manifest); in ``build`` a third writes and hashes the archive itself.
hashlib, zlib.crc32 and file I/O release the GIL, so they overlap.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import queue
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from clusterdesk.core.errors import DomainError
from clusterdesk.core.files import private_path

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
QUEUE_DEPTH = 8  # chunks waiting per queue (reader → archive, archive → writer): ~16 MiB in flight
# Weight in the progress bar of one generated document (its size is unknown until rendered).
GENERATED_WEIGHT = 256 * 1024

# Name limits, in characters and in UTF-8 bytes (ext4 allows 255 bytes a name; Windows
# Explorer struggles beyond 260 characters a path, so the three levels stay well inside).
FOLDER_CHARS = 48
ITEM_CHARS = 48
NAME_CHARS = 72
NAME_BYTES = 240

ATTACHMENT_PDF = "附件1申报表.pdf"
ATTACHMENT_DOCX = "附件1申报表.docx"
EVIDENCE_FOLDER = "佐证材料"
SUMMARY_NAME = "附件2推荐汇总表.xlsx"
SIGNED_LETTER_STEM = "推荐文件（盖章件）"
DRAFT_LETTER_NAME = "推荐文件（草稿）.docx"
MANIFEST_XLSX = "清单.xlsx"
MANIFEST_CSV = "manifest.csv"

FILE = "file"
GENERATED = "generated"
MANIFEST = "manifest"


# --- names -------------------------------------------------------------------------------------

_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DROP = _BIDI | {"\ufeff", "\ufffe", "\uffff"}
_FORBIDDEN = re.compile(r'[<>:"|?*/\\]')  # path separators and what Windows refuses in a name
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def _split_ext(name: str) -> tuple[str, str]:
    """("报告", ".pdf") for "报告.pdf"; no extension when it is long, spaced or the whole name."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 10 and " " not in ext:
        return stem, f".{ext}"
    return name, ""


def _fit(stem: str, tail: str, limit: int) -> str:
    """``stem + tail`` cut at the end of ``stem`` to ``limit`` characters and ``NAME_BYTES`` bytes."""
    room = limit - len(tail)
    stem = stem[: max(room, 1)]
    while stem and len((stem + tail).encode("utf-8")) > NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .\u200d")  # no dangling zero-width joiner of a cut emoji sequence
    return (stem or "未命名") + tail


def safe_name(name, limit: int = NAME_CHARS, *, keep_extension: bool = True) -> str:
    """One path component, safe in a ZIP and when unpacked on Windows or Linux.

    NFC-normalised; no "/" or "\\" (so no directory part and no "../"), no runs of dots, no
    control, bidi-override or byte-order characters, none of ``<>:"|?*`` (replaced by "_"),
    no leading or trailing dots and spaces, no Windows device name (CON, NUL, COM1…); emoji and
    every other printable character kept. Longer than ``limit`` characters (or 240 UTF-8
    bytes) it is shortened at the end of the stem, the extension kept. Never empty.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    kept = []
    for ch in text:
        if ch in "\t\n\r\x0b\x0c":
            kept.append(" ")
        elif ch in _DROP or unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        else:
            kept.append(ch)
    text = _FORBIDDEN.sub("_", "".join(kept))
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    stem, ext = _split_ext(text) if keep_extension else (text, "")
    stem = stem.strip(" .")
    if not stem:
        stem = "未命名"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"_{stem}"
    return _fit(stem, ext, limit)


class Folder:
    """The names already used in one folder of the ZIP; :meth:`take` never returns one twice.

    Names compare case-insensitively (Windows would overwrite "A.pdf" with "a.pdf"). A taken
    name gets "（2）", "（3）"… before its extension, still within the length limit.
    """

    def __init__(self):
        self._taken: set[str] = set()

    def take(self, name: str, limit: int = NAME_CHARS) -> str:
        candidate = name
        n = 1
        while candidate.casefold() in self._taken:
            n += 1
            stem, ext = _split_ext(name)
            candidate = _fit(stem, f"（{n}）{ext}", limit)
        self._taken.add(candidate.casefold())
        return candidate


# --- the plan ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One file of the package: its name in the ZIP and where its bytes come from.

    ``source`` is ``file`` (a stored file at ``path``, with the ``size`` and ``sha256`` the
    submission recorded), ``generated`` (``render()`` returns the bytes) or ``manifest``
    (清单.xlsx / manifest.csv, written at the end from what was written before).
    """

    arcname: str
    source: str
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    render: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    kind: str = "佐证材料"  # how a message names a stored file: 佐证材料 / 推荐文件
    what: str = ""  # "DH-2025-001 E01 产值证明.pdf"
    stored: str = ""  # the private relative path, for messages

    @property
    def weight(self) -> int:
        if self.source == FILE:
            return self.size
        return GENERATED_WEIGHT if self.source == GENERATED else 0

    def missing_message(self) -> str:
        return f"{self.kind}文件缺失：{self.what}（存储位置 {self.stored or '无记录'}），材料包未生成"

    def changed_message(self, size: int, sha256: str) -> str:
        if size != self.size:
            found = f"应为 {self.size} 字节，存储的文件为 {size} 字节"
        else:
            found = f"SHA-256 应为 {self.sha256[:16]}…，存储的文件为 {sha256[:16]}…"
        return (f"{self.kind}文件与提交时不一致：{self.what}（存储位置 {self.stored}，{found}），"
                "材料包未生成")


def is_province(org) -> bool:
    return getattr(org, "kind", "") == "province"


def package_applications(round_, org) -> list:
    """The applications a package holds, in order: a city's formal recommendation (in the order
    of the list it sent) or the province's national list (by rank). Refused when there is none."""
    from clusterdesk.applications.models import Application
    from clusterdesk.reviews.models import ListKind, NationalPick, RecommendationList

    if is_province(org):
        picks = NationalPick.objects.filter(round=round_).select_related("application__org").order_by("rank", "id")
        applications = [p.application for p in picks]
        if not applications:
            raise DomainError("本批次尚未选定国家级推荐名单，没有可打包的申报：请先在“国家级推荐”页面选定名单",
                              status=409)
        return applications
    formal = RecommendationList.objects.filter(round=round_, org=org, kind=ListKind.FORMAL).first()
    if formal is None:
        raise DomainError(f"{org.name}尚未正式推荐（阶段二），没有可打包的申报：请先上传推荐文件并正式推荐",
                          status=409)
    ids = [e["id"] for e in formal.entries]
    found = Application.objects.select_related("org").in_bulk(ids)
    return [found[i] for i in ids if i in found]


def formal_list(round_, org):
    from clusterdesk.reviews.models import ListKind, RecommendationList

    if is_province(org):
        return None
    return RecommendationList.objects.filter(round=round_, org=org, kind=ListKind.FORMAL).first()


def _attachment(application, version, fmt: str) -> bytes:
    from . import attachment1

    return (attachment1.render_pdf if fmt == "pdf" else attachment1.render_docx)(application, version)


def _summary(round_, applications, org) -> bytes:
    from .summary import authority_name, summary_title, summary_xlsx

    title = summary_title(round_) + ("（国家级推荐名单）" if is_province(org) else "")
    return summary_xlsx(round_, applications, title=title, unit_name=authority_name(org))


def _letter(round_, org) -> bytes:
    from .letter import letter_docx

    return letter_docx(round_, org)


def plan(round_, org) -> list[Entry]:
    """Every file of ``org``'s package in ``round_``, in order, with where its bytes come from.

    Nothing is read or rendered here (a few queries); see :func:`check` and :func:`build`.
    """
    from clusterdesk.applications.models import ApplicationVersion, EvidenceFile
    from clusterdesk.rounds.models import ChecklistItem

    applications = package_applications(round_, org)
    versions = {
        v.application_id: v
        for v in ApplicationVersion.objects.filter(
            application__in=applications, number=F("application__current_version"))
    }
    checklist = list(ChecklistItem.objects.filter(round=round_).order_by("order", "id"))
    titles = {item.code: item.title for item in checklist}
    ids = [f["id"] for v in versions.values() for f in (v.evidence or [])]
    stored = {
        e.pk: e for e in EvidenceFile.objects.filter(pk__in=ids).only("id", "application_id", "stored_name")
    }

    entries: list[Entry] = []
    top = Folder()
    width = max(2, len(str(len(applications))))
    for index, application in enumerate(applications, 1):
        version = versions.get(application.pk)
        if version is None:
            raise DomainError(f"申报 {application.number} 没有已提交的版本，材料包未生成", status=409)
        folder = top.take(safe_name(f"{index:0{width}d}-{application.number}-{application.name or '未命名'}",
                                    FOLDER_CHARS, keep_extension=False), FOLDER_CHARS)
        entries.append(Entry(f"{folder}/{ATTACHMENT_PDF}", GENERATED,
                             render=partial(_attachment, application, version, "pdf")))
        entries.append(Entry(f"{folder}/{ATTACHMENT_DOCX}", GENERATED,
                             render=partial(_attachment, application, version, "docx")))
        by_item: dict[str, list[dict]] = {}
        for f in version.evidence or []:
            by_item.setdefault(f["item"], []).append(f)
        codes = [item.code for item in checklist if item.code in by_item]
        codes += [code for code in by_item if code not in titles]  # items since taken off the checklist
        items = Folder()
        for code in codes:
            item_folder = items.take(safe_name(f"{code}-{titles[code]}" if code in titles else code,
                                               ITEM_CHARS, keep_extension=False), ITEM_CHARS)
            names = Folder()
            for f in by_item[code]:
                row = stored.get(f["id"])
                if row is not None and row.application_id != application.pk:
                    row = None
                entries.append(Entry(
                    f"{folder}/{EVIDENCE_FOLDER}/{item_folder}/{names.take(safe_name(f['name']))}", FILE,
                    path=private_path(row.stored_name) if row else None, size=int(f["size"]),
                    sha256=f["sha256"], what=f"{application.number} {code} {f['name']}",
                    stored=row.stored_name if row else "",
                ))
    entries.append(Entry(SUMMARY_NAME, GENERATED, render=partial(_summary, round_, applications, org)))
    formal = formal_list(round_, org)
    if formal is not None and formal.letter_stored:
        _, ext = _split_ext(safe_name(formal.letter_name))
        entries.append(Entry(
            f"{SIGNED_LETTER_STEM}{ext.lower() or '.' + formal.letter_kind}", FILE,
            path=private_path(formal.letter_stored), size=formal.letter_size, sha256=formal.letter_sha256,
            kind="推荐文件", what=f"{org.name} {formal.letter_name}", stored=formal.letter_stored,
        ))
    entries.append(Entry(DRAFT_LETTER_NAME, GENERATED, render=partial(_letter, round_, org)))
    entries.append(Entry(MANIFEST_XLSX, MANIFEST))
    entries.append(Entry(MANIFEST_CSV, MANIFEST))
    return entries


def planned_size(entries: list[Entry]) -> int:
    """Bytes of the stored files (the generated documents are small and unknown until rendered)."""
    return sum(e.size for e in entries if e.source == FILE)


def check(entries: list[Entry]) -> None:
    """Refuse (``DomainError`` naming the file) when a stored file is missing or has another size."""
    for entry in entries:
        if entry.source != FILE:
            continue
        try:
            size = entry.path.stat().st_size if entry.path is not None else None
        except FileNotFoundError:
            size = None
        if size is None or not entry.path.is_file():
            raise DomainError(entry.missing_message(), status=409)
        if size != entry.size:
            raise DomainError(entry.changed_message(size, ""), status=409)


# --- writing -----------------------------------------------------------------------------------

_STOP = object()


class _Worker:
    """A thread applying ``fn`` to queued items in order. The queue is bounded (constant memory);
    the first error is kept and raised by the next :meth:`put` or by :meth:`wait`."""

    def __init__(self, fn, name: str):
        self._fn = fn
        self._queue: queue.Queue = queue.Queue(QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._error is None:
                    self._fn(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer
                self._error = exc
            finally:
                self._queue.task_done()

    def put(self, item) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def wait(self) -> None:
        self._queue.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()


_EOF = object()


class _Reader:
    """A thread reading the stored files of a plan, in order, ahead of the archive.

    Chunks go through a bounded queue (constant memory), so reading the next chunk — or the
    next file — overlaps checksumming and writing the current one. An error opening or reading
    a file is handed over in its place and raised when the archive reaches that file.
    """

    def __init__(self, entries: list[Entry]):
        self._queue: queue.Queue = queue.Queue(QUEUE_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(entries,), name="package-reader", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, entries: list[Entry]) -> None:
        # The SHA-256 of each file is computed here, while reading, so that it runs on the
        # other core in parallel with the CRC-32 the archive computes (both release the GIL).
        for entry in entries:
            digest, size = hashlib.sha256(), 0
            try:
                with open(entry.path, "rb") as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        if not self._put(chunk):
                            return
            except (OSError, TypeError) as exc:
                self._put(exc)
                return
            if not self._put((_EOF, size, digest.hexdigest())):
                return

    def chunks(self, entry: Entry, written: "_Written") -> Iterator[bytes]:
        """The file's chunks; at its end ``written`` gets the size and SHA-256 read."""
        while True:
            item = self._queue.get()
            if isinstance(item, tuple) and item[0] is _EOF:
                written.size, written.hexdigest = item[1], item[2]
                return
            if isinstance(item, (FileNotFoundError, TypeError)):
                raise DomainError(entry.missing_message(), status=409)
            if isinstance(item, OSError):
                raise DomainError(f"{entry.kind}文件无法读取：{entry.what}（存储位置 {entry.stored}，{item.strerror}），"
                                  "材料包未生成", status=409)
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class _Written:
    entry: Entry
    size: int = 0
    hexdigest: str = ""  # SHA-256 of the bytes written

    @property
    def sha256(self) -> str:
        return self.hexdigest


@dataclass
class Result:
    """What :func:`build` wrote."""

    size: int = 0
    sha256: str = ""
    files: int = 0
    stored_bytes: int = 0
    render_seconds: float = 0.0
    manifest: list[tuple[str, int, str]] = field(default_factory=list)


def _read(entry: Entry, written: _Written, reader: _Reader, tick: Callable[[int], None]) -> Iterator[bytes]:
    for chunk in reader.chunks(entry, written):
        tick(len(chunk))
        yield chunk


def manifest_csv(rows: list[tuple[str, int, str]]) -> bytes:
    """``path,size,sha256`` per file, UTF-8 with a BOM (so Excel on Windows shows the Chinese)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["path", "size", "sha256"])
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def manifest_xlsx(rows: list[tuple[str, int, str]], *, title: str = "") -> bytes:
    """清单.xlsx: 序号, 文件, 大小（字节）, SHA-256 per file, and a sheet 说明."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("清单")
    for column, width in zip("ABCD", (6, 90, 14, 68)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in ("序号", "文件", "大小（字节）", "SHA-256"):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for number, (path, size, sha) in enumerate(rows, 1):
        sheet.append([number, path, size, sha])
    about = book.create_sheet("说明")
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 90
    now = timezone.localtime()
    for label, value in (
        ("材料包", title),
        ("生成时间", f"{now:%Y-%m-%d %H:%M:%S}（北京时间）"),
        ("文件数", len(rows)),
        ("总大小（字节）", sum(size for _, size, _ in rows)),
        ("说明", "“清单”列出材料包中的每个文件（清单.xlsx 与 manifest.csv 本身除外）及其大小和 SHA-256 校验值；"
                 "manifest.csv 内容相同并另含清单.xlsx 一行，可用 sha256sum 等工具核对。"),
    ):
        about.append([label, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_chunks(entries: list[Entry], result: Result, progress=None, title: str = "") -> Iterator[bytes]:
    """The bytes of the ZIP, in order; fills ``result`` (files, manifest, render time)."""
    import zipstream

    archive = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED)
    total = sum(e.weight for e in entries) or 1
    state = {"done": 0}

    def tick(n: int) -> None:
        state["done"] += n
        if progress is not None:
            progress(min(state["done"], total), total)

    reader = _Reader([e for e in entries if e.source == FILE])
    written: list[_Written] = []
    try:
        for entry in entries:
            if entry.source == MANIFEST:
                continue
            item = _Written(entry)
            if entry.source == FILE:
                archive.add(_read(entry, item, reader, tick), entry.arcname, size=entry.size)
                yield from archive.all_files()
            else:
                started = time.perf_counter()
                data = entry.render()
                result.render_seconds += time.perf_counter() - started
                item.size = len(data)
                item.hexdigest = hashlib.sha256(data).hexdigest()
                archive.add(data, entry.arcname)
                del data
                yield from archive.all_files()
                tick(entry.weight)
            written.append(item)
        for item in written:
            entry = item.entry
            if entry.source == FILE and (item.size != entry.size or item.sha256 != entry.sha256):
                raise DomainError(entry.changed_message(item.size, item.sha256), status=409)
        rows = [(w.entry.arcname, w.size, w.sha256) for w in written]
        names = [e.arcname for e in entries if e.source == MANIFEST]
        if MANIFEST_XLSX in names:
            data = manifest_xlsx(rows, title=title)
            archive.add(data, MANIFEST_XLSX)
            yield from archive.all_files()
            rows.append((MANIFEST_XLSX, len(data), hashlib.sha256(data).hexdigest()))
        if MANIFEST_CSV in names:
            archive.add(manifest_csv(rows), MANIFEST_CSV)
        yield from archive.finalize()
        result.files = len(rows) + (1 if MANIFEST_CSV in names else 0)
        result.stored_bytes = sum(w.size for w in written if w.entry.source == FILE)
        result.manifest = rows
    finally:
        reader.close()


def temporary_path(out_path: Path) -> Path:
    return out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:8]}.part")


def build(entries: list[Entry], out_path, progress=None, *, title: str = "") -> Result:
    """Write the ZIP of ``entries`` to ``out_path`` and return its size.

    The package is verified file by file through its manifest (SHA-256 of every file); the ZIP
    as a whole is not hashed again, which would cost a second full SHA-256 pass on a CPU-bound
    build (bench/package_memory.py). Streams into a temporary file beside ``out_path`` (written
    by a worker thread), flushes it to disk and renames it; any failure (a missing or changed file, a
    document that cannot be rendered, a full disk) removes the temporary file and raises, so
    ``out_path`` either is the whole package or does not exist. ``progress(done, total)`` is
    called as bytes go by (stored files by size, each generated document as 256 KiB).
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    part = temporary_path(out_path)
    result = Result()
    try:
        with open(part, "xb") as out:
            writer = _Worker(out.write, "package-writer")
            chunks = _zip_chunks(entries, result, progress, title)
            try:
                for chunk in chunks:
                    result.size += len(chunk)
                    writer.put(chunk)
                writer.wait()
            finally:
                chunks.close()  # stops the hashing thread at once if the writer failed
                writer.close()
            out.flush()
            os.fsync(out.fileno())
        part.chmod(0o600)
        os.replace(part, out_path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return result


def stream(entries: list[Entry], filename: str = "材料包.zip", *, title: str = "") -> StreamingHttpResponse:
    """The package straight into the response (for small packages). Checked first, so a missing
    file is an error before any byte is sent; a file that changes while streaming aborts it."""
    check(entries)
    response = StreamingHttpResponse(_zip_chunks(entries, Result(), None, title), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


# --- who may, and the jobs ---------------------------------------------------------------------

def stream_limit_bytes() -> int:
    return int(getattr(settings, "PACKAGE_STREAM_MAX_MB", 200)) * 1024 * 1024


STALE_AFTER = timedelta(minutes=10)


def package_org(user, round_, org_code: str | None = None):
    """The unit whose package ``user`` may build in ``round_``, or None.

    A city reviewer of a recommending unit: its own unit (its formal recommendation). The
    province administrator of the round's province: the province (the national list), or with
    ``org_code`` one of its recommending units (that unit's formal recommendation).
    """
    from clusterdesk.orgs.models import Org, Role

    if user is None or not user.is_authenticated or not user.is_active or not user.org_id:
        return None
    org = user.org
    if user.role == Role.CITY_REVIEWER and org.recommends_to_province:
        return org if org_code in (None, "", org.code) else None
    if user.role == Role.PROVINCE_ADMIN and user.org_id == round_.province_id:
        if org_code in (None, "", org.code):
            return org
        return Org.objects.filter(code=org_code, recommends_to_province=True, path__startswith=org.path).first()
    return None


def can_access_job(user, job) -> bool:
    """The unit the package belongs to (its city reviewer) or the round's province administrator."""
    from clusterdesk.orgs.models import Role

    if user is None or not user.is_authenticated or not user.is_active or not user.org_id:
        return False
    if user.role == Role.PROVINCE_ADMIN and job.round.province_id == user.org_id:
        return True
    return user.role == Role.CITY_REVIEWER and user.org_id == job.org_id and user.org.recommends_to_province


def download_name(round_, org) -> str:
    level = "国家级" if is_province(org) else ""
    return f"{org.name}-{round_.year}年度{level}推荐材料包.zip"


def _expire_stale(round_, org) -> None:
    """A running job that has not moved for 10 minutes lost its worker: mark it failed."""
    from .models import JobStatus, PackageJob

    cutoff = timezone.now() - STALE_AFTER
    for job in PackageJob.objects.filter(round=round_, org=org, status=JobStatus.RUNNING, updated_at__lt=cutoff):
        PackageJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, finished_at=timezone.now(),
            error="材料包生成中断（超过 10 分钟没有进展，后台任务可能已停止），请重新生成",
        )
        for leftover in private_path(job_relative_dir(job)).glob(".*.part"):
            leftover.unlink(missing_ok=True)


def job_relative_dir(job) -> str:
    return f"packages/{job.round_id}/{job.org.code}"


def start_job(*, actor, round_, org):
    """Queue a build of ``org``'s package, or return the one already queued or running.

    The caller has checked ``package_org``. Refused (``DomainError``) when there is nothing to
    package (no formal recommendation / no national list). Returns ``(job, created)``.
    Side effects: a ``PackageJob`` row; the ``build_package`` task enqueued (in tests the
    immediate backend runs it at once).
    """
    from .models import ACTIVE_STATUSES, PackageJob
    from .tasks import build_package

    package_applications(round_, org)  # refuse early when there is nothing to package
    _expire_stale(round_, org)
    existing = PackageJob.objects.filter(round=round_, org=org, status__in=ACTIVE_STATUSES).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            job = PackageJob.objects.create(round=round_, org=org, requested_by=actor)
    except IntegrityError:  # a second click won the race: reuse its job
        existing = PackageJob.objects.filter(round=round_, org=org, status__in=ACTIVE_STATUSES).first()
        if existing is None:
            raise
        return existing, False
    try:
        build_package.enqueue(job.pk)
    except Exception:
        logger.exception("could not enqueue package job %s", job.pk)
        from .models import JobStatus

        PackageJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, finished_at=timezone.now(),
                                                    error="后台任务队列不可用，材料包未生成；请稍后重试或联系系统管理员")
    job.refresh_from_db()
    return job, True


def job_payload(job) -> dict:
    """What the status endpoints answer."""
    from django.urls import reverse

    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": job.progress,
        "total_bytes": job.total_bytes,
        "done_bytes": job.done_bytes,
        "file_count": job.file_count,
        "size": job.size,
        "sha256": job.sha256,
        "error": job.error,
        "download_url": reverse("package_download", args=[job.pk]) if job.status == "done" and job.file else "",
    }
