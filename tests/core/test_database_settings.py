"""Connection reuse: on for PostgreSQL (with a health check), off for SQLite (issue 14 §5)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from clusterdesk.settings import database_settings

PG = "postgres://clusterdesk:pw@db.example:5432/clusterdesk"


def test_postgres_reuses_connections_for_60_seconds_with_health_checks():
    db = database_settings({"DATABASE_URL": PG})
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True


def test_postgres_conn_max_age_can_be_set_and_zero_turns_reuse_off():
    assert database_settings({"DATABASE_URL": PG, "DATABASE_CONN_MAX_AGE": "300"})["CONN_MAX_AGE"] == 300
    off = database_settings({"DATABASE_URL": PG, "DATABASE_CONN_MAX_AGE": "0"})
    assert off["CONN_MAX_AGE"] == 0
    assert off["CONN_HEALTH_CHECKS"] is False


def test_sqlite_keeps_its_connection_too():
    """Opening a SQLite connection costs ~1 ms (functions, PRAGMAs): kept like PostgreSQL's."""
    db = database_settings({})
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["CONN_MAX_AGE"] == 60
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database_settings({"DATABASE_URL": "sqlite:////tmp/x.sqlite3", "DATABASE_CONN_MAX_AGE": "0"})["CONN_MAX_AGE"] == 0


def test_a_bad_value_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_CONN_MAX_AGE"):
        database_settings({"DATABASE_URL": PG, "DATABASE_CONN_MAX_AGE": "sixty"})
