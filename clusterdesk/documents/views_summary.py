"""Pages' downloads of the round documents: 附件2 推荐汇总表 (.xlsx), the recommendation letter
(.docx / .pdf) and the leader briefing (.pdf).

Who gets what is ``summary.document_scope``: province accounts that see the province's review
pages get the province-wide documents (the letter is the national one), a city reviewer its own
unit's, a unit's leader its own briefing. A round outside the user's province is a 404, a wrong
role a 403 with the reason. The summary takes the filters of the page it is linked from
(``status``, ``org``, ``national=1``). A document that cannot be made yet (no list to
recommend, an unknown filter) sends the user back to the page with the reason.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from clusterdesk.core.middleware import back_on_refusal

from . import briefing, letter, summary

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_CONTENT_TYPE = "application/pdf"


def file_response(body: bytes, filename: str, content_type: str) -> HttpResponse:
    """An attachment whose Chinese name Django writes as RFC 5987 ``filename*=utf-8''…``."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _scope(request, round_id: int, purpose: str) -> summary.DocumentScope:
    return summary.document_scope(request.user, round_id, purpose)  # NotAllowed: the 403 page


def _back(scope: summary.DocumentScope, purpose: str) -> str:
    if not scope.province_wide:
        if scope.user.role == "city_reviewer":
            return reverse("city_lists", args=[scope.round.pk])
        return reverse("home")
    if purpose == "letter":
        return reverse("national_selection", args=[scope.round.pk])
    return reverse("province_overview", args=[scope.round.pk])


@login_required
@require_safe
def summary_xlsx(request, round_id):
    scope = _scope(request, round_id, "summary")
    back_on_refusal(request, _back(scope, "summary"))
    body, filename = summary.summary_document(scope, request.GET)
    return file_response(body, filename, summary.XLSX_CONTENT_TYPE)


def _letter(request, round_id, ext: str):
    scope = _scope(request, round_id, "letter")
    make = letter.letter_docx if ext == "docx" else letter.letter_pdf
    back_on_refusal(request, _back(scope, "letter"))
    body = make(scope.round, scope.org)
    return file_response(body, letter.letter_filename(scope.round, scope.org, ext),
                         DOCX_CONTENT_TYPE if ext == "docx" else PDF_CONTENT_TYPE)


@login_required
@require_safe
def letter_docx(request, round_id):
    return _letter(request, round_id, "docx")


@login_required
@require_safe
def letter_pdf(request, round_id):
    return _letter(request, round_id, "pdf")


@login_required
@require_safe
def briefing_pdf(request, round_id):
    scope = _scope(request, round_id, "briefing")
    back_on_refusal(request, _back(scope, "briefing"))
    body = briefing.briefing_pdf(scope.round, scope.org)
    return file_response(body, briefing.briefing_filename(scope.round, scope.org), PDF_CONTENT_TYPE)
