"""The messages page, the home panel and header, and the province's outbox."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clusterdesk.notifications import domain
from clusterdesk.notifications.models import Message, OutboundEmail

from .conftest import BROKEN_BACKEND


def tell(user, n=1, title="事项"):
    """``n`` messages to ``user``; one is titled ``title``, more are numbered."""
    return [domain.notify_users(users=[user], kind="test", title=title if n == 1 else f"{title}{i}", body="请处理",
                                url="/applications/")[0] for i in range(n)]


def test_messages_page_lists_newest_first_unread_bold(accounts, login):
    tell(accounts["dunhua"], title="旧消息")
    read, = tell(accounts["dunhua"], title="已读消息")
    domain.mark_read(accounts["dunhua"], read)
    tell(accounts["dunhua"], title="新消息")

    response = login(accounts["dunhua"]).get("/messages/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("新消息") < html.index("已读消息") < html.index("旧消息")
    assert "<strong>新消息</strong>" in html and "<strong>已读消息</strong>" not in html
    assert 'data-testid="messages-link" class="tone-warn">消息（2）</a>' in html
    assert "已读消息" not in login(accounts["dunhua"]).get("/messages/?unread=1").content.decode()


def test_only_own_messages(accounts, login):
    tell(accounts["dunhua"], title="敦化的消息")
    message = Message.objects.get()
    client = login(accounts["yanji"])

    assert "敦化的消息" not in client.get("/messages/").content.decode()
    assert client.get(f"/messages/{message.pk}/").status_code == 404
    assert client.post(f"/messages/{message.pk}/read/").status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_read_and_all_read(accounts, login):
    first, = tell(accounts["dunhua"])
    tell(accounts["dunhua"], 3)
    client = login(accounts["dunhua"])

    response = client.post(f"/messages/{first.pk}/read/", {"next": "/messages/?unread=1"})
    assert response.status_code == 302 and response["Location"] == "/messages/?unread=1"
    assert domain.unread_count(accounts["dunhua"]) == 3

    response = client.post("/messages/read-all/", follow=True)
    assert "已将 3 条消息标为已读" in response.content.decode()
    assert domain.unread_count(accounts["dunhua"]) == 0
    assert client.post("/messages/read-all/", {"next": "https://evil.example/"})["Location"] == "/messages/"


def test_open_marks_read_and_goes_to_the_object(accounts, login, draft):
    message, = domain.notify_units(application=draft, audiences=("county",), kind="t", title="退回", body="b")

    response = login(accounts["dunhua"]).get(f"/messages/{message.pk}/")

    assert response.status_code == 302 and response["Location"] == f"/applications/{draft.pk}/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_messages_page_same_query_count_for_1_and_30(accounts, login):
    client = login(accounts["dunhua"])
    counts = []
    for n in (1, 29):
        tell(accounts["dunhua"], n)
        client.get("/messages/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/messages/")
        counts.append(len(queries))
    assert Message.objects.count() == 30
    assert counts[0] == counts[1]


def test_home_panel_and_header(accounts, login):
    for i in range(6):
        tell(accounts["dunhua"], title=f"第{i}条")

    html = login(accounts["dunhua"]).get("/").content.decode()

    assert "消息（6）" in html
    assert "未读消息" in html and "第5条" in html and "第1条" in html and "第0条" not in html  # latest 5


def test_outbox_nav_only_for_province(accounts, login):
    assert "发送记录" in login(accounts["province"]).get("/").content.decode()
    assert "发送记录" not in login(accounts["yanbian"]).get("/").content.decode()


@pytest.mark.parametrize("who", ["yanbian", "dunhua", "leader", "expert"])
def test_outbox_forbidden_to_others(accounts, login, who):
    assert login(accounts[who]).get("/messages/outbox/").status_code == 403


@pytest.fixture
def failed(settings, accounts, draft, with_email, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = BROKEN_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        domain.notify_units(application=draft, audiences=("county", "city"), kind="review.city_return",
                            title="敦化市医药产业集群：退回修改", body="请补充材料")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return {e.recipient.username: e for e in OutboundEmail.objects.select_related("recipient")}


def test_outbox_lists_failures_for_the_province(accounts, login, failed):
    OutboundEmail.objects.filter(pk=failed["yanbian_city"].pk).update(status="sent", error="")

    for who in ("province", "sysadmin"):
        response = login(accounts[who]).get("/messages/outbox/?status=failed")
        html = response.content.decode()
        assert response.status_code == 200
        assert "dunhua@example.gov.cn" in html and "yanbian_city@example.gov.cn" not in html
        assert "ConnectionRefusedError: SMTP 服务器拒绝连接（测试）" in html
        assert "【特色产业集群申报】敦化市医药产业集群：退回修改" in html
        assert "重新发送" in html
    html = login(accounts["province"]).get("/messages/outbox/").content.decode()
    assert "yanbian_city@example.gov.cn" in html and "发送失败（1）" in html and "已发送（1）" in html


def test_retry_button_resends(accounts, login, failed, mailoutbox, django_capture_on_commit_callbacks):
    client = login(accounts["province"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/messages/outbox/{failed['dunhua'].pk}/retry/",
                               {"next": "/messages/outbox/?status=failed"})

    assert response.status_code == 302 and response["Location"] == "/messages/outbox/?status=failed"
    failed["dunhua"].refresh_from_db()
    assert (failed["dunhua"].status, failed["dunhua"].attempts) == ("sent", 2)
    assert [m.to for m in mailoutbox] == [["dunhua@example.gov.cn"]]
    again = client.post(f"/messages/outbox/{failed['dunhua'].pk}/retry/", follow=True).content.decode()
    assert "无需重新发送" in again


def test_retry_forbidden_to_a_city(accounts, login, failed):
    assert login(accounts["yanbian"]).post(f"/messages/outbox/{failed['dunhua'].pk}/retry/").status_code == 403
    failed["dunhua"].refresh_from_db()
    assert failed["dunhua"].status == "failed"
