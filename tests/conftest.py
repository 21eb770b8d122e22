"""Shared fixtures: the Jilin org tree, accounts, API clients, and Debian's Chromium."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

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


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks (notification e-mail) run at once in tests, not through the database queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default", "mail"]}}


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


# --- Rounds and applications --------------------------------------------------------------

INDUSTRIES_CSV = ROOT / "data" / "gbt4754-2017-divisions.csv"


def make_uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100), distinct for each ``n``."""
    from stdnum.cn import uscc

    body = f"91222403MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


@pytest.fixture
def industries(db):
    from clusterdesk.catalog.domain import load_industries

    load_industries(INDUSTRIES_CSV)


@pytest.fixture
def criteria_sets(db):
    """The shipped criteria sets (national-2022, jilin-provincial-2024), version 1 each (the
    later shipped versions, such as national-2022.v2.yaml, are installed by tests that use them)."""
    from clusterdesk.criteria.domain import SHIPPED_DIR, load_shipped

    first_versions = [p for p in sorted(SHIPPED_DIR.glob("*.yaml")) if ".v" not in p.stem]

    load_shipped(first_versions)


@pytest.fixture
def round_open(accounts, industries, criteria_sets):
    """An open 2025 round whose stage deadlines lie ahead of today."""
    from datetime import timedelta

    from django.utils import timezone

    from clusterdesk.rounds.domain import create_round

    today = timezone.localdate()
    return create_round(
        actor=accounts["province"],
        name="2025年度中小企业特色产业集群申报推荐",
        year=2025,
        status="open",
        city_quota=3,
        criteria_sets=[{"code": "national-2022", "version": 1}, {"code": "jilin-provincial-2024", "version": 1}],
        deadlines={
            "county_submission": today + timedelta(days=30),
            "name_list": today + timedelta(days=40),
            "formal_submission": today + timedelta(days=60),
            "national_recommendation": today + timedelta(days=90),
        },
        contact_office="省工信厅中小企业处",
        contact_name="王处长",
        contact_phone="0431-00000000",
    )


@pytest.fixture
def draft(accounts, round_open):
    from clusterdesk.applications.domain import create_application

    return create_application(actor=accounts["dunhua"], round_=round_open)


def complete_body(enterprises: int = 3) -> dict:
    """A complete application body (invented figures: real ones are not public)."""
    return {
        "name": "敦化市医药产业集群",
        "covered_org_codes": [],
        "coordination_note": "",
        "leading_industry_code": "C27",
        "niche": "中成药",
        "area_km2": "85.5",
        "operating_body": "敦化经济开发区管理委员会",
        "sub_cluster_code": "",
        "contacts": [{"name": "张三", "title": "科长", "phone": "0433-6220000", "email": "dh@example.cn"}],
        "indicators": [
            {"year": 2021, "total_output": "40.0", "sme_output": "30.0", "leading_output": "32.0", "enterprise_count": 80, "sme_rd_spending": "1.0"},
            {"year": 2022, "total_output": "45.0", "sme_output": "34.0", "leading_output": "36.0", "enterprise_count": 85, "sme_rd_spending": "1.1"},
            {"year": 2023, "total_output": "50.0", "sme_output": "38.0", "leading_output": "40.0", "enterprise_count": 90, "sme_rd_spending": "1.2"},
            {"year": 2024, "total_output": "56.0", "sme_output": "42.0", "leading_output": "45.0", "enterprise_count": 95, "sme_rd_spending": "1.4"},
        ],
        "quality_enterprises": [
            {"name": f"敦化示例药业{i}有限公司", "uscc": make_uscc(i), "qualifications": ["specialized"], "year": 2023, "in_leading_industry": True}
            for i in range(enterprises)
        ],
        "aspects": {str(k): f"第{k}方面的发展情况说明（演示）。" for k in range(3, 9)},
        "negative_list_clear": True,
        "plan_targets": [{"name": "集群产值", "unit": "亿元", "baseline": "56", "target": "80", "year": 2027}],
    }


@pytest.fixture
def filled(accounts, draft):
    """A draft with every field filled in (evidence not yet uploaded)."""
    from clusterdesk.applications.domain import save_fields

    save_fields(actor=accounts["dunhua"], application=draft, data=complete_body())
    draft.refresh_from_db()
    return draft


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Evidence and documents of a test go to its own temporary directory (worker heartbeats too)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media"
    settings.WORKER_HEARTBEAT_DIR = tmp_path / "heartbeat"


@pytest.fixture
def upload_required(accounts):
    """Upload one small PDF for every required checklist item, through the real domain function."""
    from clusterdesk.applications.evidence import upload_evidence

    def run(application, user=None):
        for item in application.round.checklist.filter(required=True):
            upload_evidence(actor=user or accounts["dunhua"], application=application, item_code=item.code,
                            upload=SimpleUploadedFile(f"{item.title[:10]}.pdf", PDF, content_type="application/pdf"))

    return run


@pytest.fixture
def ready(filled, upload_required):
    """A complete application with its required evidence: ready to submit."""
    upload_required(filled)
    return filled


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` test what only PostgreSQL can do (two write transactions side
    by side). On SQLite they are deselected (reported as such), never run-and-skipped; the
    PostgreSQL run of scripts/test.sh runs them."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgresql") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
