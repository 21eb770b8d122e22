"""A full disk says so (issue 16 §5): a write the database (or the file system) refuses for lack
of space answers 507 with a Chinese message — never the generic 500.

Recognised: SQLite's ``SQLITE_FULL`` ("database or disk is full"), PostgreSQL's ``DiskFull``
(SQLSTATE 53100, "could not extend file", "No space left on device") and an ``OSError`` with
``ENOSPC``/``EDQUOT``, at any depth of the exception's causes. ``DiskFullMiddleware`` turns one a
view lets escape into the answer (``disk_full_response``); the API's handler and the 500 handler
(which sees failures after the view, e.g. the session save) use the same function.

The answer is JSON (``{"detail": …}``) for the API and for script requests (the autosave's
fetch, which keeps the input and shows ``detail``), a refusal fragment for htmx, the error page
otherwise; the browser stays
on the page it posted from only for script requests, so forms that matter post by script.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .files import NO_SPACE

logger = logging.getLogger("clusterdesk.diskfull")

MESSAGE = "服务器存储空间已满，您的修改没有保存，请联系系统管理员；稍后再试"
SQLITE_FULL = 13
PG_DISK_FULL = "53100"
_TEXTS = ("database or disk is full", "could not extend file", "no space left on device")


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or one of its causes) says the disk is full."""
    from django.db import DatabaseError

    for err in _chain(exc):
        if isinstance(err, OSError) and err.errno in NO_SPACE:
            return True
        if getattr(err, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if getattr(err, "sqlstate", None) == PG_DISK_FULL or getattr(err, "pgcode", None) == PG_DISK_FULL:
            return True
        if isinstance(err, DatabaseError) or type(err).__module__.split(".")[0] in ("sqlite3", "psycopg", "psycopg2"):
            text = str(err).lower()
            if any(t in text for t in _TEXTS):
                return True
    return False


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return (request.path.startswith("/api/") or accept.startswith("application/json")
            or "X-Requested-With" in request.headers)


def disk_full_response(request, exc: BaseException | None = None):
    """The one 507 answer: JSON for the API and scripts, the error page otherwise."""
    logger.error("storage full on %s %s: %s", request.method, request.path, exc)
    if wants_json(request):
        return JsonResponse({"detail": MESSAGE}, status=507, json_dumps_params={"ensure_ascii": False})
    try:
        if request.headers.get("HX-Request") == "true":  # swapped into the target by js/app.js, like refusals
            response = render(request, "core/_refusal.html", {"message": MESSAGE, "status": 507}, status=507)
            response["HX-Reswap"] = "innerHTML"
            return response
        return render(request, "refused.html", {"reason": MESSAGE, "message": MESSAGE, "status": 507,
                                                "title": "存储空间已满"}, status=507)
    except Exception:  # noqa: BLE001 - the page needs the database too; say it plainly
        return HttpResponse(MESSAGE, status=507, content_type="text/plain; charset=utf-8")


class DiskFullMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_disk_full(exception):
            return None
        return disk_full_response(request, exception)
