"""API of the round documents: 附件2 推荐汇总表 (.xlsx), the recommendation letter (.docx / .pdf),
the leader briefing (.pdf). Same scope and filters as the pages (``summary.document_scope``):
province accounts get the province-wide documents, a city reviewer its own unit's."""

from ninja import Router

from clusterdesk.api.schemas import ErrorOut

from . import briefing, letter, summary
from .views_summary import DOCX_CONTENT_TYPE, PDF_CONTENT_TYPE, file_response

router = Router(tags=["公文与材料包"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.get("/rounds/{round_id}/documents/summary.xlsx", response={200: None, **ERRORS})
def summary_xlsx(request, round_id: int, status: str | None = None, org: str | None = None,
                 national: str | None = None):
    """附件2 推荐汇总表（.xlsx）。市州审核人员：本单位的申报；省厅：全省。默认含“市州拟推荐”及之后的状态；
    可按 status（可多个，逗号分隔）、org（推荐单位代码）、national=1（仅同步推荐国家级）筛选。"""
    scope = summary.document_scope(request.user, round_id, "summary")
    body, filename = summary.summary_document(scope, request.GET)
    return file_response(body, filename, summary.XLSX_CONTENT_TYPE)


def _letter(request, round_id: int, ext: str):
    scope = summary.document_scope(request.user, round_id, "letter")
    make = letter.letter_docx if ext == "docx" else letter.letter_pdf
    body = make(scope.round, scope.org)
    return file_response(body, letter.letter_filename(scope.round, scope.org, ext),
                         DOCX_CONTENT_TYPE if ext == "docx" else PDF_CONTENT_TYPE)


@router.get("/rounds/{round_id}/documents/letter.docx", response={200: None, **ERRORS})
def letter_docx(request, round_id: int):
    """推荐文件草稿（Word，GB/T 9704 版式）。市州：本单位正式推荐名单（未正式推荐时为当前拟推荐的申报）；
    省厅：国家级推荐名单。没有可推荐的申报时返回 409。"""
    return _letter(request, round_id, "docx")


@router.get("/rounds/{round_id}/documents/letter.pdf", response={200: None, **ERRORS})
def letter_pdf(request, round_id: int):
    """推荐文件草稿（PDF，带“草稿”水印）。范围同 letter.docx。"""
    return _letter(request, round_id, "pdf")


@router.get("/rounds/{round_id}/documents/briefing.pdf", response={200: None, **ERRORS})
def briefing_pdf(request, round_id: int):
    """领导简报（一页 A4 PDF）：各阶段数量、推荐名单、截止时间和需要关注的问题。省厅：全省；市州：本单位。"""
    scope = summary.document_scope(request.user, round_id, "briefing")
    body = briefing.briefing_pdf(scope.round, scope.org)
    return file_response(body, briefing.briefing_filename(scope.round, scope.org), PDF_CONTENT_TYPE)
