"""The to-do list (待办事项): counts per role match the data, the page and the top bar's badge."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import PDF


def counts(user):
    from clusterdesk.core.todo import todos_for

    return {t.kind: t.count for t in todos_for(user)}


@pytest.mark.django_db
def test_counts_per_role_follow_the_chain(accounts, round_open, submit_new, login):
    from clusterdesk.reviews import domain

    a1 = submit_new("dunhua", "敦化市医药产业集群")
    a2 = submit_new("dunhua", "敦化市林下经济产业集群")
    submit_new("tonghua_county", "通化县葡萄酒产业集群")
    assert counts(accounts["yanbian"])["review"] == 2
    assert counts(accounts["tonghua"])["review"] == 1
    assert counts(accounts["dunhua"])["fix"] == 0

    domain.perform(actor=accounts["yanbian"], application=a1, action="city_return",
                   inputs={"comment": "请补充2024年产值的佐证材料"})
    domain.perform(actor=accounts["yanbian"], application=a2, action="city_recommend", inputs={"national": False})
    assert counts(accounts["dunhua"])["fix"] == 1  # the county sees its returned application as "to fix"
    assert counts(accounts["yanji"])["fix"] == 0  # another county does not
    yanbian = counts(accounts["yanbian"])
    assert yanbian["review"] == 0 and yanbian["send"] == 1
    assert counts(accounts["province"]) == {"review": 0, "receive": 0, "rereview": 0}

    domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    domain.submit_formal(actor=accounts["yanbian"], round_=round_open, confirm_final=True,
                         letter=SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf"))
    assert counts(accounts["yanbian"])["send"] == 0
    province = counts(accounts["province"])
    assert province["review"] == 1 and province["receive"] == 2

    # The page lists each kind with its link, and the badge shows the total.
    client = login(accounts["province"])
    page = client.get("/todo/").content.decode()
    assert "待省厅初审的申报" in page and "待确认收到的市州名单" in page
    assert 'data-testid="todo-total">3<' in page
    badge = client.get("/todo/badge/").content.decode()
    assert 'data-testid="todo-badge" class="todo-badge todo-badge-on">3<' in badge
    client = login(accounts["dunhua"])
    assert "退回待修改的申报" in client.get("/todo/").content.decode()


@pytest.mark.django_db
def test_every_page_links_to_the_todo_list(accounts, round_open, login):
    for key in ("dunhua", "yanbian", "province", "expert", "leader"):
        page = login(accounts[key]).get("/").content.decode()
        assert 'data-testid="todo-link"' in page and 'hx-get="/todo/badge/"' in page, key
