"""The national path (工信厅企业函〔2025〕77号): for a national cluster the province does the initial
review (初审) and reports to MIIT — those that pass, and the reasons of those that fail — and
MIIT's outcome alone extends validity or revokes. 敦化市医药产业集群 is national (valid to 2025)."""

import pytest
from django.utils import timezone

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError
from clusterdesk.registry.models import ClusterEvent, ClusterStatus
from clusterdesk.rereview import domain as rr
from clusterdesk.rereview.models import RereviewStatus, RereviewTask
from tests.rereview.test_rereview import (  # noqa: F401  (fixtures)
    FAIL_REASON,
    dunhua_cluster,
    forwarded,
    forwarded_task,
    passing_checks,
    prov_forwarded,
    prov_task,
    rr_round,
    task,
)

DOC = "工信厅企业函〔2025〕300号"


def today() -> str:
    return timezone.localdate().isoformat()


def prelim(accounts, task, passed=True):
    return rr.decide(actor=accounts["province"], task=task, checks=passing_checks(), passed=passed,
                     reason="初审同意" if passed else FAIL_REASON)


def reported(accounts, task, passed=True):
    prelim(accounts, task, passed)
    return rr.report_to_ministry(actor=accounts["province"], task=task, date=today())


def test_province_pass_of_a_national_cluster_is_an_initial_review_and_keeps_validity(accounts, forwarded):  # noqa: F811
    task = prelim(accounts, forwarded)
    task.cluster.refresh_from_db()
    assert task.status == RereviewStatus.PRELIM_PASSED and task.province_passed is True
    assert str(task.cluster.valid_until) == "2025-12-31" and task.extended_to is None
    assert not ClusterEvent.objects.filter(cluster=task.cluster, kind="extended").exists()
    assert AuditEvent.objects.filter(action="rereview.prelim_passed", object_id=str(task.pk)).exists()


def test_national_path_to_a_ministry_pass_extends_validity_three_years(accounts, forwarded):  # noqa: F811
    task = reported(accounts, forwarded)
    assert task.status == RereviewStatus.REPORTED and str(task.reported_on) == today()
    task.cluster.refresh_from_db()
    assert str(task.cluster.valid_until) == "2025-12-31"  # reporting changes nothing either
    task = rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=True, document_number=DOC,
                                      date=today(), note="")
    task.cluster.refresh_from_db()
    assert task.status == RereviewStatus.PASSED and task.ministry_passed is True
    assert str(task.cluster.valid_until) == "2028-12-31" and str(task.extended_to) == "2028-12-31"
    assert ClusterEvent.objects.filter(cluster=task.cluster, kind="extended").count() == 1
    event = AuditEvent.objects.get(action="rereview.ministry_passed", object_id=str(task.pk))
    assert event.after["document_number"] == DOC and event.after["valid_until"] == ["2025-12-31", "2028-12-31"]


def test_ministry_failure_revokes_with_the_ministry_document_in_the_reason(accounts, forwarded):  # noqa: F811
    task = reported(accounts, forwarded)
    task = rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=False, document_number=DOC,
                                      date=today(), note="三年发展规划目标未完成")
    task.cluster.refresh_from_db()
    assert task.status == RereviewStatus.REVOKED and task.cluster.status == ClusterStatus.REVOKED
    reason = ClusterEvent.objects.get(cluster=task.cluster, kind="revoked").comment
    assert DOC in reason and "三年发展规划目标未完成" in reason and "工业和信息化部" in reason


def test_initial_failure_is_reported_with_its_reason_and_does_not_revoke(accounts, forwarded):  # noqa: F811
    task = prelim(accounts, forwarded, passed=False)
    task.cluster.refresh_from_db()
    assert task.status == RereviewStatus.PRELIM_FAILED and task.cluster.status == ClusterStatus.RECOGNIZED
    assert not RereviewTask.objects.revocation_list().exists()  # MIIT decides, not the province
    with pytest.raises(DomainError) as exc:
        rr.confirm_revocation(actor=accounts["province"], task=task)
    assert exc.value.status == 400 and "国家级" in exc.value.message
    task = rr.report_to_ministry(actor=accounts["province"], task=task, date=today())
    assert task.status == RereviewStatus.REPORTED
    event = AuditEvent.objects.get(action="rereview.reported_to_ministry", object_id=str(task.pk))
    assert event.after["initial"] == "初审未通过"


def test_initial_failure_without_a_reason_is_refused(accounts, forwarded):  # noqa: F811
    with pytest.raises(DomainError) as exc:
        rr.decide(actor=accounts["province"], task=forwarded, checks=passing_checks(), passed=False, reason="")
    assert exc.value.status == 400 and exc.value.field == "reason"
    forwarded.refresh_from_db()
    assert forwarded.status == RereviewStatus.FORWARDED


def test_ministry_outcome_before_the_report_is_409(accounts, forwarded):  # noqa: F811
    task = prelim(accounts, forwarded)
    with pytest.raises(Conflict) as exc:
        rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=True, document_number=DOC,
                                   date=today())
    assert "报送工信部" in exc.value.message
    task.refresh_from_db()
    task.cluster.refresh_from_db()
    assert task.status == RereviewStatus.PRELIM_PASSED and str(task.cluster.valid_until) == "2025-12-31"


def test_ministry_outcome_on_a_provincial_cluster_is_400(accounts, prov_forwarded):  # noqa: F811
    for state in (RereviewStatus.FORWARDED, RereviewStatus.REPORTED):
        RereviewTask.objects.filter(pk=prov_forwarded.pk).update(status=state)
        with pytest.raises(DomainError) as exc:
            rr.record_ministry_outcome(actor=accounts["province"], task=prov_forwarded, passed=True,
                                       document_number=DOC, date=today())
        assert exc.value.status == 400 and exc.value.field == "task" and "省级集群" in exc.value.message


def test_ministry_failure_without_a_note_is_400_naming_the_field(accounts, forwarded):  # noqa: F811
    task = reported(accounts, forwarded)
    with pytest.raises(DomainError) as exc:
        rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=False, document_number=DOC,
                                   date=today(), note="  ")
    assert exc.value.status == 400 and exc.value.field == "note"
    with pytest.raises(DomainError) as exc:
        rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=True, document_number="",
                                   date=today())
    assert exc.value.field == "document_number"
    with pytest.raises(DomainError) as exc:
        rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=True, document_number=DOC,
                                   date="2020-01-01")
    assert exc.value.field == "date" and "不能早于报部日期" in exc.value.message
    task.refresh_from_db()
    task.cluster.refresh_from_db()
    assert task.status == RereviewStatus.REPORTED and task.cluster.status == ClusterStatus.RECOGNIZED


def test_a_missed_national_task_is_reported_to_the_ministry(accounts, task):  # noqa: F811
    import time_machine

    with time_machine.travel(rr.closes_at(task.round, rr.STAGE, task.org) + timezone.timedelta(days=1)):
        rr.mark_missed(round_=task.round)
    task.refresh_from_db()
    assert task.status == RereviewStatus.MISSED and not task.on_revocation_list
    task = rr.report_to_ministry(actor=accounts["province"], task=task, date=today())
    assert task.status == RereviewStatus.REPORTED


def test_attachment4_shows_the_stage_of_a_national_cluster(accounts, forwarded):  # noqa: F811
    from clusterdesk.rereview.docs import summary_row

    task = prelim(accounts, forwarded)
    assert summary_row(task)["result"] == "初审通过（报部）" and "待报送工业和信息化部" in summary_row(task)["remarks"]
    task = rr.report_to_ministry(actor=accounts["province"], task=task, date=today())
    assert "报部，待工信部复核结论" in summary_row(task)["remarks"]
    task = rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=True, document_number=DOC,
                                      date=today())
    row = summary_row(task)
    assert row["result"] == "初审通过（报部）" and f"工信部结论：复核通过（{DOC}" in row["remarks"]


def test_api_national_path(client, accounts, forwarded, api_token):  # noqa: F811
    province = api_token(accounts["province"])
    base = f"/api/v1/registry/rereview/tasks/{forwarded.pk}"
    checks = {c: {"decision": "pass"} for c in passing_checks()}
    response = client.post(f"{base}/decision", {"passed": True, "reason": "初审通过", "checks": checks},
                           content_type="application/json", **province)
    assert response.json()["status"] == "prelim_passed"
    body = {"passed": True, "document_number": DOC, "date": today(), "note": ""}
    response = client.post(f"{base}/ministry-outcome", body, content_type="application/json", **province)
    assert response.status_code == 409, response.content
    response = client.post(f"{base}/report-to-ministry", {"date": today()}, content_type="application/json", **province)
    assert response.status_code == 200 and response.json()["reported_on"] == today()
    response = client.post(f"{base}/ministry-outcome", {**body, "passed": False}, content_type="application/json",
                           **province)
    assert response.status_code == 400 and response.json()["field"] == "note"
    county = api_token(accounts["dunhua"])
    assert client.post(f"{base}/ministry-outcome", body, content_type="application/json", **county).status_code == 403
    response = client.post(f"{base}/ministry-outcome", body, content_type="application/json", **province)
    assert response.status_code == 200, response.content
    assert response.json()["valid_until"] == "2028-12-31" and response.json()["ministry"]["document_number"] == DOC


def test_api_ministry_outcome_on_a_provincial_cluster_is_400(client, accounts, prov_forwarded, api_token):  # noqa: F811
    province = api_token(accounts["province"])
    response = client.post(f"/api/v1/registry/rereview/tasks/{prov_forwarded.pk}/ministry-outcome",
                           {"passed": True, "document_number": DOC, "date": today()},
                           content_type="application/json", **province)
    assert response.status_code == 400 and response.json()["field"] == "task"


def test_home_panel_tells_the_province_what_to_report_and_what_awaits_the_ministry(client, accounts, forwarded):  # noqa: F811
    client.force_login(accounts["province"])
    prelim(accounts, forwarded)
    assert "“敦化市医药产业集群”待报送工信部" in client.get("/").content.decode()
    rr.report_to_ministry(actor=accounts["province"], task=forwarded, date=today())
    body = client.get("/").content.decode()
    assert "“敦化市医药产业集群”待录入工信部结论" in body and "待报送工信部" not in body


def test_attachment3_opinion_reads_as_sentences_through_the_ministry_outcome(accounts, forwarded):  # noqa: F811
    from clusterdesk.rereview import docs

    task = reported(accounts, forwarded)
    task = rr.record_ministry_outcome(actor=accounts["province"], task=task, passed=True, document_number=DOC,
                                      date=today(), note="")

    text = docs.decision_text(task)
    assert text.startswith("初审通过（报部）。初审同意。已于")
    assert f"工信部结论：复核通过（{DOC}" in text and text.endswith("。")


def test_rereview_results_letter_to_the_ministry(client, accounts, forwarded, tmp_path):  # noqa: F811
    """The province's 函 to MIIT: the ministry's notice cited, the clusters that passed the initial
    review, the ones that failed with the reason, the province's 代字 and signer."""
    import io
    import subprocess

    from docx import Document

    from clusterdesk.orgs.letterhead import update_letterhead

    round_ = forwarded.round
    client.force_login(accounts["province"])
    base = f"/registry/rereview/rounds/{round_.pk}"
    response = client.get(f"{base}/letter.docx", follow=True)  # nothing decided yet: back with the reason
    assert "尚无完成初审的国家级集群" in response.content.decode()
    assert f"{base}/letter.pdf" in client.get(f"{base}/").content.decode()  # linked from the round page

    round_.ministry_notice_title = "工业和信息化部办公厅关于开展2025年度中小企业特色产业集群申报和复核工作的通知"
    round_.ministry_notice_number = "工信厅企业函〔2025〕77号"
    round_.save()
    update_letterhead(actor=accounts["province"], org=round_.province, doc_prefix="吉工信", signer="李四")
    prelim(accounts, forwarded, passed=False)
    response = client.get(f"{base}/letter.docx")
    assert response.status_code == 200
    lines = [p.text.replace("\n", "") for p in Document(io.BytesIO(response.content)).paragraphs]
    assert "关于报送2022年度国家级中小企业特色产业集群复核初审结果的函" in lines
    assert "吉工信函〔2025〕\u3000\u3000号" in lines and "签发人：李四" in lines
    assert "一、初审通过的集群：无。" in lines and "二、初审未通过的集群（1个）：" in lines
    assert not any("复核申报表（0份）" in t for t in lines)  # nothing passed: no forms to attach
    assert "复核情况汇总表见附件。" in lines
    failed = next(t for t in lines if t.startswith("1.敦化市医药产业集群"))
    assert f"未通过原因：{FAIL_REASON}" in failed
    assert any("（工信厅企业函〔2025〕77号）" in t for t in lines)
    assert "附件：1. 2022年度中小企业特色产业集群复核情况汇总表" in lines

    response = client.get(f"{base}/letter.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.content)
    flat = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    for expected in ("吉工信函〔2025〕", "签发人：李四", "工信厅企业函〔2025〕77号", "复核初审结果的函", "敦化市医药产业集群"):
        assert expected in flat, expected

    client.force_login(accounts["yanbian"])  # the province's letter only
    assert client.get(f"{base}/letter.docx").status_code == 404
