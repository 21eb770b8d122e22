"""Home page per role and the error pages."""

import sys

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .pagecache import cached_page
from .home import home_page_for, panels_for
from .todo import todo_total, todos_for


@cached_page
@login_required
def home(request):
    page = home_page_for(request)
    if page is not None:
        return page
    return render(request, "core/home.html", {"panels": panels_for(request.user)})


@login_required
def todo(request):
    """The user's to-do list (待办事项): counts per kind, each with its link."""
    rows = todos_for(request.user)
    return render(request, "core/todo.html", {"todos": rows, "total": sum(t.count for t in rows)})


@login_required
def todo_badge(request):
    """The top bar's badge: the total, as a fragment loaded after the page."""
    total = todo_total(request.user)
    return render(request, "core/_todo_badge.html", {"total": total})


def error_403(request, exception=None):
    reason = str(exception) if exception else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # A full disk noticed after the view (the session save, a response middleware's write) still
    # says so: the same 507 as DiskFullMiddleware gives for the view's own writes.
    from .diskfull import disk_full_response, is_disk_full

    exc = sys.exc_info()[1]
    if is_disk_full(exc):
        return disk_full_response(request, exc)
    return render(request, "500.html", status=500)


@require_safe
def healthz(request):
    """For the load balancer: no login, no data beyond the checks' names and statuses; 200 when
    healthy, 503 otherwise (``core/health.py``)."""
    from django.http import JsonResponse

    from .health import healthy, run_checks

    checks = run_checks()
    ok = healthy(checks)
    response = JsonResponse({"status": "ok" if ok else "problem", "checks": {c.name: c.status for c in checks}},
                            status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response
