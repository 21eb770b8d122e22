"""Downloads of 附件1 申报表 (PDF and Word) and of the reviewers' 审核参考 (PDF) for the current
draft or a submitted version.

``GET /documents/applications/<pk>/attachment1.pdf`` (or ``.docx``), optionally ``?version=N``.
Without a version: an editable application (or one never submitted) gives its current draft,
marked 草稿; a submitted one gives its latest version. An application outside the user's scope,
or a version that does not exist, is a 404. ``/reference.pdf`` (审核参考) is for city reviewers,
the province admin and the leader (``reference.can_read``): anyone else in scope gets a 403.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header

from clusterdesk.applications.models import Application, ApplicationVersion

from . import attachment1, reference

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def resolve(user, pk: int, version: str | int | None) -> tuple[Application, ApplicationVersion | None]:
    """The application (in ``user``'s scope) and the version asked for, or the default one."""
    application = get_object_or_404(Application.objects.visible_to(user).select_related("round", "org"), pk=pk)
    if version in (None, ""):
        if application.editable or not application.current_version:
            return application, None
        version = application.current_version
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise Http404("版本号无效") from None
    return application, get_object_or_404(ApplicationVersion.objects.select_related("submitted_by"),
                                          application=application, number=number)


def filename(application: Application, version: ApplicationVersion | None, fmt: str, what: str = "附件1申报表") -> str:
    suffix = f"第{version.number}版" if version is not None else "草稿"
    return f"{application.number}-{what}-{suffix}.{fmt}"


def _respond(body: bytes, name: str, fmt: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Content-Length"] = str(len(body))
    response["Cache-Control"] = "private, no-store"
    return response


def reference_response(application: Application, version: ApplicationVersion | None) -> HttpResponse:
    return _respond(reference.render_pdf(application, version), filename(application, version, "pdf", "审核参考"), "pdf")


def document_response(application: Application, version: ApplicationVersion | None, fmt: str) -> HttpResponse:
    body = attachment1.render_pdf(application, version) if fmt == "pdf" else attachment1.render_docx(application, version)
    return _respond(body, filename(application, version, fmt), fmt)


@login_required
def attachment1_pdf(request, pk):
    application, version = resolve(request.user, pk, request.GET.get("version"))
    return document_response(application, version, "pdf")


@login_required
def attachment1_docx(request, pk):
    application, version = resolve(request.user, pk, request.GET.get("version"))
    return document_response(application, version, "docx")


@login_required
def reference_pdf(request, pk):
    application, version = resolve(request.user, pk, request.GET.get("version"))
    allowed, reason = reference.can_read(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    return reference_response(application, version)
