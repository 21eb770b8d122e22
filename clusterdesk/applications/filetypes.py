"""What an uploaded file really is, judged by its content, never by its name.

:func:`sniff` reads the first bytes (magic numbers, via ``filetype``) and, for ZIP containers,
only the ZIP central directory (``zipfile`` on the seekable file: member names, not their
contents). It answers one of the evidence kinds (``pdf``, ``jpg``, ``png``, ``docx``, ``xlsx``,
``ofd``) or ``None`` with a Chinese description of what the content is instead, for the
refusal message ("文件“报告.pdf”的内容是 ZIP 压缩包……").
"""

from __future__ import annotations

import codecs
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
