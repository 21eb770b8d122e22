"""Rendered pages and API lists kept per session until anything in the database changes.

A list page or API list costs 10–50 ms of Python (ORM compilation, model loading, templates); the
same page asked again by the same person, with nothing changed since, is served from the cache in
a fraction of that. Correctness rests on one rule: **any committed write, from any process, ends
every cached page**.

- Every database connection carries an execute wrapper (installed on ``connection_created``). A
  statement that writes (INSERT / UPDATE / DELETE / REPLACE) raises the *data generation*, a
  single row in ``core_pagegeneration``, once the transaction commits (at once in autocommit).
  This covers the web processes, the background worker and management commands alike, and
  ``QuerySet.update`` and raw SQL too, which model signals would miss. Session rows are left out:
  the session is part of the key instead.
- A cached page is keyed by: the data generation; the minute of the clock (pages show deadlines
  and stages that turn with time, so nothing outlives the minute it was drawn in); the session
  (its key and a digest of its content, so kept form input, a login or a language change is a
  different page) or the API token (with its expiry); the CSRF cookie; the full path with query;
  the language; and the htmx request headers.
- A page is neither read from nor put into the cache when: the view is not marked
  ``@cached_page``; the request is not a GET; nobody is signed in; a flash message is waiting;
  the connection holds uncommitted writes (its own changes must not be shown to or kept for
  anyone else, and it is how the in-transaction test cases run uncached); or the data generation
  row is missing (a freshly flushed database).
- A response is stored only when it is a 200 HTML or JSON page that set no cookie, changed no
  session data, made no new CSRF secret and wrote nothing to the database while it was made.

``PAGE_CACHE_ALIAS`` names the Django cache used (``pages``: in-process memory). Several processes
or servers each keep their own entries and stay correct, since the generation is in the shared
database. ``PAGE_CACHE_ENABLED`` (env ``CLUSTERDESK_PAGE_CACHE=0``) turns the cache off.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.signals import connection_created
from django.http import HttpResponse

logger = logging.getLogger(__name__)

ATTR = "clusterdesk_cached_page"
TABLE = "core_pagegeneration"
# Writes to these tables do not change any page: the session is part of the key.
IGNORED_TABLES = (TABLE, "django_session")
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLAC")
STORED_TYPES = ("text/html", "application/json")
# API endpoints (django-ninja): ninja's Django view is one wrapper per path, so a request is matched
# by its url name (ninja's default: the endpoint function's name) to a marked endpoint function.
_API_VIEWS: dict[str, list] = {}
_COUNTER = "clusterdesk_writes"
_PENDING = "_clusterdesk_page_cache"


def cached_page(view):
    """Mark a GET page or API list as cacheable (see the module docstring for what that means).

    On a Django view put it outside ``login_required``; on a django-ninja endpoint put it right
    below the ``@router.get`` line, above ``@paginate`` (the function ninja registers must be the
    one marked)."""
    setattr(view, ATTR, True)
    _API_VIEWS.setdefault(view.__name__, []).append(view)
    return view


def enabled() -> bool:
    return getattr(settings, "PAGE_CACHE_ENABLED", True)


# --- the data generation -----------------------------------------------------------------------------


def _is_write(sql: str) -> bool:
    head = sql.lstrip()[:6].upper()
    if head not in WRITE_VERBS:
        return False
    start = sql[:120]
    return not any(table in start for table in IGNORED_TABLES)


def bump(using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise the data generation (a fresh random one when the row is missing, so a flushed and
    refilled database never reuses an old number).

    Runs after the write has committed, never inside a transaction. If it fails (the table does
    not exist yet while ``migrate`` runs; the disk is full) the write stands and is not turned
    into an error: pages cached before it live at most to the end of their minute."""
    try:
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (id, value) VALUES (1, %s) "
                f"ON CONFLICT (id) DO UPDATE SET value = {TABLE}.value + 1",
                [secrets.randbelow(2**53)],
            )
    except DatabaseError as exc:
        if TABLE in connections[using].introspection.table_names():
            logger.warning("page cache: the data generation was not raised (%s)", exc)
        # else: migrate has not made the table yet, so no page can have been cached


_BUMPERS: dict[str, object] = {}


def _bumper(alias: str):
    """One callable per database alias, so that a transaction registers it at most once."""
    if alias not in _BUMPERS:
        _BUMPERS[alias] = lambda: bump(alias)
    return _BUMPERS[alias]


def has_pending_writes(connection) -> bool:
    """Whether the connection is inside a transaction that has written and not yet committed."""
    if not connection.in_atomic_block:
        return False
    bumper = _bumper(connection.alias)
    return any(entry[1] is bumper for entry in connection.run_on_commit)


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and _is_write(sql):
        connection = context["connection"]
        setattr(connection, _COUNTER, getattr(connection, _COUNTER, 0) + 1)
        if not connection.in_atomic_block:
            bump(connection.alias)
        elif not has_pending_writes(connection):
            transaction.on_commit(_bumper(connection.alias), using=connection.alias)
    return result


def install(sender=None, connection=None, **kwargs) -> None:
    """Put the write watcher on a connection (connection_created; idempotent)."""
    if connection is not None and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def connect_signals() -> None:
    connection_created.connect(install, dispatch_uid="clusterdesk.core.pagecache.install")


def generation(connection) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


# --- the cache ---------------------------------------------------------------------------------------


def _marked(request, view_func) -> bool:
    if getattr(view_func, ATTR, False):
        return True
    match = request.resolver_match
    if not (match and match.namespace.startswith("api")):
        return False
    # Only endpoint functions django-ninja registered (it sets _ninja_operation), not a Django view
    # that happens to share the name.
    return any(hasattr(view, "_ninja_operation") for view in _API_VIEWS.get(match.url_name, ()))


def _identity(request) -> str | None:
    """Who is asking, as part of the key: the session (key and content) or the API token."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        return "t:" + hashlib.sha256(header.encode()).hexdigest()
    session = getattr(request, "session", None)
    if session is None or not session.session_key or "_auth_user_id" not in session:
        return None
    if "_messages" in session or "messages" in request.COOKIES:
        return None  # a flash message waits: the page must be drawn (and show it)
    content = repr(sorted((k, repr(v)) for k, v in session.items()))
    return "s:" + session.session_key + ":" + hashlib.sha256(content.encode()).hexdigest()


def _key(request, identity: str, gen: int) -> str:
    htmx = sorted((k, v) for k, v in request.META.items() if k.startswith("HTTP_HX_"))
    parts = [
        identity, str(gen), str(int(time.time() // 60)), request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", ""), request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        repr(htmx),
    ]
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


# One drawing per page at a time in a process: the same person's identical requests that arrive while
# it is being drawn (a double click, a reload, several tabs, an API client's retries) wait for it
# and get the stored page instead of drawing it again each.
_DRAWING: dict[str, threading.Event] = {}
_DRAWING_LOCK = threading.Lock()
_LEADS = "_clusterdesk_page_cache_leads"
WAIT_SECONDS = 30


def _lead(request, key: str) -> bool:
    """True: this request draws the page (others wait). False: it waited for another's drawing."""
    with _DRAWING_LOCK:
        event = _DRAWING.get(key)
        if event is None:
            _DRAWING[key] = threading.Event()
            setattr(request, _LEADS, key)
            return True
    event.wait(WAIT_SECONDS)
    return False


def _release(request) -> None:
    key = getattr(request, _LEADS, None)
    if key is None:
        return
    with _DRAWING_LOCK:
        event = _DRAWING.pop(key, None)
    if event is not None:
        event.set()
    delattr(request, _LEADS)


class PageCacheMiddleware:
    """Serves a marked page from the cache, or stores it after the view drew it. Placed last, so
    every other middleware (sign-in, password change, security headers, cookies) runs as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
            pending = getattr(request, _PENDING, None)
            if pending is not None:
                self._store(request, response, *pending)
            return response
        finally:
            _release(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "GET" or not enabled() or not _marked(request, view_func):
            return None
        identity = _identity(request)
        if identity is None:
            return None
        connection = connections[DEFAULT_DB_ALIAS]
        if has_pending_writes(connection):
            return None
        gen = generation(connection)
        if gen is None:
            return None
        key = _key(request, identity, gen)
        cache = caches[settings.PAGE_CACHE_ALIAS]
        entry = cache.get(key)
        if entry is None and not _lead(request, key):
            entry = cache.get(key)  # the same page was being drawn for the same person: its result
        if entry is not None and entry["valid_until"] > time.time():
            return self._replay(request, entry)
        session = getattr(request, "session", None)
        setattr(request, _PENDING, (key, getattr(connection, _COUNTER, 0), bool(session is not None and session.modified),
                                    request.META.get("CSRF_COOKIE")))
        return None

    @staticmethod
    def _replay(request, entry):
        response = HttpResponse(entry["content"], status=200)
        for name, value in entry["headers"]:
            response[name] = value
        if entry["csrf"]:
            from django.middleware.csrf import get_token

            get_token(request)  # the page holds a CSRF token: keep the cookie as the view would
        return response

    @staticmethod
    def _store(request, response, key, writes_before, modified_before, csrf_before):
        connection = connections[DEFAULT_DB_ALIAS]
        session = getattr(request, "session", None)
        content_type = response.get("Content-Type", "")
        storable = (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and content_type.split(";")[0].strip() in STORED_TYPES
            and not response.has_header("Content-Disposition")
            and getattr(connection, _COUNTER, 0) == writes_before
            and not has_pending_writes(connection)
            and not modified_before
            and not (session is not None and session.modified)
            # A page drawn with a new CSRF secret (the browser had none) holds a token that only
            # this response's cookie matches: it cannot be handed to the next request.
            and request.META.get("CSRF_COOKIE") == csrf_before
        )
        if not storable:
            return
        now = time.time()
        valid_until = (now // 60 + 1) * 60
        token = getattr(request, "api_token", None)
        expires = getattr(token, "expires_at", None)
        if expires is not None:
            valid_until = min(valid_until, expires.timestamp())
        caches[settings.PAGE_CACHE_ALIAS].set(key, {
            "content": response.content,
            "headers": [(k, v) for k, v in response.items()],
            "csrf": bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED")),
            "valid_until": valid_until,
        }, timeout=max(1, int(valid_until - now) + 1))
