"""The top bar's groups (issue 15 §8): 申报 / 审核 / 名录 / 复核 / 管理, by role; 复核 for province
staff and for units whose scope holds re-review tasks; one menu per group of several entries."""

import re

import pytest

from tests.rereview.test_rereview import dunhua_cluster, rr_round, task  # noqa: F401  (fixtures)


def top_bar(client, user) -> str:
    client.force_login(user)
    page = client.get("/").content.decode()
    return page[page.index('<nav class="mainnav"'):page.index("</nav>")]


def labels(bar: str) -> list[str]:
    """The bar's visible entries: menu titles and plain links, in order."""
    return re.findall(r'<summary[^>]*>([^<]+)</summary>|<a href="[^"]+" data-testid="nav-[^"]+"[^>]*>([^<]+)</a>', bar)


def entries(bar):
    return [a or b for a, b in labels(bar)]


def test_the_province_admin_sees_grouped_menus(accounts, client):
    bar = top_bar(client, accounts["province"])
    assert entries(bar) == ["首页", "申报", "审核", "名录", "复核", "管理"]
    for href in ("/applications/", "/rounds/", "/reviews/", "/registry/", "/criteria/", "/registry/rereview/",
                 "/registry/rereview/start/", "/orgs/", "/audit/"):
        assert f'href="{href}"' in bar, href
    assert 'data-testid="navmenu-admin"' in bar and 'data-testid="navmenu-rereview"' in bar


def test_counties_and_cities_see_rereview_only_with_tasks(accounts, client, dunhua_cluster, rr_round):  # noqa: F811
    assert "/registry/rereview/" not in top_bar(client, accounts["dunhua"])
    assert "/registry/rereview/" not in top_bar(client, accounts["yanbian"])


def test_a_unit_with_a_rereview_task_sees_the_entry(accounts, client, task):  # noqa: F811
    for who in ("dunhua", "yanbian"):
        bar = top_bar(client, accounts[who])
        assert 'href="/registry/rereview/"' in bar and ">复核<" in bar, who
        assert "/registry/rereview/start/" not in bar
    # Another county and city see no entry.
    assert "/registry/rereview/" not in top_bar(client, accounts["meihekou"])
    assert "/registry/rereview/" not in top_bar(client, accounts["tonghua"])


@pytest.mark.parametrize("who, expected", [
    ("dunhua", ["首页", "申报", "集群名录", "单位"]),
    ("yanbian", ["首页", "申报", "审核推荐", "名录", "管理"]),
    ("leader", ["首页", "申报", "审核推荐", "名录", "复核", "单位"]),
    ("expert", ["首页", "评审任务", "单位"]),
    ("sysadmin", ["首页", "申报批次", "名录", "复核", "管理"]),
])
def test_each_role_sees_a_short_bar(accounts, client, who, expected):
    assert entries(top_bar(client, accounts[who])) == expected
