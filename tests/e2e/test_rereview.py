"""In a real Chromium: the re-review (复核) of 敦化市医药产业集群 (national) — county → city (returns
once, the county resubmits) → province's initial review (初审通过（报部）) → report to MIIT → MIIT's
pass (validity to 2028-12-31); a failing initial review whose reason appears in the downloaded 附件4;
a missed deadline of a provincial cluster that ends in revocation; and the province starting a
re-review from the navigation. Figures are invented (the real ones are not public)."""

import io
from datetime import timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import expect

from clusterdesk.rereview import domain as rr
from clusterdesk.rereview.models import RereviewStatus, RereviewTask
from tests.conftest import PDF, make_uscc
from tests.e2e.session import sign_in
from tests.rereview.test_rereview import (
    FAIL_REASON,
    JUDGEMENT_RULES,
    forwarded_task,
    make_provincial_due,
    make_rereview_round,
    seed_registry,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(accounts, criteria_sets):
    cluster = seed_registry()
    round_ = make_rereview_round(accounts["province"])
    return cluster, round_


def session(browser, live_server, username):
    return sign_in(browser, live_server, username, height=900)


INDICATORS = {
    2021: ("40", "29", "30", "80", "1.0"),
    2022: ("45", "33", "34", "85", "1.1"),
    2023: ("52", "38", "39", "90", "1.3"),
    2024: ("60", "43", "45", "96", "1.5"),
}
FIELDS = ("集群产值", "中小企业产值", "主导产业产值", "企业数量", "中小企业研发投入")


def test_full_rereview_of_dunhua_passes_and_extends_validity(accounts, setup, live_server, browser, tmp_path):
    cluster, round_ = setup
    evidence = tmp_path / "证明材料.pdf"
    evidence.write_bytes(PDF)

    # The province opens the re-review: 敦化 (valid to 2025) is due.
    context, page = session(browser, live_server, "jl_admin")
    page.goto(f"{live_server.url}/registry/rereview/rounds/{round_.pk}/")
    expect(page.get_by_test_id("due-clusters")).to_contain_text("敦化市医药产业集群")
    expect(page.get_by_test_id("due-clusters")).not_to_contain_text("延吉市人参大健康产业集群")
    page.get_by_test_id("open-rereview").click()
    expect(page.get_by_test_id("rereview-tasks")).to_contain_text("敦化市医药产业集群")
    context.close()
    task = RereviewTask.objects.get(round=round_, cluster=cluster)

    # The county fills 附件3 and uploads the evidence, then submits.
    context, page = session(browser, live_server, "dunhua")
    page.get_by_role("link", name="“敦化市医药产业集群”复核申报", exact=True).click()
    page.get_by_test_id("edit-link").click()
    page.get_by_label("第1项目标名称").fill("集群产值")
    page.get_by_label("第1项目标单位").fill("亿元")
    page.get_by_label("第1项目标基期值").fill("45")
    page.get_by_label("第1项目标目标值").fill("60")
    page.get_by_label("第1项目标年份").fill("2025")
    page.get_by_label("第1项目标实际完成值").fill("62")
    for year, values in INDICATORS.items():
        for label, value in zip(FIELDS, values):
            page.get_by_label(f"{year}年{label}", exact=True).fill(value)
    page.get_by_label("集群面积（平方公里）").fill("85.5")
    page.get_by_label("第1家企业名称").fill("敦化示例药业有限公司")
    page.get_by_label("第1家企业统一社会信用代码").fill(make_uscc(1))
    page.get_by_label("第1家企业专精特新“小巨人”").check()
    page.get_by_label("第1家企业获评年份").fill("2023")
    page.get_by_label("第1家企业属于主导产业").check()
    for key in rr.CHANGE_KINDS:
        page.locator(f'input[name="ch-{key}-changed"][value="no"]').check()
    page.locator('input[name="negative_list_clear"][value="yes"]').check()
    page.get_by_label("对照认定标准和发展规划的自评").fill("三年来集群产值由45亿元增至60亿元，发展规划目标完成（演示数据）。")
    page.get_by_test_id("save").click()  # autosaved anyway; the button saves at once
    expect(page.get_by_test_id("save-status")).to_contain_text("已保存")
    page.reload()
    expect(page.get_by_test_id("targets-form")).to_contain_text("103.3%")  # computed, never typed
    for item in round_.checklist.filter(required=True):
        block = page.locator(f'[data-item="{item.code}"]')
        block.locator('input[type="file"]').set_input_files(str(evidence))
        block.get_by_role("button", name="上传").click()
        expect(page.locator(".messages")).to_contain_text("已上传")
    page.get_by_test_id("to-task").click()
    expect(page.get_by_test_id("missing")).to_have_count(0)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("已提交市州")
    context.close()

    # The city (延边州) returns it once with a comment; the county sees it and resubmits.
    context, page = session(browser, live_server, "yanbian_city")
    page.get_by_role("link", name="“敦化市医药产业集群”复核申报待报送省厅", exact=True).click()
    page.get_by_label("市（州）审核意见 / 退回意见").fill("请在自评中说明单位产值能耗目标未完成的原因")
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("市州退回修改")
    context.close()
    context, page = session(browser, live_server, "dunhua")
    page.goto(f"{live_server.url}/registry/rereview/tasks/{task.pk}/")
    expect(page.get_by_test_id("returned-alert")).to_contain_text("单位产值能耗目标未完成的原因")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("已提交市州")
    context.close()

    # The city forwards with its opinion.
    context, page = session(browser, live_server, "yanbian_city")
    page.get_by_role("link", name="“敦化市医药产业集群”复核申报待报送省厅", exact=True).click()
    expect(page.get_by_test_id("targets")).to_contain_text("113.3%")
    page.get_by_label("市（州）审核意见 / 退回意见").fill("")
    page.get_by_label("市（州）审核意见 / 退回意见").fill("经审核，目标完成情况属实，同意报送")
    page.get_by_test_id("forward").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("市州已报送省厅")
    context.close()

    # The province checks each criterion against the new data: 初审通过（报部）; validity unchanged.
    context, page = session(browser, live_server, "jl_admin")
    page.goto(f"{live_server.url}/registry/rereview/tasks/{task.pk}/")
    page.get_by_test_id("decide-link").click()
    expect(page.get_by_test_id("engine-output_each_year")).to_have_text("符合")
    expect(page.get_by_test_id("engine-growth")).to_have_text("符合")
    expect(page.get_by_test_id("engine-quality_firms")).to_have_text("符合")
    for code in JUDGEMENT_RULES:
        expect(page.get_by_test_id(f"engine-{code}")).to_have_text("待评审判断")
        page.locator(f'tr[data-rule="{code}"]').locator('input[value="pass"]').check()
    page.get_by_label("初审通过（报部）").check()
    page.get_by_label("初审意见 / 未通过原因（未通过时必填）").fill("目标完成，各项指标符合认定标准")
    page.get_by_test_id("decide").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("初审通过（待报部）")
    expect(page.get_by_test_id("valid-until")).to_have_text("2025-12-31")
    # Reported to MIIT on a date, then MIIT's outcome: only that extends validity.
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    page.get_by_label("报部日期").fill(today)
    page.get_by_test_id("report").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("已报工信部")
    expect(page.get_by_test_id("valid-until")).to_have_text("2025-12-31")
    page.get_by_label("复核通过（认定有效期延长三年）").check()
    page.get_by_label("工信部文件文号").fill("工信厅企业函〔2025〕300号")
    page.get_by_label("结论日期").fill(today)
    page.get_by_test_id("ministry").click()
    expect(page.get_by_test_id("ministry-alert")).to_contain_text("工信厅企业函〔2025〕300号")
    expect(page.get_by_test_id("valid-until")).to_have_text("2028-12-31")
    expect(page.get_by_test_id("rereview-status")).to_have_text("复核通过")
    expect(page.get_by_test_id("rereview-events")).to_contain_text("工信部复核通过")
    with page.expect_download() as download:
        page.get_by_test_id("attachment3-docx").click()
    assert download.value.suggested_filename.endswith(".docx")
    context.close()

    cluster.refresh_from_db()
    assert str(cluster.valid_until) == "2028-12-31"
    task.refresh_from_db()
    assert task.status == RereviewStatus.PASSED and task.criteria_report["verdict"] == "pass"


def test_failing_rereview_reason_appears_in_attachment4(accounts, setup, live_server, browser):
    cluster, round_ = setup
    (task,) = rr.open_rereview(actor=accounts["province"], round_=round_)
    forwarded_task(task, accounts)

    context, page = session(browser, live_server, "jl_admin")
    page.goto(f"{live_server.url}/registry/rereview/tasks/{task.pk}/decide/")
    for code in JUDGEMENT_RULES:
        page.locator(f'tr[data-rule="{code}"]').locator('input[value="pass"]').check()
    page.get_by_label("初审未通过（说明原因，报部）").check()
    page.get_by_test_id("decide").click()
    expect(page.get_by_test_id("error-reason")).to_contain_text("初审未通过必须说明原因")
    expect(page.get_by_test_id("error-reason")).to_be_in_viewport()
    expect(page.get_by_label("初审未通过（说明原因，报部）")).to_be_checked()  # the choice is kept
    page.get_by_label("实地抽查情况（可选，列入附件4）").fill("实地抽查2家企业，产值与统计部门数据一致")
    page.get_by_label("初审意见 / 未通过原因（未通过时必填）").fill(FAIL_REASON)
    page.get_by_test_id("decide").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("初审未通过（待报部）")

    page.goto(f"{live_server.url}/registry/rereview/rounds/{round_.pk}/")
    expect(page.get_by_test_id("ministry-list")).to_contain_text(FAIL_REASON)
    expect(page.get_by_test_id("revocation-list")).not_to_contain_text("敦化市医药产业集群")  # MIIT decides
    with page.expect_download() as download:
        page.get_by_test_id("attachment4").click()
    ws = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[2]
    line = next(r for r in rows if r[1] == "敦化市医药产业集群")
    assert line[header.index("初审结果")] == "初审未通过"
    assert line[header.index("未通过原因")] == FAIL_REASON
    assert line[header.index("实地抽查情况")] == "实地抽查2家企业，产值与统计部门数据一致"

    # Reported with its reason; MIIT fails it: revoked, the ministry's document in the reason.
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    page.goto(f"{live_server.url}/registry/rereview/tasks/{task.pk}/")
    page.get_by_label("报部日期").fill(today)
    page.get_by_test_id("report").click()
    page.get_by_label("复核不通过（撤销认定）").check()
    page.get_by_label("工信部文件文号").fill("工信厅企业函〔2025〕300号")
    page.get_by_label("结论日期").fill(today)
    page.get_by_test_id("ministry").click()
    expect(page.get_by_test_id("error-m-note")).to_contain_text("须填写说明")
    expect(page.get_by_test_id("error-m-note")).to_be_in_viewport()
    expect(page.get_by_label("复核不通过（撤销认定）")).to_be_checked()
    expect(page.get_by_label("工信部文件文号")).to_have_value("工信厅企业函〔2025〕300号")
    page.get_by_label("说明（不通过时必填：工信部的不通过原因）").fill("三年发展规划目标未完成")
    page.get_by_test_id("ministry").click()
    expect(page.get_by_test_id("rereview-status")).to_have_text("已撤销认定")
    context.close()
    cluster.refresh_from_db()
    assert cluster.status == "revoked"


def test_missed_deadline_leads_to_revocation(accounts, setup, live_server, browser):
    _, round_ = setup
    cluster = make_provincial_due()  # a provincial cluster: the province revokes
    rr.open_rereview(actor=accounts["province"], round_=round_)
    task = RereviewTask.objects.get(cluster=cluster)
    deadline = rr.closes_at(round_, rr.STAGE, task.org)
    with time_machine.travel(deadline + timedelta(hours=2)):
        # The county tries to submit after the deadline: refused, and the task is marked missed.
        context, page = session(browser, live_server, "yanji")
        page.goto(f"{live_server.url}/registry/rereview/tasks/{task.pk}/")
        page.get_by_test_id("submit").click()
        expect(page.locator(".messages")).to_contain_text("逾期不予受理")
        expect(page.get_by_test_id("missed-alert")).to_be_visible()
        context.close()

        context, page = session(browser, live_server, "jl_admin")
        page.goto(f"{live_server.url}/registry/rereview/rounds/{round_.pk}/")
        entry = page.get_by_test_id("revocation-entry")
        expect(entry).to_contain_text("延边州延吉市人参大健康产业集群")
        expect(entry).to_contain_text("逾期未提交复核申报材料")
        page.get_by_test_id("confirm-revocation").click()
        expect(page.locator(".messages")).to_contain_text("已确认撤销")
        context.close()
    cluster.refresh_from_db()
    task.refresh_from_db()
    assert cluster.status == "revoked" and task.status == RereviewStatus.REVOKED


def test_province_starts_a_rereview_from_the_navigation(accounts, criteria_sets, live_server, browser):
    """1366×768: the top bar stays on one line; 复核 ▸ 发起复核 opens the page with the year and
    the re-review's own deadline; starting it creates the round and opens 敦化's task."""
    from datetime import timedelta
    from pathlib import Path

    from django.utils import timezone

    from clusterdesk.rounds.models import Round

    seed_registry()
    context, page = sign_in(browser, live_server, "jl_admin", height=768)
    bar = page.locator("header.topbar")
    brand, whoami = page.locator(".brand").bounding_box(), page.get_by_test_id("account-menu").bounding_box()
    assert abs(brand["y"] - whoami["y"]) < 12, "the top bar wraps at 1366 px"
    assert bar.bounding_box()["height"] < 60

    page.get_by_test_id("navmenu-rereview").locator("summary").click()
    page.get_by_role("link", name="发起复核", exact=True).click()
    expect(page.get_by_test_id("start-title")).to_have_text("发起复核")
    page.get_by_label("复核年度").fill("2025")
    deadline = timezone.localdate() + timedelta(days=25)
    page.get_by_label("复核申报截止日期").fill(deadline.isoformat())
    Path("/tmp/shots").mkdir(exist_ok=True)
    page.goto(f"{live_server.url}/registry/rereview/start/?year=2025")
    page.get_by_label("复核申报截止日期").fill(deadline.isoformat())
    expect(page.get_by_test_id("start-due")).to_contain_text("敦化市医药产业集群")
    page.screenshot(path="/tmp/shots/rereview_start_1366x768.png")
    page.get_by_label("复核申报截止日期").fill("")
    page.get_by_test_id("start-rereview").click()
    expect(page.get_by_test_id("error-rereview_deadline")).to_contain_text("请填写复核申报截止日期")
    expect(page.get_by_test_id("error-rereview_deadline")).to_be_in_viewport()
    page.get_by_label("复核申报截止日期").fill(deadline.isoformat())
    page.get_by_test_id("start-rereview").click()
    expect(page.locator(".messages")).to_contain_text("已发起2025年集群复核：新建 1 个复核任务")
    expect(page.get_by_test_id("rereview-tasks")).to_contain_text("敦化市医药产业集群")
    expect(page.get_by_test_id("rereview-deadline")).to_contain_text(f"{deadline.year}年{deadline.month}月{deadline.day}日")
    page.screenshot(path="/tmp/shots/rereview_round_after_start_1366x768.png")
    context.close()
    round_ = Round.objects.get(year=2025)
    assert round_.stages.get(code="rereview_submission").deadline == deadline
    assert RereviewTask.objects.filter(round=round_).count() == 1
