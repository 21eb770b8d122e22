"""API of the attachment documents: 附件1 申报表 as PDF and Word, and the reviewers' 审核参考.

``GET /api/v1/applications/{id}/documents/attachment1.pdf`` (or ``.docx``), optional ``version``.
Same rules as the pages (``views_attachment.resolve``): out of scope or no such version → 404.
``GET /api/v1/applications/{id}/documents/reference.pdf``: 审核参考 (criteria self-check and
evidence digests), for city reviewers, the province admin and the leader; others → 403.
"""

from ninja import Router

from django.core.exceptions import PermissionDenied

from clusterdesk.api.schemas import ErrorOut

from . import reference
from .views_attachment import document_response, reference_response, resolve

router = Router(tags=["公文与材料包"])


@router.get("/applications/{application_id}/documents/attachment1.pdf", url_name="api_attachment1_pdf",
            summary="下载附件1申报表（PDF）")
def attachment1_pdf(request, application_id: int, version: int | None = None):
    """不带 version 时：填报中的申报为当前草稿（带“草稿”水印），已提交的为最新提交版本。"""
    application, found = resolve(request.user, application_id, version)
    return document_response(application, found, "pdf")


@router.get("/applications/{application_id}/documents/attachment1.docx", url_name="api_attachment1_docx",
            summary="下载附件1申报表（Word）")
def attachment1_docx(request, application_id: int, version: int | None = None):
    """不带 version 时：填报中的申报为当前草稿（页眉标注“草稿（未提交）”），已提交的为最新提交版本。"""
    application, found = resolve(request.user, application_id, version)
    return document_response(application, found, "docx")


@router.get("/applications/{application_id}/documents/reference.pdf", url_name="api_reference_pdf",
            summary="下载审核参考（PDF，认定标准自查和佐证材料摘要）", response={403: ErrorOut, 404: ErrorOut})
def reference_pdf(request, application_id: int, version: int | None = None):
    """仅限市州审核人员、省厅管理员和领导（其他角色返回 403）。不带 version 时的版本规则同附件1。"""
    application, found = resolve(request.user, application_id, version)
    allowed, reason = reference.can_read(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    return reference_response(application, found)
