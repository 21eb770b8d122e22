"""The task's state machine as data (``rereview.workflow``): every transition's refusals — the
wrong role (403) and the wrong state (409) — through the domain functions, the city's return
with a comment and the county's resubmission, and the audit trail across the app move."""

import pytest
from django.utils import timezone

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.rereview import domain as rr
from clusterdesk.rereview.models import RereviewStatus, RereviewTask
from clusterdesk.rereview.workflow import LEVELS, MACHINE, check
from tests.rereview.test_rereview import (  # noqa: F401  (fixtures)
    dunhua_cluster,
    filled,
    make_provincial_due,
    passing_checks,
    rr_round,
    task,
)


def _today():
    return timezone.localdate().isoformat()


CALLS = {
    "submit": lambda a, t: rr.submit_task(actor=a, task=t),
    "return": lambda a, t: rr.return_task(actor=a, task=t, comment="请补充统计部门证明"),
    "forward": lambda a, t: rr.forward(actor=a, task=t, comment="同意报送"),
    "pass": lambda a, t: rr.decide(actor=a, task=t, checks=passing_checks(), passed=True, reason="通过"),
    "fail": lambda a, t: rr.decide(actor=a, task=t, checks=passing_checks(), passed=False, reason="未完成目标"),
    "prelim_pass": lambda a, t: rr.decide(actor=a, task=t, checks=passing_checks(), passed=True, reason="通过"),
    "prelim_fail": lambda a, t: rr.decide(actor=a, task=t, checks=passing_checks(), passed=False, reason="未完成目标"),
    "confirm_revocation": lambda a, t: rr.confirm_revocation(actor=a, task=t),
    "report_to_ministry": lambda a, t: rr.report_to_ministry(actor=a, task=t, date=_today()),
    "ministry_pass": lambda a, t: rr.record_ministry_outcome(actor=a, task=t, passed=True,
                                                             document_number="工信厅企业函〔2025〕300号", date=_today()),
    "ministry_fail": lambda a, t: rr.record_ministry_outcome(actor=a, task=t, passed=False, note="不达标",
                                                             document_number="工信厅企业函〔2025〕300号", date=_today()),
}
RIGHT = {"submit": "dunhua", "return": "yanbian", "forward": "yanbian"}  # everything else: the province
WRONG = {"submit": "yanbian", "return": "dunhua", "forward": "province"}  # everything else: the city
ACTIONS = [t.action for t in MACHINE.transitions if t.api or t.action in CALLS]


def test_every_single_object_action_of_the_table_has_a_test_call():
    assert {t.action for t in MACHINE.transitions if t.action not in ("miss", "reopen")} == set(CALLS)


def _task_for(action, task, accounts, rr_round):
    """The task of the cluster level the action belongs to (敦化 national, 延吉 provincial)."""
    if LEVELS.get(action) == "provincial":
        cluster = make_provincial_due()
        rr.open_rereview(actor=accounts["province"], round_=rr_round)
        return RereviewTask.objects.get(round=rr_round, cluster=cluster)
    return task


def _set(task, status):
    RereviewTask.objects.filter(pk=task.pk).update(status=status)
    task.refresh_from_db()


@pytest.mark.parametrize("action", sorted(CALLS))
def test_a_wrong_role_is_403_and_changes_nothing(action, accounts, task, rr_round):
    task = _task_for(action, task, accounts, rr_round)
    source = MACHINE.get(action).sources[0]
    _set(task, source)
    actor = accounts[WRONG.get(action, "yanbian")]
    assert check(actor, task, action).kind == "forbidden"
    with pytest.raises(NotAllowed):
        CALLS[action](actor, task)
    task.refresh_from_db()
    assert task.status == source


@pytest.mark.parametrize("action", sorted(CALLS))
def test_a_wrong_state_is_409_and_changes_nothing(action, accounts, task, rr_round):
    task = _task_for(action, task, accounts, rr_round)
    wrong = RereviewStatus.PASSED if action == "submit" else RereviewStatus.DRAFT
    _set(task, wrong)
    actor = accounts[RIGHT.get(action, "province")]
    assert check(actor, task, action).kind == "conflict"
    with pytest.raises(Conflict):
        CALLS[action](actor, task)
    task.refresh_from_db()
    assert task.status == wrong


def test_the_state_groups_live_in_the_table():
    assert MACHINE.in_group("editable", RereviewStatus.RETURNED)
    assert not MACHINE.in_group("editable", RereviewStatus.SUBMITTED)
    assert set(MACHINE.group("pending")) >= {RereviewStatus.PRELIM_PASSED, RereviewStatus.REPORTED, RereviewStatus.RETURNED}
    assert set(MACHINE.group("revocation_list")) == {RereviewStatus.FAILED, RereviewStatus.MISSED}
    assert rr.PENDING == MACHINE.group("pending") and rr.EDITABLE == MACHINE.group("editable")


def test_a_task_reported_to_the_ministry_still_holds_expiry(accounts, task):
    from datetime import date

    from clusterdesk.registry.domain import expire_due

    _set(task, RereviewStatus.REPORTED)
    assert expire_due(today=date(2026, 1, 5), actor=accounts["province"]) == []


# --- the city's return ----------------------------------------------------------------------------

def test_city_returns_with_a_comment_and_the_county_edits_and_resubmits(client, accounts, filled):
    rr.submit_task(actor=accounts["dunhua"], task=filled)
    with pytest.raises(DomainError) as exc:
        rr.return_task(actor=accounts["yanbian"], task=filled, comment=" ")
    assert exc.value.status == 400 and exc.value.field == "comment"
    rr.return_task(actor=accounts["yanbian"], task=filled, comment="产值证明缺少统计部门盖章，请补充")
    filled.refresh_from_db()
    assert filled.status == RereviewStatus.RETURNED and filled.returned_by == accounts["yanbian"]

    client.force_login(accounts["dunhua"])
    page = client.get(f"/registry/rereview/tasks/{filled.pk}/").content.decode()
    assert "产值证明缺少统计部门盖章，请补充" in page and 'data-testid="returned-alert"' in page
    rr.save_task(actor=accounts["dunhua"], task=filled, data={"self_assessment": "已补充统计部门盖章的产值证明。"})
    rr.submit_task(actor=accounts["dunhua"], task=filled)
    filled.refresh_from_db()
    assert filled.status == RereviewStatus.SUBMITTED
    rr.forward(actor=accounts["yanbian"], task=filled, comment="已补正，同意报送")
    filled.refresh_from_db()
    assert filled.status == RereviewStatus.FORWARDED
    actions = [e.action for e in rr.events_of(filled)]
    assert actions.count("rereview.submitted") == 2 and "rereview.returned" in actions


def test_a_returned_task_can_be_resubmitted_after_the_deadline(accounts, filled):
    import time_machine

    rr.submit_task(actor=accounts["dunhua"], task=filled)
    rr.return_task(actor=accounts["yanbian"], task=filled, comment="请补充")
    with time_machine.travel(rr.closes_at(filled.round, rr.STAGE, filled.org) + timezone.timedelta(days=2)):
        rr.submit_task(actor=accounts["dunhua"], task=filled)
    filled.refresh_from_db()
    assert filled.status == RereviewStatus.SUBMITTED


def test_the_city_return_over_the_api(client, accounts, filled, api_token):
    rr.submit_task(actor=accounts["dunhua"], task=filled)
    city = api_token(accounts["yanbian"])
    url = f"/api/v1/registry/rereview/tasks/{filled.pk}/return"
    assert client.post(url, {"comment": "请补充"}, content_type="application/json",
                       **api_token(accounts["dunhua"])).status_code == 403
    response = client.post(url, {"comment": "请补充"}, content_type="application/json", **city)
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert response.json()["return_comment"] == "请补充"
    assert client.post(url, {"comment": "again"}, content_type="application/json", **city).status_code == 409


def test_events_of_a_task_include_those_written_before_the_app_move(accounts, task):
    from clusterdesk.audit.domain import record

    record(action="rereview.opened", actor=accounts["province"], object_type="registry.rereviewtask",
           object_id=str(task.pk), object_repr=str(task))
    types = {e.object_type for e in rr.events_of(task)}
    assert types == {"registry.rereviewtask", "rereview.rereviewtask"}
