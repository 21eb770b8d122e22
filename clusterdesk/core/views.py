"""Home page per role and the error pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .home import panels_for
from .todo import todo_total, todos_for


@login_required
def home(request):
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
    return render(request, "500.html", status=500)
