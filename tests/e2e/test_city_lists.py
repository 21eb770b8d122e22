"""The city's list page after the formal recommendation shows what was sent, at which stage,
with each application's state (issue 15 §5), at 1366×768."""

import os
import re

import pytest
from playwright.sync_api import expect

from clusterdesk.applications import domain as apps
from clusterdesk.applications.models import Application
from clusterdesk.reviews import domain as reviews
from tests.conftest import PDF, complete_body
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ("敦化市医药产业集群", "敦化市林下经济产业集群")


@pytest.fixture
def name_list_sent(accounts, round_open, upload_required):
    """Two 延边州 applications recommended (one for the national track too) and the name list sent."""
    made = []
    for name, national in zip(NAMES, (True, False), strict=True):
        app = apps.create_application(actor=accounts["dunhua"], round_=round_open)
        apps.save_fields(actor=accounts["dunhua"], application=app, data={**complete_body(), "name": name})
        upload_required(app, accounts["dunhua"])
        apps.submit(actor=accounts["dunhua"], application=app)
        reviews.perform(actor=accounts["yanbian"], application=Application.objects.get(pk=app.pk),
                        action="city_recommend", inputs={"national": national})
        made.append(app)
    reviews.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    return made


def test_sent_lists_stay_visible_with_their_states(accounts, name_list_sent, live_server, browser, tmp_path):
    letter = tmp_path / "推荐函.pdf"
    letter.write_bytes(PDF)
    round_id = name_list_sent[0].round_id
    context, page = sign_in(browser, live_server, "yanbian_city")
    page.goto(f"{live_server.url}/reviews/rounds/{round_id}/lists/")
    # The shared file picker (issue 15 §9): a Chinese button and the chosen name, no native "Choose File".
    picker = page.locator(".file-pick")
    expect(picker.get_by_text("选择文件…")).to_be_visible()
    expect(picker.get_by_test_id("file-pick-name")).to_have_text("未选择文件")
    box = page.locator('input[name="letter"]').bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1  # the native control is not drawn
    page.locator('input[name="letter"]').set_input_files(str(letter))
    expect(picker.get_by_test_id("file-pick-name")).to_have_text("推荐函.pdf")
    page.locator("form").filter(has=picker).screenshot(
        path=os.environ.get("E2E_SHOTS", str(tmp_path)) + "/file_pick.png")
    page.get_by_label("确认名单中的申报为最终版本").check()
    page.get_by_test_id("submit-formal").click()
    expect(page.get_by_test_id("formal-status")).to_contain_text("推荐函.pdf")

    body = page.locator("body")
    expect(body).not_to_contain_text("还没有拟推荐的申报")
    sent = page.get_by_test_id("formal-sent")
    named = page.get_by_test_id("name-list-sent")
    for name in NAMES:
        expect(sent).to_contain_text(name)
        expect(named).to_contain_text(name)
    expect(sent.get_by_test_id("status").first).to_have_text("市州正式推荐")
    expect(page.get_by_text("名额：2 / 3")).to_be_visible()
    # Both stages say what was sent and when; every sent row is on screen with its state.
    expect(page.get_by_role("heading", name=re.compile("^阶段一：报送推荐名单"))).to_be_visible()
    expect(page.get_by_test_id("name-list-status")).to_contain_text("报送推荐名单（2 个）")
    expect(page.get_by_role("heading", name=re.compile("^阶段二：正式推荐"))).to_be_visible()
    expect(page.get_by_test_id("formal-status")).to_contain_text("正式推荐 2 个集群")
    for table in (named, sent):
        for name in NAMES:
            row = table.locator("tr", has_text=name)
            row.scroll_into_view_if_needed()
            expect(row).to_be_in_viewport()
            expect(row.get_by_test_id("status")).to_have_text("市州正式推荐")

    # The city's application list shows the same two, at the same stage.
    page.goto(f"{live_server.url}/applications/")
    for name in NAMES:
        expect(page.locator("tbody tr", has_text=name).get_by_test_id("status")).to_have_text("市州正式推荐")
    expect(page.locator("body")).not_to_contain_text("还没有申报")
    page.goto(f"{live_server.url}/reviews/rounds/{round_id}/lists/")

    # The province passes one: the city's page shows where it went, provincial and national track.
    reviews.perform(actor=accounts["province"], application=Application.objects.get(pk=name_list_sent[0].pk),
                    action="province_pass")
    page.reload()
    row = sent.locator("tr", has_text=NAMES[0])
    expect(row.get_by_test_id("status")).to_have_text("省厅初审通过")
    expect(row.get_by_test_id("national-status")).to_have_text("国家级候选")
    expect(row).to_be_visible()
    page.screenshot(path=os.environ.get("E2E_SHOTS", str(tmp_path)) + "/city_lists.png", full_page=True)
    context.close()
