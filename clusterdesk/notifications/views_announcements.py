"""Pages of 通知公告: the list and a notice for every account of the province; the form for its
administrators."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from clusterdesk.core.errors import DomainError

from . import announcements as domain
from .rules import can_publish_announcement


def _rounds(user):
    from clusterdesk.rounds.models import Round

    return Round.objects.visible_to(user).order_by("-year", "-id")


@login_required
def announcement_list(request):
    page = Paginator(domain.visible_announcements(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/announcements.html", {
        "page": page, "can_publish": bool(can_publish_announcement(request.user))})


@login_required
def announcement_detail(request, pk):
    item = get_object_or_404(domain.visible_announcements(request.user), pk=pk)
    return render(request, "notifications/announcement.html", {
        "item": item, "can_publish": bool(can_publish_announcement(request.user))})


def _form(request, item=None):
    ok, reason = can_publish_announcement(request.user)
    if not ok:
        raise PermissionDenied(reason)
    values = {"title": item.title if item else "", "body": item.body if item else "",
              "round": str(item.round_id or "") if item else ""}
    error = None
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("title", "body", "round")}
        try:
            if item is None:
                item = domain.publish(actor=request.user, title=values["title"], body=values["body"],
                                      round_id=values["round"] or None, request=request)
                flash.success(request, "通知公告已发布，全省各单位首页可见")
            else:
                domain.edit(actor=request.user, announcement=item, title=values["title"], body=values["body"],
                            round_id=values["round"] or None, request=request)
                flash.success(request, "通知公告已修改")
            return redirect("announcement_detail", pk=item.pk)
        except DomainError as exc:
            error = exc
    return render(request, "notifications/announcement_form.html", {
        "item": item, "values": values, "error": error, "rounds": _rounds(request.user)},
        status=400 if error else 200)


@login_required
def announcement_new(request):
    return _form(request)


@login_required
def announcement_edit(request, pk):
    item = get_object_or_404(domain.visible_announcements(request.user), pk=pk)
    return _form(request, item)
