"""Login: argon2, lockout after 5 failures per account (addresses: tests/orgs/test_lockout.py), idle expiry, logout."""

import time_machine
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from clusterdesk.audit.models import AuditEvent
from tests.conftest import PASSWORD


def attempt(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_success_goes_home_and_is_audited(accounts, client):
    response = attempt(client, "dunhua", PASSWORD)

    assert response.status_code == 302 and response.url == "/"
    assert AuditEvent.objects.filter(action="auth.login", actor=accounts["dunhua"]).exists()


def test_login_wrong_password_says_so_in_chinese(accounts, client):
    response = attempt(client, "dunhua", "wrong")

    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_login_unknown_user_is_refused(accounts, client):
    response = attempt(client, "nobody", "wrong")

    assert "用户名或密码错误" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", object_repr="nobody").exists()


def test_lockout_after_five_failures_for_an_account(accounts, client):
    for i in range(5):
        attempt(client, "dunhua", "wrong", ip=f"10.0.0.{i + 1}")

    locked = attempt(client, "dunhua", PASSWORD, ip="10.0.1.1")

    assert locked.status_code == 429
    assert "已被锁定 15 分钟" in locked.content.decode()
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_four_failures_do_not_lock(accounts, client):
    for _ in range(4):
        attempt(client, "dunhua", "wrong")

    assert attempt(client, "dunhua", PASSWORD).status_code == 302


def test_lockout_ends_after_fifteen_minutes(accounts, client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            attempt(client, "dunhua", "wrong")
        assert attempt(client, "dunhua", PASSWORD).status_code == 429
        traveller.shift(timedelta(minutes=14))
        assert attempt(client, "dunhua", PASSWORD).status_code == 429
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert attempt(client, "dunhua", PASSWORD).status_code == 302


def test_session_expires_after_idle_time(accounts, client):
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60 and not settings.SESSION_SAVE_EVERY_REQUEST
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt(client, "dunhua", PASSWORD)
        traveller.shift(timedelta(hours=1, minutes=59))
        assert client.get("/").status_code == 200  # activity renews the session
        traveller.shift(timedelta(hours=1, minutes=59))
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(hours=2, seconds=1))
        assert client.get("/").url.startswith("/login/")


def test_logout_ends_session(accounts, client):
    attempt(client, "dunhua", PASSWORD)

    client.post("/logout/")

    assert client.get("/").url.startswith("/login/")
    assert AuditEvent.objects.filter(action="auth.logout").exists()


def test_anonymous_home_redirects_to_login(db, client):
    response = client.get("/")

    assert response.status_code == 302 and response.url.startswith("/login/")


def _writes(queries):
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_plain_page_view_writes_nothing_to_the_database(accounts, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt(client, "dunhua", PASSWORD)
        traveller.shift(timedelta(seconds=30))
        for path in ("/", "/applications/", "/messages/"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, path
            assert _writes(queries.captured_queries) == [], path


def test_session_refresh_is_one_write_at_most_once_a_minute(accounts, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt(client, "dunhua", PASSWORD)
        traveller.shift(timedelta(seconds=61))
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        writes = _writes(queries.captured_queries)
        assert len(writes) == 1 and "django_session" in writes[0]  # the refresh renews the expiry
        traveller.shift(timedelta(seconds=30))
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        assert _writes(queries.captured_queries) == []


def test_idle_expiry_counts_from_the_last_refresh_not_from_login(accounts, client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt(client, "dunhua", PASSWORD)
        for _ in range(5):  # activity every 50 minutes for over 4 hours keeps the session
            traveller.shift(timedelta(minutes=50))
            assert client.get("/").status_code == 200
        traveller.shift(timedelta(hours=2, seconds=1))  # then idle for longer than 2 hours
        assert client.get("/").url.startswith("/login/")
