"""Conflict of interest: an expert never reviews an application of their own city or county,
nor one of a unit they declared."""

import pytest

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.experts import domain, rules
from clusterdesk.experts.models import ExpertAssignment


@pytest.mark.parametrize("who", ["yanbian", "yanji"])
def test_expert_of_the_same_city_is_refused_with_the_reason(accounts, experts, passed, who):
    """延边州 (the city above 敦化) and 延吉市 (a sibling county in 延边州) may not review 敦化."""
    with pytest.raises(Conflict) as exc:
        domain.assign(actor=accounts["province"], application=passed, expert=experts[who])
    assert exc.value.status == 409
    assert exc.value.field == "expert"
    assert "须回避" in exc.value.message
    assert ("上级单位" if who == "yanbian" else "同属延边朝鲜族自治州") in exc.value.message
    assert not ExpertAssignment.objects.exists()


def test_expert_of_the_applying_unit_is_refused(accounts, make_user, passed):
    local = make_user("expert_dh", "222403", "expert")
    reason = rules.conflict(local, passed)
    assert reason == "专家所在单位即申报单位“敦化市”，须回避"


@pytest.mark.parametrize("who", ["province", "changchun", "tonghua"])
def test_experts_elsewhere_may_review(accounts, experts, passed, who):
    assignment = domain.assign(actor=accounts["province"], application=passed, expert=experts[who])
    assert assignment.expert == experts[who]


def test_city_expert_and_a_self_recommending_county_of_that_city(accounts, experts, make_app, make_user):
    """梅河口 recommends itself to the province but lies in 通化市: still the expert's own city."""
    meihekou = make_app("220581")
    assert rules.conflict(experts["tonghua"], meihekou) == "专家所在单位“通化市”是申报单位“梅河口市”的上级单位，须回避"
    # and an expert at 梅河口 is in the same city as 通化县
    expert_mhk = make_user("expert_mhk", "220581", "expert")
    assert "同属通化市" in rules.conflict(expert_mhk, make_app("220521"))
    with pytest.raises(Conflict):
        domain.assign(actor=accounts["province"], application=meihekou, expert=experts["tonghua"])


def test_declared_conflict_is_refused(accounts, experts, jilin, passed):
    domain.declare_conflict(expert=experts["changchun"], org=jilin["222400"], reason="曾在延边州工信局任职")
    with pytest.raises(Conflict) as exc:
        domain.assign(actor=accounts["province"], application=passed, expert=experts["changchun"])
    assert "专家已申报回避“延边朝鲜族自治州”（原因：曾在延边州工信局任职）" in exc.value.message


def test_province_expert_declared_conflict_applies(accounts, experts, jilin, passed):
    domain.declare_conflict(expert=experts["province"], org=jilin["222403"], reason="亲属在集群运营主体任职")
    assert "亲属在集群运营主体任职" in rules.conflict(experts["province"], passed)


def test_declaring_a_conflict_hides_an_assigned_application(accounts, experts, jilin, passed, login):
    assignment = domain.assign(actor=accounts["province"], application=passed, expert=experts["changchun"])
    client = login(experts["changchun"])
    assert client.get(f"/experts/assignments/{assignment.pk}/").status_code == 200
    domain.declare_conflict(expert=experts["changchun"], org=jilin["222403"], reason="曾在敦化任职")
    assert client.get(f"/experts/assignments/{assignment.pk}/").status_code == 404
    assert client.get(f"/applications/{passed.pk}/").status_code == 404
    with pytest.raises(Conflict) as exc:
        domain.save_scores(expert=experts["changchun"], assignment=assignment, scores={1: ("5", "")})
    assert "须回避" in exc.value.message or "申报回避" in exc.value.message


def test_declare_conflict_input(experts, jilin):
    with pytest.raises(DomainError) as exc:
        domain.declare_conflict(expert=experts["changchun"], org=jilin["220000"], reason="x")
    assert exc.value.field == "org"
    with pytest.raises(DomainError) as exc:
        domain.declare_conflict(expert=experts["changchun"], org=jilin["220500"], reason="  ")
    assert exc.value.field == "reason" and "回避原因" in exc.value.message
    domain.declare_conflict(expert=experts["changchun"], org=jilin["220500"], reason="曾任职")
    with pytest.raises(Conflict):
        domain.declare_conflict(expert=experts["changchun"], org=jilin["220500"], reason="曾任职")


def test_only_experts_declare(accounts, jilin):
    with pytest.raises(NotAllowed):
        domain.declare_conflict(expert=accounts["province"], org=jilin["220500"], reason="x")


def test_conflict_page_for_experts(experts, login):
    from clusterdesk.audit.models import AuditEvent

    client = login(experts["changchun"])
    response = client.post("/experts/conflicts/", {"org": "222401", "reason": "曾在延吉市任职"})
    assert response.status_code == 302
    page = client.get("/experts/conflicts/").content.decode()
    assert "延吉市" in page and "曾在延吉市任职" in page
    assert AuditEvent.objects.filter(action="expert.conflict_declared", actor=experts["changchun"]).count() == 1
    response = client.post("/experts/conflicts/", {"org": "222401", "reason": ""})
    assert "请填写回避原因" in response.content.decode()
