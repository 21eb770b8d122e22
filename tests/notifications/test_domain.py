"""Who is told, and what becomes of the e-mail: sent, failed, skipped."""

import pytest
from django.db import transaction

from clusterdesk.applications import domain as apps
from clusterdesk.notifications import domain
from clusterdesk.notifications.models import EmailStatus, Message, OutboundEmail
from clusterdesk.orgs.models import User
from clusterdesk.reviews import domain as reviews

from .conftest import BROKEN_BACKEND, inbox


def recipients(messages):
    return {m.recipient.username for m in messages}


def test_notify_units_reaches_exactly_the_right_accounts(accounts, draft):
    county = domain.notify_units(application=draft, audiences=("county",), kind="t", title="县", body="b")
    city = domain.notify_units(application=draft, audiences=("city",), kind="t", title="市", body="b")
    province = domain.notify_units(application=draft, audiences=("province",), kind="t", title="省", body="b")
    everyone = domain.notify_units(application=draft, audiences=("county", "city", "province"), kind="t",
                                   title="全部", body="b")

    assert recipients(county) == {"dunhua"}
    assert recipients(city) == {"yanbian_city"}
    assert recipients(province) == {"jl_admin"}
    assert recipients(everyone) == {"dunhua", "yanbian_city", "jl_admin"}
    # Not 延吉 (a sibling county), nor leaders, system administrators, other cities.
    assert not Message.objects.filter(recipient__in=[accounts[k] for k in ("yanji", "leader", "sysadmin", "tonghua")])
    assert county[0].url == f"/applications/{draft.pk}/"


def test_no_audience_tells_nobody(draft):
    assert domain.notify_units(application=draft, audiences=(), kind="t", title="x", body="b") == []
    assert not Message.objects.exists() and not OutboundEmail.objects.exists()


def test_disabled_account_is_not_told(accounts, draft, make_user):
    second = make_user("dunhua2", "222403", "county_applicant")
    User.objects.filter(pk=second.pk).update(is_active=False)

    messages = domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")

    assert recipients(messages) == {"dunhua"}


def test_review_return_tells_the_county(accounts, ready, django_capture_on_commit_callbacks, mailoutbox, with_email):
    apps.submit(actor=accounts["dunhua"], application=ready)
    ready.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        reviews.perform(actor=accounts["yanbian"], application=ready, action="city_return",
                        inputs={"comment": "请补充产值证明"})

    message = Message.objects.get(recipient=accounts["dunhua"])
    assert message.title.endswith("退回修改") and message.body == "请补充产值证明"
    assert message.url == f"/applications/{ready.pk}/"
    assert [m.to for m in mailoutbox] == [["dunhua@example.gov.cn"]]
    assert "请补充产值证明" in mailoutbox[0].body and f"/applications/{ready.pk}/" in mailoutbox[0].body


def test_email_recorded_as_sent(accounts, draft, with_email, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        domain.notify_units(application=draft, audiences=("county",), kind="review.city_return",
                            title="敦化市医药产业集群：退回修改", body="请补充材料")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["dunhua@example.gov.cn"]
    assert mailoutbox[0].subject == "【特色产业集群申报】敦化市医药产业集群：退回修改"
    email = OutboundEmail.objects.get()
    assert (email.status, email.error, email.attempts, email.recipient) == ("sent", "", 1, accounts["dunhua"])
    assert email.sent_at is not None


def test_email_waits_for_the_commit(draft, with_email, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")
        assert OutboundEmail.objects.get().status == EmailStatus.QUEUED

    assert len(callbacks) == 1 and mailoutbox == []


def test_rolled_back_action_tells_nobody(draft, with_email, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")
            raise RuntimeError("the action failed")

    assert not Message.objects.exists() and not OutboundEmail.objects.exists() and mailoutbox == []


def test_failure_recorded_with_the_error(settings, draft, with_email, mailoutbox,
                                         django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = BROKEN_BACKEND

    with django_capture_on_commit_callbacks(execute=True):
        messages = domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")

    assert len(messages) == 1  # the in-app message is there all the same
    email = OutboundEmail.objects.get()
    assert email.status == EmailStatus.FAILED and email.attempts == 1 and email.sent_at is None
    assert email.error == "ConnectionRefusedError: SMTP 服务器拒绝连接（测试）"


def test_account_without_email_is_skipped(accounts, draft, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")

    assert inbox(accounts["dunhua"]) == ["x"]
    email = OutboundEmail.objects.get()
    assert (email.status, email.error, email.to) == ("skipped", "账号未登记电子邮箱", "")
    assert mailoutbox == []


def test_notify_province(accounts, round_open, with_email, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        domain.notify_province(round_=round_open, kind="review.list", title="延边州报送了推荐名单", body="共 1 个集群。")

    assert inbox(accounts["province"]) == ["延边州报送了推荐名单"]
    assert [m.to for m in mailoutbox] == [["jl_admin@example.gov.cn"]]


def test_retry_resends_a_failed_email(settings, accounts, draft, with_email, mailoutbox,
                                      django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = BROKEN_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")
    email = OutboundEmail.objects.get()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with django_capture_on_commit_callbacks(execute=True):
        assert domain.retry(accounts["province"], email).status == "queued"

    email.refresh_from_db()
    assert (email.status, email.attempts, email.error) == ("sent", 2, "")
    assert len(mailoutbox) == 1
    with pytest.raises(domain.Conflict, match="发送，无需重新发送"):
        domain.retry(accounts["province"], email)
    with pytest.raises(domain.NotAllowed):
        domain.retry(accounts["yanbian"], email)


def test_mark_read(accounts, draft):
    first, = domain.notify_units(application=draft, audiences=("county",), kind="t", title="一", body="b")
    domain.notify_units(application=draft, audiences=("county",), kind="t", title="二", body="b")
    assert domain.unread_count(accounts["dunhua"]) == 2

    domain.mark_read(accounts["dunhua"], first)
    assert domain.unread_count(accounts["dunhua"]) == 1
    with pytest.raises(domain.DomainError):
        domain.mark_read(accounts["yanji"], first)

    assert domain.mark_all_read(accounts["dunhua"]) == 1
    assert domain.unread_count(accounts["dunhua"]) == 0


def test_county_submission_tells_the_city_reviewer(accounts, ready, with_email, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        apps.submit(actor=accounts["dunhua"], application=ready)

    message = Message.objects.get(recipient=accounts["yanbian"])
    assert message.kind == "application.submitted" and message.title.endswith("提交申报")
    assert "请审核" in message.body and message.url == f"/applications/{ready.pk}/"
    assert [m.to for m in mailoutbox] == [["yanbian_city@example.gov.cn"]]
    assert "请审核" in mailoutbox[0].body
    assert not Message.objects.filter(recipient=accounts["dunhua"]).exists()  # not the submitter itself


def test_resubmission_after_a_city_return_tells_the_city_again(accounts, ready, with_email, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    apps.submit(actor=accounts["dunhua"], application=ready)
    ready.refresh_from_db()
    reviews.perform(actor=accounts["yanbian"], application=ready, action="city_return",
                    inputs={"comment": "请补充产值证明"})
    ready.refresh_from_db()
    Message.objects.all().delete()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        apps.submit(actor=accounts["dunhua"], application=ready)

    message = Message.objects.get(recipient=accounts["yanbian"])
    assert "第 2 版" in message.body
    assert [m.to for m in mailoutbox] == [["yanbian_city@example.gov.cn"]]
