"""API authentication: tokens, revocation, lockout, errors as Chinese JSON."""

import pytest

from clusterdesk.api.models import ApiToken
from tests.conftest import PASSWORD


def post_json(client, path, body, **headers):
    return client.post(path, body, content_type="application/json", **headers)


def test_token_then_me(accounts, client, api_token):
    headers = api_token(accounts["dunhua"])

    response = client.get("/api/v1/me", **headers)

    assert response.status_code == 200
    assert response.json()["username"] == "dunhua"
    assert response.json()["role"] == "county_applicant"
    assert response.json()["org"] == {"code": "222403", "name": "敦化市", "kind": "county_city"}


def test_token_is_stored_hashed(accounts, client, api_token):
    raw = api_token(accounts["dunhua"])["HTTP_AUTHORIZATION"].split()[1]

    assert not ApiToken.objects.filter(key_hash=raw).exists()
    assert ApiToken.objects.get(user=accounts["dunhua"]).prefix == raw[:8]


def test_token_wrong_password_401(accounts, client):
    response = post_json(client, "/api/v1/auth/token", {"username": "dunhua", "password": "wrong"})

    assert response.status_code == 401
    assert response.json()["detail"] == "用户名或密码错误，请检查后重试"


def test_token_unknown_user_401(accounts, client):
    response = post_json(client, "/api/v1/auth/token", {"username": "ghost", "password": "x"})

    assert response.status_code == 401


def test_token_lockout_applies(accounts, client):
    for _ in range(5):
        post_json(client, "/api/v1/auth/token", {"username": "dunhua", "password": "wrong"})

    response = post_json(client, "/api/v1/auth/token", {"username": "dunhua", "password": PASSWORD})

    assert response.status_code == 429
    assert "已被锁定" in response.json()["detail"]


def test_token_lockout_shared_with_login_page(accounts, client):
    for _ in range(5):
        client.post("/login/", {"username": "dunhua", "password": "wrong"})

    response = post_json(client, "/api/v1/auth/token", {"username": "dunhua", "password": PASSWORD})

    assert response.status_code == 429


def test_revoked_token_is_refused(accounts, client, api_token):
    headers = api_token(accounts["dunhua"])

    revoked = client.post("/api/v1/auth/token/revoke", **headers)
    after = client.get("/api/v1/me", **headers)

    assert revoked.status_code == 204
    assert after.status_code == 401
    assert "令牌" in after.json()["detail"]


def test_no_token_is_401_in_chinese(db, client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["detail"].startswith("未登录或令牌无效")


def test_garbage_token_is_401(db, client):
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


def test_malformed_json_is_400(accounts, client):
    response = client.post("/api/v1/auth/token", "{username: ", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("请求体不是有效的 JSON")


def test_missing_field_is_400_naming_it(accounts, client):
    response = post_json(client, "/api/v1/auth/token", {"username": "dunhua"})

    assert response.status_code == 400
    assert "字段 password 必填" in response.json()["detail"]


def test_openapi_schema_and_docs_served_locally(db, client):
    schema = client.get("/api/v1/openapi.json")
    docs = client.get("/api/v1/docs")

    assert schema.status_code == 200
    assert "/api/v1/auth/token" in schema.json()["paths"]
    assert docs.status_code == 200
    body = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn.jsdelivr" not in body
