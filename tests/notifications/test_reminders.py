"""Deadline reminders: three days before and on the day, once each, only to those who have not acted."""

import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.management import call_command

from clusterdesk.applications import domain as apps
from clusterdesk.applications.models import Application, Status
from clusterdesk.notifications.models import Message, OutboundEmail, ReminderLog
from clusterdesk.notifications.reminders import send_deadline_reminders, which_reminder
from clusterdesk.reviews.models import ListKind, RecommendationList
from clusterdesk.rounds.domain import create_round, grant_extension
from clusterdesk.rounds.models import SHANGHAI, Stage

from .conftest import inbox

DEADLINES = {
    "county_submission": date(2025, 3, 31),
    "name_list": date(2025, 4, 10),
    "formal_submission": date(2025, 4, 30),
    "national_recommendation": date(2025, 5, 31),
}


def at(month, day, hour=9, minute=0, second=0, microsecond=0):
    return datetime(2025, month, day, hour, minute, second, microsecond, tzinfo=SHANGHAI)


def run(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return send_deadline_reminders()


@pytest.fixture
def spring(accounts):
    """An open 2025 round (county submission closes 2025-03-31) with a draft of 敦化 and one of 延吉."""
    with time_machine.travel(at(3, 1), tick=False):
        round_ = create_round(actor=accounts["province"], name="2025年度中小企业特色产业集群申报推荐", year=2025,
                              status="open", deadlines=DEADLINES)
        dunhua = apps.create_application(actor=accounts["dunhua"], round_=round_)
        yanji = apps.create_application(actor=accounts["yanji"], round_=round_)
    return {"round": round_, "dunhua": dunhua, "yanji": yanji}


def set_status(app, status, **fields):
    Application.objects.filter(pk=app.pk).update(status=status, **fields)


def test_which_reminder_counts_beijing_days():
    deadline = at(3, 31, 23, 59, 59, 999999)
    assert which_reminder(deadline, at(3, 27, 23, 59)) is None
    assert which_reminder(deadline, at(3, 28, 0, 0)) == ("3d", 3)
    assert which_reminder(deadline, at(3, 30, 23, 0)) == ("3d", 1)
    assert which_reminder(deadline, at(3, 31, 0, 0)) == ("0d", 0)
    assert which_reminder(deadline, deadline) == ("0d", 0)
    assert which_reminder(deadline, at(4, 1, 0, 0)) is None


def test_three_days_before_and_on_the_day_once_each(accounts, with_email, spring, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    set_status(spring["yanji"], Status.SUBMITTED)  # only 敦化 still has to act

    assert run(at(3, 27, 23, 59)) == 0  # four days before: nothing yet
    with django_capture_on_commit_callbacks(execute=True):
        assert run(at(3, 28, 0, 30)) == 1
    assert run(at(3, 28, 15)) == 0  # the hourly run again: nothing new
    assert run(at(3, 29)) == 0 and run(at(3, 30)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert run(at(3, 31, 8)) == 1
    assert run(at(3, 31, 23, 59, 59)) == 0
    assert run(at(4, 1, 0, 0)) == 0  # after the deadline: never

    assert inbox(accounts["dunhua"]) == ["距“县级申报提交”截止还有 3 天", "今天是“县级申报提交”的截止日"]
    first, last = Message.objects.filter(recipient=accounts["dunhua"]).order_by("id")
    assert "距“县级申报提交”截止还有 3 天（2025年3月31日24时），请尽快提交申报" in first.body
    assert spring["dunhua"].number in first.body
    assert first.url == f"/applications/{spring['dunhua'].pk}/"
    assert "今天是“县级申报提交”的截止日（2025年3月31日24时）" in last.body
    assert [m.to for m in mailoutbox] == [["dunhua@example.gov.cn"]] * 2
    assert inbox(accounts["yanji"]) == [] and inbox(accounts["yanbian"]) == []
    assert ReminderLog.objects.count() == 2


def test_nothing_after_the_deadline(accounts, spring):
    assert run(at(4, 1, 0, 0)) == 0
    assert not Message.objects.exists()


def test_units_that_have_acted_are_not_reminded(accounts, spring):
    set_status(spring["dunhua"], Status.SUBMITTED)

    assert run(at(3, 28)) == 1
    assert inbox(accounts["dunhua"]) == []
    assert inbox(accounts["yanji"]) == ["距“县级申报提交”截止还有 3 天"]


def test_city_reminded_of_its_lists_until_it_sends_them(accounts, spring):
    set_status(spring["dunhua"], Status.SUBMITTED)
    set_status(spring["yanji"], Status.RECOMMENDED)

    assert run(at(4, 7)) == 1
    assert inbox(accounts["yanbian"]) == ["距“市州报送推荐名单”截止还有 3 天"]
    assert inbox(accounts["tonghua"]) == []  # no application waits for 通化
    assert Message.objects.get(recipient=accounts["yanbian"]).url == f"/reviews/rounds/{spring['round'].pk}/lists/"

    RecommendationList.objects.create(round=spring["round"], org=accounts["yanbian"].org, kind=ListKind.NAME_LIST,
                                      submitted_by=accounts["yanbian"], submitted_at=at(4, 8))
    assert run(at(4, 10)) == 0  # the name list is in: no "on the day" reminder
    assert run(at(4, 27)) == 1
    assert inbox(accounts["yanbian"])[-1] == "距“市州正式推荐”截止还有 3 天"

    RecommendationList.objects.create(round=spring["round"], org=accounts["yanbian"].org, kind=ListKind.FORMAL,
                                      submitted_by=accounts["yanbian"], submitted_at=at(4, 28))
    assert run(at(4, 30)) == 0


def test_returned_application_reminded_by_the_returning_stage(accounts, spring):
    set_status(spring["yanji"], Status.SUBMITTED)
    set_status(spring["dunhua"], Status.RETURNED, resubmit_stage="national_recommendation")

    assert run(at(3, 28)) == 0  # the county deadline does not govern a resubmission to the province
    assert run(at(5, 28)) == 1
    message = Message.objects.get(recipient=accounts["dunhua"])
    assert message.title == "距“省厅推荐国家级”截止还有 3 天"
    assert "请尽快修改并重新提交申报" in message.body


def test_city_return_reminded_by_the_county_deadline(accounts, spring):
    """The city reviews and returns until its formal deadline; the county answers a city's return
    before its county deadline (the name list is only a list)."""
    set_status(spring["yanji"], Status.SUBMITTED)
    set_status(spring["dunhua"], Status.RETURNED, resubmit_stage="name_list")

    assert run(at(3, 28)) == 1
    assert inbox(accounts["dunhua"]) == ["距“县级申报提交”截止还有 3 天"]
    assert "请尽快修改并重新提交申报" in Message.objects.get(recipient=accounts["dunhua"]).body


def test_extension_shifts_the_units_reminders(accounts, spring):
    with time_machine.travel(at(3, 20), tick=False):
        grant_extension(actor=accounts["province"], round_=spring["round"], stage_code="county_submission",
                        org=accounts["dunhua"].org, closes_at=at(4, 5, 23, 59, 59, 999999), reason="系统故障")

    assert run(at(3, 28)) == 1 and run(at(3, 31)) == 1  # 延吉 only
    assert inbox(accounts["dunhua"]) == []
    assert len(inbox(accounts["yanji"])) == 2

    assert run(at(4, 2)) == 1
    assert run(at(4, 5, 20)) == 1
    assert run(at(4, 6)) == 0
    assert inbox(accounts["dunhua"]) == ["距“县级申报提交”截止还有 3 天", "今天是“县级申报提交”的截止日"]
    assert "2025年4月5日24时" in Message.objects.filter(recipient=accounts["dunhua"]).first().body


def test_extension_after_a_reminder_reminds_again_of_the_new_deadline(accounts, spring):
    set_status(spring["yanji"], Status.CITY_REJECTED)
    assert run(at(3, 28)) == 1
    with time_machine.travel(at(3, 29), tick=False):
        grant_extension(actor=accounts["province"], round_=spring["round"], stage_code="county_submission",
                        org=accounts["dunhua"].org, closes_at=at(4, 10, 23, 59, 59, 999999), reason="系统故障")

    assert run(at(3, 31)) == 0
    assert run(at(4, 7)) == 1
    assert len(inbox(accounts["dunhua"])) == 2


def test_closed_round_sends_nothing(accounts, spring):
    spring["round"].status = "closed"
    spring["round"].save()
    assert run(at(3, 28)) == 0


def test_experts_with_open_assignments_are_reminded(accounts, spring):
    experts = pytest.importorskip("clusterdesk.experts.models")
    Stage.objects.create(round=spring["round"], code="expert_review", deadline=date(2025, 5, 10))
    done = experts.ExpertAssignment.objects.create(application=spring["yanji"], expert=accounts["province"],
                                                   assigned_by=accounts["province"], submitted_at=at(5, 1))
    experts.ExpertAssignment.objects.create(application=spring["dunhua"], expert=accounts["expert"],
                                            assigned_by=accounts["province"])
    assert done.submitted

    assert run(at(5, 7)) == 1
    assert inbox(accounts["expert"]) == ["距“专家评审”截止还有 3 天"]
    assert inbox(accounts["province"]) == []


def test_command(accounts, spring):
    out = io.StringIO()
    with time_machine.travel(at(3, 28), tick=False):
        call_command("send_reminders", stdout=out)
        assert out.getvalue().strip() == "已发送 2 条截止提醒"
        out = io.StringIO()
        call_command("send_reminders", stdout=out)
    assert out.getvalue().strip() == "已发送 0 条截止提醒"
    assert OutboundEmail.objects.filter(status="skipped").count() == 2  # the test accounts have no e-mail
