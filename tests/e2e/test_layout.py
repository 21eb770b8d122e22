"""What a clerk sees at 1366×768 (issue 15, items 8 and 11): the full 18-character credit code and
a readable company name in the enterprise table; a top bar on one row for every role; the 待办
badge with its count on every page; the province's 通知公告 on every home page."""

import os
import re

import pytest
from playwright.sync_api import expect

from clusterdesk.applications import domain as apps
from tests.conftest import complete_body, make_uscc
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_NAMES = ("吉林敖东药业集团延吉股份有限公司", "敦化市金诚实业有限责任公司", "延边石岘白麓纸业股份有限公司")
NOTICE = "关于做好2025年度集群申报推荐工作的通知"


def shots(tmp_path):
    return os.environ.get("E2E_SHOTS", str(tmp_path))


def body_with_long_names():
    body = complete_body()
    for enterprise, name in zip(body["quality_enterprises"], LONG_NAMES, strict=True):
        enterprise["name"] = name
    return body


def clipped(locator) -> list[str]:
    """The elements (inputs or cells) whose text is wider than the box that shows it."""
    return locator.evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.value || e.textContent)")


@pytest.fixture
def world(accounts, round_open, upload_required):
    from clusterdesk.notifications.announcements import publish

    draft = apps.create_application(actor=accounts["dunhua"], round_=round_open)
    apps.save_fields(actor=accounts["dunhua"], application=draft, data=body_with_long_names())
    submitted = apps.create_application(actor=accounts["dunhua"], round_=round_open)
    apps.save_fields(actor=accounts["dunhua"], application=submitted, data={**body_with_long_names(), "name": "敦化市林下经济产业集群"})
    upload_required(submitted)
    apps.submit(actor=accounts["dunhua"], application=submitted)
    publish(actor=accounts["province"], title=NOTICE, body="各市州、县（市、区）工信部门：……")
    return {"draft": draft, "submitted": submitted}


def test_the_enterprise_table_shows_full_credit_codes_and_names(accounts, world, live_server, browser, tmp_path):
    context, page = sign_in(browser, live_server, "dunhua")
    page.goto(f"{live_server.url}/applications/{world['draft'].pk}/edit/")
    table = page.get_by_test_id("enterprises")
    codes = table.locator("input[name$='-uscc']")
    expect(codes).to_have_count(3)
    table.scroll_into_view_if_needed()
    for i in range(3):
        code = codes.nth(i)
        expect(code).to_have_value(make_uscc(i))
        expect(code).to_be_in_viewport()
    page.screenshot(path=shots(tmp_path) + "/enterprise_table.png")
    assert clipped(codes) == [], "a credit code is cut"
    assert clipped(table.locator("input[name$='-name']")) == [], "a company name is cut"
    # The table fits its card at 1366 px: nothing hidden to the right of the page.
    assert table.evaluate("t => t.getBoundingClientRect().right") <= page.locator("#enterprises").evaluate(
        "s => s.getBoundingClientRect().right")

    # A typed code stays whole too (the 18th character is not scrolled out of view).
    codes.nth(0).fill("91222403MA0000000X")
    assert clipped(codes) == []

    # The read-only view (what the city sees) does not cut the code either.
    page.goto(f"{live_server.url}/applications/{world['submitted'].pk}/")
    cells = page.locator("table", has_text="统一社会信用代码").locator("td.mono")
    expect(cells).to_have_count(3)
    expect(cells.first).to_have_text(make_uscc(0))
    assert clipped(cells) == []
    context.close()


def one_row(page) -> None:
    """Every entry of the top bar (brand, menus, links, 待办, 消息, the account) shares one row."""
    entries = page.locator("header.topbar .brand, .mainnav > a, .mainnav > details > summary, .whoami > a, .whoami > details > summary")
    boxes = [b for b in (entries.nth(i).bounding_box() for i in range(entries.count())) if b]
    assert len(boxes) >= 5
    middles = [b["y"] + b["height"] / 2 for b in boxes]
    assert max(middles) - min(middles) < 4, f"the top bar wraps: {boxes}"
    assert page.locator("header.topbar").bounding_box()["height"] < 60
    # Nothing runs off the right edge at 1366 px.
    assert max(b["x"] + b["width"] for b in boxes) <= 1366


ROLE_PAGES = {
    # username: (expected 待办 count, pages to visit)
    "dunhua": ("0", ("/", "/applications/", "/registry/", "/todo/", "/messages/")),
    "yanbian_city": ("1", ("/", "/applications/", "/reviews/", "/registry/", "/criteria/", "/todo/")),
    "jl_admin": ("0", ("/", "/applications/", "/reviews/", "/rounds/", "/registry/", "/registry/rereview/", "/audit/", "/orgs/")),
    "jl_leader": (None, ("/", "/applications/", "/registry/")),
    "expert_li": (None, ("/", "/todo/")),
    "sysadmin": (None, ("/", "/registry/", "/orgs/")),
}


@pytest.mark.parametrize("username", list(ROLE_PAGES))
def test_one_row_top_bar_todo_badge_and_notice_for_every_role(username, accounts, world, live_server, browser, tmp_path):
    count, urls = ROLE_PAGES[username]
    context, page = sign_in(browser, live_server, username)
    try:
        # The province's notice on the home page.
        expect(page.get_by_role("link", name=NOTICE)).to_be_visible()
        page.screenshot(path=f"{shots(tmp_path)}/topbar_{username}.png", clip={"x": 0, "y": 0, "width": 1366, "height": 120})
        for url in urls:
            page.goto(live_server.url + url)
            badge = page.get_by_test_id("todo-badge")
            expect(badge).to_be_in_viewport()
            expect(badge).to_have_text(count if count else re.compile(r"^\d+$"))
            expect(page.get_by_test_id("todo-link")).to_have_attribute("href", "/todo/")
            one_row(page)
        # The 待办 link leads to the list.
        page.get_by_test_id("todo-link").click()
        expect(page).to_have_url(re.compile(r"/todo/$"))
    finally:
        context.close()


def test_menus_open_with_the_keyboard_and_close_on_escape(accounts, world, live_server, browser):
    context, page = sign_in(browser, live_server, "jl_admin")
    try:
        menu = page.get_by_test_id("navmenu-admin")
        menu.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("link", name="审计日志")).to_be_visible()
        # One menu at a time.
        page.get_by_test_id("navmenu-rereview").locator("summary").click()
        expect(page.get_by_role("link", name="发起复核")).to_be_visible()
        expect(page.get_by_role("link", name="审计日志")).to_be_hidden()
        page.keyboard.press("Escape")
        expect(page.get_by_role("link", name="发起复核")).to_be_hidden()
        expect(page.get_by_test_id("navmenu-rereview").locator("summary")).to_be_focused()
        page.get_by_test_id("navmenu-rereview").locator("summary").press("Enter")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="复核任务")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/registry/rereview/$"))
        expect(page.get_by_test_id("navmenu-rereview").locator("summary")).to_have_attribute("aria-current", "page")
    finally:
        context.close()
