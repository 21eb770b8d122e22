"""Lockout per account, throttle per address, the client address behind trusted proxies (issue 13 §3)."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.netaddr import client_address
from django.test import RequestFactory
from tests.conftest import PASSWORD


def attempt(client, username, password, ip="10.0.0.1", **extra):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def token(client, username, password, ip="10.0.0.1"):
    return client.post("/api/v1/auth/token", {"username": username, "password": password},
                       content_type="application/json", REMOTE_ADDR=ip)


def test_five_failures_from_one_address_do_not_lock_another_user_out(accounts, client):
    for name in ["a1", "a2", "a3", "a4", "a5"]:
        attempt(client, name, "wrong", ip="10.9.9.9")

    assert attempt(client, "dunhua", PASSWORD, ip="10.9.9.9").status_code == 302


def test_stranger_behind_the_proxy_cannot_lock_the_province_out(accounts, client):
    """Five wrong passwords for five real accounts from the proxy's address: everyone else still logs in."""
    for name in ["yanji", "meihekou", "tonghuaxian", "jl_leader", "sysadmin"]:
        assert attempt(client, name, "wrong", ip="10.9.9.9").status_code == 200

    assert token(client, "jl_admin", PASSWORD, ip="10.9.9.9").status_code == 200
    assert attempt(client, "dunhua", PASSWORD, ip="10.9.9.9").status_code == 302


def test_account_locks_after_five_failures_from_anywhere(accounts, client):
    for i in range(5):
        attempt(client, "dunhua", "wrong", ip=f"10.0.0.{i + 1}")

    locked = attempt(client, "dunhua", PASSWORD, ip="10.0.1.1")

    assert locked.status_code == 429
    assert "该账号登录失败次数过多，已被锁定 15 分钟" in locked.content.decode()
    assert token(client, "dunhua", PASSWORD, ip="10.0.1.2").status_code == 429
    assert attempt(client, "yanji", PASSWORD, ip="10.0.0.1").status_code == 302  # others unaffected


def test_address_is_throttled_with_a_growing_delay_never_locked(accounts, client, settings):
    settings.LOGIN_THROTTLE_AFTER = 6
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for i in range(6):
            assert attempt(client, f"x{i}", "wrong", ip="10.7.7.7").status_code == 200
        first = attempt(client, "dunhua", PASSWORD, ip="10.7.7.7")
        assert first.status_code == 429
        assert first["Retry-After"] == "1" and "请 1 秒后再试" in first.content.decode()
        assert attempt(client, "dunhua", PASSWORD, ip="10.7.7.8").status_code == 302  # other addresses: no wait
        client.logout()
        traveller.shift(timedelta(seconds=1))
        assert attempt(client, "x7", "wrong", ip="10.7.7.7").status_code == 200  # 7th failure
        second = token(client, "dunhua", PASSWORD, ip="10.7.7.7")
        assert second.status_code == 429 and second["Retry-After"] == "2"
        assert "请 2 秒后再试" in second.json()["detail"]
        traveller.shift(timedelta(seconds=2))
        assert attempt(client, "x8", "wrong", ip="10.7.7.7").status_code == 200  # 8th failure: 4 s
        assert attempt(client, "dunhua", PASSWORD, ip="10.7.7.7")["Retry-After"] == "4"
        traveller.shift(timedelta(seconds=4))
        client.logout()
        assert attempt(client, "dunhua", PASSWORD, ip="10.7.7.7").status_code == 302


def test_throttle_wait_is_capped(accounts, client, settings):
    settings.LOGIN_THROTTLE_AFTER = 1
    settings.LOGIN_THROTTLE_MAX_SECONDS = 60
    from clusterdesk.orgs.throttle import note_failure, retry_after

    now = timezone.now()
    for _ in range(40):
        note_failure("10.1.1.1", now=now)

    assert retry_after("10.1.1.1", now=now) == 60
    assert retry_after("10.1.1.1", now=now + timedelta(hours=2)) == 0


def test_forwarded_header_ignored_unless_configured(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "5.6.7.8"  # the entry our proxy appended
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "1.2.3.4"
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_address(request) == "10.0.0.9"  # fewer entries than proxies: not trusted
    bad = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="<script>")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(bad) == "10.0.0.9"


def test_spoofed_header_does_not_escape_the_account_lock(accounts, client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for i in range(5):
        attempt(client, "dunhua", "wrong", ip="10.0.0.1", HTTP_X_FORWARDED_FOR=f"9.9.9.{i}")

    assert attempt(client, "dunhua", PASSWORD, HTTP_X_FORWARDED_FOR="8.8.8.8").status_code == 429
    assert set(AuditEvent.objects.filter(action="auth.login_failed").values_list("ip_address", flat=True)) == {"10.0.0.1"}


def test_audit_records_the_client_address_behind_the_proxy(accounts, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"ip": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}

    attempt(client, "dunhua", "wrong", **proxy)
    attempt(client, "dunhua", PASSWORD, **proxy)
    client.post("/logout/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")

    for action in ("auth.login_failed", "auth.login", "auth.logout"):
        assert AuditEvent.objects.get(action=action).ip_address == "203.0.113.5", action


def test_proxy_address_clients_are_throttled_separately(accounts, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_THROTTLE_AFTER = 2
    for name in ("a1", "a2"):
        attempt(client, name, "wrong", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert attempt(client, "dunhua", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert attempt(client, "dunhua", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302
