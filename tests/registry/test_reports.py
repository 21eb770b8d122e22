"""Annual reports: start, validation, submission with the late flag, reminders, scope."""

from datetime import date

import pytest
import time_machine

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.notifications.models import Message
from clusterdesk.registry import domain as registry
from clusterdesk.registry.models import AnnualReport, ClusterEvent, EventKind, ReportStatus

from .conftest import at, full_report


def test_due_date_is_configurable(settings):
    assert registry.report_due_on(2026) == date(2027, 3, 31)
    settings.ANNUAL_REPORT_DUE = "04-30"
    assert registry.report_due_on(2026) == date(2027, 4, 30)
    settings.ANNUAL_REPORT_DUE = "02-29"
    assert registry.report_due_on(2026) == date(2027, 2, 28)
    settings.ANNUAL_REPORT_DUE = "31-03"
    with pytest.raises(Exception, match="ANNUAL_REPORT_DUE must be MM-DD"):
        registry.report_due_on(2026)


def test_report_only_for_an_ended_year_of_the_validity(accounts, yanji):
    with time_machine.travel(at(2026, 12, 1, 9), tick=False):
        with pytest.raises(DomainError, match="2026年不能填报年度报告") as exc:
            registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)
        assert exc.value.field == "year"
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        report = registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)
        again = registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)
    assert again.pk == report.pk
    assert report.due_on == date(2027, 3, 31)
    assert [p["name"] for p in report.data["target_progress"]] == ["集群产值", "专精特新企业数"]


def test_report_by_the_city_is_not_allowed(accounts, yanji):
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        with pytest.raises(NotAllowed, match="只有集群所在县级单位的申报账号"):
            registry.start_report(actor=accounts["yanbian"], cluster=yanji, year=2026)


def test_report_for_someone_elses_cluster_is_404(accounts, yanji):
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        with pytest.raises(DomainError) as exc:
            registry.start_report(actor=accounts["dunhua"], cluster=yanji, year=2026)
    assert exc.value.status == 404


@pytest.fixture
def draft(accounts, yanji):
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        return registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)


def test_indicators_validated_like_the_application(accounts, draft):
    body = full_report()
    body["indicators"][0].update(total_output="-5", sme_output="45")
    with pytest.raises(DomainError) as exc:
        registry.save_report(actor=accounts["yanji"], report=draft, data=body)
    assert {"field": "indicators.2026.total_output", "message": "2026年集群产值不能为负数"} in exc.value.errors

    body["indicators"][0].update(total_output="40", sme_output="45")
    with pytest.raises(DomainError) as exc:
        registry.save_report(actor=accounts["yanji"], report=draft, data=body)
    assert exc.value.errors[0]["field"] == "indicators.2026.sme_output"
    assert exc.value.errors[0]["message"] == "2026年中小企业产值（45亿元）不能大于集群产值（40亿元），请核对"

    body["indicators"][0]["year"] = 2025
    with pytest.raises(DomainError, match="年度报告只填报2026年的指标"):
        registry.save_report(actor=accounts["yanji"], report=draft, data=body)
    draft.refresh_from_db()
    assert draft.data["indicators"] == []  # nothing saved


def test_target_progress_gets_a_completion_rate(accounts, draft):
    registry.save_report(actor=accounts["yanji"], report=draft, data=full_report())
    draft.refresh_from_db()
    first, second = draft.data["target_progress"]
    assert first["completion_rate"] == "0.3333"  # (60 − 50) / (80 − 50)
    assert second["completion_rate"] == "0.6000"  # no baseline: 12 / 20
    with pytest.raises(DomainError, match="第1项目标“集群产值”的实际完成值“很多”不是数字"):
        registry.save_report(actor=accounts["yanji"], report=draft,
                             data={"target_progress": [{"index": 0, "achieved": "很多"}]})


def test_submit_needs_a_complete_report(accounts, draft):
    with time_machine.travel(at(2027, 3, 1, 9), tick=False):
        with pytest.raises(DomainError, match="还不能提交") as exc:
            registry.submit_report(actor=accounts["yanji"], report=draft)
    fields = {e["field"] for e in exc.value.errors}
    assert {"indicators.2026.total_output", "target_progress.0.achieved", "narrative"} <= fields


def test_on_time_report_is_not_late(accounts, draft):
    registry.save_report(actor=accounts["yanji"], report=draft, data=full_report())
    with time_machine.travel(at(2027, 3, 31, 23, 59, 59), tick=False):
        report = registry.submit_report(actor=accounts["yanji"], report=draft)
    assert (report.status, report.late) == (ReportStatus.SUBMITTED, False)
    with pytest.raises(Conflict, match="不能再修改"):
        registry.save_report(actor=accounts["yanji"], report=report, data={"narrative": "改"})


def test_late_report_is_accepted_flagged_and_shown_on_the_dashboard(accounts, draft, login):
    registry.save_report(actor=accounts["yanji"], report=draft, data=full_report())
    with time_machine.travel(at(2027, 4, 1, 0, 0, 1), tick=False):
        client = login(accounts["province"])  # the session is made at the travelled time
        overdue = client.get("/registry/dashboard/").content.decode()
        assert 'data-testid="overdue-count">5<' in overdue  # the five 2025 provincial clusters' 2026 reports
        assert "已开始填报，未提交" in overdue
        report = registry.submit_report(actor=accounts["yanji"], report=draft)
        page = client.get("/registry/dashboard/").content.decode()

    assert (report.status, report.late) == (ReportStatus.SUBMITTED, True)
    event = ClusterEvent.objects.get(kind=EventKind.REPORT_SUBMITTED)
    assert event.after["late"] is True and "逾期提交" in event.comment
    assert 'data-testid="overdue-count">4<' in page
    assert "已开始填报，未提交" not in page
    assert 'data-testid="late-count">1<' in page
    assert "延边州延吉市人参大健康产业集群" in page.split('data-testid="late"')[1]
    assert Message.objects.filter(recipient=accounts["province"], kind="registry.report_submitted").exists()


def test_overdue_excludes_years_before_the_entry_was_registered(accounts, seeded):
    dunhua = seeded["敦化市医药产业集群"]  # entered 2026-06-01: its 2023–2025 reports were on paper
    with time_machine.travel(at(2026, 7, 1, 9), tick=False):
        assert registry.reportable_years(dunhua, date(2026, 7, 1)) == [2023, 2024, 2025]
        assert registry.owed_years(dunhua, date(2026, 7, 1)) == []
        assert registry.overdue_reports([dunhua]) == []


def test_reminders_go_once_at_30_7_and_0_days(accounts, yanji):
    def run(*moment):
        with time_machine.travel(at(*moment), tick=False):
            return registry.send_report_reminders()

    assert run(2027, 2, 28, 9) == 0  # 31 days before
    assert run(2027, 3, 1, 9) == 1  # 30 days before
    assert run(2027, 3, 1, 15) == 0
    assert run(2027, 3, 10, 9) == 0
    assert run(2027, 3, 24, 9) == 1  # 7 days before
    assert run(2027, 3, 25, 9) == 0
    assert run(2027, 3, 31, 9) == 1  # the day
    assert run(2027, 3, 31, 18) == 0
    assert run(2027, 4, 1, 9) == 0
    titles = list(Message.objects.filter(recipient=accounts["yanji"], kind="reminder.annual_report")
                  .order_by("pk").values_list("title", flat=True))
    assert titles == ["距延边州延吉市人参大健康产业集群2026年度报告截止还有 30 天",
                      "距延边州延吉市人参大健康产业集群2026年度报告截止还有 7 天",
                      "今天是延边州延吉市人参大健康产业集群2026年度报告的报送截止日"]


def test_no_reminder_once_submitted(accounts, draft):
    registry.save_report(actor=accounts["yanji"], report=draft, data=full_report())
    with time_machine.travel(at(2027, 3, 20, 9), tick=False):
        registry.submit_report(actor=accounts["yanji"], report=draft)
    with time_machine.travel(at(2027, 3, 24, 9), tick=False):
        assert registry.send_report_reminders() == 0


def test_send_reminders_command_includes_reports(accounts, yanji):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with time_machine.travel(at(2027, 3, 1, 9), tick=False):
        call_command("send_reminders", stdout=out)
    assert "已发送 1 条" in out.getvalue()


# --- pages and API ---------------------------------------------------------------------------

def test_report_page_of_someone_elses_cluster_is_404(accounts, draft, login):
    client = login(accounts["dunhua"])
    assert client.get(f"/registry/reports/{draft.pk}/").status_code == 404
    assert client.post(f"/registry/reports/{draft.pk}/", {"narrative": "x"}).status_code == 404
    assert client.get(f"/registry/{draft.cluster_id}/").status_code == 404
    assert client.post(f"/registry/{draft.cluster_id}/reports/", {"year": 2026}).status_code == 404


def test_report_api_of_someone_elses_cluster_is_404(accounts, draft, api_token, client):
    headers = api_token(accounts["dunhua"])
    response = client.post(f"/api/v1/registry/clusters/{draft.cluster_id}/reports", {"year": 2026},
                           content_type="application/json", **headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "对象不存在或不在您的权限范围内"
    assert client.get(f"/api/v1/registry/clusters/{draft.cluster_id}/reports", **headers).status_code == 404
    assert client.post(f"/api/v1/registry/reports/{draft.pk}/submit", **headers).status_code == 404
    assert AnnualReport.objects.get(pk=draft.pk).status == ReportStatus.DRAFT


def test_report_form_saves_shows_errors_and_submits(accounts, draft, login):
    url = f"/registry/reports/{draft.pk}/"
    form = {"ind_total_output": "60", "ind_sme_output": "70", "ind_leading_output": "50", "ind_enterprise_count": "120",
            "ind_sme_rd_spending": "1.5", "progress_0_achieved": "60", "progress_1_achieved": "12",
            "narrative": "发展情况（测试）", "action": "save"}
    with time_machine.travel(at(2027, 3, 2, 9), tick=False):
        client = login(accounts["yanji"])
        response = client.post(url, form)
        assert response.status_code == 400
        assert "2026年中小企业产值（70亿元）不能大于集群产值（60亿元）" in response.content.decode()
        assert 'value="70"' in response.content.decode()  # the typed value is kept
        response = client.post(url, {**form, "ind_sme_output": "45", "action": "submit"})
        page = client.get(url).content.decode()
    assert response.status_code == 302
    report = AnnualReport.objects.get(pk=draft.pk)
    assert (report.status, report.late) == (ReportStatus.SUBMITTED, False)
    assert report.data["indicators"][0]["sme_output"] == "45"
    assert "75.0%" in page  # SME share 45 / 60, computed


def test_report_api_start_save_submit(accounts, yanji, api_token, client):
    with time_machine.travel(at(2027, 4, 2, 9), tick=False):
        headers = api_token(accounts["yanji"])
        response = client.post(f"/api/v1/registry/clusters/{yanji.pk}/reports",
                               {"year": 2026, "data": full_report()}, content_type="application/json", **headers)
        assert response.status_code == 201, response.content
        report = response.json()
        assert report["missing"] == []
        bad = client.put(f"/api/v1/registry/reports/{report['id']}",
                         {"data": {"indicators": [{"total_output": "-1"}]}}, content_type="application/json", **headers)
        assert bad.status_code == 400 and bad.json()["field"] == "indicators.2026.total_output"
        response = client.post(f"/api/v1/registry/reports/{report['id']}/submit", **headers)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["late"]) == ("submitted", True)


def test_report_form_autosaves_with_its_version(accounts, draft, login):
    """The annual report autosaves as the application form does (js/autosave.js): JSON with a new
    version, errors naming their input, 409 for a save from an older tab."""
    url = f"/registry/reports/{draft.pk}/"
    json = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "fetch"}
    with time_machine.travel(at(2027, 3, 2, 9), tick=True):
        client = login(accounts["yanji"])
        page = client.get(url).content.decode()
        assert "data-autosave" in page and "js/autosave.js" in page and 'data-input="ind_total_output"' in page
        version = registry.report_version(AnnualReport.objects.get(pk=draft.pk))
        assert f'name="_version" value="{version}"' in page
        response = client.post(url, {"_version": version, "ind_total_output": "60", "ind_sme_output": "70"}, **json)
        assert response.status_code == 400
        assert [e["input"] for e in response.json()["errors"]] == ["ind_sme_output"]
        response = client.post(url, {"_version": version, "ind_total_output": "60", "ind_sme_output": "45",
                                     "narrative": "发展情况（自动保存）"}, **json)
        assert response.status_code == 200 and response.json()["ok"] is True
        newer = response.json()["version"]
        assert newer != version
        report = AnnualReport.objects.get(pk=draft.pk)
        assert report.data["narrative"] == "发展情况（自动保存）" and report.status == ReportStatus.DRAFT
        stale = client.post(url, {"_version": version, "ind_total_output": "61"}, **json)  # the other tab
        assert stale.status_code == 409 and "其他窗口保存" in stale.json()["detail"]
        assert client.post(url, {"_version": newer, "ind_total_output": "61", "ind_sme_output": "45"},
                           **json).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_saving_and_submitting_lock_the_report_inside_a_transaction(accounts, yanji, monkeypatch):
    """The locked read (SELECT … FOR UPDATE) needs a transaction: PostgreSQL refuses it outside
    one (an autosave answered 500 when the decorator slid off ``save_report``). SQLite ignores
    the lock, so the transaction is asserted here on both databases."""
    from django.db import connection

    from clusterdesk.registry.domain import reports

    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        report = registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)
    seen = []
    real = reports._locked_report
    monkeypatch.setattr(reports, "_locked_report", lambda r: seen.append(connection.in_atomic_block) or real(r))
    registry.save_report(actor=accounts["yanji"], report=report, data=full_report())
    with time_machine.travel(at(2027, 2, 1, 10), tick=False):
        registry.submit_report(actor=accounts["yanji"], report=report)
    assert seen == [True, True]
