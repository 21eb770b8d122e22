"""In a real Chromium: 延边州's reviewer opens the electronic package page from its lists,
starts the build (the immediate task backend finishes it during the request), waits for the
download link and downloads the ZIP, which the test then opens."""

import csv
import hashlib
import io
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.session import sign_in
from tests.documents.test_package import YANBIAN_ZIP, make_formal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_city_downloads_its_package(accounts, round_open, live_server, browser, tmp_path):
    (app,) = make_formal(accounts, round_open, [("dunhua", "敦化市医药产业集群")],
                         extra={"敦化市医药产业集群": [("E03", "研发投入专项审计报告.pdf",
                                                         b"%PDF-1.4\n% rd\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")]})
    context, page = sign_in(browser, live_server, "yanbian_city")

    page.goto(f"{live_server.url}/reviews/rounds/{round_open.pk}/lists/")
    page.get_by_test_id("package-link").click()
    expect(page.get_by_role("heading", name="电子材料包")).to_be_visible()
    expect(page.get_by_test_id("package-facts")).to_contain_text("1 个")
    page.get_by_test_id("package-start").click()
    link = page.get_by_test_id("package-download")
    expect(link).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("package-jobs")).to_contain_text("已完成")

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == YANBIAN_ZIP
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    context.close()

    with zipfile.ZipFile(target) as z:
        assert z.testzip() is None
        names = z.namelist()
        folder = f"01-{app.number}-敦化市医药产业集群"
        assert names[:2] == [f"{folder}/附件1申报表.pdf", f"{folder}/附件1申报表.docx"]
        assert f"{folder}/佐证材料/E03-中小企业研发投入证明/研发投入专项审计报告.pdf" in names
        assert names[-2:] == ["清单.xlsx", "manifest.csv"]
        assert all(i.flag_bits & 0x800 for i in z.infolist() if not i.filename.isascii())
        for row in csv.DictReader(io.StringIO(z.read("manifest.csv").decode("utf-8-sig"))):
            data = z.read(row["path"])
            assert (len(data), hashlib.sha256(data).hexdigest()) == (int(row["size"]), row["sha256"])


def test_progress_is_polled_until_the_link_appears(accounts, round_open, live_server, browser, settings):
    """With the job left queued (dummy backend), htmx polls the job's row every 2 s (a
    server-rendered fragment); the test then runs the task itself and the link appears without
    a reload, after which the row stops polling."""
    from clusterdesk.documents.models import PackageJob
    from clusterdesk.documents.tasks import build_package

    make_formal(accounts, round_open, [("dunhua", "敦化市医药产业集群")])
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    context, page = sign_in(browser, live_server, "yanbian_city")
    page.goto(f"{live_server.url}/documents/rounds/{round_open.pk}/package/")
    page.get_by_test_id("package-start").click()
    expect(page.get_by_test_id("package-jobs")).to_contain_text("排队中")
    expect(page.get_by_test_id("package-download")).to_have_count(0)
    page.evaluate("window.__sameDocument = 'still here'")  # gone if the page reloads
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/status/" in r.url else None)
    job = PackageJob.objects.get()
    row = page.locator(f'[data-package-job="{job.pk}"]')
    expect(row).to_have_attribute("hx-trigger", "every 2s")
    page.wait_for_timeout(4500)
    assert len(polls) >= 2 and all(u.endswith(f"/documents/package/{job.pk}/status/") for u in polls)
    page.screenshot(path="/tmp/shots_e/package_queued.png")
    assert build_package.call(job.pk) == "done"
    expect(page.get_by_test_id("package-start")).to_have_text("查看生成进度")
    expect(page.get_by_test_id("package-download")).to_be_visible(timeout=10_000)
    expect(row.locator("progress")).to_have_attribute("value", "100")
    expect(row).not_to_have_attribute("hx-trigger", "every 2s")
    expect(page.get_by_test_id("package-start")).to_have_text("生成材料包")  # nothing running any more
    assert page.evaluate("window.__sameDocument") == "still here"
    page.screenshot(path="/tmp/shots_e/package_done.png")
    count = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == count  # polling stopped with the finished row
    context.close()


def test_a_failed_build_stops_polling_and_offers_to_build_again(accounts, round_open, live_server, browser, settings):
    """A queued job whose build fails: the polled row shows the reason and 重新生成, which starts a
    new build."""
    from clusterdesk.documents.models import PackageJob

    make_formal(accounts, round_open, [("dunhua", "敦化市医药产业集群")])
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    context, page = sign_in(browser, live_server, "yanbian_city")
    page.goto(f"{live_server.url}/documents/rounds/{round_open.pk}/package/")
    page.get_by_test_id("package-start").click()
    expect(page.get_by_test_id("package-jobs")).to_contain_text("排队中")
    job = PackageJob.objects.get()
    PackageJob.objects.filter(pk=job.pk).update(status="failed", error="测试：打包时磁盘出错，材料包未生成")

    expect(page.get_by_test_id("package-error")).to_have_text("测试：打包时磁盘出错，材料包未生成", timeout=10_000)
    expect(page.get_by_test_id("package-jobs").locator("progress")).to_be_hidden()
    expect(page.get_by_test_id("package-start")).to_have_text("生成材料包")
    page.screenshot(path="/tmp/shots_e/package_failed.png")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default", "mail"]}}
    page.get_by_test_id("package-retry").click()
    expect(page.get_by_test_id("package-download")).to_be_visible(timeout=60_000)
    assert PackageJob.objects.count() == 2
    context.close()


def test_download_of_a_package_whose_file_was_lost_names_it(accounts, round_open, live_server, browser):
    """A package prepared, then an evidence file lost from storage: the download link brings the
    reviewer back to the page with the file named, and the job is shown as failed."""
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    (app,) = make_formal(accounts, round_open, [("dunhua", "敦化市医药产业集群")])
    context, page = sign_in(browser, live_server, "yanbian_city")
    page.goto(f"{live_server.url}/documents/rounds/{round_open.pk}/package/")
    page.get_by_test_id("package-start").click()
    link = page.get_by_test_id("package-download")
    expect(link).to_be_visible(timeout=60_000)
    lost = EvidenceFile.objects.filter(application=app, item_code="E01").first()
    private_path(lost.stored_name).unlink()
    link.click()
    expect(page.get_by_role("heading", name="电子材料包")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(lost.original_name)
    expect(page.locator(".messages")).to_contain_text("请重新生成材料包")
    expect(page.get_by_test_id("package-jobs")).to_contain_text("失败")
    expect(page.get_by_test_id("package-jobs").locator("progress")).to_be_hidden()  # no full bar on a failure
    expect(page.get_by_test_id("package-download")).to_have_count(0)
    expect(page.get_by_test_id("package-retry")).to_be_visible()
    context.close()
