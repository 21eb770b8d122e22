"""Accounts: one unit, one role that fits the unit; who manages whom."""

import pytest
from django.core.management import CommandError, call_command

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.orgs import domain
from clusterdesk.orgs.models import User
from tests.conftest import PASSWORD


def test_create_account_command_creates_usable_account(jilin, settings):
    from django.conf import settings as live

    settings.PASSWORD_HASHERS = live.PASSWORD_HASHERS_PRODUCTION
    call_command("create_account", "dh_clerk", "--org", "222403", "--role", "county_applicant", "--password", PASSWORD)

    user = User.objects.get(username="dh_clerk")
    assert (user.org.code, user.role) == ("222403", "county_applicant")
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "org, role, message",
    [
        ("999999", "county_applicant", "未知单位代码：999999"),
        ("222403", "mayor", "未知角色：mayor"),
        ("220000", "county_applicant", "不适用于省"),
        ("222403", "province_admin", "不适用于县级市"),
        ("222403", "city_reviewer", "不直接向省推荐"),
        ("220500", "county_applicant", "不适用于市（州）"),
    ],
)
def test_create_account_command_refuses_clearly(jilin, org, role, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_account", "x_user", "--org", org, "--role", role, "--password", PASSWORD)

    assert not User.objects.filter(username="x_user").exists()


def test_create_account_meihekou_may_hold_both_roles(jilin, make_user):
    make_user("mhk_apply", "220581", "county_applicant")
    make_user("mhk_review", "220581", "city_reviewer")

    assert User.objects.filter(org__code="220581").count() == 2


def test_create_account_duplicate_username_refused(make_user):
    make_user("same", "222403", "county_applicant")

    with pytest.raises(DomainError, match="已被使用"):
        make_user("SAME", "222401", "county_applicant")


def test_create_account_weak_password_refused(jilin):
    with pytest.raises(DomainError, match="密码不符合要求"):
        domain.create_account(actor=None, username="weak", org=jilin["222403"], role="county_applicant", password="12345678")


def test_city_creates_account_for_its_county(accounts, jilin):
    user = domain.create_account(actor=accounts["yanbian"], username="yj2", org=jilin["222401"], role="county_applicant", password=PASSWORD)

    assert user.must_change_password
    event = AuditEvent.objects.get(action="account.created", object_id=str(user.pk))
    assert event.actor_username == "yanbian_city"
    assert event.after["role"] == "county_applicant"


@pytest.mark.parametrize(
    "actor, org, role, words",
    [
        ("yanbian", "220521", "county_applicant", "不在您的管理范围内"),
        ("tonghua", "220581", "county_applicant", "不在您的管理范围内"),
        ("yanbian", "222400", "leader", "本单位的账号由省厅管理员管理"),
        ("yanbian", "222401", "expert", "市州只能为所辖县区设置以下角色"),
        ("dunhua", "222403", "county_applicant", "只有省厅管理员和市州审核人员可以管理账号"),
    ],
)
def test_city_cannot_manage_outside_its_counties(accounts, jilin, actor, org, role, words):
    with pytest.raises(NotAllowed, match=words):
        domain.create_account(actor=accounts[actor], username="nope", org=jilin[org], role=role, password=PASSWORD)


def test_province_disables_account_and_its_tokens(accounts, client, api_token):
    headers = api_token(accounts["dunhua"])

    domain.set_account_active(actor=accounts["province"], target=accounts["dunhua"], active=False)

    assert client.get("/api/v1/me", **headers).status_code == 401
    assert client.post("/login/", {"username": "dunhua", "password": PASSWORD}).status_code == 200  # form shown again
    assert AuditEvent.objects.filter(action="account.disabled", object_id=str(accounts["dunhua"].pk)).exists()


def test_reset_password_gives_working_temporary_password(accounts, client):
    temp = domain.reset_password(actor=accounts["yanbian"], target=accounts["dunhua"])

    assert client.post("/login/", {"username": "dunhua", "password": temp}).status_code == 302
    assert client.get("/").url == "/password/"


def test_nobody_resets_own_account_here(accounts):
    with pytest.raises(NotAllowed, match="不能在这里停用或重置自己的账号"):
        domain.reset_password(actor=accounts["province"], target=accounts["province"])


def test_account_pages_create_disable_reset(accounts, client, jilin):
    client.force_login(accounts["yanbian"])

    created = client.post("/accounts/new/", {"username": "yj_new", "org": "222401", "role": "county_applicant"})
    new = User.objects.get(username="yj_new")
    disabled = client.post(f"/accounts/{new.pk}/disable/", follow=True)
    reset = client.post(f"/accounts/{new.pk}/reset-password/")

    assert created.status_code == 200 and "临时密码" in created.content.decode()
    assert "已停用" in disabled.content.decode()
    assert not User.objects.get(pk=new.pk).is_active
    assert reset.status_code == 200 and "密码已重置" in reset.content.decode()


def test_account_page_rejects_org_outside_scope(accounts, client):
    client.force_login(accounts["yanbian"])

    response = client.post("/accounts/new/", {"username": "sneaky", "org": "220521", "role": "county_applicant"})

    assert "所属单位不在您的管理范围内" in response.content.decode()
    assert not User.objects.filter(username="sneaky").exists()


def test_account_pages_forbidden_to_county(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.get("/accounts/")

    assert response.status_code == 403
    assert "只有省厅管理员和市州审核人员可以管理账号" in response.content.decode()


def test_password_change_page(accounts, client):
    client.force_login(accounts["dunhua"])

    wrong = client.post("/password/", {"old_password": "nope", "new_password1": "Another-pass-9", "new_password2": "Another-pass-9"})
    ok = client.post("/password/", {"old_password": PASSWORD, "new_password1": "Another-pass-9", "new_password2": "Another-pass-9"})

    assert "原密码：原密码不正确" in wrong.content.decode()
    assert ok.status_code == 302
    assert User.objects.get(pk=accounts["dunhua"].pk).check_password("Another-pass-9")
