"""Settings for clusterdesk, read from environment variables.

Every variable is documented in README.md ("Configuration"). Defaults are safe for a
single machine: SQLite under var/, DEBUG off, console e-mail.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CLUSTERDESK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    # No key configured: keep a random one under var/ so sessions survive restarts
    # on a single machine. Production sets DJANGO_SECRET_KEY explicitly.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "clusterdesk.core",
    "clusterdesk.orgs",
    "clusterdesk.audit",
    "clusterdesk.catalog",
    "clusterdesk.rounds",
    "clusterdesk.criteria",
    "clusterdesk.reviews",
    "clusterdesk.documents",
    "clusterdesk.registry",
    "clusterdesk.rereview",
    "clusterdesk.applications",
    "clusterdesk.experts",
    "clusterdesk.api",
    "clusterdesk.notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Renews the idle expiry at most once a minute (a plain page view writes nothing).
    "clusterdesk.orgs.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lone surrogates, NUL, non-finite numbers, over-deep JSON: refused here for every page and API.
    "clusterdesk.core.input_guard.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # CSP and Cache-Control on every response the app makes (static files are answered above).
    "clusterdesk.core.middleware.SecurityHeadersMiddleware",
    # Every file download is audited; a DomainError a page raises becomes the one error response.
    "clusterdesk.core.middleware.DownloadAuditMiddleware",
    "clusterdesk.core.middleware.DomainErrorMiddleware",
    # A write refused for lack of space (database or files) answers 507, never the generic 500.
    "clusterdesk.core.diskfull.DiskFullMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clusterdesk.orgs.middleware.PasswordChangeRequiredMiddleware",
    "clusterdesk.orgs.throttle.LoginThrottleMiddleware",
    # Axes last: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
    # Last, next to the view: a marked page asked again with nothing changed is served from the
    # cache (core/pagecache.py); every middleware above still runs for it.
    "clusterdesk.core.pagecache.PageCacheMiddleware",
]

ROOT_URLCONF = "clusterdesk.urls"
WSGI_APPLICATION = "clusterdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clusterdesk.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
def database_settings(environ=os.environ) -> dict:
    """The default database from ``DATABASE_URL`` (SQLite under var/ without it).

    Each server thread keeps its connection for ``DATABASE_CONN_MAX_AGE`` seconds (default 60), so a
    request does not pay a new one: on PostgreSQL TCP + authentication (~2-5 ms), checked before
    reuse (CONN_HEALTH_CHECKS) so that a server restart does not surface as errors; on SQLite
    opening the file, Django's functions and the PRAGMAs (1.1 ms measured, more than a page
    answered from the page cache costs). ``DATABASE_CONN_MAX_AGE=0``: a connection per request.
    See docs/operations.md "Deploying on PostgreSQL" for why not psycopg's pool.
    """
    url = environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'clusterdesk.sqlite3'}"
    db = dj_database_url.parse(url)
    raw_age = environ.get("DATABASE_CONN_MAX_AGE", "")
    try:
        age = int(raw_age) if raw_age != "" else None
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_CONN_MAX_AGE must be an integer, got {raw_age!r}") from exc
    db["CONN_MAX_AGE"] = 60 if age is None else age
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL + a busy timeout let the web process and the worker share the file.
        db.setdefault("OPTIONS", {}).update(
            {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        # The test database is a file, not Django's shared-cache in-memory default:
        # in shared cache a second writer (a live_server thread answering parallel
        # autosaves) fails at once with "database table is locked", because the busy
        # timeout does not apply there. A file honours the timeout as production does.
        # One file per test process (pid), in /dev/shm when the machine has it.
        test_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
        db["TEST"] = {
            "NAME": environ.get(
                "CLUSTERDESK_TEST_SQLITE", str(test_dir / f"clusterdesk-test-{os.getpid()}.sqlite3")
            )
        }
    else:
        db["CONN_HEALTH_CHECKS"] = db["CONN_MAX_AGE"] != 0
    return db


DATABASES = {"default": database_settings()}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = PASSWORD_HASHERS_PRODUCTION = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The password policy (等保): at least 10 characters of three of four classes, not the username
# nor a repeated unit, not a common password (clusterdesk/orgs/passwords.py, Chinese messages).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "clusterdesk.orgs.passwords.LengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "clusterdesk.orgs.passwords.CharacterClassValidator", "OPTIONS": {"required": 3}},
    {"NAME": "clusterdesk.orgs.passwords.UsernameValidator"},
    {"NAME": "clusterdesk.orgs.passwords.CommonValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SESSION_IDLE_SECONDS of inactivity. Activity renews them, but at most once a
# minute (orgs.middleware.SessionRefreshMiddleware), so a plain page view writes nothing.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Login lockout (django-axes): 5 failures for an account (from anywhere, and for the account from
# one address) lock that account for 15 minutes. An address alone is never locked: behind a reverse
# proxy every user shares one address, and five anonymous requests would lock the province out.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The 15 minutes run from the lockout; attempts while locked do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "clusterdesk.orgs.views.lockout_response"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "clusterdesk.core.netaddr.client_address"
# Our reverse proxies in front of the application (docs/operations.md): 0 = use REMOTE_ADDR and
# ignore X-Forwarded-For; N = the Nth entry from the right of X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Per address, failed logins are throttled instead (orgs/throttle.py): after LOGIN_THROTTLE_AFTER
# failures each further attempt waits 1, 2, 4 … seconds (at most LOGIN_THROTTLE_MAX_SECONDS) after
# the previous failure; the count starts again after an hour without failures.
LOGIN_THROTTLE_AFTER = env_int("LOGIN_THROTTLE_AFTER", 10)
LOGIN_THROTTLE_MAX_SECONDS = env_int("LOGIN_THROTTLE_MAX_SECONDS", 60)
LOGIN_THROTTLE_RESET_SECONDS = env_int("LOGIN_THROTTLE_RESET_SECONDS", 60 * 60)

# Internationalisation: the UI is Simplified Chinese.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "clusterdesk" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Private files (evidence, letters, spot checks, prepared packages): see PRIVATE_MEDIA_ROOT and
    # CLUSTERDESK_STORAGE below. Everything reads and writes them through this storage.
    "private": {"BACKEND": "clusterdesk.core.files.PrivateFileSystemStorage"},
}
# Serve straight from the app directories too, so a fresh checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Rendered pages and API lists per session, ended by any committed write (core/pagecache.py).
# The "pages" cache is in-process memory. It stays correct with several processes or servers: the
# generation it is keyed by lives in the shared database (docs/operations.md "Page cache").
PAGE_CACHE_ENABLED = env_bool("CLUSTERDESK_PAGE_CACHE", True)
PAGE_CACHE_ALIAS = "pages"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        # About 50 KB a page: at most ~25 MB per process.
        "OPTIONS": {"MAX_ENTRIES": env_int("CLUSTERDESK_PAGE_CACHE_ENTRIES", 500)},
    },
}

# The audit page walks the whole hash chain at most this often per process (seconds); in between it
# checks only the events added since (audit/chain.py verify_for_page). manage.py verify_audit always
# walks everything.
AUDIT_CHAIN_RECHECK_SECONDS = env_int("AUDIT_CHAIN_RECHECK_SECONDS", 600)
# ...and compares the number of events (a COUNT of the whole log) at most this often.
AUDIT_CHAIN_RECOUNT_SECONDS = env_int("AUDIT_CHAIN_RECOUNT_SECONDS", 60)

# Private files (evidence, generated documents): never under a public URL.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("CLUSTERDESK_MEDIA_DIR", VAR_DIR / "media"))
# CLUSTERDESK_STORAGE=s3 keeps the private files in an S3-compatible object store (MinIO, Ceph,
# a cloud's) instead, so several application servers share them (docs/operations.md "Files on
# an object store"). The bucket must not be public: files are served only by checked views.
CLUSTERDESK_STORAGE = os.environ.get("CLUSTERDESK_STORAGE", "local").strip().lower() or "local"
if CLUSTERDESK_STORAGE == "s3":
    _bucket = os.environ.get("CLUSTERDESK_S3_BUCKET", "")
    if not _bucket:
        raise ImproperlyConfigured("CLUSTERDESK_STORAGE=s3 needs CLUSTERDESK_S3_BUCKET (the bucket's name)")
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": os.environ.get("CLUSTERDESK_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CLUSTERDESK_S3_REGION") or None,
            "access_key": os.environ.get("CLUSTERDESK_S3_ACCESS_KEY") or None,  # else boto3's chain (AWS_*)
            "secret_key": os.environ.get("CLUSTERDESK_S3_SECRET_KEY") or None,
            "location": os.environ.get("CLUSTERDESK_S3_PREFIX", ""),
            "addressing_style": os.environ.get("CLUSTERDESK_S3_ADDRESSING_STYLE") or None,  # MinIO: path
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,  # store_upload's names are random; never replace a stored file
            # Anything read through S3File (not the package, core.files streams the body itself)
            # spills to a temporary file past 1 MiB instead of staying whole in memory.
            "max_memory_size": 1024 * 1024,
        },
    }
elif CLUSTERDESK_STORAGE != "local":
    raise ImproperlyConfigured(f"CLUSTERDESK_STORAGE must be local or s3, got {CLUSTERDESK_STORAGE!r}")
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 50)
# Health (manage.py check_health, /healthz): free space below this on the media or SQLite volume
# is a problem; a worker heartbeat older than the first, a due task waiting longer than the
# second, too (minutes).
HEALTH_MIN_FREE_MB = env_int("HEALTH_MIN_FREE_MB", 1024)
HEALTH_WORKER_STALE_MINUTES = env_int("HEALTH_WORKER_STALE_MINUTES", 5)
HEALTH_QUEUE_MAX_MINUTES = env_int("HEALTH_QUEUE_MAX_MINUTES", 10)
# Where each `manage.py worker` writes its heartbeat every minute (shared with the web host).
WORKER_HEARTBEAT_DIR = Path(os.environ.get("CLUSTERDESK_HEARTBEAT_DIR", VAR_DIR / "heartbeat"))
# manage.py cleanup_files: files without a record (and upload temporaries) older than this go.
CLEANUP_GRACE_HOURS = env_int("CLEANUP_GRACE_HOURS", 24)
# Electronic packages up to this planned size may also be streamed directly; larger ones only
# through the background job.
PACKAGE_STREAM_MAX_MB = env_int("PACKAGE_STREAM_MAX_MB", 200)

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        # "mail" has its own queue so a slow mail server never delays packages (scripts/run.sh).
        "QUEUES": ["default", "mail"],
    }
}

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before an unanswering mail server counts as a failed try (retried later with backoff).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clusterdesk@localhost")
# The address users reach the system at, e.g. https://cluster.gxt.jl.gov.cn — e-mails link to it.
SITE_URL = os.environ.get("SITE_URL", "")

# API tokens: days until a token expires (0 = never).
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)

ANNUAL_REPORT_DUE = os.environ.get("ANNUAL_REPORT_DUE", "03-31")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy, set by clusterdesk.core.middleware.SecurityHeadersMiddleware: every
# script and stylesheet is a file served by the app (no inline script, no inline style, no CDN).
CONTENT_SECURITY_POLICY = os.environ.get("DJANGO_CSP") or (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Behind HTTPS (DJANGO_SECURE_COOKIES=1): redirect plain HTTP, send HSTS, and trust the proxy's
# X-Forwarded-Proto (nginx must set it on every request: docs/operations.md, "HTTPS behind nginx").
if SESSION_COOKIE_SECURE:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 60 * 60)
    # The host is the system's own name (e.g. cluster.gxt.jl.gov.cn): its subdomains are its own.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    # Harmless unless the host is submitted to the browsers' preload list, which an intranet host is not.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    if env_bool("DJANGO_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
