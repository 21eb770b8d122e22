"""Password policy and token lifetime (issue 13 §2)."""

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError

from clusterdesk.api.models import ApiToken
from clusterdesk.core.errors import DomainError
from clusterdesk.orgs import domain
from clusterdesk.orgs.models import User
from tests.conftest import PASSWORD


def post_json(client, path, body, **headers):
    return client.post(path, body, content_type="application/json", **headers)


@pytest.mark.parametrize("password, message", [
    ("thx12345", "至少 10 位"),
    ("Thx-2025-Jilin", "不能包含用户名"),          # the username, any case
    ("THXthxTHX!1", "不能包含用户名"),
    ("thxthxthxthx", "不能包含用户名"),             # its repetition
    ("Ab1Ab1Ab1Ab1", "重复"),                      # a short unit repeated
    ("aaaaaaaaaaaa", "重复"),
    ("abcdefghijkl", "至少 3 类"),                 # one class
    ("abcdefgh1234", "至少 3 类"),                 # two classes
    ("Password123", "过于常见"),                   # Django's common list (case-insensitive)
])
def test_policy_refuses_with_chinese_reason(password, message):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, User(username="thx"))

    assert any(message in m for m in exc.value.messages), exc.value.messages


@pytest.mark.parametrize("password", ["Jilin-cluster7", "敦化Medicine2025", "Q7#kd9!xPz2m", PASSWORD])
def test_policy_accepts_strong_passwords(password):
    validate_password(password, User(username="thx"))


def test_help_text_is_chinese():
    assert "至少 10 位" in " ".join(password_validators_help_texts())


def test_generated_passwords_pass_the_policy():
    for _ in range(200):
        validate_password(domain.generate_password(), User(username="someone"))


def test_demo_password_passes_the_policy():
    from clusterdesk.orgs.management.commands.load_demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    for username, *_ in DEMO_ACCOUNTS:
        validate_password(DEMO_PASSWORD, User(username=username))


def test_change_own_password_refuses_username_in_it(accounts):
    with pytest.raises(DomainError, match="不能包含用户名") as exc:
        domain.change_own_password(user=accounts["dunhua"], old_password=PASSWORD, new_password="Dunhua-2025-new")

    assert exc.value.field == "password"


def test_password_page_shows_the_policy_message(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": "dunhuadunhua",
                                          "new_password2": "dunhuadunhua"})

    assert "不能包含用户名" in response.content.decode()
    assert "不能包含用户名" in " ".join(response.context["form"].errors["new_password1"])  # beside the new password
    accounts["dunhua"].refresh_from_db()
    assert accounts["dunhua"].check_password(PASSWORD)


def test_password_change_revokes_api_tokens(accounts, client, api_token):
    headers = api_token(accounts["dunhua"])
    assert client.get("/api/v1/me", **headers).status_code == 200
    client.force_login(accounts["dunhua"])

    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": "Fresh-secret-77",
                                          "new_password2": "Fresh-secret-77"})

    assert response.status_code == 302
    client.logout()
    assert client.get("/api/v1/me", **headers).status_code == 401
    assert not ApiToken.objects.live().filter(user=accounts["dunhua"]).exists()


def test_token_refused_while_password_must_change(accounts, client):
    User.objects.filter(pk=accounts["dunhua"].pk).update(must_change_password=True)

    response = post_json(client, "/api/v1/auth/token", {"username": "dunhua", "password": PASSWORD})

    assert response.status_code == 403
    assert "临时密码" in response.json()["detail"] and "修改密码" in response.json()["detail"]
    assert not ApiToken.objects.filter(user=accounts["dunhua"]).exists()


def test_existing_token_refused_while_password_must_change(accounts, client, api_token):
    headers = api_token(accounts["dunhua"])
    User.objects.filter(pk=accounts["dunhua"].pk).update(must_change_password=True)

    response = client.get("/api/v1/me", **headers)

    assert response.status_code == 403
    assert "临时密码" in response.json()["detail"]


def test_new_account_with_temporary_password_gets_no_token(accounts, client):
    password = domain.generate_password()
    domain.create_account(actor=accounts["yanbian"], username="yj_new", org=accounts["yanji"].org,
                          role="county_applicant", password=password)

    response = post_json(client, "/api/v1/auth/token", {"username": "yj_new", "password": password})

    assert response.status_code == 403


def test_session_api_refused_while_password_must_change(accounts, client):
    User.objects.filter(pk=accounts["dunhua"].pk).update(must_change_password=True)
    accounts["dunhua"].refresh_from_db()
    client.force_login(accounts["dunhua"])

    response = client.get("/api/v1/me")

    assert response.status_code == 403 and "临时密码" in response.json()["detail"]


def test_load_demo_prints_a_password_that_works(jilin, capsys):
    from django.core.management import call_command

    from clusterdesk.orgs.management.commands.load_demo import DEMO_PASSWORD, OLD_DEMO_PASSWORD

    old = domain.create_account(actor=None, username="dunhua", org=jilin["222403"], role="county_applicant",
                                password=PASSWORD, must_change_password=False)
    old.set_password(OLD_DEMO_PASSWORD)  # a demo database from before the policy
    old.save()

    call_command("load_demo")

    assert f"密码 password: {DEMO_PASSWORD}" in capsys.readouterr().out
    for user in User.objects.filter(username__in=["dunhua", "jl_admin", "expert_li"]):
        assert user.check_password(DEMO_PASSWORD), user.username
