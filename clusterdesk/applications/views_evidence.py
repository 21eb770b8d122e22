"""The evidence page (附件5 佐证材料): list per checklist item, upload, download, remove.

Works without JavaScript (forms post and redirect back with messages). With htmx
(``request.htmx``) the upload and remove forms get fragments back instead: the upload its
per-file results (shown beside the file input) plus the item's file list and the summary
out of band; the remove the item's file list plus the summary. Upload progress is shown by
``js/app.js`` from ``htmx:xhr:progress``.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clusterdesk.core.errors import Conflict, DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.rounds.domain import check_open

from .domain import editing_stage
from . import evidence as ev
from . import rules
from .models import Application, EvidenceFile
from .pages import return_notes


def _application(request, pk) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=pk)


def _edit_state(user, application) -> tuple[bool, str]:
    allowed, reason = rules.can_edit(user, application)
    if allowed:
        try:
            check_open(application.round, editing_stage(application), application.org)
        except DomainError as exc:
            return False, exc.message
    return allowed, reason


def _page_url(application) -> str:
    # No #item anchor: the messages are at the top of the page and must be seen.
    return reverse("evidence_page", args=[application.pk])


def _rows(application):
    """Every checklist item with its live files, ready for the templates."""
    # A return's comments on evidence items sit on their items (issue 15 §6).
    notes = {n.evidence_item: n for n in return_notes(application, {})["return_notes"] if n.evidence_item}
    rows = ev.files_by_item(application)
    for row in rows:
        row.note = notes.get(row.item.code)
        row.allowed = ev.allowed_label(row.item)
        row.accept = ev.accept_attribute(row.item)
        for f in row.files:
            f.size_text = ev.human_size(f.size)
    return rows


def _context(request, application) -> dict:
    rows = _rows(application)
    editable, reason = _edit_state(request.user, application)
    return {
        "application": application,
        "rows": rows,
        "missing": ev.missing_required(rows),
        "required_count": sum(1 for r in rows if r.item.required),
        "editable": editable,
        "reason": reason,
        "max_mb": settings.MAX_UPLOAD_MB,
    }


def _fragment(request, application, template: str, item_code: str, status: int = 200, **extra):
    """An htmx answer: ``template`` with the item's row (``row``, None for an unknown item)
    and the summary. A refusal keeps its status; ``js/app.js`` swaps it in (``HX-Reswap``)."""
    context = _context(request, application)
    context["row"] = next((r for r in context["rows"] if r.item.code == item_code), None)
    context.update(extra)
    response = render(request, template, context, status=status)
    if status >= 400:
        response["HX-Reswap"] = "innerHTML" if template.endswith("_upload_result.html") else "outerHTML"
    return response


@login_required
@require_GET
def evidence_page(request, pk):
    application = _application(request, pk)
    return render(request, "applications/evidence.html", _context(request, application))


@login_required
@require_POST
def evidence_upload(request, pk):
    application = _application(request, pk)
    item_code = request.POST.get("item", "").strip()
    uploads = request.FILES.getlist("file")
    if not uploads:
        message = "请先点“选择文件…”选好要上传的文件，再点“上传”"
        if request.htmx:
            return _fragment(request, application, "applications/_evidence_upload_result.html", item_code,
                             status=400, done=[], failed=[message])
        messages.error(request, message)
        return redirect(_page_url(application))

    done, failed, status = [], [], 200
    for upload in uploads:
        try:
            done.append(ev.upload_evidence(actor=request.user, application=application, item_code=item_code,
                                           upload=upload, request=request))
        except DomainError as exc:
            failed.append(exc.message)
            status = status if status != 200 else (exc.status or 400)
            if isinstance(exc, Conflict):  # late or not editable: the same for every other file
                break
    if request.htmx:
        for f in done:
            f.size_text = ev.human_size(f.size)
        return _fragment(request, application, "applications/_evidence_upload_result.html", item_code,
                         status=status, done=done, failed=failed)
    for f in done:
        messages.success(request, f"{f.item_code}：已上传“{f.original_name}”（{ev.human_size(f.size)}）")
    for message in failed:
        messages.error(request, f"{item_code}：{message}" if item_code else message)
    return redirect(_page_url(application))


@login_required
@require_GET
def evidence_download(request, pk, evidence_id):
    application = _application(request, pk)
    evidence = get_object_or_404(EvidenceFile, pk=evidence_id, application=application)
    back_on_refusal(request, _page_url(application))
    return ev.evidence_response(actor=request.user, application=application, evidence=evidence, request=request)


@login_required
@require_POST
def evidence_remove(request, pk, evidence_id):
    application = _application(request, pk)
    evidence = get_object_or_404(EvidenceFile, pk=evidence_id, application=application)
    if request.htmx:  # the refusal is shown above the item's file list, which stays
        try:
            ev.remove_evidence(actor=request.user, application=application, evidence=evidence, request=request)
        except DomainError as exc:
            return _fragment(request, application, "applications/_evidence_remove_result.html",
                             evidence.item_code, status=exc.status or 400, error=exc.message)
        return _fragment(request, application, "applications/_evidence_remove_result.html", evidence.item_code,
                         removed=evidence)
    back_on_refusal(request, _page_url(application))
    ev.remove_evidence(actor=request.user, application=application, evidence=evidence, request=request)
    messages.success(request, f"{evidence.item_code}：已删除“{evidence.original_name}”")
    return redirect(_page_url(application))
