"""Response rules every page and download follows, kept in one place.

- ``SecurityHeadersMiddleware``: the Content-Security-Policy (``settings.CONTENT_SECURITY_POLICY``)
  on every response, and ``Cache-Control: private, no-store`` on every file response and on
  everything answered to a signed-in user (or to an API token), so that no shared cache or
  browser history keeps an applicant's data. Static files never reach it (whitenoise answers
  them first).
- ``DownloadAuditMiddleware``: every file handed out (a response with ``Content-Disposition:
  attachment``) writes ``document.downloaded``, unless the view recorded a more specific event
  itself and said so with ``mark_audited(response)`` (evidence downloads do).
- ``DomainErrorMiddleware``: a ``DomainError`` a page lets escape becomes one consistent
  answer (see ``refusal_response``). Views keep a local ``except DomainError`` only where they
  re-render the form with the user's input kept.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from .errors import DomainError

NO_STORE = "private, no-store"
_AUDITED = "_clusterdesk_audited"
_BACK = "_clusterdesk_refusal_back"
_PREFIX = "_clusterdesk_refusal_prefix"
# How many of a refusal's itemised errors a page lists below its message.
MAX_LISTED_ERRORS = 30


def is_file_response(response) -> bool:
    """A download: a file or stream, or anything sent as an attachment."""
    if isinstance(response, (FileResponse, StreamingHttpResponse)):
        return True
    return response.get("Content-Disposition", "").lower().startswith("attachment")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        if is_file_response(response):
            response["Cache-Control"] = NO_STORE
        elif signed_in and "Cache-Control" not in response:
            response["Cache-Control"] = NO_STORE
        return response


def mark_audited(response):
    """Say that the view has written its own audit event for this download."""
    setattr(response, _AUDITED, True)
    return response


def _filename(response) -> str:
    header = response.get("Content-Disposition", "")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename":
            return value.strip('"')
    return ""


class DownloadAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code == 200 and request.method != "HEAD" and is_file_response(response)
                and not getattr(response, _AUDITED, False)):
            self.record(request, response)
        return response

    @staticmethod
    def record(request, response):
        from clusterdesk.audit.domain import record

        match = request.resolver_match
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            user = getattr(request, "auth", None)  # an API token's user (ninja sets request.auth)
            user = user if getattr(user, "is_authenticated", False) else None
        name = _filename(response)
        kwargs = dict(match.kwargs) if match else {}
        with transaction.atomic():
            record(
                action="document.downloaded", actor=user, request=request,
                object_type=(match.url_name or match.view_name or "")[:64] if match else "",
                object_id=",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))[:64],
                object_repr=name[:255],
                after={"file": name, "path": request.get_full_path()[:500],
                       "content_type": response.get("Content-Type", "")},
            )


# --- refusals --------------------------------------------------------------------------------------


def back_on_refusal(request, url: str, *, prefix: str = "") -> None:
    """Where a refused form post (or download) returns to, with the reason as a message.

    Call it before the domain function; a ``DomainError`` then ends in a redirect to ``url``
    with the message (``prefix`` + the reason, then the itemised errors as warnings).
    """
    setattr(request, _BACK, url)
    setattr(request, _PREFIX, prefix)


TITLES = {400: "无法完成", 403: "无权访问", 404: "页面不存在", 409: "当前状态不允许此操作"}


def refusal_response(request, exc: DomainError):
    """The one answer to a refusal a page did not handle itself.

    - a JSON or script request (``Accept: application/json``, ``X-Requested-With``): the API's
      ``{"detail", "field"}`` with the status;
    - an htmx request: the message as a fragment with the status; ``js/app.js`` swaps refusal
      fragments into the target like any answer (``HX-Reswap`` says how);
    - a page that named where to go back (``back_on_refusal``): a redirect there with the message,
      unless the refusal is 403 or 404 (not the user's to do / not there: no form fixes that);
    - anything else: the error page with the status and the message.
    """
    status = exc.status or 400
    accept = request.headers.get("Accept", "")
    if accept.startswith("application/json") or request.headers.get("X-Requested-With") == "XMLHttpRequest":
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        if exc.errors:
            body["errors"] = exc.errors
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if request.headers.get("HX-Request") == "true":
        response = render(request, "core/_refusal.html", {"message": exc.message, "status": status}, status=status)
        response["HX-Reswap"] = "innerHTML"
        return response
    back = getattr(request, _BACK, None)
    if back and status not in (403, 404):  # "not yours" and "not there" are not fixed on the form
        messages.error(request, getattr(request, _PREFIX, "") + exc.message)
        for error in exc.errors[:MAX_LISTED_ERRORS]:
            if error.get("message") and error["message"] != exc.message:
                messages.warning(request, error["message"])
        return HttpResponseRedirect(back)
    template = "403.html" if status == 403 else "refused.html"
    return render(request, template, {"reason": exc.message, "message": exc.message, "status": status,
                                      "title": TITLES.get(status, TITLES[400])}, status=status)


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        return refusal_response(request, exception)
