"""Change filings (变更报备): the county files a change of leading industry, spatial scope or
operating body with evidence; the province approves (applied) or refuses."""

from __future__ import annotations

import re

from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError
from clusterdesk.core.files import delete_private, open_private, store_upload
from clusterdesk.core.middleware import mark_audited
from clusterdesk.core.workflow import require

from .. import workflow
from ..models import ChangeEvidence, ChangeFiling, ChangeKind, Cluster, EventKind
from .common import CHANGE_FIELDS, CHANGE_LABELS, _event, _notify, _province_users, _text, _url, visible

MAX_CHANGE_FILES = 10
CHANGE_KINDS = ("pdf", "jpg", "png", "docx", "xlsx", "ofd")
CHANGE_KINDS_TEXT = "PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）或 OFD"


# --- change filings ---------------------------------------------------------------------------

def _clean_change(cluster: Cluster, kind: str, after) -> dict:
    from clusterdesk.applications.domain import ValidationFailed
    from clusterdesk.applications.validation import Context, _Errors, clean_basic

    name = CHANGE_FIELDS[kind]
    if isinstance(after, dict):
        value = after.get(name)
    else:
        value = after
    if name == "covered_org_codes" and isinstance(value, str):
        value = [c for c in re.split(r"[;；,，、\s]+", value) if c]
    errors = _Errors()
    cleaned = clean_basic({name: value}, Context(round=None, org=cluster.org), errors)
    if errors:
        raise ValidationFailed(list(errors))
    result = cleaned[name]
    if name != "covered_org_codes" and not result:
        raise DomainError(f"请填写变更后的{CHANGE_LABELS[name]}", field=f"after.{name}")
    return {name: result}


def _check_change_file(upload) -> tuple[str, str]:
    """(kind, cleaned download name) of one evidence file, judged by its content."""
    from clusterdesk.applications.evidence import check_upload

    return check_upload(upload, list(CHANGE_KINDS), field="evidence", allowed_text=CHANGE_KINDS_TEXT,
                        what="佐证材料", fix_extension=True)


def file_change(*, actor, cluster: Cluster, kind: str, after, reason: str, evidence_files, request=None) -> ChangeFiling:
    """The county files a change of leading industry, spatial scope or operating body with
    evidence. Refused without evidence ("请上传变更的佐证材料"), with no actual change, or while a
    filing of the same kind waits for the province.

    Side effects: the files are streamed to ``registry/changes/<cluster id>/`` of the private storage
    before the transaction (removed again if anything fails); then a ``ChangeFiling`` with its
    ``ChangeEvidence``, ``ClusterEvent`` (change_filed), ``registry.change_filed``; the province
    administrators are told.
    """
    cluster = Cluster.objects.select_related("org").get(pk=cluster.pk)
    require(workflow.can_file_change(actor, cluster))
    if kind not in ChangeKind.values:
        raise DomainError(f"变更事项“{kind}”无效，可选：{'、'.join(ChangeKind.labels)}", field="kind")
    after = _clean_change(cluster, kind, after)
    name = CHANGE_FIELDS[kind]
    before = {name: getattr(cluster, name)}
    if before[name] == after[name]:
        raise DomainError(f"变更后的{CHANGE_LABELS[name]}与名录登记的一致，无需报备", field=f"after.{name}")
    reason = _text(reason, "reason", "变更原因", limit=2000)
    uploads = [f for f in (evidence_files or []) if f]
    if not uploads:
        raise DomainError("请上传变更的佐证材料", field="evidence")
    pending = workflow.CHANGE.group("pending")
    if len(uploads) > MAX_CHANGE_FILES:
        raise DomainError(f"一次最多上传 {MAX_CHANGE_FILES} 个佐证材料", field="evidence")
    if ChangeFiling.objects.filter(cluster=cluster, kind=kind, status__in=pending).exists():
        raise Conflict(f"该集群已有一项{ChangeKind(kind).label}等待省厅审核，请待审核后再报备", field="kind")
    checked = [(upload, *_check_change_file(upload)) for upload in uploads]
    stored: list[tuple[str, str, str, int, str]] = []
    try:
        for upload, file_kind, file_name in checked:
            relative, size, sha, _ = store_upload(upload, f"registry/changes/{cluster.pk}", file_kind, file_name)
            stored.append((relative, file_kind, file_name, size, sha))
        with transaction.atomic():
            locked = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
            if ChangeFiling.objects.filter(cluster=locked, kind=kind, status__in=pending).exists():
                raise Conflict(f"该集群已有一项{ChangeKind(kind).label}等待省厅审核，请待审核后再报备", field="kind")
            filing = ChangeFiling.objects.create(cluster=locked, kind=kind, before=before, after=after, reason=reason,
                                                 filed_by=actor, filed_at=timezone.now())
            ChangeEvidence.objects.bulk_create([
                ChangeEvidence(filing=filing, original_name=n, stored_name=r, kind=k, size=s, sha256=h)
                for r, k, n, s, h in stored
            ])
            files = [{"name": n, "kind": k, "size": s, "sha256": h} for _, k, n, s, h in stored]
            _event(locked, actor, EventKind.CHANGE_FILED, before=before, after=after,
                   comment=f"{ChangeKind(kind).label}：{reason}", action="registry.change_filed", request=request,
                   audit_extra={"filing": filing.pk, "files": files})
            _notify(_province_users(locked), "registry.change_filed", f"{locked.name}：{ChangeKind(kind).label}待审核",
                    f"{locked.org.name}报备了{locked.name}的{ChangeKind(kind).label}，请审核。",
                    _url("registry_change", filing.pk))
    except BaseException:
        for relative, *_ in stored:
            delete_private(relative)
        raise
    return filing


@transaction.atomic
def decide_change(*, actor, filing: ChangeFiling, approve: bool, note: str = "", request=None) -> ChangeFiling:
    """The province approves (the ``CHANGE`` machine's ``approve`` step: its declared effect
    ``apply_change`` applies the change to the entry) or refuses (``refuse``: a note is
    required; the entry stays as it was). The history keeps the state before and after.
    Refusals: out of scope (404), not the province administrator (403), already decided (409),
    no note for a refusal (400).
    Side effects: ``ClusterEvent`` (change_approved / change_refused), ``registry.change_decided``;
    the county is told.
    """
    filing = ChangeFiling.objects.select_for_update().select_related("cluster__org").get(pk=filing.pk)
    filing.cluster = Cluster.objects.select_for_update().select_related("org").get(pk=filing.cluster_id)
    if not visible(actor, filing.cluster):
        raise DomainError("变更报备不存在或不在您的权限范围内", status=404)
    action = "approve" if approve else "refuse"
    require(workflow.CHANGE.check(actor, filing, action))
    note = _text(note, "decision_note", "审核意见", required=False, limit=2000)
    if not approve and not note:
        raise DomainError("不予同意时请填写审核意见（说明不同意的理由）", field="decision_note")
    return workflow.CHANGE.move(actor=actor, obj=filing, action=action, inputs={"decision_note": note},
                                request=request, check=False)


def change_evidence_response(*, actor, evidence: ChangeEvidence, request=None) -> FileResponse:
    """Stream one evidence file to an account that sees the cluster; records the download."""
    from clusterdesk.applications.evidence import CONTENT_TYPES

    cluster = evidence.filing.cluster
    if not visible(actor, cluster):
        raise DomainError("文件不存在或不在您的权限范围内", status=404)
    try:
        handle = open_private(evidence.stored_name)
    except FileNotFoundError:
        raise DomainError(f"文件“{evidence.original_name}”在服务器上找不到了，请联系系统管理员（编号 {evidence.pk}）",
                          status=404) from None
    try:
        with transaction.atomic():
            record(action="registry.evidence_downloaded", actor=actor, obj=evidence.filing, request=request,
                   after={"id": evidence.pk, "name": evidence.original_name})
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                            content_type=CONTENT_TYPES.get(evidence.kind, "application/octet-stream"))
    response["Cache-Control"] = "private, no-store"
    return mark_audited(response)
