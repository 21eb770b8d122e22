"""What an uploaded file really is, judged by its content, never by its name.

:func:`sniff` reads the first bytes (magic numbers, via ``filetype``) and, for ZIP containers,
only the ZIP central directory (``zipfile`` on the seekable file: member names, not their
contents). It answers one of the evidence kinds (``pdf``, ``jpg``, ``png``, ``docx``, ``xlsx``,
``ofd``) or ``None`` with a Chinese description of what the content is instead, for the
refusal message ("文件“报告.pdf”的内容是 ZIP 压缩包……").
"""

from __future__ import annotations

import codecs
import re
import zlib
import os
import zipfile
from dataclasses import dataclass
import filetype

HEADER_BYTES = 8192

# What each accepted kind is called in messages.
KIND_DESCRIPTIONS = {
    "pdf": "PDF 文件",
    "jpg": "JPG 图片",
    "png": "PNG 图片",
    "docx": "Word 文档（.docx）",
    "xlsx": "Excel 表格（.xlsx）",
    "ofd": "OFD 版式文件",
}

OLD_OFFICE = "旧版 Office 文件（.doc/.xls），请另存为 .docx/.xlsx"
ZIP = "ZIP 压缩包"
EXECUTABLE = "可执行程序"
UNKNOWN = "无法识别的文件"
EMPTY = "空文件（0 字节）"

# Descriptions of common things people upload by mistake (filetype's extension -> Chinese).
OTHER_DESCRIPTIONS = {
    "gif": "GIF 图片",
    "webp": "WebP 图片",
    "bmp": "BMP 图片",
    "tif": "TIFF 图片",
    "heic": "HEIC 图片（苹果手机照片）",
    "avif": "AVIF 图片",
    "psd": "Photoshop 文件",
    "ico": "图标文件",
    "dwg": "CAD 图纸（.dwg）",
    "rar": "RAR 压缩包",
    "7z": "7z 压缩包",
    "gz": "gzip 压缩包",
    "bz2": "bzip2 压缩包",
    "xz": "xz 压缩包",
    "tar": "tar 归档",
    "zst": "zstd 压缩包",
    "cab": "CAB 压缩包",
    "rtf": "RTF 文档",
    "ps": "PostScript 文件",
    "sqlite": "SQLite 数据库",
    "mp4": "MP4 视频",
    "mov": "视频文件",
    "avi": "视频文件",
    "wmv": "视频文件",
    "mkv": "视频文件",
    "flv": "视频文件",
    "mp3": "音频文件",
    "wav": "音频文件",
    "m4a": "音频文件",
    "wasm": "可执行程序（WebAssembly）",
    "swf": "Flash 文件",
    "deb": "软件安装包",
    "rpm": "软件安装包",
    "crx": "浏览器扩展",
}

_MACHO = {
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # universal binary (also a Java class file: code either way)
}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


@dataclass(frozen=True)
class Sniffed:
    """``kind`` is an evidence kind when the content really is one, else ``None``."""

    kind: str | None
    description: str


def sniff(source) -> Sniffed:
    """Identify a file by content. ``source`` is a path or a seekable binary file object
    (an uploaded file); a file object's position is restored afterwards."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            return _sniff_file(fh)
    fh = getattr(source, "file", source)  # Django's UploadedFile wraps the real file
    position = fh.tell()
    try:
        return _sniff_file(fh)
    finally:
        fh.seek(position)


def _sniff_file(fh) -> Sniffed:
    fh.seek(0)
    header = fh.read(HEADER_BYTES)
    if not header:
        return Sniffed(None, EMPTY)

    executable = _executable(header)
    if executable:
        return Sniffed(None, executable)
    if header.startswith(b"%PDF-"):
        return Sniffed("pdf", KIND_DESCRIPTIONS["pdf"])
    if header.startswith(_PNG):
        return Sniffed("png", KIND_DESCRIPTIONS["png"])
    if header.startswith(_JPEG):
        return Sniffed("jpg", KIND_DESCRIPTIONS["jpg"])
    if header.startswith(_OLE2):
        return Sniffed(None, OLD_OFFICE)
    if header.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(fh)

    guess = filetype.guess(header)
    if guess is not None:
        ext = guess.extension
        if ext in ("doc", "xls", "ppt"):
            return Sniffed(None, OLD_OFFICE)
        if ext == "exe" or ext == "elf":
            return Sniffed(None, EXECUTABLE)
        if ext in OTHER_DESCRIPTIONS:
            return Sniffed(None, OTHER_DESCRIPTIONS[ext])
        return Sniffed(None, f"{ext.upper()} 文件")
    return Sniffed(None, _text_description(header))


def _executable(header: bytes) -> str | None:
    if header.startswith(b"MZ"):
        return f"{EXECUTABLE}（Windows EXE/DLL）"
    if header.startswith(b"\x7fELF"):
        return f"{EXECUTABLE}（Linux ELF）"
    if header[:4] in _MACHO:
        return f"{EXECUTABLE}（macOS Mach-O）"
    if header.startswith(b"#!"):
        return f"{EXECUTABLE}（脚本）"
    return None


def _sniff_zip(fh) -> Sniffed:
    """Tell Office/OFD documents from plain archives by their member names only."""
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:  # reads the central directory, not the members
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return Sniffed(None, "损坏的 ZIP 压缩包")
    content_types = "[Content_Types].xml" in names
    if content_types and "word/document.xml" in names:
        return Sniffed("docx", KIND_DESCRIPTIONS["docx"])
    if content_types and "xl/workbook.xml" in names:
        return Sniffed("xlsx", KIND_DESCRIPTIONS["xlsx"])
    if "OFD.xml" in names:
        return Sniffed("ofd", KIND_DESCRIPTIONS["ofd"])
    if content_types and "ppt/presentation.xml" in names:
        return Sniffed(None, "PowerPoint 演示文稿（.pptx）")
    if "mimetype" in names and any(n in names for n in ("content.xml", "META-INF/manifest.xml")):
        return Sniffed(None, "OpenDocument 文档（.odt/.ods）")
    return Sniffed(None, ZIP)


def _text_description(header: bytes) -> str:
    if b"\x00" in header:
        return UNKNOWN
    text = None
    for encoding in ("utf-8", "gb18030"):
        try:  # an incremental decoder tolerates a character cut off at the end of the header
            text = codecs.getincrementaldecoder(encoding)().decode(header, final=False)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        return UNKNOWN
    head = text.lstrip("\ufeff \t\r\n").lower()
    if head.startswith(("<!doctype html", "<html")) or "<script" in head[:2048]:
        return "网页文件（HTML）"
    if head.startswith("<?xml") or head.startswith("<svg"):
        return "XML/SVG 文件" if "<svg" in head[:2048] else "XML 文件"
    return "纯文本文件"


# --- Active content: uploads are evidence, never something that runs ------------------------

# PDF name tokens that make a document act: scripts, launching programs, embedded files, media.
PDF_ACTIVE_NAMES = {
    "JavaScript": "含有 JavaScript 脚本",
    "JS": "含有 JavaScript 脚本",
    "Launch": "含有启动外部程序的动作（/Launch）",
    "EmbeddedFile": "内嵌了其他文件（PDF 附件）",
    "EmbeddedFiles": "内嵌了其他文件（PDF 附件）",
    "RichMedia": "含有多媒体或 Flash 内容（/RichMedia）",
}
_PDF_NAME = re.compile(rb"/([A-Za-z0-9#_.\-]+)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n")
MAX_OBJECT_STREAM_BYTES = 16 * 1024 * 1024  # decompressed object streams read in all, per file

# Members of an Office (OOXML) or OFD container that hold code or other programs.
_MACRO_MEMBERS = ("vbaproject.bin", "vbadata.xml")
_EMBEDDED_FOLDERS = ("/embeddings/", "/activex/")
MAX_ZIP_MEMBERS = 10_000
MAX_RATIO = 200  # a member may expand at most 200 times (XML is 5–20; bombs are thousands)
RATIO_FLOOR = 1024 * 1024  # small members are never bombs


def active_content(source, kind: str, limit_bytes: int) -> str | None:
    """Why the file of evidence ``kind`` must be refused although its type is right, or ``None``.

    PDF: a JavaScript, launch, embedded-file or rich-media name anywhere in the file, also
    inside compressed object streams and when written with ``#xx`` escapes. DOCX/XLSX/OFD (ZIP
    containers): macros (``vbaProject.bin``), embedded objects or programs (``embeddings/``,
    ``activeX/``), more than 10 000 members, an expanded size beyond ``limit_bytes`` or a
    member expanding more than 200 times (a ZIP bomb). The answer is Chinese, to follow the
    file's name ("文件“x.pdf”含有 JavaScript 脚本").
    """
    fh = getattr(source, "file", source)
    position = fh.tell()
    try:
        fh.seek(0)
        if kind == "pdf":
            return _pdf_active(fh.read())
        if kind in ("docx", "xlsx", "ofd"):
            return _zip_active(fh, limit_bytes)
        return None
    finally:
        fh.seek(position)


def _pdf_names(data: bytes):
    for match in _PDF_NAME.finditer(data):
        name = match.group(1)
        if b"#" in name:
            name = _PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        yield name.decode("latin-1")


def _pdf_active(data: bytes) -> str | None:
    for name in _pdf_names(data):
        if name in PDF_ACTIVE_NAMES:
            return PDF_ACTIVE_NAMES[name]
    # Objects may be packed, compressed, into object streams (PDF 1.5): read those too.
    budget = MAX_OBJECT_STREAM_BYTES
    for match in _PDF_STREAM.finditer(data):
        if data[max(0, match.start() - 3):match.start()] == b"end":
            continue
        head = data[max(0, match.start() - 1024):match.start()]
        head = head[head.rfind(b"obj"):] if b"obj" in head else head  # the stream's own dictionary
        names = set(_pdf_names(head))
        if "ObjStm" not in names or "FlateDecode" not in names:
            continue
        inflater = zlib.decompressobj()
        try:
            inner = inflater.decompress(data[match.end():match.end() + budget], budget)
        except zlib.error:
            continue
        budget -= len(inner)
        for name in _pdf_names(inner):
            if name in PDF_ACTIVE_NAMES:
                return PDF_ACTIVE_NAMES[name]
        if budget <= 0:
            return "含有过大的压缩对象（可能是压缩炸弹）"
    return None


def _zip_active(fh, limit_bytes: int) -> str | None:
    try:
        with zipfile.ZipFile(fh) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return "是损坏的压缩格式文件"
    if len(infos) > MAX_ZIP_MEMBERS:
        return f"包含 {len(infos)} 个内部文件，超过 {MAX_ZIP_MEMBERS} 个的上限（可能是压缩炸弹）"
    expanded = 0
    for info in infos:
        name = "/" + info.filename.replace("\\", "/").lower()
        if name.endswith(_MACRO_MEMBERS) or name.endswith(".bin") and "vba" in name:
            return "含有宏（VBA 代码）"
        if any(folder in name for folder in _EMBEDDED_FOLDERS) or name.endswith((".exe", ".dll", ".js", ".vbs", ".bat",
                                                                                ".cmd", ".ps1", ".scr", ".jar")):
            return "内嵌了其他对象或程序（OLE 对象、ActiveX 控件或可执行文件）"
        expanded += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return f"解压后异常膨胀（内部文件“{info.filename[:60]}”压缩比超过 {MAX_RATIO} 倍，可能是压缩炸弹）"
    if expanded > limit_bytes:
        return f"解压后大小为 {expanded / (1024 * 1024):.0f} MB，超过了 {limit_bytes // (1024 * 1024)} MB 的上限"
    return None
