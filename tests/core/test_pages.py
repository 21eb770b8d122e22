"""Home page per role, the org tree page, error pages, local assets."""

import pytest
from django.test import override_settings


@pytest.mark.parametrize(
    "who, title",
    [
        ("dunhua", "县级申报工作台"),
        ("tonghua", "市州审核工作台"),
        ("province", "省厅管理工作台"),
        ("expert", "专家评审工作台"),
        ("leader", "工作总览"),  # the province leader's home is the dashboard (issue 15 item 14)
        ("sysadmin", "系统管理"),
    ],
)
def test_home_title_per_role(accounts, client, who, title):
    client.force_login(accounts[who])

    assert f'data-testid="home-title">{title}<' in client.get("/").content.decode()


def test_home_province_shows_recent_audit_and_accounts(accounts, client):
    client.force_login(accounts["province"])

    body = client.get("/").content.decode()

    assert "最近操作" in body and "可管理的账号" in body and "直接向省推荐的单位" in body


def test_home_county_has_no_admin_panels(accounts, client):
    client.force_login(accounts["dunhua"])

    body = client.get("/").content.decode()

    assert "账号管理" not in body and "最近操作" not in body


def test_org_tree_page_is_scoped(accounts, client):
    client.force_login(accounts["tonghua"])

    body = client.get("/orgs/").content.decode()

    assert "通化县" in body and "梅河口市" not in body and "敦化市" not in body


def test_404_page_is_chinese(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@override_settings(DEBUG=False)
def test_500_page_is_chinese(db, client):
    from clusterdesk.core.views import error_500
    from django.test import RequestFactory

    response = error_500(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "系统出现错误" in response.content.decode()


def test_static_assets_served_by_app(db, client):
    css = client.get("/static/css/app.css")
    htmx = client.get("/static/django_htmx/htmx-2.min.js")

    assert css.status_code == 200
    assert htmx.status_code == 200


def test_base_template_loads_nothing_from_internet(accounts, client):
    client.force_login(accounts["dunhua"])

    body = client.get("/").content.decode()

    assert "http://" not in body and "https://" not in body
