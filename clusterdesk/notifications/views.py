"""Pages: the user's messages, and the province's outbox of e-mails."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clusterdesk.core.middleware import back_on_refusal

from . import domain
from .models import EmailStatus, Message
from .rules import can_view_outbox

PAGE_SIZE = 50


@login_required
def message_list(request):
    only_unread = request.GET.get("unread") == "1"
    qs = domain.messages_of(request.user)
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/messages.html", {"page": page, "only_unread": only_unread})


def _back(request, default="message_list"):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@login_required
def message_open(request, pk):
    """Open a message's object: marks it read, then goes to the page it links to."""
    message = get_object_or_404(Message.objects.visible_to(request.user), pk=pk)
    domain.mark_read(request.user, message)
    if message.url and url_has_allowed_host_and_scheme(message.url, allowed_hosts={request.get_host()}):
        return redirect(message.url)
    return redirect("message_list")


@login_required
@require_POST
def message_read(request, pk):
    message = get_object_or_404(Message.objects.visible_to(request.user), pk=pk)
    domain.mark_read(request.user, message)
    return _back(request)


@login_required
@require_POST
def message_read_all(request):
    count = domain.mark_all_read(request.user)
    flash.success(request, f"已将 {count} 条消息标为已读" if count else "没有未读消息")
    return _back(request)


@login_required
def outbox(request):
    allowed, reason = can_view_outbox(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    qs = domain.outbox_for(request.user)
    status = request.GET.get("status", "")
    if status in EmailStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {s: 0 for s in EmailStatus.values}
    for row in domain.outbox_for(request.user).order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    choices = [(value, label, counts[value]) for value, label in EmailStatus.choices]
    return render(request, "notifications/outbox.html", {"page": page, "status": status, "choices": choices})


@login_required
@require_POST
def outbox_retry(request, pk):
    allowed, reason = can_view_outbox(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    email = get_object_or_404(domain.outbox_for(request.user), pk=pk)
    back_on_refusal(request, _back(request, "notification_outbox").url)
    email = domain.retry(request.user, email)
    if email.status == EmailStatus.SENT:
        flash.success(request, f"已重新发送给 {email.to}")
    elif email.status == EmailStatus.FAILED:
        flash.error(request, f"重新发送给 {email.to} 仍然失败：{email.error}")
    else:
        flash.success(request, f"已重新加入发送队列：{email.to}")
    return _back(request, "notification_outbox")
