"""Home page panel: the user's unread messages."""

from django.urls import reverse
from django.utils import timezone

from clusterdesk.core.home import Item, Panel, panel_provider

from .models import Message

LATEST = 5


@panel_provider
def messages_panel(user):
    unread = Message.objects.filter(recipient=user, read_at__isnull=True)
    latest = list(unread.only("pk", "title", "created_at")[:LATEST])
    count = len(latest) if len(latest) < LATEST else unread.count()
    url = reverse("message_list")
    items = [Item("未读消息", str(count), f"{url}?unread=1" if count else url, "warn" if count else "")]
    items += [
        Item(m.title, f"{timezone.localtime(m.created_at):%m-%d %H:%M}", reverse("message_open", args=[m.pk]))
        for m in latest
    ]
    return [Panel("消息", items, order=5)]


@panel_provider
def announcements_panel(user):
    """通知公告: the province's latest notices, on every role's home page."""
    from .announcements import latest_for

    items = [Item(a.title, f"{timezone.localtime(a.published_at):%Y-%m-%d}", reverse("announcement_detail", args=[a.pk]))
             for a in latest_for(user, LATEST)]
    items.append(Item("全部通知公告", "", reverse("announcement_list")))
    return [Panel("通知公告", items, order=4)]
