"""In a real Chromium at 1366×768 (issue 15 §6, §7): the city's review page shows the application's
content and the decision buttons side by side in the first viewport; the city returns with a
comment on the 2024 output; the county sees that comment beside the field in its form."""

import pytest
from playwright.sync_api import expect

from clusterdesk.applications import domain as apps
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def submitted(accounts, ready):
    apps.submit(actor=accounts["dunhua"], application=ready)
    ready.refresh_from_db()
    return ready


def in_first_viewport(locator, height=768) -> dict:
    box = locator.bounding_box()
    assert box is not None
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, box
    return box


def test_review_side_by_side_and_the_comment_beside_its_field(accounts, submitted, live_server, browser):
    context, page = sign_in(browser, live_server, "yanbian_city")
    page.goto(f"{live_server.url}/applications/{submitted.pk}/")

    # Content left, decisions right, both visible without scrolling.
    content = page.get_by_test_id("application-content")
    name = content.get_by_test_id("ro-name")
    expect(name).to_have_text("敦化市医药产业集群")
    recommend = page.get_by_test_id("action-city_recommend")
    back = page.get_by_test_id("action-city_return")
    name_box, button_box = in_first_viewport(name), in_first_viewport(recommend)
    in_first_viewport(back)
    assert button_box["x"] > name_box["x"] + 400  # beside, not above or below
    expect(page.get_by_test_id("summary-card")).to_be_hidden()  # wide screens: the content is beside
    assert page.evaluate("window.scrollY") == 0

    # The city returns with one comment on the 2024 output.
    back.click()
    form = page.locator('form[action$="/actions/city_return/"]')
    form.locator('textarea[name="comment"]').fill("请按逐项意见修改后重新提交")
    form.locator('select[name="fc_path"]').first.select_option("indicators.2024.total_output")
    form.locator('input[name="fc_text"]').first.fill("与统计局证明不一致，请核对")
    form.get_by_role("button", name="再加一项").click()
    expect(form.locator('select[name="fc_path"]')).to_have_count(4)
    form.get_by_role("button", name="确定退回修改").click()
    expect(page.get_by_test_id("app-status")).to_have_text("退回修改")
    context.close()

    # The county sees it on the field, and the general note in the banner.
    context, page = sign_in(browser, live_server, "dunhua")
    page.goto(f"{live_server.url}/applications/{submitted.pk}/edit/")
    expect(page.get_by_test_id("return-comments")).to_contain_text("请按逐项意见修改后重新提交")
    note = page.locator('[data-input="indicators-2024-total_output"] [data-testid="field-note"]')
    note.scroll_into_view_if_needed()
    expect(note).to_be_visible()
    expect(note).to_contain_text("与统计局证明不一致，请核对")
    field = page.locator('input[name="indicators-2024-total_output"]').bounding_box()
    box = note.bounding_box()
    assert abs(box["x"] - field["x"]) < 40 and 0 <= box["y"] - (field["y"] + field["height"]) < 40  # right under it
    context.close()
