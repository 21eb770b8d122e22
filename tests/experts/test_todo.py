"""An expert's to-do list counts the assignments still to score."""

import pytest


@pytest.mark.django_db
def test_expert_sees_assignments_to_score(accounts, experts, make_app, login):
    from clusterdesk.core.todo import todos_for
    from clusterdesk.experts.domain import assign

    for _ in range(2):
        assign(actor=accounts["province"], application=make_app("222403"), expert=experts["province"])
    assign(actor=accounts["province"], application=make_app("222403"), expert=experts["tonghua"])
    assert {t.kind: t.count for t in todos_for(experts["province"])} == {"score": 2}
    assert {t.kind: t.count for t in todos_for(experts["tonghua"])} == {"score": 1}
    assert {t.kind: t.count for t in todos_for(experts["yanji"])} == {"score": 0}
    page = login(experts["province"]).get("/todo/").content.decode()
    assert "待评分的申报" in page and 'data-testid="todo-count-score">2<' in page
