"""Shared fixtures: the Jilin org tree, accounts, API clients, and Debian's Chromium."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
JILIN_CSV = ROOT / "data" / "jilin-divisions.csv"
PASSWORD = "Test-pass-2025"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 costs ~0.1 s a hash by design; tests that are not about hashing use a fast one.

    ``test_create_account_command_creates_usable_account`` checks the real argon2 setting.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def jilin(db):
    """The Jilin org tree, loaded through the real loader."""
    from clusterdesk.orgs.domain import load_orgs, parse_org_csv
    from clusterdesk.orgs.models import Org

    load_orgs(parse_org_csv(JILIN_CSV))
    return {o.code: o for o in Org.objects.all()}


@pytest.fixture
def make_user(jilin):
    from clusterdesk.orgs.domain import create_account

    def make(username: str, code: str, role: str, **kwargs):
        kwargs.setdefault("must_change_password", False)
        return create_account(actor=None, username=username, org=jilin[code], role=role, password=PASSWORD, **kwargs)

    return make


@pytest.fixture
def accounts(make_user):
    """One account per typical seat, named after where it sits."""
    return {
        "province": make_user("jl_admin", "220000", "province_admin"),
        "leader": make_user("jl_leader", "220000", "leader"),
        "sysadmin": make_user("sysadmin", "220000", "sysadmin"),
        "tonghua": make_user("tonghua_city", "220500", "city_reviewer"),
        "yanbian": make_user("yanbian_city", "222400", "city_reviewer"),
        "meihekou_city": make_user("meihekou_city", "220581", "city_reviewer"),
        "meihekou": make_user("meihekou", "220581", "county_applicant"),
        "dunhua": make_user("dunhua", "222403", "county_applicant"),
        "yanji": make_user("yanji", "222401", "county_applicant"),
        "tonghua_county": make_user("tonghuaxian", "220521", "county_applicant"),
        "expert": make_user("expert_li", "220100", "expert"),
        "changbaishan": make_user("cbs_city", "Z22A000", "city_reviewer"),
    }


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do


@pytest.fixture
def api_token(client):
    """Issue a real token through the API and return the Authorization header value."""

    def issue(user, password: str = PASSWORD) -> dict:
        response = client.post(
            "/api/v1/auth/token", {"username": user.username, "password": password}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


# --- Browser tests: Debian's chromium, never a downloaded browser -------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 1366, "height": 768}}
