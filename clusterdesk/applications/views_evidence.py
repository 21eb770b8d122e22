"""The evidence page (附件5 佐证材料): list per checklist item, upload, download, remove.

Works without JavaScript (forms post and redirect back with messages). ``evidence.js``
uploads each file with XMLHttpRequest instead; it marks its requests with
``X-Requested-With: XMLHttpRequest`` and gets JSON back.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clusterdesk.core.errors import Conflict, DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.rounds.domain import check_open

from .domain import editing_stage
from . import evidence as ev
from . import rules
from .models import Application, EvidenceFile


def _application(request, pk) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=pk)


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


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


def file_json(f: EvidenceFile) -> dict:
    return {
        "id": f.pk, "item": f.item_code, "name": f.original_name, "kind": f.kind, "size": f.size,
        "size_text": ev.human_size(f.size), "sha256": f.sha256,
        "uploaded_at": timezone.localtime(f.uploaded_at).isoformat(),
    }


@login_required
@require_GET
def evidence_page(request, pk):
    application = _application(request, pk)
    rows = ev.files_by_item(application)
    for row in rows:
        row.allowed = ev.allowed_label(row.item)
        row.accept = ev.accept_attribute(row.item)
        for f in row.files:
            f.size_text = ev.human_size(f.size)
    editable, reason = _edit_state(request.user, application)
    # A return's comments on evidence items sit on their items (issue 15 §6).
    from .views import return_notes

    notes = {n.evidence_item: n for n in return_notes(application, {})["return_notes"] if n.evidence_item}
    for row in rows:
        row.note = notes.get(row.item.code)
    return render(
        request,
        "applications/evidence.html",
        {
            "application": application,
            "rows": rows,
            "missing": ev.missing_required(rows),
            "required_count": sum(1 for r in rows if r.item.required),
            "editable": editable,
            "reason": reason,
            "max_mb": settings.MAX_UPLOAD_MB,
        },
    )


@login_required
@require_POST
def evidence_upload(request, pk):
    application = _application(request, pk)
    item_code = request.POST.get("item", "").strip()
    uploads = request.FILES.getlist("file")
    if not uploads:
        message = "请先选择要上传的文件，再点“上传”"
        if _wants_json(request):
            return JsonResponse({"detail": message, "field": "file"}, status=400)
        messages.error(request, message)
        return redirect(_page_url(application))

    done, failed = [], []
    for upload in uploads:
        try:
            done.append(ev.upload_evidence(actor=request.user, application=application, item_code=item_code,
                                           upload=upload, request=request))
        except DomainError as exc:
            failed.append(exc)
            if _wants_json(request):
                body = {"detail": exc.message}
                if exc.field:
                    body["field"] = exc.field
                if done:  # what was stored before this file failed (the rest was not tried)
                    body["files"] = [file_json(f) for f in done]
                return JsonResponse(body, status=exc.status)
            if isinstance(exc, Conflict):  # late or not editable: the same for every other file
                break
    if _wants_json(request):
        return JsonResponse({"file": file_json(done[0]), "files": [file_json(f) for f in done]}, status=201)
    for f in done:
        messages.success(request, f"{f.item_code}：已上传“{f.original_name}”（{ev.human_size(f.size)}）")
    for exc in failed:
        messages.error(request, f"{item_code}：{exc.message}" if item_code else exc.message)
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
    back_on_refusal(request, _page_url(application))  # a script (X-Requested-With) gets {"detail"} instead
    ev.remove_evidence(actor=request.user, application=application, evidence=evidence, request=request)
    if _wants_json(request):
        return JsonResponse({}, status=200)
    messages.success(request, f"{evidence.item_code}：已删除“{evidence.original_name}”")
    return redirect(_page_url(application))
