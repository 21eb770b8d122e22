"""GET /api/v1/orgs returns exactly the caller's scope."""

import pytest


@pytest.mark.parametrize(
    "who, expected",
    [
        ("dunhua", ["222403"]),
        ("meihekou_city", ["220581"]),
        ("tonghua", ["220500", "220502", "220503", "220521", "220523", "220524", "220582"]),
    ],
)
def test_orgs_list_is_scoped(accounts, client, api_token, who, expected):
    response = client.get("/api/v1/orgs", **api_token(accounts[who]))

    assert response.status_code == 200
    assert sorted(o["code"] for o in response.json()) == expected


def test_orgs_list_fields(accounts, client, api_token):
    orgs = client.get("/api/v1/orgs", **api_token(accounts["province"])).json()

    meihekou = next(o for o in orgs if o["code"] == "220581")
    assert len(orgs) == 75
    assert meihekou == {
        "code": "220581", "name": "梅河口市", "kind": "county_city", "kind_label": "县级市",
        "parent_code": "220500", "recommends_to_province": True,
    }


def test_orgs_list_query_count_is_constant(accounts, client, api_token, django_assert_max_num_queries):
    headers = api_token(accounts["province"])

    with django_assert_max_num_queries(6):
        client.get("/api/v1/orgs", **headers)


def test_orgs_unknown_code_is_404_json(accounts, client, api_token):
    response = client.get("/api/v1/orgs/000000", **api_token(accounts["province"]))

    assert response.status_code == 404
    assert response.json()["detail"] == "对象不存在或不在您的权限范围内"


def test_orgs_session_auth_works_for_browser(accounts, client):
    client.force_login(accounts["dunhua"])

    assert client.get("/api/v1/me").json()["username"] == "dunhua"
