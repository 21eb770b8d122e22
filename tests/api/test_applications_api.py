"""The applications API: create, read, patch, submit, withdraw, versions, scoping, errors."""

import pytest

from clusterdesk.applications.models import Application
from tests.conftest import complete_body, make_uscc


def post(client, path, body, headers):
    return client.post(path, body, content_type="application/json", **headers)


def patch(client, path, body, headers):
    return client.patch(path, body, content_type="application/json", **headers)


@pytest.fixture
def county(accounts, api_token):
    return api_token(accounts["dunhua"])


def test_create_with_body_returns_computed_values(accounts, client, county, round_open):
    response = post(client, "/api/v1/applications", {"round": round_open.pk, **complete_body()}, county)

    body = response.json()
    assert response.status_code == 201
    assert body["number"] == "2025-222403-01"
    assert body["data"]["indicators"][3] == {
        "year": 2024, "total_output": "56.0", "sme_output": "42.0", "leading_output": "45.0",
        "enterprise_count": 95, "sme_rd_spending": "1.4"}
    assert body["computed"]["years"][2] == {"year": 2024, "sme_share": "0.7500", "leading_share": "0.8036"}
    assert body["computed"]["growth"] == "0.1155"  # (56/45)^(1/2) - 1 over the declared years (issue 12)
    assert [m["field"] for m in body["missing"]] == ["evidence.E01", "evidence.E02", "evidence.E09", "evidence.E11", "evidence.E12"]


def test_create_for_out_of_scope_org_is_403(accounts, client, county, round_open):
    response = post(client, "/api/v1/applications", {"round": round_open.pk, "org_code": "222401"}, county)

    assert response.status_code == 403
    assert response.json()["field"] == "org_code"
    assert "只能为本单位申报" in response.json()["detail"]
    assert not Application.objects.exists()


def test_create_with_invalid_field_leaves_nothing(accounts, client, county, round_open):
    response = post(client, "/api/v1/applications", {"round": round_open.pk, "area_km2": "-3"}, county)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "area_km2", "message": "集群面积不能为负数"}]
    assert not Application.objects.exists()


def test_unknown_field_is_400(accounts, client, county, round_open):
    response = post(client, "/api/v1/applications", {"round": round_open.pk, "sme_share": "0.9"}, county)

    assert response.status_code == 400
    assert "字段 sme_share 是未知字段" in response.json()["detail"]


def test_patch_invalid_credit_code_is_400_naming_row(accounts, client, county, draft):
    rows = [{"name": "甲公司", "uscc": "91222403MA00000019", "qualifications": ["champion"], "year": 2023}]

    response = patch(client, f"/api/v1/applications/{draft.pk}", {"quality_enterprises": rows}, county)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "quality_enterprises.0.uscc"
    assert "校验位不正确" in response.json()["errors"][0]["message"]


def test_patch_with_stale_section_version_is_409(accounts, client, county, draft):
    versions = client.get(f"/api/v1/applications/{draft.pk}", **county).json()["section_versions"]
    assert patch(client, f"/api/v1/applications/{draft.pk}", {"name": "甲", "section_versions": versions}, county).status_code == 200

    stale = patch(client, f"/api/v1/applications/{draft.pk}", {"name": "乙", "section_versions": versions}, county)

    assert stale.status_code == 409
    assert "在其他窗口保存" in stale.json()["detail"]
    assert client.get(f"/api/v1/applications/{draft.pk}", **county).json()["data"]["name"] == "甲"


def test_other_county_gets_404(accounts, client, api_token, draft):
    other = api_token(accounts["yanji"])

    assert client.get(f"/api/v1/applications/{draft.pk}", **other).status_code == 404
    assert patch(client, f"/api/v1/applications/{draft.pk}", {"name": "x"}, other).status_code == 404
    assert client.post(f"/api/v1/applications/{draft.pk}/submit", **other).status_code == 404


def test_submit_missing_is_400_with_list(accounts, client, county, filled):
    response = client.post(f"/api/v1/applications/{filled.pk}/submit", **county)

    assert response.status_code == 400
    assert len(response.json()["errors"]) == 5


def test_submit_withdraw_versions_flow(accounts, client, county, ready):
    first = client.post(f"/api/v1/applications/{ready.pk}/submit", **county)
    again = client.post(f"/api/v1/applications/{ready.pk}/submit", **county)
    edit = patch(client, f"/api/v1/applications/{ready.pk}", {"niche": "改"}, county)
    withdrawn = client.post(f"/api/v1/applications/{ready.pk}/withdraw", **county)
    versions = client.get(f"/api/v1/applications/{ready.pk}/versions", **county)
    snapshot = client.get(f"/api/v1/applications/{ready.pk}/versions/1", **county)

    assert first.status_code == 200 and first.json()["number"] == 1
    assert again.json()["number"] == 1
    assert edit.status_code == 409 and "先撤回" in edit.json()["detail"]
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "draft"
    assert [v["number"] for v in versions.json()] == [1]
    assert versions.json()[0]["withdrawn_at"] is not None
    assert snapshot.json()["data"]["name"] == "敦化市医药产业集群"
    assert len(snapshot.json()["evidence"]) == 5


def test_city_sees_and_filters_its_applications(accounts, client, api_token, draft, round_open):
    city = api_token(accounts["yanbian"])

    listed = client.get("/api/v1/applications", {"round": round_open.pk, "status": "draft"}, **city).json()
    none = client.get("/api/v1/applications", {"status": "submitted"}, **city).json()
    tonghua = client.get("/api/v1/applications", **api_token(accounts["tonghua"])).json()

    assert listed["count"] == 1 and listed["items"][0]["number"] == "2025-222403-01"
    assert none["count"] == 0
    assert tonghua["count"] == 0


def test_city_cannot_edit_county_application(accounts, client, api_token, draft):
    response = patch(client, f"/api/v1/applications/{draft.pk}", {"name": "x"}, api_token(accounts["yanbian"]))

    assert response.status_code == 403  # the wrong account is forbidden (403); the wrong state is a conflict (409)
    assert "只有申报单位的县级申报账号可以填写" in response.json()["detail"]


@pytest.mark.parametrize("count", [1, 50])
def test_list_query_count_is_constant(accounts, client, county, round_open, count, django_assert_max_num_queries):
    from clusterdesk.applications.domain import create_application

    for _ in range(min(count, 3)):
        create_application(actor=accounts["dunhua"], round_=round_open)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/applications", **county).status_code == 200


def test_openapi_lists_application_operations(db, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for path in ["/api/v1/applications", "/api/v1/applications/{application_id}",
                 "/api/v1/applications/{application_id}/submit", "/api/v1/applications/{application_id}/withdraw",
                 "/api/v1/applications/{application_id}/versions"]:
        assert path in paths


def test_reads_carry_state_version_for_the_first_action(accounts, client, county, api_token, ready, round_open):
    """An API client reads ``state_version`` from the application (or the list) and sends it with
    its first action (issue 16 §4)."""
    client.post(f"/api/v1/applications/{ready.pk}/submit", **county)
    city = api_token(accounts["yanbian"])
    read = client.get(f"/api/v1/applications/{ready.pk}", **city).json()
    listed = client.get("/api/v1/applications", {"round": round_open.pk}, **city).json()["items"]
    assert [item["state_version"] for item in listed] == [read["state_version"]]

    acted = post(client, f"/api/v1/applications/{ready.pk}/actions/city_recommend",
                 {"national": False, "state_version": read["state_version"]}, city)
    assert acted.status_code == 200, acted.content
    after = client.get(f"/api/v1/applications/{ready.pk}", **city).json()["state_version"]
    assert after > read["state_version"]
    stale = post(client, f"/api/v1/applications/{ready.pk}/actions/city_return",
                 {"comment": "请补充", "state_version": read["state_version"]}, city)
    assert stale.status_code == 409


def test_identical_patch_retried_after_a_lost_answer_is_200(accounts, client, county, draft):
    versions = client.get(f"/api/v1/applications/{draft.pk}", **county).json()["section_versions"]
    body = {"name": "敦化市医药产业集群", "section_versions": versions}
    first = patch(client, f"/api/v1/applications/{draft.pk}", body, county)
    retried = patch(client, f"/api/v1/applications/{draft.pk}", body, county)  # the answer to the first was lost

    assert first.status_code == 200 and retried.status_code == 200, retried.content
    assert retried.json()["section_versions"] == first.json()["section_versions"]
    assert patch(client, f"/api/v1/applications/{draft.pk}", {**body, "name": "别的"}, county).status_code == 409
