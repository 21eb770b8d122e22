"""Evidence files (附件5 佐证材料): upload, remove, download, and the per-item listing.

Files are judged by their content (:mod:`.filetypes`), stored privately under
``PRIVATE_MEDIA_ROOT/evidence/<application id>/<random>.<kind>`` (never a name the user
chose, never under a URL) and streamed to disk in chunks while the SHA-256 is computed.
The user's file name is kept, cleaned, only for display and as the download name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import DomainError
from clusterdesk.core.workflow import require
from clusterdesk.rounds.domain import check_open
from clusterdesk.rounds.models import ChecklistItem

from clusterdesk.core.files import Stored, delete_private, open_private, store_upload
from clusterdesk.core.middleware import mark_audited

from . import rules
from .domain import editing_stage

from .filetypes import KIND_DESCRIPTIONS, active_content, sniff
from .models import Application, EvidenceFile


# File-name extensions that agree with each content kind.
KIND_EXTENSIONS = {
    "pdf": ("pdf",),
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
    "ofd": ("ofd",),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd",
}
MAX_NAME_CHARS = 120

# Bidirectional formatting characters (used to disguise "gpj.exe" as "exe.jpg").
_BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')


def kind_label(kind: str) -> str:
    """Short name of a kind in lists: PDF, JPG, DOCX ..."""
    return kind.upper()


def allowed_label(item: ChecklistItem) -> str:
    return "、".join(kind_label(k) for k in item.allowed_types)


def accept_attribute(item: ChecklistItem) -> str:
    """The ``accept`` attribute of a file input for ``item`` (".pdf,.jpg,.jpeg,...")."""
    return ",".join(f".{ext}" for kind in item.allowed_types for ext in KIND_EXTENSIONS.get(kind, (kind,)))


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def clean_filename(name: str | None, kind: str) -> str:
    """The user's file name made safe to show and to offer as a download name.

    Drops any directory part (``/`` and ``\\``), ``..``, control and bidi-override characters,
    characters Windows forbids in names; collapses whitespace; keeps at most 120 characters
    with the extension kept; an empty result becomes "未命名.<kind>".
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.translate(_BIDI)
    name = "".join(
        " " if ch in "\t\n\r\x0b\x0c" else ch
        for ch in name
        if ch in "\t\n\r\x0b\x0c" or unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\ufffe\uffff"
    )
    name = _WINDOWS_RESERVED.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem, dot, ext = name.rpartition(".")
    ext = ext.strip()
    if not dot or not ext or len(ext) > 10 or " " in ext:
        stem, ext = name, ""
    stem = stem.strip(" .")
    if not stem:
        ext = ext or kind
        return f"未命名.{ext}" if ext else "未命名"
    suffix = f".{ext}" if ext else ""
    return stem[: MAX_NAME_CHARS - len(suffix)].rstrip(" .") + suffix


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _check_editable(actor, application: Application) -> None:
    require(rules.can_edit(actor, application))
    check_open(application.round, editing_stage(application), application.org)


def _item(application: Application, item_code: str) -> ChecklistItem:
    item_code = (item_code or "").strip()
    if not item_code:
        raise DomainError("请指定文件属于哪一个清单项（清单项编号，如 E01）", field="item")
    item = application.round.checklist.filter(code=item_code).first()
    if item is None:
        raise DomainError(f"佐证材料清单中没有编号为“{item_code}”的项，请从页面上的清单项上传", field="item")
    return item


def _spaced(description: str) -> str:
    """"是 ZIP 压缩包" but "是可执行程序": a space only before Latin text."""
    return f" {description}" if description[:1].isascii() else description


def check_upload(upload, allowed: list[str], *, field: str, allowed_text: str, what: str = "文件",
                 scope: str = "", fix_extension: bool = False) -> tuple[str, str]:
    """The one check of an uploaded file: size, real content, extension. Returns (kind, name).

    ``allowed`` are FileKind values; ``allowed_text`` names them for the message. When the
    name's extension disagrees with the content the upload is refused, or with
    ``fix_extension`` the download name gets the extension its content has.
    """
    raw_name = getattr(upload, "name", "") or ""
    limit_mb = settings.MAX_UPLOAD_MB
    shown = clean_filename(raw_name, "")
    size = getattr(upload, "size", None) or 0
    if size > limit_mb * 1024 * 1024:
        raise DomainError(
            f"{what}“{shown}”大小为 {size / (1024 * 1024):.1f} MB，超过了单个文件 {limit_mb} MB 的上限；"
            "请压缩（如降低扫描分辨率）或拆分成几个文件后分别上传",
            field=field,
        )
    if size == 0:
        raise DomainError(f"{what}“{shown}”是空文件（0 字节），请检查后重新选择", field=field)
    sniffed = sniff(upload)
    if sniffed.kind is None or sniffed.kind not in allowed:
        raise DomainError(
            f"{what}“{shown}”的内容是{_spaced(sniffed.description)}，不是{scope}允许的类型（{allowed_text}）；"
            "请转换为其中一种格式后再上传",
            field=field,
        )
    kind = sniffed.kind
    problem = active_content(upload, kind, limit_mb * 1024 * 1024)
    if problem:
        raise DomainError(
            f"{what}“{shown}”{problem}；佐证材料只接受不含脚本、宏和内嵌程序的普通文件，"
            "请另存为（或打印为）普通 PDF、删除宏和内嵌对象后再上传",
            field=field,
        )
    name = clean_filename(raw_name, kind)
    ext = _extension(name)
    if ext not in KIND_EXTENSIONS[kind]:
        if fix_extension:
            return kind, f"{name}.{kind}"
        expected = "或".join(f"“.{e}”" for e in KIND_EXTENSIONS[kind])
        state = f"扩展名是“.{ext}”" if ext else "没有扩展名"
        raise DomainError(
            f"{what}“{name}”的内容是{_spaced(KIND_DESCRIPTIONS[kind])}，但{state}，两者不一致；"
            f"请确认选对了文件，并把扩展名改为{expected}后再上传",
            field=field,
        )
    return kind, name


def check_item_upload(item: ChecklistItem, upload, raw_name: str) -> tuple[str, str]:
    """Size, real content and extension of an evidence file for checklist ``item``."""
    return check_upload(upload, item.allowed_types, field="file", allowed_text=allowed_label(item), scope="本项")


def _store(upload, application: Application, kind: str, name: str) -> Stored:
    """Stream ``upload`` to a new private file."""
    return store_upload(upload, f"evidence/{application.pk}", kind, name)


def upload_evidence(*, actor, application: Application, item_code: str, upload, request=None) -> EvidenceFile:
    """Add one file to checklist item ``item_code`` of a draft application.

    Refused (``DomainError``, Chinese message naming the file) unless the actor may edit the
    application before the county deadline, the item exists, the file is within
    ``MAX_UPLOAD_MB``, its content is one of the item's allowed types and its extension agrees.
    Uploading a file with the same name again keeps both.

    Side effects: writes the bytes to ``evidence/<id>/<random>.<kind>`` of the private storage
    (streamed, before the transaction so no database lock is held while copying; removed again
    if anything later fails); in one transaction: re-checks permission and deadline under a
    row lock, creates the ``EvidenceFile``, touches ``Application.updated_at`` and records
    ``evidence.uploaded``.
    """
    application = Application.objects.select_related("round", "org").get(pk=application.pk)
    _check_editable(actor, application)
    item = _item(application, item_code)
    raw_name = getattr(upload, "name", "") or ""
    kind, name = check_item_upload(item, upload, raw_name)

    stored_name, size, sha256, crc32 = _store(upload, application, kind, name)
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().select_related("round", "org").get(pk=application.pk)
            _check_editable(actor, locked)  # it may have been submitted while the bytes were copied
            evidence = EvidenceFile.objects.create(
                application=locked, item_code=item.code, original_name=name, stored_name=stored_name,
                kind=kind, size=size, sha256=sha256, crc32=crc32, uploaded_by=actor,
            )
            Application.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
            record(
                action="evidence.uploaded", actor=actor, obj=locked, request=request,
                after={"id": evidence.pk, "item": item.code, "name": name, "kind": kind, "size": size,
                       "sha256": sha256},
            )
    except BaseException:
        delete_private(stored_name)
        raise
    return evidence


def _belongs(application: Application, evidence: EvidenceFile) -> EvidenceFile:
    if evidence is None or evidence.application_id != application.pk:
        raise Http404("佐证材料不存在")
    return evidence


@transaction.atomic
def remove_evidence(*, actor, application: Application, evidence: EvidenceFile, request=None) -> EvidenceFile:
    """Take a file off a draft: it disappears from the list and from the next submission.

    The bytes stay on disk, because a submitted version may refer to them. Removing an
    already removed file changes nothing. Refused unless the actor may edit the application
    before the county deadline; a file of another application is a 404.

    Side effects: sets ``removed_at``; touches ``Application.updated_at``; records
    ``evidence.removed``.
    """
    application = Application.objects.select_for_update().select_related("round", "org").get(pk=application.pk)
    evidence = _belongs(application, EvidenceFile.objects.select_for_update().filter(pk=evidence.pk).first())
    _check_editable(actor, application)
    if evidence.removed_at is not None:
        return evidence
    now = timezone.now()
    evidence.removed_at = now
    evidence.save(update_fields=["removed_at"])
    Application.objects.filter(pk=application.pk).update(updated_at=now)
    record(
        action="evidence.removed", actor=actor, obj=application, request=request,
        before={"id": evidence.pk, "item": evidence.item_code, "name": evidence.original_name,
                "sha256": evidence.sha256},
    )
    return evidence


def _referenced_by_version(application: Application, evidence: EvidenceFile) -> bool:
    return any(
        entry.get("id") == evidence.pk
        for manifest in application.versions.values_list("evidence", flat=True)
        for entry in (manifest or [])
    )


def evidence_response(*, actor, application: Application, evidence: EvidenceFile, request=None) -> FileResponse:
    """The file as an attachment named after its (cleaned) original name.

    The caller has fetched ``application`` through ``Application.objects.visible_to(actor)``.
    A file of another application, or a removed file no submitted version refers to, is a 404.
    Django writes the name as RFC 5987 ``filename*=utf-8''…`` when it is not ASCII.

    Side effects: records ``evidence.downloaded``.
    """
    evidence = _belongs(application, evidence)
    if evidence.removed_at is not None and not _referenced_by_version(application, evidence):
        raise Http404("佐证材料已删除")
    try:
        handle = open_private(evidence.stored_name)
    except FileNotFoundError:
        raise DomainError(
            f"文件“{evidence.original_name}”在服务器上找不到了，请联系系统管理员（编号 {evidence.pk}）", status=404
        ) from None
    try:
        with transaction.atomic():
            record(
                action="evidence.downloaded", actor=actor, obj=application, request=request,
                after={"id": evidence.pk, "item": evidence.item_code, "name": evidence.original_name},
            )
    except BaseException:
        handle.close()
        raise
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name,
        content_type=CONTENT_TYPES.get(evidence.kind, "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    return mark_audited(response)


@dataclass
class ItemFiles:
    """One checklist item with its live files, for the evidence page and the API."""

    item: ChecklistItem
    files: list[EvidenceFile] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.item.required and not self.files


def files_by_item(application: Application) -> list[ItemFiles]:
    """Every checklist item of the round in checklist order with its live (not removed) files,
    oldest first. Two queries: one for the items, one for the files."""
    items = ChecklistItem.objects.filter(round_id=application.round_id).order_by("order", "id")
    rows = [ItemFiles(item) for item in items]
    by_code = {row.item.code: row for row in rows}
    live = EvidenceFile.objects.filter(application=application, removed_at__isnull=True).order_by("uploaded_at", "id")
    for f in live:
        row = by_code.get(f.item_code)
        if row is not None:
            row.files.append(f)
    return rows


def missing_required(rows: list[ItemFiles]) -> list[ChecklistItem]:
    """The required items that have no live file yet."""
    return [row.item for row in rows if row.missing]
