"""A full disk says so (issue 16 §5, the database): a write the database refuses for lack of space
answers 507 with a Chinese message — JSON for the API and the autosave's fetch, the error page
otherwise — never the generic 500, and nothing is written. The disk is simulated by a cursor
wrapper that fails every write with the error each engine gives."""

import json
import sqlite3

import psycopg.errors
import pytest
from django.db import connection
from django.db.utils import OperationalError

from clusterdesk.applications import domain
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.diskfull import MESSAGE, is_disk_full
from tests.conftest import PASSWORD

WRITES = ("INSERT", "UPDATE", "DELETE")


def sqlite_full():
    try:
        raise sqlite3.OperationalError("database or disk is full")
    except sqlite3.OperationalError as exc:
        raise OperationalError(*exc.args) from exc


def postgres_full():
    try:
        raise psycopg.errors.DiskFull('could not extend file "base/16384/16390": No space left on device')
    except psycopg.errors.DiskFull as exc:
        raise OperationalError(*exc.args) from exc


ENGINES = [pytest.param(sqlite_full, id="sqlite"), pytest.param(postgres_full, id="postgresql")]


@pytest.fixture
def full_database():
    """Every write fails as on a full disk (reads still work, as they do there)."""
    calls = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES) and not any(t in sql for t in spare):
            calls.append(sql)
            raise_full()
        return execute(sql, params, many, context)

    raise_full = None
    spare = ()

    class Installer:
        def __call__(self, raiser, spare_tables=()):
            nonlocal raise_full, spare
            raise_full, spare = raiser, spare_tables
            return connection.execute_wrapper(wrapper)

    Installer.calls = calls
    return Installer()


@pytest.mark.parametrize("raiser", ENGINES)
def test_autosave_on_a_full_database_is_507_json_and_nothing_saved(accounts, client, draft, full_database, raiser):
    client.force_login(accounts["dunhua"])
    with full_database(raiser):
        response = client.post(f"/applications/{draft.pk}/sections/basic/",
                               {"name": "敦化市医药产业集群", "_version": "0"},
                               headers={"Accept": "application/json", "X-Requested-With": "fetch"})

    assert full_database.calls  # the write was attempted and refused
    assert response.status_code == 507
    assert response.json() == {"detail": MESSAGE}
    assert domain.load_data(draft).get("name", "") != "敦化市医药产业集群"


@pytest.mark.parametrize("raiser", ENGINES)
def test_login_on_a_full_database_is_507_page(accounts, client, full_database, raiser):
    with full_database(raiser):
        response = client.post("/login/", {"username": "dunhua", "password": PASSWORD})

    assert response.status_code == 507
    html = response.content.decode()
    assert MESSAGE in html and "<html" in html.lower()
    assert not AuditEvent.objects.filter(action="auth.login").exists()


@pytest.mark.parametrize("raiser", ENGINES)
def test_api_patch_on_a_full_database_is_507_json(accounts, client, draft, api_token, full_database, raiser):
    token = api_token(accounts["dunhua"])
    # the token's "last used" stamp (written outside the request's transaction) is spared so that
    # the test's own transaction stays usable; on a real full disk it fails first, with the same 507
    with full_database(raiser, spare_tables=("api_apitoken",)):
        response = client.patch(f"/api/v1/applications/{draft.pk}", json.dumps({"name": "敦化市医药产业集群"}),
                                content_type="application/json", **token)

    assert any("applications_section" in sql for sql in full_database.calls)
    assert response.status_code == 507
    assert response.json() == {"detail": MESSAGE}
    assert domain.load_data(draft).get("name", "") != "敦化市医药产业集群"


def test_a_write_failing_after_the_view_is_507_too(accounts, client):
    """The session save happens after the view (in the session middleware's response), out of the
    middleware's reach: the 500 handler gives the same answer."""
    from clusterdesk.core import views

    client.force_login(accounts["dunhua"])
    request = client.get("/").wsgi_request
    try:
        sqlite_full()
    except OperationalError:
        response = views.error_500(request)
    assert response.status_code == 507 and MESSAGE in response.content.decode()


def test_other_database_errors_are_not_mistaken_for_a_full_disk():
    assert not is_disk_full(OperationalError("database is locked"))
    assert not is_disk_full(OSError(13, "Permission denied"))
    assert is_disk_full(OSError(28, "No space left on device"))


@pytest.mark.parametrize("raiser", ENGINES)
def test_an_htmx_write_on_a_full_database_gets_the_refusal_fragment(accounts, client, draft, full_database, raiser):
    client.force_login(accounts["dunhua"])
    with full_database(raiser):
        response = client.post(f"/applications/{draft.pk}/sections/basic/", {"name": "甲", "_version": "0"},
                               headers={"HX-Request": "true"})

    assert response.status_code == 507 and response["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert 'data-refusal="507"' in html and MESSAGE in html and "<html" not in html.lower()
