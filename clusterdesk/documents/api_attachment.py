"""API of the attachment documents: 附件1 申报表 as PDF and Word.

``GET /api/v1/applications/{id}/documents/attachment1.pdf`` (or ``.docx``), optional ``version``.
Same rules as the pages (``views_attachment.resolve``): out of scope or no such version → 404.
"""

from ninja import Router

from .views_attachment import document_response, resolve

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
