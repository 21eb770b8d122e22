"""Accessibility (issue 15): axe-core, vendored under tests/e2e/vendor/ and injected into each page
(never fetched from the internet, never served by the app; the test's browser context bypasses the
Content-Security-Policy only so that this one script can be added — tests/e2e/test_csp.py checks the policy), checks the main pages of every role in
Chromium at 1366×768; a ``serious`` or ``critical`` violation fails the test, listed by page, rule
and element."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from clusterdesk.applications import domain as apps
from tests.conftest import complete_body
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """Run axe on the page as shown (WCAG 2.x A/AA and best practices) and return its violations."""
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary.split("\\n").slice(0, 2).join(" "))}));
    }""")


def check(page, url, found, *, then=None):
    response = page.goto(url)
    assert response.status == 200, url
    if then:
        then(page)
        url += " (" + then.__doc__ + ")"
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    if blocking:
        found[url] = blocking


@pytest.fixture
def world(accounts, round_open, upload_required):
    """A complete application of 敦化, submitted to the city, and a draft of 延吉."""
    submitted = apps.create_application(actor=accounts["dunhua"], round_=round_open)
    apps.save_fields(actor=accounts["dunhua"], application=submitted, data=complete_body())
    upload_required(submitted)
    apps.submit(actor=accounts["dunhua"], application=submitted)
    draft = apps.create_application(actor=accounts["dunhua"], round_=round_open)
    apps.save_fields(actor=accounts["dunhua"], application=draft, data=complete_body())
    return {"submitted": submitted, "draft": draft}


def open_admin_menu(page):
    """管理 menu open"""
    page.get_by_test_id("navmenu-admin").locator("summary").click()
    expect(page.get_by_role("link", name="审计日志")).to_be_visible()


COMMON = ("/", "/applications/", "/todo/", "/registry/", "/registry/rereview/")


def test_main_pages_have_no_serious_accessibility_violations(accounts, world, live_server, browser):
    base = live_server.url
    found = {}

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, bypass_csp=True)
    page = context.new_page()
    check(page, f"{base}/login/", found)
    context.close()

    pages = {
        "dunhua": (*COMMON, f"/applications/{world['draft'].pk}/edit/", f"/applications/{world['submitted'].pk}/"),
        "yanbian_city": (*COMMON, "/reviews/", f"/applications/{world['submitted'].pk}/"),
        "jl_admin": (*COMMON, "/reviews/"),
        "jl_leader": ("/", "/applications/", "/registry/", "/registry/rereview/"),
        "expert_li": ("/", "/todo/"),
        "sysadmin": ("/", "/registry/"),
    }
    for username, urls in pages.items():
        context, page = sign_in(browser, live_server, username, bypass_csp=True)
        for url in urls:
            check(page, base + url, found)
        if username == "jl_admin":
            check(page, base + "/", found, then=open_admin_menu)
        if username == "yanbian_city":  # the review page shows the decision buttons
            page.goto(f"{base}/applications/{world['submitted'].pk}/")
            expect(page.get_by_test_id("action-city_recommend")).to_be_visible()
        context.close()

    assert not found, "serious or critical accessibility violations:\n" + json.dumps(found, ensure_ascii=False, indent=1)
