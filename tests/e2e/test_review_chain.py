"""In a real Chromium: two applications from two cities go county → city → province →
publicity → national list → ministry outcome, every step through the pages."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from clusterdesk.applications import domain as apps
from tests.conftest import PDF, complete_body
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_ready(accounts, round_open, upload_required):
    """Two complete drafts with their evidence: 敦化市 (延边州) and 通化县 (通化市)."""
    made = {}
    for who, name in (("dunhua", "敦化市医药产业集群"), ("tonghua_county", "通化县葡萄酒产业集群")):
        app = apps.create_application(actor=accounts[who], round_=round_open)
        apps.save_fields(actor=accounts[who], application=app, data={**complete_body(), "name": name})
        upload_required(app, accounts[who])
        made[who] = app
    return made


def session(browser, live_server, username):
    return sign_in(browser, live_server, username)


def take(page, action, **fields):
    page.get_by_test_id(f"action-{action}").click()
    form = page.locator(f'form[action$="/actions/{action}/"]')
    for name, value in fields.items():
        if value is True:
            form.locator(f'input[name="{name}"]').check()
        else:
            form.locator(f'textarea[name="{name}"]').fill(value)
    form.get_by_role("button").click()


def test_two_cities_to_the_national_list(accounts, two_ready, live_server, browser, tmp_path):
    letter = tmp_path / "推荐函.pdf"
    letter.write_bytes(PDF)

    # Counties submit.
    for who, username in (("dunhua", "dunhua"), ("tonghua_county", "tonghuaxian")):
        context, page = session(browser, live_server, username)
        page.goto(f"{live_server.url}/applications/{two_ready[who].pk}/")
        page.get_by_test_id("submit").click()
        expect(page.get_by_test_id("app-status")).to_have_text("已提交市州")
        context.close()

    # Each city recommends (national too), sends its name list, then the formal recommendation.
    for who, username in (("dunhua", "yanbian_city"), ("tonghua_county", "tonghua_city")):
        context, page = session(browser, live_server, username)
        page.get_by_role("link", name="审核推荐").click()
        page.get_by_role("link", name=two_ready[who].number).click()
        expect(page.get_by_test_id("criteria-report")).to_contain_text("国家级中小企业特色产业集群认定标准")
        take(page, "city_recommend", national=True, comment="同意推荐")
        expect(page.get_by_test_id("app-status")).to_have_text("市州拟推荐")
        page.goto(f"{live_server.url}/reviews/rounds/{two_ready[who].round_id}/lists/")
        page.get_by_test_id("submit-name-list").click()
        expect(page.get_by_test_id("name-list-status")).to_contain_text("已于")
        page.locator('input[name="letter"]').set_input_files(str(letter))
        page.get_by_label("确认名单中的申报为最终版本").check()
        page.get_by_test_id("submit-formal").click()
        expect(page.get_by_test_id("formal-status")).to_contain_text("推荐函.pdf")
        context.close()

    # The province sees both, passes the initial review, and starts publicity.
    context, page = session(browser, live_server, "jl_admin")
    round_id = two_ready["dunhua"].round_id
    page.goto(f"{live_server.url}/reviews/rounds/{round_id}/overview/")
    expect(page.locator("body")).to_contain_text("延边朝鲜族自治州")
    for app in two_ready.values():
        page.goto(f"{live_server.url}/applications/{app.pk}/")
        take(page, "province_pass")
        expect(page.get_by_test_id("app-status")).to_have_text("省厅初审通过")
    page.goto(f"{live_server.url}/reviews/rounds/{round_id}/publicity/")
    page.get_by_test_id("propose-form").get_by_role("button", name="拟认定并开始公示").click()
    expect(page.get_by_test_id("batch")).to_contain_text("敦化市医药产业集群")
    context.close()

    # After the publicity period: recognise, select the national list, mark it sent, record the outcome.
    with time_machine.travel(timezone.now() + timedelta(days=12)):
        context, page = session(browser, live_server, "jl_admin")
        page.goto(f"{live_server.url}/reviews/rounds/{round_id}/publicity/")
        page.get_by_role("button", name="公示期满，认定").click()
        expect(page.get_by_test_id("batch")).to_contain_text("认定")
        page.goto(f"{live_server.url}/reviews/rounds/{round_id}/selection/")
        for name in ("敦化市医药产业集群", "通化县葡萄酒产业集群"):
            page.get_by_label(f"选择 {name}").check()
        expect(page.get_by_test_id("quota-counter")).to_contain_text("已选 2 / 8")
        page.get_by_role("button", name="保存国家级推荐名单").click()
        expect(page.get_by_test_id("current-picks")).to_contain_text("通化县葡萄酒产业集群")
        page.get_by_role("button", name="标记已报送工信部").click()
        page.goto(f"{live_server.url}/applications/{two_ready['dunhua'].pk}/")
        # Two tracks side by side: the provincial recognition stays, the national track moves.
        expect(page.get_by_test_id("app-status")).to_have_text("认定为省级集群")
        expect(page.get_by_test_id("app-national-status")).to_have_text("国家级推荐：已推荐至工信部")
        take(page, "ministry_recognized")
        expect(page.get_by_test_id("app-status")).to_have_text("认定为省级集群")
        expect(page.get_by_test_id("app-national-status")).to_have_text("国家级推荐：获认定国家级集群")
        expect(page.get_by_test_id("timeline")).to_contain_text("推荐为省级")
        expect(page.get_by_test_id("timeline")).to_contain_text("工信部认定为国家级")
        context.close()
