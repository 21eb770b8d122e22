"""In a real Chromium at 1366×768: nothing typed is lost and every refusal is seen where it
happened (issue 15 items 2 and 3).

- the re-review form (附件3): indicator values typed and then a file uploaded before 保存 are
  still in the fields after a reload (the form autosaves; an upload waits for the save);
- a judgement without a reason: the error is in the viewport, under the reason box, and the
  chosen 结论 is still checked with the typed text kept;
- a failed Excel import on the application form: the error is in the viewport beside the import
  control, not at the top of the page;
- the annual report autosaves too: a value typed and never 保存'd is there after a reload.
"""

import pytest
from playwright.sync_api import expect

from clusterdesk.registry.models import AnnualReport
from clusterdesk.rereview import domain as rr
from clusterdesk.rereview.models import RereviewTask
from tests.conftest import PDF
from tests.e2e.session import sign_in
from tests.registry.conftest import seeded, yanji  # noqa: F401  (fixtures)
from tests.registry.test_reports import draft as report_draft  # noqa: F401  (fixture)
from tests.rereview.test_rereview import JUDGEMENT_RULES, forwarded_task, make_rereview_round, seed_registry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# 2022–2024: the three years the re-review asks for (15 values; invented figures)
TYPED = {
    2022: ("45", "33", "34", "85", "1.1"),
    2023: ("52", "38", "39", "90", "1.3"),
    2024: ("60", "43", "45", "96", "1.5"),
}
FIELDS = ("集群产值", "中小企业产值", "主导产业产值", "企业数量", "中小企业研发投入")


@pytest.fixture
def rr_setup(accounts, criteria_sets):
    seed_registry()
    round_ = make_rereview_round(accounts["province"])
    (task,) = rr.open_rereview(actor=accounts["province"], round_=round_)
    return task


def _below(upper, lower, within=160):
    """``lower`` starts under ``upper`` and close to it (beside it, not elsewhere on the page)."""
    a, b = upper.bounding_box(), lower.bounding_box()
    assert a and b
    assert a["y"] <= b["y"] <= a["y"] + a["height"] + within, (a, b)


def test_rereview_values_survive_an_upload_before_saving(accounts, rr_setup, live_server, browser, tmp_path):
    task = rr_setup
    evidence = tmp_path / "统计证明.pdf"
    evidence.write_bytes(PDF)
    context, page = sign_in(browser, live_server, "dunhua")
    page.goto(f"{live_server.url}/registry/rereview/tasks/{task.pk}/edit/")
    for year, values in TYPED.items():
        for label, value in zip(FIELDS, values):
            page.get_by_label(f"{year}年{label}", exact=True).fill(value)
    # no 保存: straight to an upload
    item = task.round.checklist.filter(required=True).order_by("order", "code").first()
    block = page.locator(f'[data-item="{item.code}"]')
    block.locator('input[type="file"]').set_input_files(str(evidence))
    block.get_by_role("button", name="上传").click()
    expect(page.locator(".messages")).to_contain_text("已上传")
    page.reload()
    for year, values in TYPED.items():
        for label, value in zip(FIELDS, values):
            expect(page.get_by_label(f"{year}年{label}", exact=True)).to_have_value(value)
    task.refresh_from_db()
    assert {r["year"] for r in task.data["indicators"]} >= {2022, 2023, 2024}
    context.close()


def test_a_judgement_without_reason_is_refused_beside_the_reason_box(accounts, rr_setup, live_server, browser):
    task = forwarded_task(rr_setup, accounts)
    context, page = sign_in(browser, live_server, "jl_admin")
    page.goto(f"{live_server.url}/registry/rereview/tasks/{task.pk}/decide/")
    for code in JUDGEMENT_RULES:
        page.locator(f'tr[data-rule="{code}"]').locator('input[value="pass"]').check()
    page.get_by_label("初审未通过（说明原因，报部）").check()
    page.get_by_label("实地抽查情况（可选，列入附件4）").fill("实地抽查2家企业")
    page.get_by_test_id("decide").click()
    error = page.get_by_test_id("error-reason")
    expect(error).to_contain_text("初审未通过必须说明原因")
    expect(error).to_be_in_viewport()
    reason = page.get_by_label("初审意见 / 未通过原因（未通过时必填）")
    _below(reason, error)
    expect(reason).to_be_focused()
    expect(page.get_by_label("初审未通过（说明原因，报部）")).to_be_checked()
    expect(page.get_by_label("实地抽查情况（可选，列入附件4）")).to_have_value("实地抽查2家企业")
    expect(page.locator(".alert-danger")).to_have_count(0)  # not (also) at the top
    assert RereviewTask.objects.get(pk=task.pk).status == task.status
    context.close()


def test_a_failed_excel_import_is_shown_beside_the_import_control(accounts, draft, live_server, browser, tmp_path):
    not_excel = tmp_path / "主要指标.xlsx"
    not_excel.write_bytes(PDF)
    context, page = sign_in(browser, live_server, "dunhua")
    page.goto(f"{live_server.url}/applications/{draft.pk}/edit/")
    page.get_by_test_id("xlsx-file").set_input_files(str(not_excel))
    page.get_by_role("button", name="导入").click()
    error = page.get_by_test_id("error-xlsx-import")
    expect(error).to_contain_text("没有导入")
    expect(error).to_contain_text("主要指标.xlsx")
    expect(error).to_be_in_viewport()
    _below(page.get_by_role("button", name="导入"), error)
    expect(page.locator(".messages")).to_have_count(0)
    context.close()


def test_the_annual_report_autosaves(accounts, report_draft, live_server, browser):
    context, page = sign_in(browser, live_server, "yanji")
    page.goto(f"{live_server.url}/registry/reports/{report_draft.pk}/")
    page.get_by_label("2026年集群产值").fill("60")
    page.get_by_label("2026年中小企业产值").fill("70")
    cell = page.locator('[data-input="ind_sme_output"]')
    expect(cell.locator(".error")).to_contain_text("不能大于集群产值")  # beside the box, while typing
    page.get_by_label("2026年中小企业产值").fill("45")
    expect(page.get_by_test_id("save-status")).to_contain_text("已保存")
    page.reload()
    expect(page.get_by_label("2026年中小企业产值")).to_have_value("45")
    assert AnnualReport.objects.get(pk=report_draft.pk).data["indicators"][0]["sme_output"] == "45"
    context.close()


def test_rereview_enterprise_table_shows_the_whole_code_and_name(accounts, rr_setup, live_server, browser):
    """Issue 15 §8 on the re-review form too: an 18-character credit code and a 14-character company
    name are not cut in their boxes, and the page does not scroll sideways at 1366 px."""
    context, page = sign_in(browser, live_server, "dunhua")
    page.goto(f"{live_server.url}/registry/rereview/tasks/{rr_setup.pk}/edit/")
    code, name = page.get_by_label("第1家企业统一社会信用代码"), page.get_by_label("第1家企业名称")
    code.fill("91222403MA0Y7QKX1C")
    name.fill("敦化市长白山医药股份有限公司")
    for box in (code, name):
        scroll, client = box.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll <= client, (scroll, client)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    context.close()
