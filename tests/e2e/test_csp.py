"""In a real Chromium: the main pages of every role run under the Content-Security-Policy without
a single violation (no inline script, handler or style slipped back in), and their scripts work."""

import pytest
from playwright.sync_api import expect

from clusterdesk.applications import domain as apps
from tests.conftest import PASSWORD, complete_body
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIOLATION_MARKERS = ("Content Security Policy", "Content-Security-Policy")


def watch(context):
    """Collect every CSP violation any page of the context reports (console and the DOM event)."""
    seen = []
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content-Security-Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )

    def on_page(page):
        page.on("console", lambda m: seen.append(f"{page.url}: {m.text}")
                if any(k in m.text for k in VIOLATION_MARKERS) else None)

    context.on("page", on_page)
    return seen


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")


def test_main_pages_have_no_csp_violations(accounts, round_open, upload_required, live_server, browser):
    base = live_server.url
    application = apps.create_application(actor=accounts["dunhua"], round_=round_open)
    apps.save_fields(actor=accounts["dunhua"], application=application, data=complete_body())
    upload_required(application)

    # The login page itself, before anyone signs in.
    context = browser.new_context(locale="zh-CN")
    seen = watch(context)
    page = context.new_page()
    visit(page, f"{base}/login/")
    page.get_by_label("用户名").fill("dunhua")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("home-title")).to_be_visible()
    context.close()

    # The county: home, list, the form with autosave, the evaluation (htmx), evidence, detail.
    context, page = sign_in(browser, live_server, "dunhua")
    seen_county = watch(context)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    for url in ("/", "/applications/", f"/applications/{application.pk}/evidence/"):
        visit(page, base + url)
    visit(page, f"{base}/applications/{application.pk}/edit/")
    page.get_by_label("运营主体").fill("敦化经济开发区管委会")
    expect(page.locator("#basic .save-status")).to_contain_text("已保存", timeout=10000)
    visit(page, f"{base}/applications/{application.pk}/")
    expect(page.locator("#criteria-report")).to_be_visible(timeout=10000)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("app-status")).to_have_text("已提交市州")
    context.close()

    # The city's review page and inbox.
    context, _ = sign_in(browser, live_server, "yanbian_city")
    seen_city = watch(context)
    page = context.new_page()
    for url in ("/", "/reviews/", f"/reviews/rounds/{round_open.pk}/lists/", f"/applications/{application.pk}/"):
        visit(page, base + url)
    expect(page.get_by_test_id("action-city_recommend")).to_be_visible()
    context.close()

    # The province: overview, national selection, rounds (with the new-round script), criteria, registry, accounts.
    context, _ = sign_in(browser, live_server, "jl_admin")
    seen_province = watch(context)
    page = context.new_page()
    for url in (f"/reviews/rounds/{round_open.pk}/overview/", f"/reviews/rounds/{round_open.pk}/selection/",
                f"/reviews/rounds/{round_open.pk}/publicity/", f"/rounds/{round_open.pk}/", "/criteria/",
                "/registry/dashboard/", "/registry/", "/orgs/", "/accounts/", f"/applications/{application.pk}/",
                "/api/v1/docs"):
        visit(page, base + url)
    visit(page, f"{base}/registry/overview/")  # the leader's dashboard with its server-drawn SVG charts
    visit(page, f"{base}/rounds/new/")
    page.get_by_label("年度").fill("2031")
    expect(page.get_by_label("批次名称")).to_have_value("2031年度中小企业特色产业集群申报推荐")
    context.close()

    assert seen + seen_county + seen_city + seen_province == []
