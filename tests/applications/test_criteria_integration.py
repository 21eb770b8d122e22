"""The criteria report where it shows: live for the county, stored at submission, beside
the application for city and province, re-run against another version, judgements."""

import pytest

from clusterdesk.applications import domain
from clusterdesk.criteria.domain import edit_set, get_set, record_judgement
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed


def test_submission_stores_reports_with_set_versions(accounts, ready):
    version = domain.submit(actor=accounts["dunhua"], application=ready)

    assert set(version.report) == {"national-2022", "jilin-provincial-2024"}
    national = version.report["national-2022"]
    assert national["criteria_set"]["version"] == 1
    assert national["verdict"] == "fail"  # 3 specialised firms: quality_firms fails
    assert {r["code"]: r["status"] for r in national["results"]}["sme_share"] == "pass"
    assert version.report["jilin-provincial-2024"]["criteria_set"]["placeholder"] is True


def test_county_sees_live_report_while_drafting(accounts, client, filled):
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{filled.pk}/evaluation/").content.decode()

    assert "国家级中小企业特色产业集群认定标准（2022年版）" in body
    assert "2024年中小企业产值占比75.0%（42.0÷56.0），不低于70.0%" in body
    assert "不符合认定标准" in body


def test_report_can_be_rerun_against_another_set(accounts, client, filled):
    client.force_login(accounts["yanbian"])

    body = client.get(f"/applications/{filled.pk}/evaluation/", {"criteria": "jilin-provincial-2024"}).content.decode()

    assert 'data-testid="placeholder-warning"' in body
    assert "高于60.0%" in body


def test_report_pinned_version_is_used_after_edit(accounts, client, filled):
    national = get_set("national-2022")
    new = edit_set(actor=accounts["province"], cset=national, changes={"sme_share": {"threshold": "0.80"}})
    client.force_login(accounts["yanbian"])

    pinned = client.get(f"/applications/{filled.pk}/evaluation/").content.decode()
    draft = client.get(f"/applications/{filled.pk}/evaluation/", {"criteria": "national-2022", "version": new.version}).content.decode()

    assert new.version == 2
    assert "不低于70.0%" in pinned and "本批次采用" in pinned
    assert "低于80.0%" in draft


def test_judgement_needs_submitted_application(accounts, filled):
    with pytest.raises(Conflict, match="尚未提交"):
        record_judgement(actor=accounts["yanbian"], application=filled, set_code="national-2022",
                         rule_code="supply_chain", decision="pass", reason="材料齐全")


def test_judgement_requires_reason_and_judgement_rule(accounts, ready):
    domain.submit(actor=accounts["dunhua"], application=ready)

    with pytest.raises(DomainError, match="请填写判断理由"):
        record_judgement(actor=accounts["yanbian"], application=ready, set_code="national-2022",
                         rule_code="supply_chain", decision="fail", reason=" ")
    with pytest.raises(DomainError, match="不是该标准中需要评审判断的规则"):
        record_judgement(actor=accounts["yanbian"], application=ready, set_code="national-2022",
                         rule_code="sme_share", decision="pass", reason="x")


def test_judgement_by_county_or_other_city_refused(accounts, ready):
    domain.submit(actor=accounts["dunhua"], application=ready)

    for who in ("dunhua", "tonghua"):
        with pytest.raises(NotAllowed):
            record_judgement(actor=accounts[who], application=ready, set_code="national-2022",
                             rule_code="supply_chain", decision="pass", reason="x")


def test_judgements_complete_the_report(accounts, client, api_token, ready):
    domain.submit(actor=accounts["dunhua"], application=ready)
    headers = api_token(accounts["province"])
    judged = None
    for rule in ["pillar_industry", "niche_leadership", "supply_chain", "innovation", "digital", "green", "opening_up", "governance"]:
        judged = client.post(f"/api/v1/applications/{ready.pk}/judgements",
                             {"criteria": "national-2022", "rule": rule, "decision": "pass", "reason": "佐证材料充分"},
                             content_type="application/json", **headers)

    body = judged.json()
    statuses = {r["code"]: r["status"] for r in body["results"]}
    assert judged.status_code == 200
    assert "needs_review" not in statuses.values()
    assert statuses["quality_firms"] == "fail" and body["verdict"] == "fail"
    assert body["results"][-2]["judgement"]["reason"] == "佐证材料充分"


def test_evaluation_api_shape(accounts, client, api_token, filled):
    response = client.get(f"/api/v1/applications/{filled.pk}/evaluation", {"criteria": "national-2022"},
                          **api_token(accounts["dunhua"]))

    body = response.json()
    assert response.status_code == 200
    assert body["criteria_set"] == {"code": "national-2022", "version": 1, "level": "national",
                                    "name": "国家级中小企业特色产业集群认定标准（2022年版）", "placeholder": False}
    assert [r["code"] for r in body["results"]][:5] == ["output_each_year", "sme_share", "leading_share", "growth", "area"]
    leading = next(r for r in body["results"] if r["code"] == "leading_share")
    assert (leading["comparator"], leading["threshold"], leading["status"]) == (">", "> 70.0%", "pass")


def test_evaluation_api_other_county_404(accounts, client, api_token, filled):
    response = client.get(f"/api/v1/applications/{filled.pk}/evaluation", **api_token(accounts["yanji"]))

    assert response.status_code == 404


def test_detail_page_shows_report_and_judgement_form_for_city(accounts, client, ready):
    domain.submit(actor=accounts["dunhua"], application=ready)
    client.force_login(accounts["yanbian"])

    body = client.get(f"/applications/{ready.pk}/").content.decode()
    saved = client.post(f"/applications/{ready.pk}/judgements/",
                        {"criteria": "national-2022", "rule": "green", "decision": "pass", "reason": "绿色工厂证书"}, follow=True)

    assert "认定标准对照" in body and "保存判断" in body
    assert "评审判断已保存" in saved.content.decode()
    assert "绿色工厂证书" in saved.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_evaluation_bounded_queries(accounts, client, draft, count, django_assert_max_num_queries):
    from tests.conftest import complete_body

    domain.save_fields(actor=accounts["dunhua"], application=draft, data=complete_body(count))
    client.force_login(accounts["dunhua"])
    with django_assert_max_num_queries(12):
        assert client.get(f"/applications/{draft.pk}/evaluation/").status_code == 200


def test_a_new_draft_reads_not_yet_complete_in_a_neutral_colour(accounts, client, draft):
    """Issue 15 §10: not a red 不符合认定标准 before anything is filled in."""
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{draft.pk}/evaluation/").content.decode()

    assert 'class="verdict verdict-missing_data" data-testid="verdict">尚未填写完整</span>' in body
    assert "不符合认定标准" not in body


def test_a_passing_rule_shows_no_gap(accounts, client, filled):
    """Issue 15 §10: "差距 -15.0平方公里" on a passing rule read as a shortfall."""
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{filled.pk}/evaluation/").content.decode()

    row = body[body.index('data-rule="area"'):]
    row = row[:row.index("</tr>")]
    assert 'st-pass' in row and "差距" not in row
    assert 'data-testid="gap">差距 -' in body  # a failing rule still shows its gap (quality_firms: 3 of 10)


def test_applications_css_draws_not_yet_complete_neutral():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "clusterdesk/core/static/css/applications.css").read_text()
    assert ".verdict-missing_data { color: var(--muted); }" in css
