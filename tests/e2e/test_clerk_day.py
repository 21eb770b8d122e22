"""In a real Chromium at 1366×768: the to-do badge in a one-row top bar, the announcement on the
home page, and a batch initial review with "select all" (issue 15, items 11 and 13)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from tests.conftest import PDF
from tests.e2e.session import sign_in
from tests.reviews.conftest import submit_new  # noqa: F401  (the review chain's fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture
def formal_two(accounts, round_open, submit_new):  # noqa: F811
    from clusterdesk.reviews import domain

    apps = [submit_new("dunhua", "敦化市医药产业集群"), submit_new("yanji", "延吉市人参大健康产业集群")]
    for app in apps:
        domain.perform(actor=accounts["yanbian"], application=app, action="city_recommend", inputs={"national": False})
    domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    domain.submit_formal(actor=accounts["yanbian"], round_=round_open, confirm_final=True,
                         letter=SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf"))
    return apps


@pytest.mark.django_db(transaction=True)
def test_province_todo_badge_announcement_and_batch_pass(accounts, formal_two, live_server, browser):
    from clusterdesk.applications.models import Application
    from clusterdesk.notifications.announcements import publish

    publish(actor=accounts["province"], title="关于做好2025年度集群初审工作的通知", body="各市州：……")
    context, page = sign_in(browser, live_server, "jl_admin")
    try:
        # 2 applications to review + 2 lists to confirm: the badge, loaded after the page.
        expect(page.get_by_test_id("todo-badge")).to_have_text("4")
        header = page.locator("header.topbar").bounding_box()
        link = page.get_by_test_id("todo-link").bounding_box()
        brand = page.locator("header.topbar .brand").bounding_box()
        assert header["height"] < 2 * brand["height"] + 24, header  # one row
        assert abs((link["y"] + link["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 12
        expect(page.get_by_role("link", name="关于做好2025年度集群初审工作的通知")).to_be_visible()

        page.get_by_test_id("todo-link").click()
        expect(page.get_by_test_id("todo-count-review")).to_have_text("2")
        page.get_by_role("link", name="待省厅初审的申报").click()

        page.get_by_label("全选可初审的申报").check()
        expect(page.locator("input[name=pick]:checked")).to_have_count(2)
        page.get_by_label("批量初审通过").fill("材料齐全，同意")
        page.get_by_role("button", name="批量初审通过").click()
        expect(page.locator(".messages")).to_contain_text("已批量办理“初审通过”：2 个申报")
        assert {a.status for a in Application.objects.filter(pk__in=[a.pk for a in formal_two])} == {"initial_passed"}
    finally:
        context.close()
