"""In a real Chromium at 1366×768: the evidence page uploads and removes with htmx — a progress
bar while the bytes go up, then the file in the item's list without the page reloading; a
refused file's Chinese reason beside its input; a file chosen for another item survives."""

import pytest
from playwright.sync_api import expect

from tests.applications.test_evidence import ELF, pdf_bytes
from tests.e2e.session import sign_in
from tests.e2e.test_csp import watch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_evidence(browser, live_server, draft):
    context, _ = sign_in(browser, live_server, "dunhua")
    context.csp_violations = watch(context)  # swapped fragments must not trip the policy either
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/applications/{draft.pk}/evidence/")
    expect(page.get_by_role("heading", name="佐证材料（附件5）")).to_be_visible()
    page.evaluate("window.__sameDocument = 'still here'")  # gone if the page navigates
    return context, page


def still_same_document(page):
    assert page.evaluate("window.__sameDocument") == "still here"
    assert page.context.csp_violations == []


def test_upload_shows_progress_then_the_file_without_a_reload(accounts, draft, live_server, browser, tmp_path):
    big = tmp_path / "集群产值证明.pdf"
    big.write_bytes(pdf_bytes(6 * 1024 * 1024))  # 6 MB, sent at 2 MB/s: about three seconds of progress
    other = tmp_path / "营业执照.pdf"
    other.write_bytes(pdf_bytes())
    context, page = open_evidence(browser, live_server, draft)
    expect(page.get_by_test_id("evidence-summary")).to_contain_text("还有 5 项未上传")
    e02 = page.locator('[data-item="E02"]')
    e02.locator('input[type="file"]').set_input_files(str(other))  # chosen, not yet uploaded
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 2 * 1024 * 1024})

    item = page.locator('[data-item="E01"]')
    item.locator('input[type="file"]').set_input_files(str(big))
    item.get_by_role("button", name="上传").click()
    bar = item.locator(".upload-progress progress")
    expect(bar).to_be_visible()
    expect(item.get_by_role("button", name="上传")).to_be_disabled()  # no second send meanwhile
    expect(item.locator(".upload-progress-text")).to_contain_text("上传中", timeout=5000)
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-item=E01] .upload-progress progress').value;"
        " return v > 0 && v < 100; }", timeout=10_000)
    page.screenshot(path="/tmp/shots_e/evidence_uploading.png")

    expect(item.locator("[data-files]")).to_contain_text("集群产值证明.pdf", timeout=30_000)
    expect(item.get_by_test_id("evidence-upload-result")).to_contain_text("已上传“集群产值证明.pdf”（6.0 MB")
    expect(bar).to_be_hidden()
    expect(item.get_by_test_id("file-pick-name")).to_have_text("未选择文件（可多选）")  # the form was reset
    expect(page.get_by_test_id("evidence-summary")).to_contain_text("还有 4 项未上传")
    expect(e02.get_by_test_id("file-pick-name")).to_have_text("营业执照.pdf")  # the other choice survived
    assert e02.locator('input[type="file"]').evaluate("i => i.files.length") == 1
    still_same_document(page)
    page.screenshot(path="/tmp/shots_e/evidence_uploaded.png")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    # Removing asks first (hx-confirm, accepted by sign_in), then the list and summary change in place.
    item.get_by_role("button", name="删除").click()
    expect(item.locator("[data-files]")).to_contain_text("已删除“集群产值证明.pdf”")
    expect(item.locator("[data-files]")).to_contain_text("尚未上传（必须提供）")
    expect(page.get_by_test_id("evidence-summary")).to_contain_text("还有 5 项未上传")
    still_same_document(page)
    context.close()


def test_a_refused_file_says_why_beside_its_input(accounts, draft, live_server, browser, tmp_path):
    bad = tmp_path / "程序.pdf"
    bad.write_bytes(ELF)
    good = tmp_path / "产值证明.pdf"
    good.write_bytes(pdf_bytes())
    context, page = open_evidence(browser, live_server, draft)

    item = page.locator('[data-item="E01"]')
    item.locator('input[type="file"]').set_input_files([str(good), str(bad)])
    item.get_by_role("button", name="上传").click()

    result = item.get_by_test_id("evidence-upload-result")
    expect(result.get_by_role("alert")).to_contain_text("文件“程序.pdf”的内容是可执行程序")
    expect(result.get_by_role("status")).to_contain_text("已上传“产值证明.pdf”")
    expect(item.locator("[data-files]")).to_contain_text("产值证明.pdf")
    expect(item.locator("[data-files]")).not_to_contain_text("程序.pdf")
    expect(page.locator(".messages")).to_have_count(0)  # no reload with messages
    still_same_document(page)
    page.screenshot(path="/tmp/shots_e/evidence_refused.png")
    context.close()


def test_a_file_over_the_limit_is_refused_before_sending(accounts, draft, live_server, browser, tmp_path, settings):
    settings.MAX_UPLOAD_MB = 1
    big = tmp_path / "扫描件.pdf"
    big.write_bytes(pdf_bytes(2 * 1024 * 1024))
    context, page = open_evidence(browser, live_server, draft)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/evidence/upload/" in r.url else None)

    item = page.locator('[data-item="E01"]')
    item.locator('input[type="file"]').set_input_files(str(big))
    item.get_by_role("button", name="上传").click()

    expect(item.locator(".ev-result [role=alert]")).to_contain_text(
        "没有上传任何文件：“扫描件.pdf”大小为 2.0 MB，超过了单个文件 1 MB 的上限")
    assert sent == []
    still_same_document(page)
    context.close()


def test_an_upload_after_the_session_ended_says_so_beside_the_input(accounts, draft, live_server, browser, tmp_path):
    """The login redirect is not swapped into the page: the clerk is told to sign in again."""
    good = tmp_path / "产值证明.pdf"
    good.write_bytes(pdf_bytes())
    context, page = open_evidence(browser, live_server, draft)
    kept = [c for c in context.cookies() if c["name"] != "sessionid"]
    context.clear_cookies()
    context.add_cookies(kept)  # the CSRF cookie stays: only the session is gone

    item = page.locator('[data-item="E01"]')
    item.locator('input[type="file"]').set_input_files(str(good))
    item.get_by_role("button", name="上传").click()

    expect(item.locator(".ev-result [role=alert]")).to_have_text(
        "文件“产值证明.pdf”没有上传：登录已过期，请刷新页面重新登录后再试")
    expect(page.get_by_label("用户名")).to_have_count(0)  # no login form inside the page
    still_same_document(page)
    context.close()
