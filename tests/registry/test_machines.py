"""The registry's machines (registry/workflow.py): each refuses the wrong state with 409 and the
wrong role with 403, the same way through the domain functions and the API."""

from datetime import date

import pytest
import time_machine

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import DomainError
from clusterdesk.core.workflow import CONFLICT, FORBIDDEN, MACHINES
from clusterdesk.registry import domain as registry
from clusterdesk.registry import workflow
from clusterdesk.registry.models import ChangeStatus, Cluster, ClusterStatus, ReportStatus

from .conftest import at, full_report, pdf


def refusal(call) -> int:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.status


def test_the_machines_are_registered_with_their_groups():
    assert {"registry.cluster", "registry.report", "registry.change"} <= set(MACHINES)
    assert workflow.CLUSTER.group("valid") == (ClusterStatus.RECOGNIZED,)
    assert set(workflow.CLUSTER.group("in_registry")) == {"pool", "recognized", "expired"}
    assert workflow.CLUSTER.label_of("registry.revoked") == "撤销认定"
    assert "s_recognized --> s_expired: 认定到期" in workflow.CLUSTER.mermaid()


# --- the cluster status --------------------------------------------------------------------------

def extend(actor):
    return lambda cluster: registry.extend_validity(cluster=cluster, actor=actor)


def revoke(actor):
    return lambda cluster: registry.revoke(cluster=cluster, reason="复核未通过（测试）", actor=actor)


@pytest.mark.parametrize("status, step, who, expected", [
    (ClusterStatus.REVOKED, "extend", "province", 409),
    (ClusterStatus.REVOKED, "revoke", "province", 409),
    (ClusterStatus.POOL, "extend", "province", 409),
    (ClusterStatus.POOL, "revoke", "province", 409),
    (ClusterStatus.RECOGNIZED, "extend", "yanji", 403),
    (ClusterStatus.RECOGNIZED, "revoke", "yanbian", 403),
    (ClusterStatus.EXPIRED, "revoke", "leader", 403),
])
def test_cluster_status_refusals(accounts, yanji, status, step, who, expected):
    Cluster.objects.filter(pk=yanji.pk).update(status=status)
    call = {"extend": extend, "revoke": revoke}[step](accounts[who])

    assert refusal(lambda: call(yanji)) == expected

    assert Cluster.objects.get(pk=yanji.pk).status == status


@pytest.mark.parametrize("status, action, kind", [
    (ClusterStatus.EXPIRED, "expire", CONFLICT),
    (ClusterStatus.REVOKED, "recognize", CONFLICT),
    (ClusterStatus.RECOGNIZED, "expire", None),
    (ClusterStatus.EXPIRED, "extend", None),
])
def test_cluster_status_verdicts(accounts, yanji, status, action, kind):
    yanji.status = status
    verdict = workflow.CLUSTER.check(accounts["province"], yanji, action)
    assert verdict.kind == (kind or "") and verdict.allowed is (kind is None)
    assert workflow.CLUSTER.check(accounts["yanji"], yanji, action).kind == FORBIDDEN


def test_expired_entry_is_extended_back_to_recognised(accounts, yanji):
    Cluster.objects.filter(pk=yanji.pk).update(status=ClusterStatus.EXPIRED)
    registry.extend_validity(cluster=yanji, actor=accounts["province"], years=3)
    yanji.refresh_from_db()
    assert (yanji.status, yanji.valid_until) == (ClusterStatus.RECOGNIZED, date(2031, 12, 31))


# --- annual reports ------------------------------------------------------------------------------

@pytest.fixture
def report(accounts, yanji):
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        report = registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)
    registry.save_report(actor=accounts["yanji"], report=report, data=full_report())
    return report


@pytest.mark.parametrize("who, submitted, expected", [
    ("yanbian", False, 403),  # the city
    ("province", False, 403),
    ("dunhua", False, 404),  # another county: out of scope
    ("yanji", True, 409),  # saving a submitted report
])
def test_report_refusals(accounts, report, who, submitted, expected):
    if submitted:
        registry.submit_report(actor=accounts["yanji"], report=report)
    if expected == 409:
        assert refusal(lambda: registry.save_report(actor=accounts[who], report=report, data={"narrative": "改"})) == 409
    else:
        assert refusal(lambda: registry.submit_report(actor=accounts[who], report=report)) == expected
    report.refresh_from_db()
    assert report.status == (ReportStatus.SUBMITTED if submitted else ReportStatus.DRAFT)


def test_report_machine_verdicts(accounts, report):
    assert workflow.REPORT.check(accounts["yanji"], report, "submit").allowed
    report.status = ReportStatus.SUBMITTED
    assert workflow.REPORT.check(accounts["yanji"], report, "submit").kind == CONFLICT
    assert [b.action for b in workflow.REPORT.buttons(accounts["yanji"], report)] == []


@pytest.mark.parametrize("cluster_status", [ClusterStatus.EXPIRED, ClusterStatus.REVOKED, ClusterStatus.POOL])
def test_reports_and_filings_need_an_entry_in_force(accounts, yanji, cluster_status):
    Cluster.objects.filter(pk=yanji.pk).update(status=cluster_status)
    yanji.refresh_from_db()
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        assert refusal(lambda: registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)) == 409
    assert refusal(lambda: registry.file_change(
        actor=accounts["yanji"], cluster=yanji, kind="operating_body", after={"operating_body": "新主体"},
        reason="调整", evidence_files=[pdf()])) == 409


def test_late_submission_is_flagged_by_the_step(accounts, report):
    with time_machine.travel(at(2027, 4, 1, 0, 0, 1), tick=False):
        submitted = registry.submit_report(actor=accounts["yanji"], report=report)
    assert (submitted.status, submitted.late, submitted.submitted_by) == (ReportStatus.SUBMITTED, True, accounts["yanji"])

    event = AuditEvent.objects.get(action="registry.report_submitted")  # on the report the step moved
    assert event.after["late"] is True and event.before == {"status": "draft"}


# --- change filings ------------------------------------------------------------------------------

@pytest.fixture
def filing(accounts, yanji):
    return registry.file_change(actor=accounts["yanji"], cluster=yanji, kind="operating_body",
                                after={"operating_body": "延吉高新区管委会"}, reason="调整（测试）", evidence_files=[pdf()])


def filing_status(filing):
    filing.refresh_from_db()
    return filing.status


@pytest.mark.parametrize("decided, who, approve, expected", [
    (None, "yanji", True, 403),
    (None, "yanbian", False, 403),
    (None, "leader", True, 403),
    ("approve", "province", True, 409),
    ("approve", "province", False, 409),
    ("refuse", "province", True, 409),
])
def test_change_refusals(accounts, filing, decided, who, approve, expected):
    if decided:
        registry.decide_change(actor=accounts["province"], filing=filing, approve=decided == "approve", note="已核实")
    before = filing_status(filing)

    assert refusal(lambda: registry.decide_change(actor=accounts[who], filing=filing, approve=approve,
                                                  note="意见")) == expected

    assert filing_status(filing) == before


def test_approval_of_a_revoked_entrys_change_is_refused_but_refusal_is_allowed(accounts, yanji, filing):
    Cluster.objects.filter(pk=yanji.pk).update(status=ClusterStatus.REVOKED)
    assert refusal(lambda: registry.decide_change(actor=accounts["province"], filing=filing, approve=True)) == 409
    registry.decide_change(actor=accounts["province"], filing=filing, approve=False, note="认定已撤销")
    assert filing_status(filing) == ChangeStatus.REFUSED
    assert Cluster.objects.get(pk=yanji.pk).operating_body == ""


def test_machine_refusals_through_the_api(accounts, filing, api_token, client):
    url = f"/api/v1/registry/changes/{filing.pk}/decision"
    county, admin = api_token(accounts["yanji"]), api_token(accounts["province"])
    assert client.post(url, {"approve": True}, content_type="application/json", **county).status_code == 403
    assert client.post(url, {"approve": True}, content_type="application/json", **admin).status_code == 200
    again = client.post(url, {"approve": False, "note": "x"}, content_type="application/json", **admin)
    assert again.status_code == 409 and again.json()["detail"] == "变更报备当前状态为“已同意”，不能不予同意变更"
