"""/api/v1/rounds: list, create, read, partial update, extensions."""

import pytest

BODY = {
    "name": "2025年度中小企业特色产业集群申报推荐",
    "year": 2025,
    "status": "open",
    "stages": {
        "county_submission": "2025-03-31",
        "name_list": "2025-04-10",
        "formal_submission": "2025-04-30",
        "national_recommendation": "2025-05-31",
    },
    "national_quota": 8,
    "city_quota": 3,
    "city_quota_needs_county": True,
    "one_per_niche": False,
    "criteria_sets": [{"code": "national-2022", "version": 1}, {"code": "jilin-provincial-2024", "version": 1}],
    "contact_office": "省工信厅中小企业处",
    "contact_name": "王处长",
    "contact_phone": "0431-88888888",
    "contact_email": "zxqyc@example.gov.cn",
    "notice": "纸质材料一式三份",
}


@pytest.fixture
def admin(accounts, api_token):
    return api_token(accounts["province"])


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def patch(client, url, body, headers):
    return client.patch(url, body, content_type="application/json", **headers)


def test_round_create_get_patch_flow(accounts, client, admin):
    created = post(client, "/api/v1/rounds", BODY, admin)
    assert created.status_code == 201, created.content
    round_id = created.json()["id"]

    got = client.get(f"/api/v1/rounds/{round_id}", **admin).json()

    assert got == created.json()
    assert {k: got[k] for k in BODY if k != "stages"} == {k: v for k, v in BODY.items() if k != "stages"}
    assert got["stages"] == [
        {"code": "county_submission", "label": "县级申报提交", "deadline": "2025-03-31", "closes_at": "2025-03-31T23:59:59+08:00"},
        {"code": "name_list", "label": "市州报送推荐名单", "deadline": "2025-04-10", "closes_at": "2025-04-10T23:59:59+08:00"},
        {"code": "formal_submission", "label": "市州正式推荐", "deadline": "2025-04-30", "closes_at": "2025-04-30T23:59:59+08:00"},
        {"code": "national_recommendation", "label": "省厅推荐国家级", "deadline": "2025-05-31", "closes_at": "2025-05-31T23:59:59+08:00"},
    ]
    assert got["checklist"][0] == {"code": "E01", "title": "统计部门出具的集群产值证明", "required": True,
                                   "allowed_types": ["pdf", "jpg", "png", "ofd"], "order": 1}
    assert len(got["checklist"]) == 12 and got["extensions"] == []

    patched = patch(client, f"/api/v1/rounds/{round_id}",
                    {"city_quota": None, "national_quota": 6, "stages": {"name_list": "2025-04-15"}}, admin)

    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert (body["city_quota"], body["national_quota"], body["name"]) == (None, 6, BODY["name"])
    assert [s["deadline"] for s in body["stages"]] == ["2025-03-31", "2025-04-15", "2025-04-30", "2025-05-31"]
    assert client.get(f"/api/v1/rounds/{round_id}", **admin).json() == body


def test_round_list_returns_visible_rounds(accounts, client, admin, api_token):
    post(client, "/api/v1/rounds", BODY, admin)
    post(client, "/api/v1/rounds", {**BODY, "name": "2026年度筹备", "year": 2026, "status": "draft"}, admin)

    province = client.get("/api/v1/rounds", **admin).json()
    county = client.get("/api/v1/rounds", **api_token(accounts["dunhua"])).json()

    assert sorted(r["year"] for r in province) == [2025, 2026]
    assert [r["name"] for r in county] == [BODY["name"]]


def test_round_draft_is_404_for_city(accounts, client, admin, api_token):
    draft_id = post(client, "/api/v1/rounds", {**BODY, "status": "draft"}, admin).json()["id"]

    response = client.get(f"/api/v1/rounds/{draft_id}", **api_token(accounts["tonghua"]))

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["tonghua", "dunhua", "leader"])
def test_round_create_by_non_admin_is_403(accounts, client, api_token, who):
    response = post(client, "/api/v1/rounds", BODY, api_token(accounts[who]))

    assert response.status_code == 403
    assert response.json()["detail"] == "只有省厅管理员可以管理申报批次"


def test_round_patch_by_city_is_403(accounts, client, admin, api_token):
    round_id = post(client, "/api/v1/rounds", BODY, admin).json()["id"]

    response = patch(client, f"/api/v1/rounds/{round_id}", {"national_quota": 20}, api_token(accounts["tonghua"]))

    assert response.status_code == 403
    assert client.get(f"/api/v1/rounds/{round_id}", **admin).json()["national_quota"] == 8


def test_round_create_stages_out_of_order_is_400_with_field(client, admin):
    stages = {**BODY["stages"], "formal_submission": "2025-04-01"}

    response = post(client, "/api/v1/rounds", {**BODY, "stages": stages}, admin)

    assert response.status_code == 400
    assert response.json()["field"] == "stages.formal_submission"
    assert "不能早于" in response.json()["detail"]


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"stages": {"name_list": "2025-13-01"}}, "stages.name_list", "YYYY-MM-DD"),
        ({"stages": {"final": "2025-06-01"}}, "stages.final", "未知阶段"),
        ({"status": "running"}, "status", "可选"),
        ({"year": 25}, "year", "四位年份"),
        ({"national_quota": -1}, "national_quota", "0–999"),
        ({"contact_email": "not-an-email"}, "contact_email", "电子邮箱"),
        ({"criteria_sets": [{"code": "national 2022", "version": 1}]}, "criteria_sets", "格式不对"),
        ({"criteria_sets": [{"code": "national-2022", "version": 0}]}, "criteria_sets", "正整数"),
    ],
)
def test_round_create_invalid_field_is_400_in_chinese(client, admin, change, field, words):
    response = post(client, "/api/v1/rounds", {**BODY, **change}, admin)

    assert response.status_code == 400
    assert response.json()["field"] == field and words in response.json()["detail"]


def test_round_create_unknown_field_is_400(client, admin):
    response = post(client, "/api/v1/rounds", {**BODY, "quota": 3}, admin)

    assert response.status_code == 400
    assert "quota" in response.json()["detail"] and "未知字段" in response.json()["detail"]


def test_round_patch_null_for_required_field_is_400(client, admin):
    round_id = post(client, "/api/v1/rounds", BODY, admin).json()["id"]

    response = patch(client, f"/api/v1/rounds/{round_id}", {"name": None}, admin)

    assert response.status_code == 400 and response.json()["field"] == "name"


def test_extension_grant_via_api(accounts, client, admin):
    round_id = post(client, "/api/v1/rounds", BODY, admin).json()["id"]

    response = post(client, f"/api/v1/rounds/{round_id}/extensions",
                    {"stage": "name_list", "org_code": "220500", "closes_at": "2025-04-12T23:59:59+08:00",
                     "reason": "材料补正，经请示同意"}, admin)

    expected = {"stage": "name_list", "org_code": "220500", "closes_at": "2025-04-12T23:59:59+08:00",
                "reason": "材料补正，经请示同意", "granted_by": "jl_admin"}
    assert response.status_code == 201, response.content
    assert response.json() == expected
    assert client.get(f"/api/v1/rounds/{round_id}", **admin).json()["extensions"] == [expected]


def test_extension_grant_date_only_means_end_of_day(client, admin):
    round_id = post(client, "/api/v1/rounds", BODY, admin).json()["id"]

    response = post(client, f"/api/v1/rounds/{round_id}/extensions",
                    {"stage": "name_list", "org_code": "220500", "closes_at": "2025-04-12", "reason": "补正"}, admin)

    assert response.json()["closes_at"] == "2025-04-12T23:59:59+08:00"


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"closes_at": "2025-04-10T20:00:00+08:00"}, "closes_at", "应晚于原截止时间（2025年4月10日24时）"),
        ({"closes_at": "next friday"}, "closes_at", "ISO"),
        ({"reason": " "}, "reason", "延期原因"),
        ({"org_code": "999999"}, "org_code", "不存在"),
        ({"stage": "final"}, "stage", "未知阶段"),
    ],
)
def test_extension_grant_invalid_is_400(client, admin, change, field, words):
    round_id = post(client, "/api/v1/rounds", BODY, admin).json()["id"]
    body = {"stage": "name_list", "org_code": "220500", "closes_at": "2025-04-12T23:59:59+08:00", "reason": "补正", **change}

    response = post(client, f"/api/v1/rounds/{round_id}/extensions", body, admin)

    assert response.status_code == 400
    assert response.json()["field"] == field and words in response.json()["detail"]


def test_extension_grant_by_city_is_403(accounts, client, admin, api_token):
    round_id = post(client, "/api/v1/rounds", BODY, admin).json()["id"]

    response = post(client, f"/api/v1/rounds/{round_id}/extensions",
                    {"stage": "name_list", "org_code": "220500", "closes_at": "2025-04-12", "reason": "补正"},
                    api_token(accounts["tonghua"]))

    assert response.status_code == 403


def test_round_list_query_count_is_constant(accounts, client, admin, django_assert_max_num_queries):
    for year in (2025, 2026, 2027):
        post(client, "/api/v1/rounds", {**BODY, "year": year}, admin)

    with django_assert_max_num_queries(8):
        client.get("/api/v1/rounds", **admin)
