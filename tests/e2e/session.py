"""Signing in, for the browser tests: one context per person, as a user in China sees the site."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def sign_in(browser, live_server, username, *, height=768, accept_dialogs=True, **context_options):
    """A new browser context (zh-CN, Asia/Shanghai, 1366 px wide, downloads allowed) signed in
    as ``username``, on its home page. Confirmation dialogs are accepted unless told otherwise;
    ``context_options`` go to ``browser.new_context`` (e.g. ``bypass_csp=True`` to inject axe-core).
    Returns (context, page); the caller closes the context."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": height}, accept_downloads=True,
                                  **context_options)
    page = context.new_page()
    if accept_dialogs:
        page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("home-title")).to_be_visible()
    return context, page
