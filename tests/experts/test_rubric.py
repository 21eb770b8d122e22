"""The rubric is data: weights and maxima per aspect, per round, editable by the province."""

import pytest

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.experts import domain

from .conftest import full_scores


def _items(round_, **changes):
    items = {i.aspect: {"title": i.title, "weight": str(i.weight), "max_score": str(i.max_score)}
             for i in domain.rubric(round_)}
    for aspect, change in changes.items():
        items[int(aspect.removeprefix("a"))].update(change)
    return items


def test_weights_must_add_up_to_100(accounts, round_open):
    with pytest.raises(DomainError) as exc:
        domain.save_rubric(actor=accounts["province"], round_=round_open, items=_items(round_open, a1={"weight": "25"}))
    assert "权重合计应为 100，当前合计 105" in exc.value.message
    items = _items(round_open, a1={"weight": "25"}, a2={"weight": "10"})
    domain.save_rubric(actor=accounts["province"], round_=round_open, items=items)
    assert [int(i.weight) for i in domain.rubric(round_open)][:2] == [25, 10]
    assert AuditEvent.objects.filter(action="expert.rubric_changed", actor=accounts["province"]).count() == 1


def test_bad_values_name_the_aspect(accounts, round_open):
    with pytest.raises(DomainError) as exc:
        domain.save_rubric(actor=accounts["province"], round_=round_open,
                           items=_items(round_open, a4={"max_score": "0"}))
    assert exc.value.field == "items.4.max_score" and "第4方面的满分" in exc.value.message
    with pytest.raises(DomainError) as exc:
        domain.save_rubric(actor=accounts["province"], round_=round_open, items=_items(round_open, a3={"title": ""}))
    assert exc.value.field == "items.3.title"


def test_maximum_cannot_drop_below_a_given_score(accounts, experts, assigned, round_open):
    domain.save_scores(expert=experts["province"], assignment=assigned, scores=full_scores([9] * 8))
    with pytest.raises(DomainError) as exc:
        domain.save_rubric(actor=accounts["province"], round_=round_open,
                           items=_items(round_open, a5={"max_score": "8"}))
    assert "第5方面已有专家打出 9 分" in exc.value.message


def test_only_the_province_edits(accounts, round_open):
    with pytest.raises(NotAllowed):
        domain.save_rubric(actor=accounts["tonghua"], round_=round_open, items=_items(round_open))


def test_rubric_page(accounts, round_open, login):
    web = login(accounts["province"])
    url = f"/experts/rounds/{round_open.pk}/rubric/"
    page = web.get(url).content.decode()
    assert "具有较强核心竞争力" in page and "治理和服务能力较强" in page
    data = {}
    for i in domain.rubric(round_open):
        data |= {f"title_{i.aspect}": i.title, f"weight_{i.aspect}": str(i.weight), f"max_{i.aspect}": "10"}
    data["weight_8"] = "30"
    response = web.post(url, data)
    assert response.status_code == 200 and "权重合计应为 100，当前合计 120" in response.content.decode()
    data["weight_8"] = "10"
    data["max_3"] = "5"
    assert web.post(url, data).status_code == 302
    assert [str(i.max_score) for i in domain.rubric(round_open)][2] == "5.00"
