"""Re-review (复核): opening, the 附件3 form, deadlines, the city's forwarding, the province's
per-criterion decision, revocation, and the documents (附件3 Word/PDF, 附件4 .xlsx).

敦化市医药产业集群 is a national cluster (2022 batch, valid to 2025): the province only does the
initial review and MIIT decides (tests/rereview/test_national.py). The provincial path — the
province decides — uses 延边州延吉市人参大健康产业集群 made due in 2025 (``prov_task``).
The figures are invented (the real ones are not public)."""

import io
import subprocess
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.rereview import domain as rr
from clusterdesk.rereview.models import RereviewCheck, RereviewStatus, RereviewTask
from tests.conftest import PDF, make_uscc

JUDGEMENT_RULES = ["pillar_industry", "niche_leadership", "supply_chain", "innovation", "digital", "green",
                   "opening_up", "governance"]
FAIL_REASON = "近三年集群产值年均增速未达到10%，三年发展规划中的产值目标未完成"


# --- helpers (also used by the browser tests) -----------------------------------------------------

def seed_registry():
    """The known clusters through the registry's seed command; returns 敦化市医药产业集群."""
    from clusterdesk.registry.models import Cluster

    call_command("load_registry_seed", stdout=io.StringIO())
    return Cluster.objects.get(name="敦化市医药产业集群")


def make_rereview_round(actor, days: int = 20):
    """A 2025 round (open) with every stage, the re-review closing ``days`` from today."""
    from clusterdesk.rounds.domain import create_round

    today = timezone.localdate()
    return create_round(
        actor=actor, name="2025年度中小企业特色产业集群申报推荐及复核", year=2025, status="open",
        criteria_sets=[{"code": "national-2022", "version": 1}, {"code": "jilin-provincial-2024", "version": 1}],
        deadlines={
            "county_submission": today + timedelta(days=30),
            "name_list": today + timedelta(days=40),
            "formal_submission": today + timedelta(days=60),
            "national_recommendation": today + timedelta(days=90),
            "rereview_submission": today + timedelta(days=days),
        },
    )


def rereview_body() -> dict:
    """A complete 附件3 body that meets the national criteria (invented figures)."""
    return {
        "plan_targets": [
            {"name": "集群产值", "unit": "亿元", "baseline": "45", "target": "60", "year": 2025, "achieved": "62"},
            {"name": "单位产值能耗", "unit": "吨标准煤/万元", "baseline": "1.0", "target": "0.8", "year": 2025,
             "achieved": "0.85", "note": "受原料药项目投产影响"},
        ],
        "indicators": [
            {"year": 2021, "total_output": "40", "sme_output": "29", "leading_output": "30", "enterprise_count": 80, "sme_rd_spending": "1.0"},
            {"year": 2022, "total_output": "45", "sme_output": "33", "leading_output": "34", "enterprise_count": 85, "sme_rd_spending": "1.1"},
            {"year": 2023, "total_output": "52", "sme_output": "38", "leading_output": "39", "enterprise_count": 90, "sme_rd_spending": "1.3"},
            {"year": 2024, "total_output": "60", "sme_output": "43", "leading_output": "45", "enterprise_count": 96, "sme_rd_spending": "1.5"},
        ],
        "quality_enterprises": [
            {"name": "敦化示例药业有限公司", "uscc": make_uscc(1), "qualifications": ["little_giant"], "year": 2023,
             "in_leading_industry": True},
        ],
        "area_km2": "85.5",
        "changes": {k: {"changed": False, "description": ""} for k in rr.CHANGE_KINDS},
        "negative_list_clear": True,
        "self_assessment": "三年来集群产值由45亿元增至60亿元，发展规划目标基本完成（演示数据）。",
    }


COUNTY_OF = {"222403": "dunhua", "222401": "yanji"}


def make_provincial_due():
    """延边州延吉市人参大健康产业集群 (provincial) as if recognised in 2022: due in 2025."""
    from clusterdesk.registry.models import Cluster

    yanji = Cluster.objects.get(name="延边州延吉市人参大健康产业集群")
    Cluster.objects.filter(pk=yanji.pk).update(valid_until=date(2025, 12, 31), valid_from=date(2023, 1, 1),
                                               batch_year=2022)
    yanji.refresh_from_db()
    return yanji


def upload_required(task, actor):
    for item in task.round.checklist.filter(required=True):
        rr.upload_evidence(actor=actor, task=task, item_code=item.code,
                           upload=SimpleUploadedFile(f"{item.code}.pdf", PDF, content_type="application/pdf"))


def passing_checks() -> dict:
    return {code: ("pass", "") for code in JUDGEMENT_RULES}


def forwarded_task(task, accounts):
    county = accounts[COUNTY_OF[task.org.code]]
    rr.save_task(actor=county, task=task, data=rereview_body())
    upload_required(task, county)
    rr.submit_task(actor=county, task=task)
    rr.forward(actor=accounts["yanbian"], task=task, comment="经审核，情况属实，同意报送")
    task.refresh_from_db()
    return task


# --- fixtures --------------------------------------------------------------------------------------

@pytest.fixture
def dunhua_cluster(jilin, criteria_sets):
    return seed_registry()


@pytest.fixture
def rr_round(accounts, dunhua_cluster):
    return make_rereview_round(accounts["province"])


@pytest.fixture
def task(accounts, rr_round):
    (created,) = rr.open_rereview(actor=accounts["province"], round_=rr_round)
    return created


@pytest.fixture
def filled(task, accounts):
    rr.save_task(actor=accounts["dunhua"], task=task, data=rereview_body())
    upload_required(task, accounts["dunhua"])
    task.refresh_from_db()
    return task


@pytest.fixture
def forwarded(task, accounts):
    return forwarded_task(task, accounts)


@pytest.fixture
def prov_task(accounts, rr_round):
    """The provincial cluster's task (opened after 敦化's, which is national)."""
    cluster = make_provincial_due()
    rr.open_rereview(actor=accounts["province"], round_=rr_round)
    return RereviewTask.objects.get(round=rr_round, cluster=cluster)


@pytest.fixture
def prov_forwarded(prov_task, accounts):
    return forwarded_task(prov_task, accounts)


# --- opening ---------------------------------------------------------------------------------------

def test_open_lists_clusters_due_this_year_and_notifies_the_county(accounts, rr_round, dunhua_cluster):
    from clusterdesk.notifications.models import Message

    created = rr.open_rereview(actor=accounts["province"], round_=rr_round)
    assert [t.cluster.name for t in created] == ["敦化市医药产业集群"]  # the provincial 2025 clusters run to 2028
    task = created[0]
    assert task.org.code == "222403" and task.status == RereviewStatus.DRAFT
    assert Message.objects.filter(recipient=accounts["dunhua"], kind="rereview.opened").count() == 1
    # idempotent
    assert rr.open_rereview(actor=accounts["province"], round_=rr_round) == []
    assert RereviewTask.objects.filter(round=rr_round).count() == 1


def test_a_cluster_not_due_is_refused(accounts, rr_round, dunhua_cluster):
    from clusterdesk.registry.models import Cluster

    yanji = Cluster.objects.get(name="延边州延吉市人参大健康产业集群")
    with pytest.raises(DomainError) as exc:
        rr.open_rereview(actor=accounts["province"], round_=rr_round, cluster=yanji)
    assert exc.value.message == "该集群认定有效期至2028年12月31日，本年度无需复核"
    assert not RereviewTask.objects.exists()


def test_only_the_province_opens_and_the_round_needs_a_rereview_stage(accounts, rr_round, round_open):
    with pytest.raises(NotAllowed):
        rr.open_rereview(actor=accounts["dunhua"], round_=rr_round)
    with pytest.raises(DomainError) as exc:
        rr.open_rereview(actor=accounts["province"], round_=round_open)  # no rereview_submission stage
    assert "复核申报" in exc.value.message


def test_an_expired_entry_is_still_due_and_a_pending_rereview_holds_expiry(accounts, task):
    from clusterdesk.registry.domain import expire_due
    from clusterdesk.registry.models import ClusterStatus

    assert expire_due(today=date(2026, 1, 5)) == []  # the re-review is pending: not expired
    task.cluster.refresh_from_db()
    assert task.cluster.status == ClusterStatus.RECOGNIZED


def test_a_provincial_cluster_is_checked_against_the_provincial_set(accounts, rr_round, dunhua_cluster):
    from clusterdesk.registry.models import Cluster

    yanji = Cluster.objects.get(name="延边州延吉市人参大健康产业集群")
    Cluster.objects.filter(pk=yanji.pk).update(valid_until=date(2025, 12, 31))  # as if recognised in 2022
    tasks = {t.cluster.name: t for t in rr.open_rereview(actor=accounts["province"], round_=rr_round)}
    assert set(tasks) == {"敦化市医药产业集群", "延边州延吉市人参大健康产业集群"}
    assert rr.criteria_set_for(tasks["延边州延吉市人参大健康产业集群"]).code == "jilin-provincial-2024"
    assert rr.criteria_set_for(tasks["敦化市医药产业集群"]).code == "national-2022"
    assert tasks["延边州延吉市人参大健康产业集群"].org.code == "222401"


# --- the county's 附件3 ----------------------------------------------------------------------------

def test_completion_rates_are_computed_both_ways(accounts, task):
    rr.save_task(actor=accounts["dunhua"], task=task, data=rereview_body())
    task.refresh_from_db()
    output, energy = rr.target_rows(task.data)
    assert output.rate_text == "103.3%"  # 62 / 60
    assert output.progress_text == "113.3%"  # (62 − 45) / (60 − 45)
    assert output.met is True
    assert energy.progress_text == "75.0%"  # (0.85 − 1.0) / (0.8 − 1.0): a target below its base
    assert energy.met is False  # 0.85 is above the 0.8 it had to get down to
    assert energy.as_dict()["progress_rate"] == "0.7500"


def test_save_uses_the_application_validators(accounts, task):
    body = rereview_body()
    body["indicators"][3]["sme_output"] = "70"  # more than the cluster's output
    body["indicators"].append({"year": 2019, "total_output": "1"})
    with pytest.raises(DomainError) as exc:
        rr.save_task(actor=accounts["dunhua"], task=task, data=body)
    messages = [e["message"] for e in exc.value.errors]
    assert any("2024年中小企业产值（70亿元）不能大于集群产值" in m for m in messages)
    assert any("2019年不在本批次的指标年份内" in m for m in messages)
    with pytest.raises(DomainError) as exc:
        rr.save_task(actor=accounts["dunhua"], task=task, data={"plan_targets": [{"name": "集群产值", "achieved": "abc"}]})
    assert any("第1项目标的实际完成值" in e["message"] for e in exc.value.errors)
    with pytest.raises(DomainError) as exc:
        rr.save_task(actor=accounts["dunhua"], task=task, data={"colour": "red"})
    assert exc.value.field == "colour"
    task.refresh_from_db()
    assert task.version == 0  # nothing saved


def test_recorded_targets_are_fixed_and_only_achieved_values_are_filled(accounts, task):
    cluster = task.cluster
    cluster.plan_targets = [{"name": "集群产值", "unit": "亿元", "baseline": "45", "target": "60", "year": 2025}]
    cluster.save(update_fields=["plan_targets"])
    with pytest.raises(DomainError) as exc:
        rr.save_task(actor=accounts["dunhua"], task=task, data={"plan_targets": []})
    assert "认定时登记的 1 项一致" in exc.value.message
    rr.save_task(actor=accounts["dunhua"], task=task,
                 data={"plan_targets": [{"name": "改过的名字", "target": "1", "achieved": "58"}]})
    task.refresh_from_db()
    assert task.data["plan_targets"][0]["name"] == "集群产值" and task.data["plan_targets"][0]["target"] == "60"
    assert rr.target_rows(task.data)[0].progress_text == "86.7%"


def test_a_stale_page_conflicts_and_other_roles_cannot_edit(accounts, task):
    rr.save_task(actor=accounts["dunhua"], task=task, data={"self_assessment": "第一稿"}, expected_version=0)
    with pytest.raises(Conflict):
        rr.save_task(actor=accounts["dunhua"], task=task, data={"self_assessment": "另一个窗口"}, expected_version=0)
    with pytest.raises(NotAllowed):
        rr.save_task(actor=accounts["yanbian"], task=task, data={"self_assessment": "市州"})
    with pytest.raises(NotAllowed):
        rr.save_task(actor=accounts["yanji"], task=task, data={"self_assessment": "别的县"})


def test_submission_lists_what_is_missing(accounts, task):
    with pytest.raises(DomainError) as exc:
        rr.submit_task(actor=accounts["dunhua"], task=task)
    messages = [e["message"] for e in exc.value.errors]
    assert "近三年主要指标：请填写2022年的指标" in messages
    assert "负面清单声明：请作出声明" in messages
    assert any(m.startswith("佐证材料：请上传") for m in messages)
    task.refresh_from_db()
    assert task.status == RereviewStatus.DRAFT


def test_evidence_is_checked_by_content(accounts, task):
    with pytest.raises(DomainError) as exc:
        rr.upload_evidence(actor=accounts["dunhua"], task=task, item_code="E01",
                           upload=SimpleUploadedFile("产值证明.pdf", b"MZ\x90\x00 not a pdf"))
    assert "可执行程序" in exc.value.message
    f = rr.upload_evidence(actor=accounts["dunhua"], task=task, item_code="E01",
                           upload=SimpleUploadedFile("产值证明.pdf", PDF))
    assert f.kind == "pdf" and len(f.sha256) == 64 and f.stored_name.startswith(f"rereview/{task.pk}/")


def test_late_submission_is_refused_and_the_task_goes_on_the_revocation_list(accounts, filled):
    deadline = rr.closes_at(filled.round, rr.STAGE, filled.org)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        with pytest.raises(Conflict) as exc:
            rr.submit_task(actor=accounts["dunhua"], task=filled)
    assert "已超过截止时间" in exc.value.message and "逾期不予受理" in exc.value.message
    filled.refresh_from_db()
    assert filled.status == RereviewStatus.MISSED and filled.missed_at is not None
    assert not RereviewTask.objects.revocation_list().exists()  # national: reported to MIIT, not revoked here


def test_an_extension_lets_a_missed_task_be_submitted(accounts, filled):
    from clusterdesk.rounds.domain import grant_extension

    deadline = rr.closes_at(filled.round, rr.STAGE, filled.org)
    with time_machine.travel(deadline + timedelta(hours=1)):
        rr.mark_missed(round_=filled.round)
        filled.refresh_from_db()
        assert filled.status == RereviewStatus.MISSED
        grant_extension(actor=accounts["province"], round_=filled.round, stage_code=rr.STAGE, org=filled.org,
                        closes_at=deadline + timedelta(days=2), reason="系统故障")
        rr.submit_task(actor=accounts["dunhua"], task=filled)
    filled.refresh_from_db()
    assert filled.status == RereviewStatus.SUBMITTED


# --- the city ----------------------------------------------------------------------------------------

def test_only_the_recommending_city_forwards_with_an_opinion(accounts, filled):
    rr.submit_task(actor=accounts["dunhua"], task=filled)
    with pytest.raises(NotAllowed):
        rr.forward(actor=accounts["tonghua"], task=filled, comment="同意")
    with pytest.raises(DomainError) as exc:
        rr.forward(actor=accounts["yanbian"], task=filled, comment="  ")
    assert exc.value.message.startswith("请填写市州审核意见") and exc.value.field == "comment"
    rr.forward(actor=accounts["yanbian"], task=filled, comment="同意报送")
    filled.refresh_from_db()
    assert filled.status == RereviewStatus.FORWARDED and filled.forwarded_by == accounts["yanbian"]
    with pytest.raises(Conflict):
        rr.forward(actor=accounts["yanbian"], task=filled, comment="again")


# --- the province's decision --------------------------------------------------------------------------

def test_a_failure_without_a_reason_is_refused(accounts, prov_forwarded):
    forwarded = prov_forwarded
    with pytest.raises(DomainError) as exc:
        rr.decide(actor=accounts["province"], task=forwarded, checks=passing_checks(), passed=False, reason=" ")
    assert exc.value.message == "复核不通过必须说明原因" and exc.value.field == "reason"
    forwarded.refresh_from_db()
    assert forwarded.status == RereviewStatus.FORWARDED


def test_pass_extends_validity_to_2028(accounts, prov_forwarded):
    from clusterdesk.registry.models import ClusterEvent

    forwarded = prov_forwarded
    rr.decide(actor=accounts["province"], task=forwarded, checks=passing_checks(), passed=True, reason="同意通过复核")
    forwarded.refresh_from_db()
    forwarded.cluster.refresh_from_db()
    assert forwarded.status == RereviewStatus.PASSED
    assert forwarded.cluster.valid_until == date(2028, 12, 31)
    assert forwarded.extended_to == date(2028, 12, 31)
    report = forwarded.criteria_report
    assert report["criteria_set"]["code"] == "jilin-provincial-2024"  # a provincial cluster: the provincial set
    assert report["verdict"] == "pass" and report["checked_verdict"] == "pass"
    growth = next(r for r in report["results"] if r["code"] == "growth")
    assert growth["engine_status"] == "pass" and growth["check"]["decision"] == "pass"
    assert RereviewCheck.objects.filter(task=forwarded).count() == len(report["results"])
    assert ClusterEvent.objects.filter(cluster=forwarded.cluster, kind="extended").exists()


def test_each_criterion_needs_a_finding_and_a_failed_finding_blocks_a_pass(accounts, forwarded):
    with pytest.raises(DomainError) as exc:
        rr.decide(actor=accounts["province"], task=forwarded, checks={}, passed=True)
    fields = {e["field"] for e in exc.value.errors}
    assert {f"checks.{c}" for c in JUDGEMENT_RULES} <= fields  # judgement rules wait for the province
    assert "checks.growth" not in fields  # the engine's 符合 is taken when no finding is given
    checks = {**passing_checks(), "green": ("fail", "")}
    with pytest.raises(DomainError) as exc:
        rr.decide(actor=accounts["province"], task=forwarded, checks=checks, passed=False, reason="绿色发展不达标")
    assert any("判定不符合须说明理由" in e["message"] for e in exc.value.errors)
    checks["green"] = ("fail", "未提供绿色工厂认定")
    with pytest.raises(DomainError) as exc:
        rr.decide(actor=accounts["province"], task=forwarded, checks=checks, passed=True)
    assert "初审结论不能为通过" in exc.value.message  # 敦化 is national: the province's is an initial review


def test_engine_failures_need_a_note_to_be_overruled(accounts, task):
    body = rereview_body()
    body["indicators"][1]["total_output"] = "52"  # 2022 → 2024 growth (60/52)^(1/2) − 1 ≈ 7.4%
    rr.save_task(actor=accounts["dunhua"], task=task, data=body)
    upload_required(task, accounts["dunhua"])
    rr.submit_task(actor=accounts["dunhua"], task=task)
    rr.forward(actor=accounts["yanbian"], task=task, comment="同意")
    task.refresh_from_db()
    assert {r.code: r.status for r in rr.evaluate_task(task).results}["growth"] == "fail"
    with pytest.raises(DomainError) as exc:
        rr.decide(actor=accounts["province"], task=task, checks={**passing_checks(), "growth": ("pass", "")}, passed=True)
    assert any("判定符合须在说明中写明依据" in e["message"] for e in exc.value.errors)


def test_fail_puts_the_cluster_on_the_revocation_list_until_the_province_confirms(accounts, prov_forwarded):
    from clusterdesk.registry.models import ClusterEvent, ClusterStatus

    forwarded = prov_forwarded
    checks = {**passing_checks(), "growth": ("fail", "年均增速按核实数据不足10%")}
    rr.decide(actor=accounts["province"], task=forwarded, checks=checks, passed=False, reason=FAIL_REASON,
              spot_check_note="2025年6月实地抽查3家企业")
    forwarded.refresh_from_db()
    assert forwarded.status == RereviewStatus.FAILED
    assert list(RereviewTask.objects.revocation_list()) == [forwarded]
    assert forwarded.criteria_report["verdict"] == "pass"  # the engine's, on the new data
    assert forwarded.criteria_report["checked_verdict"] == "fail"  # the province's finding on growth
    forwarded.cluster.refresh_from_db()
    assert forwarded.cluster.status == ClusterStatus.RECOGNIZED  # not yet revoked
    with pytest.raises(NotAllowed):
        rr.confirm_revocation(actor=accounts["yanbian"], task=forwarded)
    rr.confirm_revocation(actor=accounts["province"], task=forwarded, note="经厅务会研究")
    forwarded.refresh_from_db()
    forwarded.cluster.refresh_from_db()
    assert forwarded.status == RereviewStatus.REVOKED
    assert forwarded.cluster.status == ClusterStatus.REVOKED
    event = ClusterEvent.objects.get(cluster=forwarded.cluster, kind="revoked")
    assert FAIL_REASON in event.comment
    assert not RereviewTask.objects.revocation_list().exists()


def test_a_missed_deadline_leads_to_revocation(accounts, prov_task):
    from clusterdesk.registry.models import ClusterEvent, ClusterStatus

    task = prov_task
    deadline = rr.closes_at(task.round, rr.STAGE, task.org)
    with time_machine.travel(deadline + timedelta(days=1)):
        marked = rr.mark_missed(round_=task.round)
        assert task in marked and len(marked) == 2  # 敦化's (national) too
        assert rr.mark_missed(round_=task.round) == []  # once
        with pytest.raises(Conflict):
            rr.save_task(actor=accounts["yanji"], task=task, data={"self_assessment": "迟到"})
        rr.confirm_revocation(actor=accounts["province"], task=task)
    task.refresh_from_db()
    task.cluster.refresh_from_db()
    assert task.status == RereviewStatus.REVOKED and task.cluster.status == ClusterStatus.REVOKED
    assert "逾期未提交" in ClusterEvent.objects.get(cluster=task.cluster, kind="revoked").comment


# --- documents --------------------------------------------------------------------------------------

def _xlsx_rows(body: bytes):
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(body)).active
    return ws, [[c.value for c in row] for row in ws.iter_rows()]


def test_attachment4_has_the_failure_reason_in_its_column(accounts, forwarded):
    from clusterdesk.rereview.docs import attachment4_xlsx

    rr.decide(actor=accounts["province"], task=forwarded, checks=passing_checks(), passed=False, reason=FAIL_REASON,
              spot_check_note="实地抽查：产值数据与统计部门一致")
    ws, rows = _xlsx_rows(attachment4_xlsx(forwarded.round, RereviewTask.objects.all()))
    assert rows[0][0] == "2022年度中小企业特色产业集群复核情况汇总表"  # the batch re-reviewed, not 2025
    header = rows[2]
    assert header == ["序号", "集群名称", "所在地", "初审结果", "未通过原因", "实地抽查情况", "备注"]
    line = rows[3]
    assert line[0] == 1 and line[1] == "敦化市医药产业集群" and line[2] == "延边朝鲜族自治州 敦化市"
    assert line[header.index("初审结果")] == "初审未通过"  # 敦化 is national: the province's initial review
    assert line[header.index("未通过原因")] == FAIL_REASON
    assert "待报送工业和信息化部" in line[header.index("备注")]
    assert line[header.index("实地抽查情况")] == "实地抽查：产值数据与统计部门一致"
    assert ws.freeze_panes == "A4"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.cell(4, 5).border.left.style == "thin"


def test_attachment4_lists_a_missed_task_as_not_passed(accounts, task):
    from clusterdesk.rereview.docs import attachment4_xlsx

    with time_machine.travel(rr.closes_at(task.round, rr.STAGE, task.org) + timedelta(days=1)):
        rr.mark_missed(round_=task.round)
    _, rows = _xlsx_rows(attachment4_xlsx(task.round, RereviewTask.objects.all()))
    assert rows[3][3:5] == ["未通过", "逾期未提交复核申报材料"]


def test_attachment4_title_names_the_batch_rereviewed_and_the_result_head_follows_the_level(accounts, task, prov_task):
    from clusterdesk.registry.models import Cluster
    from clusterdesk.rereview.docs import attachment4_title, attachment4_xlsx

    national, provincial = task, prov_task
    _, rows = _xlsx_rows(attachment4_xlsx(task.round, [provincial]))
    assert rows[0][0] == "2022年度中小企业特色产业集群复核情况汇总表"
    assert rows[2][3] == "复核结果"  # the province decides a provincial cluster: no 初审
    _, rows = _xlsx_rows(attachment4_xlsx(task.round, [national]))
    assert rows[2][3] == "初审结果"
    # two batches in one export: both named; the mixed column head is explained in the notes
    Cluster.objects.filter(pk=provincial.cluster_id).update(batch_year=2021)
    tasks = list(RereviewTask.objects.select_related("cluster", "org", "org__recommender").order_by("pk"))
    _, rows = _xlsx_rows(attachment4_xlsx(task.round, tasks))
    assert rows[0][0] == "2021、2022年度中小企业特色产业集群复核情况汇总表"
    assert rows[2][3] == "初审/复核结果"
    assert any("国家级集群为省厅初审结果，省级集群为省厅复核结果" in str(r[0]) for r in rows[4:])
    Cluster.objects.filter(pk__in=[t.cluster_id for t in tasks]).update(batch_year=None)
    assert attachment4_title(task.round, RereviewTask.objects.select_related("cluster")) == \
        "2025年开展的中小企业特色产业集群复核情况汇总表"


def test_attachment4_county_and_city_export_their_own_rows(client, accounts, task, prov_task, make_user):
    from clusterdesk.orgs.models import Role

    url = f"/registry/rereview/rounds/{task.round_id}/attachment4.xlsx"

    def names(user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        ws, rows = _xlsx_rows(response.content)
        return ws, {r[1] for r in rows[3:] if isinstance(r[0], int)}

    ws, got = names(accounts["dunhua"])
    assert got == {"敦化市医药产业集群"} and "敦化市工业和信息化局" in ws["A2"].value
    from django.urls import reverse

    assert f'href="{url}"' in client.get(reverse("rereview_index")).content.decode()  # linked from the list
    _, got = names(accounts["yanji"])
    assert got == {"延边州延吉市人参大健康产业集群"}
    ws, got = names(accounts["yanbian"])
    assert got == {"敦化市医药产业集群", "延边州延吉市人参大健康产业集群"}
    assert "延边朝鲜族自治州工业和信息化局" in ws["A2"].value
    _, got = names(accounts["province"])
    assert len(got) == 2
    client.force_login(accounts["tonghua"])  # no task in its scope
    assert client.get(url).status_code == 404
    expert = make_user("expert_a4", "220000", Role.EXPERT)
    client.force_login(expert)
    assert client.get(url).status_code == 404


def test_attachment3_word_and_pdf(accounts, filled):
    from docx import Document

    from clusterdesk.rereview.docs import attachment3_docx, attachment3_pdf

    doc = Document(io.BytesIO(attachment3_docx(filled)))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "中小企业特色产业集群复核申报表" in text and "草稿（未提交）" in text
    assert "敦化市医药产业集群" in cells and "2022年 国家级" in cells
    assert "103.3%" in cells and "113.3%" in cells and "已完成" in cells  # computed completion
    assert "60" in cells and "71.7%" in cells  # the 2024 output and SME share
    assert "无变化" in cells
    assert any("E01" in c or "统计部门" in c for c in cells)

    pdf = attachment3_pdf(filled)
    assert pdf.startswith(b"%PDF")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "复核申报表" in out and "敦化市医药产业集群" in out and "103.3%" in out


# --- pages and API ----------------------------------------------------------------------------------

def test_pages_are_for_their_roles_only(client, accounts, task):
    client.force_login(accounts["yanbian"])
    assert client.get(f"/registry/rereview/tasks/{task.pk}/").status_code == 200
    assert client.get(f"/registry/rereview/tasks/{task.pk}/edit/").status_code == 404
    assert client.get(f"/registry/rereview/tasks/{task.pk}/decide/").status_code == 404
    assert client.get(f"/registry/rereview/rounds/{task.round_id}/").status_code == 404
    client.force_login(accounts["tonghua"])
    assert client.get(f"/registry/rereview/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/registry/rereview/tasks/{task.pk}/attachment3.pdf").status_code == 404
    client.force_login(accounts["dunhua"])
    assert client.get(f"/registry/rereview/tasks/{task.pk}/edit/").status_code == 200
    client.force_login(accounts["province"])
    page = client.get(f"/registry/rereview/rounds/{task.round_id}/")
    assert page.status_code == 200 and "敦化市医药产业集群" in page.content.decode()


def test_edit_page_saves_the_form(client, accounts, task):
    client.force_login(accounts["dunhua"])
    form = {"version": "0", "t-count": "2", "e-count": "2", "t-0-name": "集群产值", "t-0-unit": "亿元",
            "t-0-baseline": "45", "t-0-target": "60", "t-0-year": "2025", "t-0-achieved": "62",
            "ind-2024-total_output": "60", "ind-2024-sme_output": "80", "negative_list_clear": "yes",
            "ch-leading_industry-changed": "no", "self_assessment": "自评"}
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form)
    assert response.status_code == 200  # refused: shown beside the form, input kept
    body = response.content.decode()
    assert "不能大于集群产值" in body and 'value="80"' in body
    form["ind-2024-sme_output"] = "43"
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form)
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.data["plan_targets"][0]["achieved"] == "62" and task.data["negative_list_clear"] is True
    assert task.data["changes"]["leading_industry"]["changed"] is False


def test_edit_page_with_recorded_targets_takes_achieved_values_only(client, accounts, rr_round, dunhua_cluster):
    dunhua_cluster.plan_targets = [{"name": "集群产值", "unit": "亿元", "baseline": "45", "target": "60", "year": 2025}]
    dunhua_cluster.save(update_fields=["plan_targets"])
    (task,) = rr.open_rereview(actor=accounts["province"], round_=rr_round)
    client.force_login(accounts["dunhua"])
    page = client.get(f"/registry/rereview/tasks/{task.pk}/edit/").content.decode()
    assert "目标为集群认定时登记的三年发展规划目标，不能修改" in page and 'name="t-0-name"' not in page
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/",
                           {"version": "0", "t-count": "1", "e-count": "0", "t-0-achieved": "66"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.data["plan_targets"][0] == {"name": "集群产值", "unit": "亿元", "baseline": "45", "target": "60",
                                            "year": 2025, "achieved": "66", "note": ""}
    assert "140.0%" in client.get(f"/registry/rereview/tasks/{task.pk}/").content.decode()  # (66 − 45) ÷ (60 − 45)


def test_document_downloads(client, accounts, filled):
    client.force_login(accounts["yanbian"])
    response = client.get(f"/registry/rereview/tasks/{filled.pk}/attachment3.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    response = client.get(f"/registry/rereview/tasks/{filled.pk}/attachment3.docx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    response = client.get(f"/registry/rereview/rounds/{filled.round_id}/attachment4.xlsx")  # the city: its own rows
    assert response.status_code == 200 and response.content[:2] == b"PK"
    client.force_login(accounts["leader"])
    response = client.get(f"/registry/rereview/rounds/{filled.round_id}/attachment4.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_api_path(client, accounts, rr_round, api_token):
    province = api_token(accounts["province"])
    response = client.post(f"/api/v1/registry/rereview/rounds/{rr_round.pk}/open", {}, content_type="application/json", **province)
    assert response.status_code == 200, response.content
    task_id = response.json()["created"][0]["id"]
    from clusterdesk.registry.models import Cluster

    yanji = Cluster.objects.get(name="延边州延吉市人参大健康产业集群")
    response = client.post(f"/api/v1/registry/rereview/rounds/{rr_round.pk}/open", {"cluster_id": yanji.pk},
                           content_type="application/json", **province)
    assert response.status_code == 400 and response.json()["detail"] == "该集群认定有效期至2028年12月31日，本年度无需复核"

    county = api_token(accounts["dunhua"])
    response = client.patch(f"/api/v1/registry/rereview/tasks/{task_id}", {**rereview_body(), "version": 0},
                            content_type="application/json", **county)
    assert response.status_code == 200, response.content
    assert response.json()["computed"]["plan_targets"][0]["completion_rate"] == "1.0333"
    response = client.post(f"/api/v1/registry/rereview/tasks/{task_id}/submit", content_type="application/json", **county)
    assert response.status_code == 400 and "佐证材料" in response.json()["detail"]
    for item in rr_round.checklist.filter(required=True):
        response = client.post(f"/api/v1/registry/rereview/tasks/{task_id}/evidence",
                               {"item": item.code, "file": SimpleUploadedFile(f"{item.code}.pdf", PDF)}, **county)
        assert response.status_code == 201, response.content
    assert client.post(f"/api/v1/registry/rereview/tasks/{task_id}/submit", **county).status_code == 200

    other = api_token(accounts["tonghua"])
    assert client.get("/api/v1/registry/rereview/tasks", **other).json() == []
    assert client.get(f"/api/v1/registry/rereview/tasks/{task_id}", **other).status_code == 404
    city = api_token(accounts["yanbian"])
    assert [t["id"] for t in client.get("/api/v1/registry/rereview/tasks", **city).json()] == [task_id]
    response = client.post(f"/api/v1/registry/rereview/tasks/{task_id}/forward", {"comment": "同意"},
                           content_type="application/json", **city)
    assert response.json()["status"] == "forwarded"

    checks = {c: {"decision": "pass"} for c in JUDGEMENT_RULES}
    response = client.post(f"/api/v1/registry/rereview/tasks/{task_id}/decision",
                           {"passed": False, "reason": "", "checks": checks}, content_type="application/json", **province)
    assert response.status_code == 400 and response.json() == {"detail": "初审未通过必须说明原因（将随初审结果报送工信部）",
                                                                "field": "reason"}
    response = client.post(f"/api/v1/registry/rereview/tasks/{task_id}/decision",
                           {"passed": True, "reason": "通过", "checks": checks}, content_type="application/json", **province)
    assert response.status_code == 200, response.content
    # 敦化 is national: the province's pass is 初审通过（报部）; validity is MIIT's to extend.
    assert response.json()["valid_until"] == "2025-12-31" and response.json()["status"] == "prelim_passed"
    response = client.post(f"/api/v1/registry/rereview/tasks/{task_id}/confirm-revocation", {},
                           content_type="application/json", **province)
    assert response.status_code == 400 and response.json()["field"] == "task"  # MIIT revokes national clusters


def test_aspect_narratives_are_kept_and_printed_and_the_countys_copy_has_no_decision(client, accounts, forwarded, tmp_path):
    """A narrative per aspect of the criteria set (optional) on the county's form and in 附件3;
    the county's and the city's copy shows no status and no province decision; the province's
    copy keeps them, with its checks on a separate page."""
    from docx import Document

    from clusterdesk.rereview.docs import attachment3_docx, attachment3_pdf

    aspects = rr.task_aspects(forwarded)
    assert len(aspects) == 8 and aspects[0][0] == "1"
    _, errors = rr.clean_data({"aspects": {"9": "x"}}, forwarded)
    assert errors[0].field == "aspects.9" and "没有第9方面" in errors[0].message
    cleaned, errors = rr.clean_data({"aspects": {"1": "龙头企业带动明显", "2": "  "}}, forwarded)
    assert cleaned["aspects"] == {"1": "龙头企业带动明显"} and not errors
    forwarded.data = {**forwarded.data, "aspects": {"1": "龙头企业带动明显（演示）", "5": "数字化车间3个（演示）"}}
    forwarded.save(update_fields=["data"])
    rr.decide(actor=accounts["province"], task=forwarded, checks=passing_checks(), passed=False, reason=FAIL_REASON)
    forwarded.refresh_from_db()

    def flat(pdf: bytes) -> str:
        path = tmp_path / "a3.pdf"
        path.write_bytes(pdf)
        return "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())

    county = flat(attachment3_pdf(forwarded, province=False))
    assert "七、分方面复核说明" in county and "龙头企业带动明显（演示）" in county and "数字化车间3个（演示）" in county
    assert f"1.{aspects[0][1]}" in county and "未填写" in county
    assert "复核状态" not in county and "初审未通过" not in county and FAIL_REASON not in county
    assert "省厅逐条核查结果" not in county and "省工业和信息化厅（盖章）" in county
    province = flat(attachment3_pdf(forwarded, province=True))
    assert "初审未通过" in province and "省厅逐条核查结果（省厅留存，不属于复核申报表）" in province
    word = "\n".join(p.text for p in Document(io.BytesIO(attachment3_docx(forwarded, province=False))).paragraphs)
    assert "龙头企业带动明显（演示）" in word and "初审未通过" not in word and "省厅逐条核查结果" not in word

    client.force_login(accounts["dunhua"])
    response = client.get(f"/registry/rereview/tasks/{forwarded.pk}/attachment3.pdf")
    assert response.status_code == 200 and "初审未通过" not in flat(response.content)
    client.force_login(accounts["province"])
    response = client.get(f"/registry/rereview/tasks/{forwarded.pk}/attachment3.pdf")
    assert "初审未通过" in flat(response.content)


def test_the_edit_page_has_a_narrative_per_aspect(client, accounts, task):
    client.force_login(accounts["dunhua"])
    page = client.get(f"/registry/rereview/tasks/{task.pk}/edit/").content.decode()
    assert page.count('name="aspect-') == 8
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/",
                           {"version": "0", "t-count": "0", "e-count": "0", "aspect-4": "建成省级创新平台2个"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.data["aspects"] == {"4": "建成省级创新平台2个"}
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/",
                           {"version": "1", "t-count": "0", "e-count": "0", "aspect-4": "长" * 5001})
    assert response.status_code == 200 and "复核说明不能超过 5000 个字" in response.content.decode()
