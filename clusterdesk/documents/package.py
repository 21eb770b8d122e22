"""The electronic package (电子材料包): one ZIP with everything a list sends upward.

For a recommending unit (a city): the applications of its formal recommendation (阶段二); for
the province: the applications on its national list (``NationalPick``, in rank order). Layout::

    01-{申报编号}-{集群名称}/附件1申报表.pdf
    01-{申报编号}-{集群名称}/附件1申报表.docx
    01-{申报编号}-{集群名称}/审核参考.pdf    (a city's package only: the self-check and digests for the province's reviewers)
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

``plan`` → ``check`` → ``prepare`` (the background job: checks every stored file against its record,
renders the documents and manifests into the job's folder) → ``download`` (the ZIP assembled
from the prepared folder and the stored evidence while it is sent, every file checked again).
``stream`` sends a small package straight from the plan, rendering as it goes. A stored file
whose size or checksum differs from its record, or that is missing, stops whichever step meets
it with a message naming the file; ``prepare`` leaves nothing partial behind.

Checking a file costs little: the size and CRC-32 recorded at upload (``core/files.py``) are
compared as the 1 MiB chunks go by, and the manifests carry the SHA-256 recorded at upload; a
second SHA-256 of every byte would double the cost of reading (bench/package_memory.py).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import logging
import os
import re
import shutil
import socket
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from clusterdesk.core.errors import DomainError
from clusterdesk.core.files import (crc32, delete_private_tree, local_root, open_private, private_path, private_size,
                                    private_storage)
from clusterdesk.orgs import roles

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
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
REFERENCE_PDF = "审核参考.pdf"
EVIDENCE_FOLDER = "佐证材料"
SUMMARY_NAME = "附件2推荐汇总表.xlsx"
SIGNED_LETTER_STEM = "推荐文件（盖章件）"
DRAFT_LETTER_NAME = "推荐文件（草稿）.docx"
MANIFEST_XLSX = "清单.xlsx"
MANIFEST_CSV = "manifest.csv"
MEMBERS = "members.json"  # a prepared package's member list (not in the ZIP)

FILE = "file"
GENERATED = "generated"
MANIFEST = "manifest"

# How a message about a missing or changed file ends, while the job prepares the package and
# when a prepared package is downloaded.
NOT_BUILT = "材料包未生成"
NOT_SERVED = "材料包无法下载：请重新生成材料包"


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

    ``source`` is ``file`` (the stored file ``stored`` of the private storage, with the ``size`` and ``sha256`` the
    submission recorded), ``generated`` (``render()`` returns the bytes) or ``manifest``
    (清单.xlsx / manifest.csv, written at the end from what was written before).
    """

    arcname: str
    source: str
    size: int = 0
    sha256: str = ""
    render: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    kind: str = "佐证材料文件"  # how a message names a stored file: 佐证材料文件 / 推荐文件 / 已生成的文档
    what: str = ""  # "DH-2025-001 E01 产值证明.pdf"
    stored: str = ""  # the private relative path, for messages
    recorded: str = "提交时"  # when size and checksums were recorded: 提交时 (submission) / 生成时 (the job)
    crc32: int | None = None  # recorded with the SHA-256 (None for files stored before CRC-32s were)

    @property
    def path(self) -> Path | None:
        """Where a stored file is on the local disk (local storage only; for tests and tools)."""
        return private_path(self.stored) if self.source == FILE and self.stored else None

    @property
    def weight(self) -> int:
        if self.source == FILE:
            return self.size
        return GENERATED_WEIGHT if self.source == GENERATED else 0

    def missing_message(self, outcome: str = NOT_BUILT) -> str:
        return f"{self.kind}缺失：{self.what}（存储位置 {self.stored or '无记录'}），{outcome}"

    def changed_message(self, size: int, sha256: str, outcome: str = NOT_BUILT, *, crc32: int | None = None) -> str:
        if size != self.size:
            found = f"应为 {self.size} 字节，存储的文件为 {size} 字节"
        elif crc32 is not None:
            found = f"CRC-32 校验值应为 {self.crc32:08x}，存储的文件为 {crc32:08x}"
        else:
            found = f"SHA-256 应为 {self.sha256[:16]}…，存储的文件为 {sha256[:16]}…"
        return f"{self.kind}与{self.recorded}不一致：{self.what}（存储位置 {self.stored}，{found}），{outcome}"


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


def _reference(application, version) -> bytes:
    from . import reference

    return reference.render_pdf(application, version)


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
        e.pk: e for e in EvidenceFile.objects.filter(pk__in=ids).only("id", "application_id", "stored_name", "crc32")
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
        if not is_province(org):  # the province reviews a city's package; the ministry gets the forms
            entries.append(Entry(f"{folder}/{REFERENCE_PDF}", GENERATED,
                                 render=partial(_reference, application, version)))
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
                    size=int(f["size"]),
                    sha256=f["sha256"], what=f"{application.number} {code} {f['name']}",
                    stored=row.stored_name if row else "", crc32=row.crc32 if row else None,
                ))
    entries.append(Entry(SUMMARY_NAME, GENERATED, render=partial(_summary, round_, applications, org)))
    formal = formal_list(round_, org)
    if formal is not None and formal.letter_stored:
        _, ext = _split_ext(safe_name(formal.letter_name))
        entries.append(Entry(
            f"{SIGNED_LETTER_STEM}{ext.lower() or '.' + formal.letter_kind}", FILE,
            size=formal.letter_size, sha256=formal.letter_sha256,
            kind="推荐文件（盖章件）", what=f"{org.name} {formal.letter_name}", stored=formal.letter_stored,
            crc32=formal.letter_crc32,
        ))
    entries.append(Entry(DRAFT_LETTER_NAME, GENERATED, render=partial(_letter, round_, org)))
    entries.append(Entry(MANIFEST_XLSX, MANIFEST))
    entries.append(Entry(MANIFEST_CSV, MANIFEST))
    return entries


def planned_size(entries: list[Entry]) -> int:
    """Bytes of the stored files (the generated documents are small and unknown until rendered)."""
    return sum(e.size for e in entries if e.source == FILE)


def check(entries: list[Entry], outcome: str = NOT_BUILT) -> None:
    """Refuse (``DomainError`` naming the file) when a stored file is missing or has another size."""
    for entry in entries:
        if entry.source != FILE:
            continue
        size = private_size(entry.stored)
        if size is None:
            raise DomainError(entry.missing_message(outcome), status=409)
        if size != entry.size:
            raise DomainError(entry.changed_message(size, "", outcome), status=409)


# --- reading, checking, assembling -------------------------------------------------------------

def _checked(entry: Entry, tick: Callable[[int], None], outcome: str) -> Iterator[bytes]:
    """The chunks of a stored file (a generator); after its last chunk the file is compared with
    its record and a difference raises ``DomainError`` naming the file. Returns its CRC-32.

    The comparison is the size and the CRC-32 recorded when the file was stored (computed here as
    the chunks go, with zlib-ng: a few per cent of the cost of reading); a file stored before
    CRC-32s were recorded is compared by its SHA-256 instead. One thread: reading ahead in a
    second thread measured slower on this machine (bench/package_memory.py), the hand-over
    costing more than the overlap gained.
    """
    try:
        handle = open_private(entry.stored)  # read in CHUNKs: never whole, never by path
    except OSError:
        raise DomainError(entry.missing_message(outcome), status=409) from None
    digest = hashlib.sha256() if entry.crc32 is None else None
    crc, size = 0, 0
    with handle:
        while True:
            try:
                chunk = handle.read(CHUNK)
            except OSError as exc:
                raise DomainError(f"{entry.kind}无法读取：{entry.what}（存储位置 {entry.stored}，{exc.strerror}），"
                                  f"{outcome}", status=409) from None
            if not chunk:
                break
            crc = crc32(chunk, crc)
            if digest is not None:
                digest.update(chunk)
            size += len(chunk)
            tick(len(chunk))
            yield chunk
    if size != entry.size:
        raise DomainError(entry.changed_message(size, "", outcome), status=409)
    if digest is not None and digest.hexdigest() != entry.sha256:
        raise DomainError(entry.changed_message(size, digest.hexdigest(), outcome), status=409)
    if entry.crc32 is not None and crc != entry.crc32:
        raise DomainError(entry.changed_message(size, "", outcome, crc32=crc), status=409)
    return crc


def _drain(chunks: Iterator[bytes]):
    """Run a generator to its end; its return value."""
    while True:
        try:
            next(chunks)
        except StopIteration as end:
            return end.value


@dataclass
class Result:
    """What :func:`prepare` (or a direct stream) did: the package's ZIP size and contents."""

    size: int = 0  # bytes of the ZIP
    files: int = 0
    stored_bytes: int = 0
    render_seconds: float = 0.0
    manifest: list[tuple[str, int, str]] = field(default_factory=list)
    manifest_sha256: str = ""  # of manifest.csv, which holds every other file's SHA-256
    members: list[Entry] = field(default_factory=list)


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


def _manifests(entries: list[Entry], rows: list[tuple[str, int, str]], title: str) -> list[tuple[str, bytes]]:
    """The manifest files ``entries`` ask for, made from ``rows`` (every file before them);
    each one's row is appended to ``rows`` (清单.xlsx is listed in manifest.csv)."""
    names = [e.arcname for e in entries if e.source == MANIFEST]
    made = []
    if MANIFEST_XLSX in names:
        made.append((MANIFEST_XLSX, manifest_xlsx(rows, title=title)))
        rows.append((MANIFEST_XLSX, len(made[-1][1]), hashlib.sha256(made[-1][1]).hexdigest()))
    if MANIFEST_CSV in names:
        made.append((MANIFEST_CSV, manifest_csv(rows)))
        rows.append((MANIFEST_CSV, len(made[-1][1]), hashlib.sha256(made[-1][1]).hexdigest()))
    return made


def _progress(entries: list[Entry], progress) -> Callable[[int], None]:
    total = sum(e.weight for e in entries) or 1
    state = {"done": 0}

    def tick(n: int) -> None:
        state["done"] += n
        if progress is not None:
            progress(min(state["done"], total), total)

    return tick


def _render(entry: Entry, result: Result) -> bytes:
    """A generated document's bytes; the time it took is added to ``result.render_seconds``."""
    started = time.perf_counter()
    data = entry.render()
    result.render_seconds += time.perf_counter() - started
    return data


def _archive():
    import zipstream

    # STORED (evidence is PDF, JPG, OFD…: already compressed) and sized, so that the length of
    # a package of stored files is known before its first byte (Content-Length).
    return zipstream.ZipStream(compress_type=zipstream.ZIP_STORED, sized=True)


def archive_size(members: list[Entry]) -> int:
    """The exact length in bytes of the ZIP :func:`zip_chunks` makes of ``members`` (all stored files)."""
    archive = _archive()
    for member in members:
        archive.add(iter(()), member.arcname, size=member.size)  # sized: nothing is read
    return len(archive)


def zip_chunks(entries: list[Entry], result: Result | None = None, *, title: str = "",
               outcome: str = NOT_SERVED) -> Iterator[bytes]:
    """The bytes of the ZIP of ``entries``, in order, read and checked as they go (a generator).

    Each stored file is compared with its record (:func:`_checked`) when its last byte has
    gone: a difference, or a file gone, raises ``DomainError`` before the next file starts, so
    the archive stops short, without the central directory that lists its files, and no tool
    opens it. Generated documents are rendered when their turn comes and the manifests made
    last; for a prepared package (:func:`prepare`) every entry is a stored file. Names carry
    the UTF-8 flag (zipstream-ng sets bit 11 for any non-ASCII name). Memory stays constant
    whatever the size.
    """
    result = result if result is not None else Result()
    archive = _archive()
    rows: list[tuple[str, int, str]] = []
    for entry in entries:
        if entry.source == FILE:
            archive.add(_checked(entry, lambda n: None, outcome), entry.arcname, size=entry.size)
            yield from archive.all_files()
            rows.append((entry.arcname, entry.size, entry.sha256))
            result.stored_bytes += entry.size
        elif entry.source == GENERATED:
            data = _render(entry, result)
            archive.add(data, entry.arcname)
            yield from archive.all_files()
            rows.append((entry.arcname, len(data), hashlib.sha256(data).hexdigest()))
            del data
    for name, data in _manifests(entries, rows, title):
        archive.add(data, name)
        yield from archive.all_files()
    yield from archive.finalize()
    result.files = len(rows)
    result.manifest = rows


def prepare(entries: list[Entry], relative_dir: str, progress=None, *, title: str = "") -> Result:
    """Make the package of ``entries`` ready to download, in the private folder ``relative_dir``.

    What the background job does. Every stored file is read once and compared with what was
    recorded when it was stored (:func:`_checked`: size and CRC-32, or SHA-256 for older
    files); the generated documents (附件1 PDF and Word, the summary, the draft letter) are
    rendered and the manifests (清单.xlsx, manifest.csv) made, and these are written into the
    folder with ``members.json``, the package's member list: name in the ZIP, stored file, size,
    SHA-256, CRC-32. The evidence itself is **not copied**: :func:`zip_chunks` assembles the ZIP
    from the stored files when it is downloaded, checking every file again on the way, and
    :func:`archive_size` tells its exact length beforehand.

    Why not write the ZIP here: a 1 GB package would be written and flushed in full — a second
    gigabyte on disk for every package of the same evidence — and this machine's disk writes
    at about a quarter of the speed it reads, so no package written in full can be made at half
    the speed of reading its files (bench/package_memory.py). Assembled at download, a ZIP costs
    what reading its files costs.

    The manifests' SHA-256 of each stored file is the one recorded when it was uploaded (the
    file being shown unchanged since by its size and CRC-32); the generated files' are computed.

    The folder is written as ``.<name>.part`` and renamed when complete; any failure (a file
    missing or changed, a document that cannot be rendered, a full disk) removes it and raises,
    so ``relative_dir`` either is the whole prepared package or does not exist.
    ``progress(done, total)`` is called as bytes go by (stored files by size, each generated
    document as 256 KiB).
    """
    root = local_root()
    tick = _progress(entries, progress)
    result = Result()
    if root is not None:
        # The local disk: written as .<name>.part, renamed when complete.
        final = root / relative_dir
        part = final.with_name(f".{final.name}.part")
        part.mkdir(parents=True)

        def put(name: str, data: bytes) -> None:
            (part / name).write_bytes(data)

        def finish(listing: bytes) -> None:
            with open(part / MEMBERS, "xb") as out:
                out.write(listing)
            # No fsync: a folder a crash has cut short is refused by the download's checks (a
            # member list that cannot be read, a file missing or with another size or CRC-32).
            os.replace(part, final)

        def abort() -> None:
            shutil.rmtree(part, ignore_errors=True)
    else:
        # An object store has no folders to rename: the files go straight under relative_dir and
        # members.json last, so a folder without it is unfinished (members() refuses it, and
        # fail_job / the build's failure remove it).
        storage = private_storage()

        def put(name: str, data: bytes) -> None:
            storage.save(f"{relative_dir}/{name}", ContentFile(data))

        def finish(listing: bytes) -> None:
            storage.save(f"{relative_dir}/{MEMBERS}", ContentFile(listing))

        def abort() -> None:
            delete_private_tree(relative_dir)

    def keep(arcname: str, name: str, data: bytes) -> None:
        put(name, data)
        result.members.append(Entry(arcname, FILE, size=len(data),
                                    sha256=hashlib.sha256(data).hexdigest(), crc32=crc32(data),
                                    kind="已生成的文档", what=arcname, stored=f"{relative_dir}/{name}",
                                    recorded="生成时"))

    try:
        for number, entry in enumerate(entries, 1):
            if entry.source == FILE:
                crc = _drain(_checked(entry, tick, NOT_BUILT))
                result.members.append(dataclasses.replace(entry, crc32=crc))
                result.stored_bytes += entry.size
            elif entry.source == GENERATED:
                data = _render(entry, result)
                keep(entry.arcname, f"{number:04d}{_split_ext(entry.arcname)[1]}", data)
                del data
                tick(entry.weight)
        rows = [(m.arcname, m.size, m.sha256) for m in result.members]
        for name, data in _manifests(entries, rows, title):
            keep(name, name, data)
        result.manifest = rows
        result.manifest_sha256 = next((sha for name, _, sha in rows if name == MANIFEST_CSV), "")
        result.files = len(result.members)
        result.size = archive_size(result.members)
        finish(json.dumps([{"arcname": m.arcname, "stored": m.stored, "size": m.size, "sha256": m.sha256,
                            "crc32": m.crc32, "kind": m.kind, "what": m.what, "recorded": m.recorded}
                           for m in result.members], ensure_ascii=False).encode())
    except BaseException:
        abort()
        raise
    return result


def _remove_unfinished(job) -> None:
    """On an object store: remove the folders a failed job of ``job`` left (named ``<job id>-…``)."""
    unit = job_relative_dir(job)
    try:
        folders, _ = private_storage().listdir(unit)
    except (FileNotFoundError, NotADirectoryError):
        return
    for folder in folders:
        if folder.startswith(f"{job.pk}-"):
            delete_private_tree(f"{unit}/{folder}")


def members(relative_dir: str) -> list[Entry]:
    """The member list of a prepared package (see :func:`prepare`); ``DomainError`` if unreadable."""
    try:
        with open_private(f"{relative_dir}/{MEMBERS}") as handle:
            rows = json.loads(handle.read())  # a small JSON list: one line per member
    except (OSError, ValueError):
        raise DomainError(f"材料包记录在服务器上找不到或已损坏（{relative_dir}），{NOT_SERVED}", status=409) from None
    return [Entry(r["arcname"], FILE, size=r["size"], sha256=r["sha256"],
                  crc32=r["crc32"], kind=r["kind"], what=r["what"], stored=r["stored"], recorded=r["recorded"])
            for r in rows]


def zip_response(chunks: Iterator[bytes], filename: str, size: int | None = None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    if size is not None:
        response["Content-Length"] = str(size)
    return response


def stream(entries: list[Entry], filename: str = "材料包.zip", *, title: str = "") -> StreamingHttpResponse:
    """A small package straight into the response, rendered as it goes (no job). Checked
    first, so a missing file is an error before any byte is sent; a file that changed stops
    the stream before it would be listed."""
    check(entries)
    return zip_response(zip_chunks(entries, title=title, outcome=NOT_BUILT), filename)


# --- who may, and the jobs ---------------------------------------------------------------------

def stream_limit_bytes() -> int:
    return int(getattr(settings, "PACKAGE_STREAM_MAX_MB", 200)) * 1024 * 1024


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
    if roles.is_province_admin(user, round_.province_id):
        if org_code in (None, "", org.code):
            return org
        return Org.objects.filter(code=org_code, recommends_to_province=True, path__startswith=org.path).first()
    return None


def can_access_job(user, job) -> bool:
    """The unit the package belongs to (its city reviewer) or the round's province administrator
    (the one rule is ``PackageJob.objects.visible_to``)."""
    from .models import PackageJob

    return PackageJob.objects.visible_to(user).filter(pk=job.pk).exists()


def download_name(round_, org) -> str:
    level = "国家级" if is_province(org) else ""
    return f"{org.name}-{round_.year}年度{level}推荐材料包.zip"


INTERRUPTED = "后台任务中断，请重新生成"


def heartbeat_stale_after() -> timedelta:
    """How long a running job may go without a heartbeat before it counts as interrupted."""
    return timedelta(seconds=int(getattr(settings, "PACKAGE_HEARTBEAT_STALE_SECONDS", 120)))


def _process_gone(job) -> bool:
    """True when the job's worker ran on this machine and its process no longer exists."""
    if not job.worker_pid or job.worker_host != socket.gethostname()[:255]:
        return False
    try:
        os.kill(job.worker_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def is_interrupted(job, now=None) -> bool:
    """A running job whose worker is gone: no heartbeat for ``heartbeat_stale_after()``, or its
    process (on this machine) has ended."""
    if job.status != "running":
        return False
    now = now or timezone.now()
    beat = job.heartbeat_at or job.updated_at
    return beat is None or now - beat > heartbeat_stale_after() or _process_gone(job)


def fail_job(job, message: str = INTERRUPTED) -> bool:
    """Mark an active job failed with ``message`` (its partial folder removed); False if it moved on meanwhile."""
    from .models import ACTIVE_STATUSES, PackageJob

    changed = PackageJob.objects.filter(pk=job.pk, status__in=ACTIVE_STATUSES).update(
        status="failed", finished_at=timezone.now(), updated_at=timezone.now(), error=message)
    if changed:
        root = local_root()
        if root is not None:
            for leftover in (root / job_relative_dir(job)).glob(".*.part"):
                shutil.rmtree(leftover, ignore_errors=True)
        else:  # an object store has no .part folders: a folder of this job without members.json
            _remove_unfinished(job)
    return bool(changed)


def expire_interrupted(jobs) -> int:
    """Fail every running job of ``jobs`` (a queryset) whose worker is gone; returns how many."""
    now = timezone.now()
    failed = 0
    for job in jobs.filter(status="running").select_related("org"):
        if is_interrupted(job, now) and fail_job(job):
            logger.warning("package job %s: worker gone (heartbeat %s, pid %s on %s), marked failed",
                           job.pk, job.heartbeat_at, job.worker_pid, job.worker_host)
            failed += 1
    return failed


def refreshed(job):
    """``job`` as the status page and API show it: a running job whose worker is gone is failed."""
    if job.status == "running" and is_interrupted(job):
        fail_job(job)
        job.refresh_from_db()
    return job


def job_relative_dir(job) -> str:
    """Where a unit's prepared packages are kept (one folder per job, see :func:`prepare`)."""
    return f"packages/{job.round_id}/{job.org.code}"


def mark_unservable(job, message: str) -> None:
    """A prepared package that can no longer be served (a file gone or changed since): the job
    becomes ``failed`` with the reason, its folder is removed, and the page offers a new build."""
    from .models import JobStatus, PackageJob

    PackageJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=message, folder="",
                                                updated_at=timezone.now())
    if job.folder:
        delete_private_tree(job.folder)


def download(job) -> StreamingHttpResponse:
    """The ZIP of a prepared package, assembled from its folder and the stored evidence as it is
    sent, with its exact ``Content-Length``.

    Every file is checked first (present, with its size), so a file lost since the job ran is
    an error before any byte is sent; a file whose bytes changed (same size) is caught by its
    CRC-32 when its last byte has gone and the download stops there (the client gets a short
    ZIP without its central directory, which no tool opens, never a wrong one). Either way the
    job is marked failed with the file named.
    """
    if job.status == "failed":
        raise DomainError(f"该材料包无法下载：{job.error}", status=409)
    if job.status != "done":
        raise DomainError("材料包尚未生成完成，请在生成记录中等待进度到 100% 后再下载", status=409)
    if not job.folder:
        raise DomainError("该材料包已被本单位更新的材料包取代，请下载生成记录中最新的一个", status=409)
    try:
        listed = members(job.folder)
        check(listed, NOT_SERVED)
    except DomainError as exc:
        mark_unservable(job, exc.message)
        raise

    def chunks() -> Iterator[bytes]:
        try:
            yield from zip_chunks(listed, outcome=NOT_SERVED)
        except DomainError as exc:
            logger.error("package job %s: download stopped: %s", job.pk, exc.message)
            mark_unservable(job, exc.message)
            raise

    return zip_response(chunks(), download_name(job.round, job.org), archive_size(listed))


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
    expire_interrupted(PackageJob.objects.filter(round=round_, org=org))  # a dead worker's job blocks nothing
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
        "manifest_sha256": job.manifest_sha256,
        "error": job.error,
        "download_url": reverse("package_download", args=[job.pk]) if job.status == "done" and job.folder else "",
    }
