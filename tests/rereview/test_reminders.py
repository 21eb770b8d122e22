"""Deadline reminders reach counties whose re-review (复核) task is still a draft."""

from datetime import datetime, timedelta

import time_machine

from clusterdesk.notifications.models import Message
from clusterdesk.notifications.reminders import send_deadline_reminders
from clusterdesk.rounds.models import SHANGHAI, Stage
from tests.rereview.test_rereview import dunhua_cluster, rr_round, task  # noqa: F401  (fixtures)


def test_rereview_draft_reminded_three_days_before_and_once(accounts, task):  # noqa: F811
    deadline = Stage.objects.get(round=task.round, code="rereview_submission").deadline
    three_days_before = datetime.combine(deadline - timedelta(days=3), datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=9)
    Message.objects.all().delete()

    with time_machine.travel(three_days_before, tick=False):
        first = send_deadline_reminders()
        again = send_deadline_reminders()

    reminders = Message.objects.filter(recipient=accounts["dunhua"], kind="reminder.rereview_submission")
    assert first >= 1 and again == 0
    assert reminders.count() == 1
    assert "敦化市医药产业集群" in reminders.get().body or "敦化市医药产业集群" in reminders.get().title


def test_submitted_rereview_not_reminded(accounts, task):  # noqa: F811
    task.status = "submitted"
    task.save(update_fields=["status"])
    deadline = Stage.objects.get(round=task.round, code="rereview_submission").deadline
    with time_machine.travel(datetime.combine(deadline, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=9), tick=False):
        send_deadline_reminders()

    assert not Message.objects.filter(kind="reminder.rereview_submission").exists()
