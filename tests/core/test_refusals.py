"""Pages map DomainError in one place (core.middleware.DomainErrorMiddleware)."""

import pytest
from django.contrib.messages import get_messages

pytestmark = pytest.mark.urls("tests.core.refusal_urls")


@pytest.mark.parametrize("kind, status, title", [
    ("invalid", 400, "无法完成"), ("forbidden", 403, "无权访问"), ("conflict", 409, "当前状态不允许此操作"),
    ("missing", 404, "页面不存在"),
])
def test_refused_page_shows_the_reason_with_the_status(accounts, client, kind, status, title):
    client.force_login(accounts["dunhua"])

    response = client.get(f"/refuse/{kind}/")

    assert response.status_code == status
    text = response.content.decode()
    assert title in text
    assert str(response.context["reason"]) in text and response.context["reason"]
    assert response["Cache-Control"] == "private, no-store"


def test_refused_form_post_goes_back_with_the_message_and_the_items(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.post("/refuse/invalid/?back=1")

    assert response.status_code == 302 and response.url == "/somewhere/#form"
    texts = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert texts == [("error", "未保存：请填写集群名称"), ("warning", "集群名称：请填写")]


@pytest.mark.parametrize("kind, status", [("forbidden", 403), ("missing", 404)])
def test_forbidden_or_missing_is_a_page_even_where_a_form_would_go_back(accounts, client, kind, status):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/refuse/{kind}/?back=1")

    assert response.status_code == status
    assert not list(get_messages(response.wsgi_request))


def test_htmx_request_gets_a_fragment_it_swaps(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.get("/refuse/conflict/", headers={"HX-Request": "true"})

    assert response.status_code == 409
    assert response["HX-Reswap"] == "innerHTML"
    body = response.content.decode()
    assert "申报已提交，不能再修改" in body and "<html" not in body and 'role="alert"' in body


def test_script_request_gets_json_like_the_api(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.post("/refuse/invalid/?back=1", headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.json()["detail"] == "请填写集群名称" and response.json()["field"] == "name"


def test_real_form_post_refusal_goes_back_with_message(accounts, draft, client):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/withdraw/")

    assert response.status_code == 302 and response.url == f"/applications/{draft.pk}/"
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]


def test_real_not_allowed_on_a_form_post_is_the_403_page(accounts, client):
    client.force_login(accounts["province"])  # nobody disables their own account here

    response = client.post(f"/accounts/{accounts['province'].pk}/disable/")

    assert response.status_code == 403
    text = response.content.decode()
    assert "无权访问" in text and "不能在这里停用或重置自己的账号" in text
    accounts["province"].refresh_from_db()
    assert accounts["province"].is_active
