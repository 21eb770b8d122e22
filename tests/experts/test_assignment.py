"""Assigning experts: by hand, automatically with balanced loads, never in conflict."""

import pytest

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.experts import domain, rules
from clusterdesk.experts.models import ExpertAssignment, RubricItem


def test_assign_records_and_creates_the_default_rubric(accounts, experts, passed):
    assignment = domain.assign(actor=accounts["province"], application=passed, expert=experts["province"])
    event = AuditEvent.objects.get(action="expert.assigned")
    assert event.after["expert"] == "expert_wang" and event.object_id == str(passed.pk)
    items = list(RubricItem.objects.filter(round=passed.round))
    assert [i.aspect for i in items] == list(range(1, 9))
    assert sum(i.weight for i in items) == 100 and {i.max_score for i in items} == {10}
    assert [int(i.weight) for i in items] == [20, 15, 15, 10, 10, 10, 10, 10]
    with pytest.raises(Conflict) as exc:
        domain.assign(actor=accounts["province"], application=passed, expert=experts["province"])
    assert "无需重复分配" in exc.value.message
    assert ExpertAssignment.objects.filter(pk=assignment.pk).count() == 1


def test_assign_refuses_non_experts_and_non_admins(accounts, experts, passed):
    with pytest.raises(DomainError) as exc:
        domain.assign(actor=accounts["province"], application=passed, expert=accounts["yanbian"])
    assert exc.value.field == "expert" and "不是可用的专家账号" in exc.value.message
    for actor in (accounts["yanbian"], accounts["leader"], experts["province"]):
        with pytest.raises(NotAllowed):
            domain.assign(actor=actor, application=passed, expert=experts["province"])


@pytest.mark.parametrize("status", ["draft", "submitted", "recommended", "initial_failed", "returned"])
def test_assign_refuses_applications_not_yet_formally_recommended(accounts, experts, make_app, status):
    app = make_app("222403", status=status)
    with pytest.raises(Conflict) as exc:
        domain.assign(actor=accounts["province"], application=app, expert=experts["province"])
    assert exc.value.field == "application" and "不能分配专家评审" in exc.value.message


@pytest.mark.parametrize("status", ["formal", "initial_passed", "publicity", "recognized"])
def test_reviewable_states(accounts, experts, make_app, status):
    app = make_app("222403", status=status)
    domain.assign(actor=accounts["province"], application=app, expert=experts["province"])


def _loads(round_):
    counts = {}
    for expert_id in ExpertAssignment.objects.filter(application__round=round_).values_list("expert_id", flat=True):
        counts[expert_id] = counts.get(expert_id, 0) + 1
    return counts


def test_auto_assign_balances_load(accounts, make_user, make_app, round_open):
    """5 applications of 农安县 (长春市), 4 province experts, 3 per application: loads 4, 4, 4, 3.
    The fixture's expert at 长春市 is in conflict with all of them and gets none."""
    pool = [make_user(f"exp{i}", "220000", "expert") for i in range(4)]
    apps = [make_app("220122") for _ in range(5)]
    result = domain.auto_assign(actor=accounts["province"], round_=round_open, per_application=3)
    assert len(result.created) == 15 and result.short == [] and result.applications == 5
    loads = _loads(round_open)
    assert sorted(loads.values()) == [3, 4, 4, 4]
    assert set(loads) == {e.pk for e in pool}
    for app in apps:
        assert app.expert_assignments.count() == 3
    assert AuditEvent.objects.filter(action="expert.assigned").count() == 15
    # deterministic: least loaded first, ties by username → exp0 exp1 exp2 take the first application
    first = sorted(ExpertAssignment.objects.filter(application=apps[0]).values_list("expert__username", flat=True))
    assert first == ["exp0", "exp1", "exp2"]
    # running again adds nothing
    again = domain.auto_assign(actor=accounts["province"], round_=round_open, per_application=3)
    assert again.created == [] and again.short == []


def test_auto_assign_tops_up_and_keeps_balance(accounts, make_user, make_app, round_open):
    pool = [make_user(f"exp{i}", "220000", "expert") for i in range(4)]
    apps = [make_app("220122") for _ in range(4)]
    domain.assign(actor=accounts["province"], application=apps[0], expert=pool[0])
    domain.auto_assign(actor=accounts["province"], round_=round_open, per_application=2)
    loads = _loads(round_open)
    assert sorted(loads.values()) == [2, 2, 2, 2]


def test_auto_assign_never_assigns_a_conflicted_expert(accounts, experts, jilin, make_app, round_open):
    """Applications from 敦化, 延吉, 珲春 (延边), 通化县 and 长春新区; experts in 延边州, 延吉市,
    通化市, 长春市 and the province (who declared 通化县). Four per application: only 长春新区
    has four experts free of conflict; the others have three and are reported."""
    domain.declare_conflict(expert=experts["province"], org=jilin["220521"], reason="曾在通化县任职")
    codes = ("222403", "222401", "222404", "220521", "Z220101")
    dunhua, yanji, hunchun, tonghuaxian, ccxq = (make_app(c) for c in codes)
    result = domain.auto_assign(actor=accounts["province"], round_=round_open, per_application=4)
    for assignment in ExpertAssignment.objects.select_related("application__org", "expert__org"):
        assert rules.conflict(assignment.expert, assignment.application) is None
    usernames = lambda app: set(app.expert_assignments.values_list("expert__username", flat=True))  # noqa: E731
    assert usernames(dunhua) == usernames(yanji) == usernames(hunchun) == {"expert_li", "expert_wang", "expert_sun"}
    assert usernames(tonghuaxian) == {"expert_li", "expert_zhao", "expert_qian"}
    assert usernames(ccxq) == {"expert_wang", "expert_zhao", "expert_qian", "expert_sun"}
    short = {s.application.pk: s for s in result.short}
    assert set(short) == {dunhua.pk, yanji.pk, hunchun.pk, tonghuaxian.pk}
    assert short[dunhua.pk].have == 3
    assert "需要 4 位专家，只能分配 3 位" in short[dunhua.pk].message


def test_auto_assign_input_and_permission(accounts, round_open):
    with pytest.raises(DomainError) as exc:
        domain.auto_assign(actor=accounts["province"], round_=round_open, per_application=0)
    assert exc.value.field == "per_application"
    with pytest.raises(NotAllowed):
        domain.auto_assign(actor=accounts["tonghua"], round_=round_open)


def test_unassign_removes_scores_and_keeps_them_in_the_audit(accounts, experts, passed):
    assignment = domain.assign(actor=accounts["province"], application=passed, expert=experts["province"])
    domain.save_scores(expert=experts["province"], assignment=assignment, scores={1: ("8", "好")})
    domain.unassign(actor=accounts["province"], assignment=assignment)
    assert not ExpertAssignment.objects.exists()
    event = AuditEvent.objects.get(action="expert.unassigned")
    assert event.before["scores"]["1"] == {"value": "8", "comment": "好"}


def test_assignment_page(accounts, experts, make_app, login, round_open):
    app = make_app("222403")
    client = login(accounts["province"])
    page = client.get(f"/experts/rounds/{round_open.pk}/assignments/").content.decode()
    assert app.number in page
    assert "须回避" in page and "同属延边朝鲜族自治州" in page  # the 延吉 expert shown, disabled, with the reason
    response = client.post(f"/experts/rounds/{round_open.pk}/assignments/",
                           {"action": "add", "application": app.pk, "expert": experts["yanji"].pk}, follow=True)
    assert "须回避" in response.content.decode()
    assert not ExpertAssignment.objects.exists()
    client.post(f"/experts/rounds/{round_open.pk}/assignments/",
                {"action": "add", "application": app.pk, "expert": experts["province"].pk})
    assert ExpertAssignment.objects.filter(application=app, expert=experts["province"]).exists()
    response = client.post(f"/experts/rounds/{round_open.pk}/assignments/",
                           {"action": "auto", "per_application": "3"}, follow=True)
    text = response.content.decode()
    assert "自动分配完成" in text
    assert ExpertAssignment.objects.filter(application=app).count() == 3
    assignment = ExpertAssignment.objects.filter(application=app).first()
    client.post(f"/experts/rounds/{round_open.pk}/assignments/", {"action": "remove", "assignment": assignment.pk})
    assert ExpertAssignment.objects.filter(application=app).count() == 2


def test_province_pages_are_for_province_admins(accounts, experts, round_open, login):
    for who in (accounts["tonghua"], experts["province"], accounts["dunhua"]):
        client = login(who)
        for url in ("/experts/admin/", f"/experts/rounds/{round_open.pk}/assignments/",
                    f"/experts/rounds/{round_open.pk}/results/", f"/experts/rounds/{round_open.pk}/rubric/"):
            assert client.get(url).status_code in (403, 404), (who, url)
    client = login(accounts["province"])
    assert client.get("/experts/admin/").status_code == 200
    assert client.get("/experts/").status_code == 403
