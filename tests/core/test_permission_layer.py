"""One permission layer: one set of role predicates, rules answering the engine's Verdict,
``visible_to`` on every model reachable by id (out of scope is 404), and no refusal chosen by
reading a Chinese message."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clusterdesk.core.workflow import CONFLICT, FORBIDDEN, INVALID
from clusterdesk.orgs import roles
from tests.conftest import PDF

SOURCE = Path(__file__).resolve().parents[2] / "clusterdesk"


# --- role predicates ----------------------------------------------------------------------------

def test_role_predicates_tell_province_staff_from_a_leader_elsewhere(accounts, make_user, jilin):
    county_leader = make_user("tonghuaxian_leader", "220521", "leader")
    city_leader = make_user("yanbian_leader", "222400", "leader")

    assert roles.is_province_staff(accounts["leader"]) and roles.is_leader(accounts["leader"])
    assert not roles.is_province_staff(county_leader) and roles.is_leader(county_leader)
    assert not roles.is_province_staff(city_leader)
    assert roles.is_province_admin(accounts["province"], jilin["220000"])
    assert not roles.is_province_admin(accounts["province"], jilin["220500"].pk)  # not that province
    assert not roles.is_province_admin(accounts["sysadmin"]) and roles.is_province_manager(accounts["sysadmin"])
    assert roles.is_city_reviewer(accounts["meihekou_city"]) and roles.is_county_applicant(accounts["meihekou"])
    assert roles.is_expert(accounts["expert"]) and not roles.is_province_staff(accounts["expert"])


def test_an_inactive_account_has_no_role(accounts):
    admin = accounts["province"]
    admin.is_active = False
    assert not roles.is_province_admin(admin) and not roles.is_province_staff(admin)


def test_no_app_keeps_its_own_copy_of_the_role_predicates():
    own = []
    for path in SOURCE.rglob("*.py"):
        if path.name == "roles.py" or "migrations" in path.parts:
            continue
        text = path.read_text()
        for pattern in (r"def is_province_(admin|staff)\b", r"def _is_province_staff\b",
                        r"\(Role\.PROVINCE_ADMIN, Role\.(LEADER|SYSADMIN)", r"VIEW_ROLES = \("):
            if re.search(pattern, text):
                own.append(f"{path.relative_to(SOURCE)}: {pattern}")
    assert own == []


def test_no_refusal_reads_a_chinese_message():
    readers = []
    pattern = re.compile(r"""["'][^"'\n]*[\u4e00-\u9fff][^"'\n]*["']\s+(not\s+)?in\s+\w+(\.message|\.reason)|"""
                         r"""\.message\.(replace|startswith|endswith)\(|in str\(exc?\)""")
    for path in SOURCE.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                readers.append(f"{path.relative_to(SOURCE)}:{number}: {line.strip()}")
    assert readers == []


# --- rules answer the engine's Verdict ------------------------------------------------------------

def test_application_rules_tell_the_wrong_account_from_the_wrong_state(accounts, ready):
    from clusterdesk.applications import domain, rules
    from clusterdesk.core.errors import Conflict, NotAllowed

    assert rules.can_withdraw(accounts["yanbian"], ready).kind == FORBIDDEN
    assert rules.can_withdraw(accounts["dunhua"], ready).kind == CONFLICT  # not submitted yet
    domain.submit(actor=accounts["dunhua"], application=ready)
    ready.refresh_from_db()
    assert rules.can_edit(accounts["dunhua"], ready).kind == CONFLICT
    with pytest.raises(NotAllowed):
        domain.withdraw(actor=accounts["yanbian"], application=ready)
    with pytest.raises(Conflict, match="不能修改"):
        domain.save_fields(actor=accounts["dunhua"], application=ready, data={"niche": "x"})


def test_orgs_notifications_experts_rules_answer_verdicts(accounts, jilin):
    from clusterdesk.experts import rules as expert_rules
    from clusterdesk.notifications.rules import can_view_outbox
    from clusterdesk.orgs import rules as org_rules

    assert org_rules.role_fits_org("city_reviewer", jilin["222403"]).kind == INVALID
    assert org_rules.role_fits_org("city_reviewer", jilin["222403"]).field == "role"
    assert org_rules.can_manage_account_in(accounts["yanbian"], jilin["220521"]).kind == FORBIDDEN
    assert can_view_outbox(accounts["yanbian"]).kind == FORBIDDEN and can_view_outbox(accounts["sysadmin"])
    assert expert_rules.can_manage(accounts["leader"]).kind == FORBIDDEN
    assert expert_rules.can_score(accounts["expert"]) and expert_rules.can_score(accounts["dunhua"]).kind == FORBIDDEN


def test_withdraw_after_the_deadline_says_why_without_rewriting_a_message(accounts, ready):
    from datetime import timedelta

    import time_machine

    from clusterdesk.applications import domain
    from clusterdesk.core.errors import Conflict

    domain.submit(actor=accounts["dunhua"], application=ready)
    deadline = ready.round.stages.get(code="county_submission").closes_at
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        with pytest.raises(Conflict, match="撤回后将无法再次提交，因此不能撤回") as caught:
            domain.withdraw(actor=accounts["dunhua"], application=ready)
    assert "逾期不予受理" not in caught.value.message


# --- the progress API is the province's --------------------------------------------------------

def test_progress_api_refuses_a_county_or_city_leader(accounts, make_user, round_open, client, api_token):
    url = f"/api/v1/rounds/{round_open.pk}/progress"
    for seat in (make_user("dunhua_leader", "222403", "leader"), make_user("yb_leader", "222400", "leader"),
                 accounts["yanbian"], accounts["dunhua"]):
        response = client.get(url, **api_token(seat))
        assert response.status_code == 403 and response.json()["detail"] == "只有省厅可以查看各市州进度"
    for seat in ("province", "leader", "sysadmin"):
        assert client.get(url, **api_token(accounts[seat])).status_code == 200


# --- out of scope is 404 -----------------------------------------------------------------------

def test_spot_check_file_does_not_exist_for_other_units(accounts, ready, client, login, api_token):
    from clusterdesk.applications import domain
    from clusterdesk.reviews import province
    from clusterdesk.reviews.models import SpotCheckFile

    domain.submit(actor=accounts["dunhua"], application=ready)
    province.add_spot_check(actor=accounts["province"], application=ready, checked_on="2025-06-03", people="王处长",
                            findings="现场核实", files=[SimpleUploadedFile("记录.pdf", PDF)])
    file = SpotCheckFile.objects.get()
    for seat in ("tonghua", "yanbian", "dunhua", "expert"):
        assert login(accounts[seat]).get(f"/reviews/spot-check-files/{file.pk}/").status_code == 404
        assert client.get(f"/api/v1/spot-check-files/{file.pk}", **api_token(accounts[seat])).status_code == 404
    assert login(accounts["tonghua"]).get(f"/reviews/applications/{ready.pk}/spot-checks/").status_code == 404
    assert SpotCheckFile.objects.visible_to(accounts["leader"]).count() == 1
    assert SpotCheckFile.objects.visible_to(accounts["yanbian"]).count() == 0


def test_rereview_open_does_not_tell_a_foreign_unit_that_a_cluster_exists(accounts, client, api_token, jilin,
                                                                          criteria_sets):
    from tests.rereview.test_rereview import make_rereview_round, seed_registry

    cluster = seed_registry()  # 敦化市医药产业集群, in 延边州
    round_ = make_rereview_round(accounts["province"])
    url = f"/api/v1/registry/rereview/rounds/{round_.pk}/open"
    token = api_token(accounts["tonghua"])
    foreign = client.post(url, {"cluster_id": cluster.pk}, content_type="application/json", **token)
    missing = client.post(url, {"cluster_id": 987654}, content_type="application/json", **token)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == f"集群 {cluster.pk} 不存在"


def test_reports_changes_and_evidence_are_scoped_by_their_cluster(accounts, jilin, criteria_sets):
    from datetime import date

    from clusterdesk.registry.models import AnnualReport, ChangeEvidence, ChangeFiling
    from tests.rereview.test_rereview import seed_registry

    cluster = seed_registry()
    report = AnnualReport.objects.create(cluster=cluster, year=2026, due_on=date(2027, 3, 31))
    filing = ChangeFiling.objects.create(cluster=cluster, kind="operating_body", before={}, after={}, reason="x",
                                         filed_by=accounts["dunhua"])
    ChangeEvidence.objects.create(filing=filing, original_name="a.pdf", stored_name="a", kind="pdf", size=1,
                                  sha256="0" * 64)
    for seat, expected in (("dunhua", 1), ("yanbian", 1), ("province", 1), ("tonghua", 0), ("yanji", 0),
                           ("tonghua_county", 0)):
        user = accounts[seat]
        assert AnnualReport.objects.visible_to(user).filter(pk=report.pk).count() == expected, seat
        assert ChangeFiling.objects.visible_to(user).filter(pk=filing.pk).count() == expected, seat
        assert ChangeEvidence.objects.visible_to(user).filter(filing=filing).count() == expected, seat
