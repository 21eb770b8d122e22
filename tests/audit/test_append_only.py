"""The audit log only grows: the model, its queryset and the database refuse changes."""

import pytest
from django.db import DatabaseError, connection, transaction

from clusterdesk.audit.domain import record
from clusterdesk.audit.models import AppendOnlyError, AuditEvent


@pytest.fixture
def event(accounts):
    return record(action="account.created", actor=accounts["province"], obj=accounts["dunhua"], after={"role": "x"})


def test_record_snapshots_actor_and_unit(event):
    assert (event.actor_username, event.org_code, event.org_name) == ("jl_admin", "220000", "吉林省")
    assert event.object_type == "orgs.user"


def test_record_refuses_unknown_action(db):
    with pytest.raises(ValueError, match="unknown audit action"):
        record(action="made.up")


def test_audit_event_save_again_refused(event):
    event.action = "auth.login"

    with pytest.raises(AppendOnlyError):
        event.save()


def test_audit_event_delete_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="auth.login")


def test_audit_event_database_refuses_raw_update(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET action = 'auth.login' WHERE id = %s", [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).action == "account.created"


def test_audit_event_postgresql_refuses_raw_delete(event):
    if connection.vendor != "postgresql":
        # SQLite: the delete guard is the application's (see migration 0002); checked above.
        assert connection.vendor == "sqlite"
        return
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_log_page_filters(accounts, client, event):
    record(action="auth.login", actor=accounts["dunhua"], obj=accounts["dunhua"])
    client.force_login(accounts["province"])

    response = client.get("/audit/", {"action": "account.created"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "创建账号" in body and "jl_admin" in body
    assert "dunhua</td>" not in body


def test_audit_log_page_by_unit_and_date(accounts, client, event):
    client.force_login(accounts["province"])

    hit = client.get("/audit/", {"org": "220000"}).content.decode()
    miss = client.get("/audit/", {"org": "222403"}).content.decode()
    bad = client.get("/audit/", {"since": "2025-05-02", "until": "2025-05-01"}).content.decode()

    assert "创建账号" in hit
    assert "没有符合条件的记录" in miss
    assert "截止日期：截止日期不能早于起始日期" in bad


@pytest.mark.parametrize("who", ["tonghua", "dunhua", "leader", "expert"])
def test_audit_log_page_forbidden_to_others(accounts, client, who):
    client.force_login(accounts[who])

    assert client.get("/audit/").status_code == 403
