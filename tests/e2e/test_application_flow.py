"""In a real Chromium: a county clerk fills the 申报表 over two sessions, imports the Excel
template, uploads the evidence, sees what is missing, and submits."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import PDF, make_uscc
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(browser, live_server, username):
    return sign_in(browser, live_server, username, accept_dialogs=False)


def saved(page, section):
    expect(page.locator(f"#{section} .save-status")).to_contain_text("已保存", timeout=10000)


def test_county_clerk_fills_imports_uploads_and_submits(accounts, round_open, live_server, browser, tmp_path):
    # Session 1: create the application and fill the basics.
    context, page = log_in(browser, live_server, "dunhua")
    page.get_by_role("link", name="申报", exact=True).click()
    expect(page.get_by_test_id("countdown")).to_contain_text("还剩 30 天")
    page.get_by_role("button", name="新建申报").click()
    page.get_by_label("集群名称").fill("敦化市医药产业集群")
    page.get_by_label("主导产业（GB/T 4754-2017）").select_option("C27")
    page.get_by_label("细分领域").fill("中成药")
    page.get_by_label("集群面积（平方公里）").fill("85.5")
    page.get_by_label("运营主体").fill("敦化经济开发区管理委员会")
    saved(page, "basic")
    page.locator("#contacts").get_by_label("姓名").fill("张三")
    page.locator("#contacts").get_by_label("电话").fill("0433-6220000")
    saved(page, "contacts")
    # A contradiction is refused next to the field, and the typed value stays.
    page.get_by_label("2024年集群产值").fill("40")
    page.get_by_label("2024年中小企业产值").fill("41")
    expect(page.locator('[data-input="indicators-2024-sme_output"] .error')).to_contain_text("不能大于集群产值")
    expect(page.get_by_label("2024年中小企业产值")).to_have_value("41")
    page.get_by_label("2024年中小企业产值").fill("")
    saved(page, "indicators")
    edit_url = page.url
    context.close()

    # Session 2: everything saved is there; import the Excel template.
    context, page = log_in(browser, live_server, "dunhua")
    page.goto(edit_url)
    expect(page.get_by_label("集群名称")).to_have_value("敦化市医药产业集群")
    expect(page.locator("#contacts").get_by_label("姓名")).to_have_value("张三")
    with page.expect_download() as download:
        page.get_by_test_id("xlsx-template").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    book = load_workbook(template)
    sheet = book["主要指标"]
    for row in sheet.iter_rows():
        year = row[0].value
        if isinstance(year, int) and year in (2022, 2023, 2024):
            for cell, value in zip(row[1:6], [50 + year - 2022, 38, 40, 1.2, 90]):  # the web form's column order
                cell.value = value
    firms = book["优质企业"]
    header_row = next(r[0].row for r in firms.iter_rows() if r[1].value == "企业名称")
    for i in range(2):
        r = header_row + 1 + i
        firms.cell(r, 2, f"敦化示例药业{i}有限公司")
        firms.cell(r, 3, make_uscc(i))
        firms.cell(r, 4, "专精特新、高新")
        firms.cell(r, 5, 2023)
        firms.cell(r, 6, "是")
    book.save(template)
    page.get_by_test_id("xlsx-file").set_input_files(str(template))
    page.get_by_role("button", name="导入").click()
    expect(page.locator(".messages")).to_contain_text("导入")
    expect(page.get_by_label("2024年集群产值")).to_have_value("52")
    expect(page.get_by_test_id("enterprises").locator("tbody tr")).to_have_count(2)
    expect(page.locator('[data-computed="sme_share-2024"]')).to_have_text("73.1%")
    # A qualification's own award year in the future is refused beside that year's box.
    year_box = page.locator('input[name="quality_enterprises-0-qy_specialized"]')
    year_box.fill("2035")
    holder = page.locator('[data-input="quality_enterprises-0-qualification_years-specialized"]')
    expect(holder.locator(".error")).to_contain_text("获评年份", timeout=10000)
    expect(holder).to_have_class("qual has-error")
    expect(year_box).to_have_value("2035")
    year_box.fill("2023")
    saved(page, "enterprises")
    expect(holder.locator(".error")).to_have_count(0)

    for n in range(3, 9):
        page.locator(f"#f-aspect-{n}").fill(f"第{n}方面情况说明")
    saved(page, "aspects")
    page.get_by_label("是，未发生上述情形（须上传信用承诺书）").check()
    saved(page, "declaration")
    plan = page.locator("#plan")
    plan.get_by_label("目标名称").fill("集群产值")
    plan.get_by_label("单位", exact=True).fill("亿元")
    plan.get_by_label("目标值").fill("80")
    plan.get_by_label("目标年份").fill("2027")
    saved(page, "plan")

    # What is missing: only the evidence.
    page.get_by_role("link", name="检查并提交").click()
    expect(page.get_by_test_id("readiness")).to_contain_text("佐证材料：请上传“统计部门出具的集群产值证明”")
    expect(page.get_by_test_id("submit")).to_be_disabled()

    # Upload the required evidence.
    page.get_by_role("link", name="佐证材料").first.click()
    pdf = tmp_path / "产值证明.pdf"
    pdf.write_bytes(PDF)
    for code in ["E01", "E02", "E09", "E11", "E12"]:
        item = page.locator(f'[data-item="{code}"]')
        item.locator('input[type="file"]').set_input_files(str(pdf))
        item.get_by_role("button", name="上传").click()
        expect(item.locator("[data-files]")).to_contain_text("产值证明.pdf", timeout=10000)
    expect(page.get_by_test_id("evidence-summary")).to_contain_text("均已上传")

    # Submit (a double click does no harm).
    page.get_by_role("link", name="返回申报").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("app-status")).to_have_text("已提交市州")
    expect(page.locator(".messages")).to_contain_text("第 1 版")
    expect(page.get_by_role("link", name="第 1 版")).to_be_visible()
    context.close()
