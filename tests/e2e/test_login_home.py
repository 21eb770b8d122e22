"""In a real Chromium: a county clerk and the province administrator log in and land on their home."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.django_db(transaction=True)
def test_county_applicant_sees_county_home(accounts, live_server, page):
    log_in(page, live_server, "dunhua")

    expect(page.get_by_test_id("home-title")).to_have_text("县级申报工作台")
    expect(page.get_by_test_id("whoami")).to_contain_text("敦化市")
    expect(page.get_by_role("link", name="账号管理")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_province_admin_sees_province_home_and_audit(accounts, live_server, page):
    log_in(page, live_server, "jl_admin")

    expect(page.get_by_test_id("home-title")).to_have_text("省厅管理工作台")
    page.get_by_test_id("navmenu-admin").get_by_text("管理", exact=True).click()
    page.get_by_role("link", name="审计日志").click()
    expect(page.get_by_test_id("audit-log")).to_contain_text("登录")


@pytest.mark.django_db(transaction=True)
def test_wrong_password_then_lockout_message(accounts, live_server, page):
    page.goto(f"{live_server.url}/login/")
    for _ in range(5):
        page.get_by_label("用户名").fill("dunhua")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()

    expect(page.get_by_test_id("lockout")).to_contain_text("锁定 15 分钟")
