"""core.pagecache: a page asked again with nothing changed comes from the cache; any committed write,
from any connection, ends it; nobody ever gets another session's page.

These tests run outside a test transaction (transaction=True), as the server does: inside one, the
connection holds uncommitted writes and the cache stays out of the way by design.
"""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections, transaction
from django.test import RequestFactory
from django.utils import timezone

from clusterdesk.applications.models import Application
from clusterdesk.core import pagecache

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replays(monkeypatch):
    """How many responses came out of the cache."""
    seen = []
    original = pagecache.PageCacheMiddleware._replay

    def counting(request, entry):
        seen.append(request.path)
        return original(request, entry)

    monkeypatch.setattr(pagecache.PageCacheMiddleware, "_replay", staticmethod(counting))
    return seen


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import caches

    caches["pages"].clear()
    yield
    caches["pages"].clear()


def gen():
    return pagecache.generation(connection)


def sign_in(client, user):
    """Signed in as a browser is: it holds the CSRF cookie from the login page."""
    client.get("/login/")
    assert "csrftoken" in client.cookies
    client.force_login(user)


def test_the_same_page_again_comes_from_the_cache_until_a_write(filled, accounts, client, replays):
    sign_in(client, accounts["dunhua"])
    first = client.get("/applications/")
    assert first.status_code == 200 and "敦化市医药产业集群" in first.content.decode()
    assert replays == []

    second = client.get("/applications/")
    assert replays == ["/applications/"]
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Cache-Control"] == "private, no-store"  # the outer middleware still runs
    assert "Content-Security-Policy" in second

    # A write that no model signal would see (QuerySet.update) ends the cached page.
    Application.objects.filter(pk=filled.pk).update(name="敦化市中药产业集群")
    third = client.get("/applications/")
    assert len(replays) == 1
    assert "敦化市中药产业集群" in third.content.decode()


def test_a_write_raises_the_generation_when_it_commits_and_not_before(filled):
    before = gen()
    with transaction.atomic():
        Application.objects.filter(pk=filled.pk).update(name="甲集群")
        assert pagecache.has_pending_writes(connection)
        assert gen() == before  # others may still see the old data: their pages stay valid
    assert gen() == before + 1
    assert not pagecache.has_pending_writes(connection)

    with pytest.raises(RuntimeError), transaction.atomic():
        Application.objects.filter(pk=filled.pk).update(name="乙集群")
        raise RuntimeError("rolled back")
    assert gen() == before + 1  # nothing was committed, nothing ended

    SessionStore().save()  # sessions are part of the key, not of the generation
    assert gen() == before + 1

    with connection.cursor() as cursor:  # raw SQL counts too
        cursor.execute("UPDATE applications_application SET name = %s WHERE id = %s", ["丙集群", filled.pk])
    assert gen() == before + 2


def test_a_write_on_another_connection_ends_the_page(filled, accounts, client, replays):
    """The background worker or another server process writes through its own connection."""
    sign_in(client, accounts["dunhua"])
    client.get("/applications/")
    client.get("/applications/")
    assert len(replays) == 1

    def worker():
        Application.objects.filter(pk=filled.pk).update(name="另一进程改过的集群")
        connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    page = client.get("/applications/").content.decode()
    assert "另一进程改过的集群" in page
    assert len(replays) == 1


def test_every_session_has_its_own_pages(filled, accounts, client, django_user_model):
    from django.test import Client

    sign_in(client, accounts["dunhua"])
    other = Client()
    sign_in(other, accounts["yanji"])
    for _ in range(2):
        mine = client.get("/").content.decode()
        theirs = other.get("/").content.decode()
        assert "敦化市" in mine and "延吉市" not in mine
        assert "延吉市" in theirs and "敦化市" not in theirs


def test_a_page_lives_no_longer_than_its_minute(filled, accounts, client, replays):
    start = datetime(2026, 3, 2, 10, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, accounts["dunhua"])
        client.get("/applications/")
        client.get("/applications/")
        assert len(replays) == 1
        clock.move_to(start + timedelta(seconds=50))
        client.get("/applications/")
        assert len(replays) == 2
        clock.move_to(start + timedelta(seconds=56))  # the next minute: drawn again
        client.get("/applications/")
        assert len(replays) == 2


def test_api_lists_are_cached_per_token_and_end_with_it(filled, accounts, client, api_token, replays):
    from clusterdesk.api.models import ApiToken

    start = datetime(2026, 3, 2, 10, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(start, tick=False) as clock:
        headers = api_token(accounts["dunhua"])
        ApiToken.objects.update(expires_at=timezone.now() + timedelta(seconds=20))
        # The first request marks the token as used (a write): it is not kept.
        assert client.get("/api/v1/applications", **headers).status_code == 200
        assert client.get("/api/v1/applications", **headers).status_code == 200
        assert replays == []
        listed = client.get("/api/v1/applications", **headers)
        assert replays == ["/api/v1/applications"]
        assert [row["id"] for row in listed.json()["items"]] == [filled.pk]

        clock.move_to(start + timedelta(seconds=25))  # same minute, but the token has expired
        assert client.get("/api/v1/applications", **headers).status_code == 401
        assert len(replays) == 1

    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        headers = api_token(accounts["dunhua"])
        client.get("/api/v1/applications", **headers)
        client.get("/api/v1/applications", **headers)
        assert client.get("/api/v1/applications", **headers).status_code == 200
        assert len(replays) == 2
        assert client.post("/api/v1/auth/token/revoke", **headers).status_code == 204
        assert client.get("/api/v1/applications", **headers).status_code == 401  # revoked: a write
        assert len(replays) == 2


def test_pages_not_marked_are_never_cached(filled, accounts, client, replays):
    sign_in(client, accounts["dunhua"])
    for _ in range(3):
        assert client.get(f"/applications/{filled.pk}/edit/").status_code == 200
    assert replays == []


def test_the_cache_can_be_turned_off(filled, accounts, client, replays, settings):
    settings.PAGE_CACHE_ENABLED = False
    sign_in(client, accounts["dunhua"])
    for _ in range(3):
        client.get("/applications/")
    assert replays == []


def test_a_flushed_database_caches_nothing_until_the_next_write(filled, accounts, client, replays):
    from clusterdesk.core.models import PageGeneration

    sign_in(client, accounts["dunhua"])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_pagegeneration")
    assert gen() is None
    for _ in range(2):
        client.get("/applications/")
    assert replays == []

    Application.objects.filter(pk=filled.pk).update(name="丁集群")
    assert PageGeneration.objects.get().value >= 0  # recreated, at a random number
    client.get("/applications/")
    client.get("/applications/")
    assert len(replays) == 1


def test_inside_a_transaction_with_writes_the_cache_is_left_alone(filled, accounts, client, replays):
    sign_in(client, accounts["dunhua"])
    client.get("/applications/")
    with transaction.atomic():
        Application.objects.filter(pk=filled.pk).update(name="戊集群")
        page = client.get("/applications/").content.decode()
        assert "戊集群" in page  # its own uncommitted change, drawn and not kept
    assert replays == []


def test_nobody_signed_in_or_a_waiting_message_is_never_served_from_the_cache(accounts, client):
    factory = RequestFactory()
    request = factory.get("/")
    request.session = SessionStore()
    assert pagecache._identity(request) is None  # no session, no token

    sign_in(client, accounts["dunhua"])
    session = SessionStore(session_key=client.cookies["sessionid"].value)
    request.session = session
    request.COOKIES = {}
    assert pagecache._identity(request) is not None
    request.COOKIES = {"messages": "waiting"}
    assert pagecache._identity(request) is None
    request.COOKIES = {}
    session["_messages"] = "[]"
    assert pagecache._identity(request) is None


@pytest.mark.parametrize(("sql", "writes"), [
    ('INSERT INTO "applications_application" ("name") VALUES (%s)', True),
    ("  update applications_application set name = 'x'", True),
    ('DELETE FROM "audit_auditevent"', True),
    ('UPDATE "django_session" SET "session_data" = %s', False),
    ("INSERT INTO core_pagegeneration (id, value) VALUES (1, 1)", False),
    ('SELECT "applications_application"."id" FROM "applications_application"', False),
])
def test_which_statements_are_writes(sql, writes):
    assert pagecache._is_write(sql) is writes


def test_a_page_drawn_with_a_new_csrf_secret_is_not_kept(filled, accounts, replays):
    """A browser without the CSRF cookie gets a page whose form token only its new cookie matches;
    handing that page to the next cookie-less request would break its forms (403 on submit)."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(accounts["dunhua"])
    for _ in range(2):
        browser.cookies.pop("csrftoken", None)
        page = browser.get("/applications/")
        assert page.status_code == 200
    assert replays == []
    # The page's own token works with the cookie it came with.
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    created = browser.post("/applications/new/", {"csrfmiddlewaretoken": token})
    assert created.status_code != 403


def test_identical_requests_arriving_together_wait_for_one_drawing():
    """A double click or several tabs: the second request waits for the first one's page."""
    from django.http import HttpRequest

    first, second = HttpRequest(), HttpRequest()
    assert pagecache._lead(first, "page:k") is True
    outcome = {}

    def other():
        outcome["lead"] = pagecache._lead(second, "page:k")

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=0.3)
    assert thread.is_alive(), "the second request must wait while the first draws"
    pagecache._release(first)
    thread.join(timeout=5)
    assert outcome["lead"] is False  # it takes the stored page (or draws it itself if none was kept)
    assert "page:k" not in pagecache._DRAWING  # nothing left behind


def test_api_endpoints_are_matched_to_marked_ninja_functions_only(filled, accounts, client, api_token, replays):
    """The registry dashboard page is marked; the API's dashboard endpoint (a different function
    that is not marked) is never cached, whatever its url name."""
    from django.urls import resolve

    assert resolve("/api/v1/registry/dashboard").url_name not in pagecache._API_VIEWS or not any(
        hasattr(v, "_ninja_operation") for v in pagecache._API_VIEWS[resolve("/api/v1/registry/dashboard").url_name])
    headers = api_token(accounts["province"])
    for _ in range(3):
        assert client.get("/api/v1/registry/dashboard", **headers).status_code == 200
    for _ in range(3):
        client.get("/api/v1/applications/%d/timeline" % filled.pk, **headers)
    assert replays == [f"/api/v1/applications/{filled.pk}/timeline"] * 2  # token already marked used


@pytest.mark.parametrize("path", [
    "/api/v1/applications", "/api/v1/applications/1", "/api/v1/applications/1/timeline",
    "/api/v1/registry/clusters", "/api/v1/experts/assignments", "/api/v1/registry/rereview/tasks",
])
def test_every_marked_api_endpoint_is_recognised(path):
    from django.urls import resolve

    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    assert pagecache._marked(request, request.resolver_match.func)
