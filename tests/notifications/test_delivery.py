"""E-mail is never lost and never blocks other work: rows queued with the event, swept when their
task was lost, retried with backoff, retried by an administrator whatever their state (not sent),
and sent on their own queue with a timeout."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from clusterdesk.documents.tasks import build_package
from clusterdesk.notifications import domain, tasks
from clusterdesk.notifications.models import OutboundEmail
from clusterdesk.notifications.reminders import send_deadline_reminders

from .conftest import BROKEN_BACKEND
from .test_reminders import at, set_status, spring  # noqa: F401 - the fixture

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def test_crash_between_reminder_commit_and_queuing_loses_nothing(accounts, with_email, spring,  # noqa: F811
                                                                  mailoutbox, monkeypatch):
    """The reminder commits with its outbox row; the process dies before the row reaches the queue."""
    from clusterdesk.applications.models import Status

    set_status(spring["yanji"], Status.SUBMITTED)
    monkeypatch.setattr(domain, "enqueue", lambda ids: None)  # the hand-over never happens: the crash
    with time_machine.travel(at(3, 28, 0, 30), tick=False):
        assert send_deadline_reminders() == 1
    email = OutboundEmail.objects.get(recipient=accounts["dunhua"])
    assert (email.status, email.attempts, mailoutbox) == ("queued", 0, [])
    monkeypatch.undo()

    # The next hourly run (a new process): no new reminder, but the lost e-mail is swept and sent, once.
    with time_machine.travel(at(3, 28, 1, 30), tick=False):
        out = io.StringIO()
        call_command("send_reminders", stdout=out)
        assert "已将 1 封待发送或待重试的邮件重新交给后台任务" in out.getvalue()
        call_command("send_reminders", stdout=io.StringIO())
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert [m.to for m in mailoutbox] == [["dunhua@example.gov.cn"]]
    assert OutboundEmail.objects.count() == 1


def test_stale_queued_rows_are_picked_up_by_the_sweep_and_the_worker_start(accounts, draft, with_email, mailoutbox):
    """Without the on-commit hand-over (pytest-django never runs it) rows stay queued: a fresh row
    is left alone (its task may still be on its way), an old one and one whose worker died while
    sending are sent; a row being sent right now is not taken twice."""
    domain.notify_users(users=[accounts[k] for k in ("dunhua", "yanji", "yanbian", "province")], kind="t",
                        title="x", body="b")
    fresh, lost, dead, busy = OutboundEmail.objects.order_by("pk")
    now = timezone.now()
    OutboundEmail.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=10))
    OutboundEmail.objects.filter(pk=dead.pk).update(attempts=1, last_attempt_at=now - timedelta(minutes=10))
    OutboundEmail.objects.filter(pk=busy.pk).update(attempts=1, last_attempt_at=now - timedelta(seconds=5))

    assert set(tasks.due_for_sweep().values_list("pk", flat=True)) == {lost.pk, dead.pk}
    from clusterdesk.core.management.commands.worker import recover

    assert recover() == (0, 2)
    got = {e.pk: (e.status, e.attempts) for e in OutboundEmail.objects.all()}
    assert got == {fresh.pk: ("queued", 0), lost.pk: ("sent", 1), dead.pk: ("sent", 2), busy.pk: ("queued", 1)}
    assert len(mailoutbox) == 2
    assert tasks.send_email.call(busy.pk) == "queued"  # a second task for a row being sent does nothing
    assert len(mailoutbox) == 2


def test_failed_mail_is_retried_with_backoff_until_it_goes(settings, accounts, draft, with_email, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = BROKEN_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")
    email = OutboundEmail.objects.get()
    first_try = timezone.now()
    assert (email.status, email.attempts) == ("failed", 1)
    assert timedelta(seconds=55) < email.next_attempt_at - first_try <= timedelta(seconds=61)
    assert tasks.sweep_outbox() == 0  # not due yet

    waits = []
    for attempt in range(2, tasks.MAX_ATTEMPTS + 1):  # the SMTP outage goes on: each wait is longer
        with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False):
            assert tasks.sweep_outbox() == 1
            email.refresh_from_db()
            assert (email.status, email.attempts) == ("failed", attempt)
            if email.next_attempt_at:
                waits.append(email.next_attempt_at - timezone.now())
    assert waits == sorted(waits) and waits[0] == timedelta(minutes=5)
    assert email.next_attempt_at is None  # MAX_ATTEMPTS reached: no more automatic tries
    assert mailoutbox == []

    # The outage is over; the administrator sends it again.
    settings.EMAIL_BACKEND = LOCMEM
    with django_capture_on_commit_callbacks(execute=True):
        domain.retry(accounts["province"], email)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", tasks.MAX_ATTEMPTS + 1)
    assert len(mailoutbox) == 1


def test_a_failure_schedules_a_deferred_try_when_the_backend_can_defer(settings, accounts, draft, with_email):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]}}
    settings.EMAIL_BACKEND = BROKEN_BACKEND
    from django_tasks_db.models import DBTaskResult

    domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")
    email = OutboundEmail.objects.get()
    assert tasks.send_email.call(email.pk) == "failed"
    email.refresh_from_db()
    task = DBTaskResult.objects.get()
    assert (task.queue_name, task.args_kwargs["args"]) == ("mail", [email.pk])
    assert task.run_after == email.next_attempt_at


def test_admin_retries_queued_and_skipped_rows_not_sent_ones(accounts, login, draft, with_email, mailoutbox,
                                                             django_capture_on_commit_callbacks):
    """A worker killed while sending left the row "待发送": the administrator may send it again."""
    from clusterdesk.orgs.models import User

    User.objects.filter(pk=accounts["yanbian"].pk).update(email="")
    domain.notify_units(application=draft, audiences=("county", "city"), kind="t", title="x", body="b")
    queued = OutboundEmail.objects.get(recipient=accounts["dunhua"])
    skipped = OutboundEmail.objects.get(recipient=accounts["yanbian"])
    OutboundEmail.objects.filter(pk=queued.pk).update(attempts=1, last_attempt_at=timezone.now() - timedelta(hours=1))
    assert skipped.status == "skipped"

    client = login(accounts["province"])
    page = client.get("/messages/outbox/").content.decode()
    assert page.count('data-testid="retry"') == 2  # both rows offer the button
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/messages/outbox/{queued.pk}/retry/", follow=True)
    assert "已重新加入发送队列：dunhua@example.gov.cn" in response.content.decode()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("sent", 2)

    # Skipped for want of an address: refused until the account has one, then sent to it.
    response = client.post(f"/messages/outbox/{skipped.pk}/retry/", follow=True)
    assert "收件账号仍未登记电子邮箱" in response.content.decode()
    User.objects.filter(pk=accounts["yanbian"].pk).update(email="yanbian_new@example.gov.cn")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/messages/outbox/{skipped.pk}/retry/")
    skipped.refresh_from_db()
    assert (skipped.status, skipped.to) == ("sent", "yanbian_new@example.gov.cn")
    assert [m.to for m in mailoutbox] == [["dunhua@example.gov.cn"], ["yanbian_new@example.gov.cn"]]
    assert "没有找到" not in client.get("/messages/outbox/").content.decode()


def test_a_row_being_sent_is_not_retried_by_the_administrator(accounts, draft, with_email, mailoutbox):
    domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")
    email = OutboundEmail.objects.get()
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=1, last_attempt_at=timezone.now())
    with pytest.raises(domain.Conflict, match="正在发送中"):
        domain.retry(accounts["province"], email)


def test_mail_has_its_own_queue_and_a_timeout(settings, monkeypatch, accounts, draft, with_email):
    assert tasks.send_email.queue_name == "mail"
    assert build_package.queue_name == "default"
    from django.conf import settings as live

    assert "mail" in live.TASKS["default"]["QUEUES"]
    settings.EMAIL_TIMEOUT = 7
    seen = {}

    def fake_connection(**kwargs):
        seen.update(kwargs)
        raise TimeoutError("timed out")

    monkeypatch.setattr(tasks, "get_connection", fake_connection)
    domain.notify_units(application=draft, audiences=("county",), kind="t", title="x", body="b")
    email = OutboundEmail.objects.get()
    assert tasks.send_email.call(email.pk) == "failed"
    assert seen == {"timeout": 7}
    email.refresh_from_db()
    assert "TimeoutError" in email.error and email.next_attempt_at is not None
