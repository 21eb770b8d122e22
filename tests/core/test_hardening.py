"""Web hardening (issue 13, section 6) and downloads (section 5): headers, CSP-clean templates,
audited downloads, `check --deploy` with the documented production settings."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from clusterdesk.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [p for p in (ROOT / "clusterdesk").rglob("templates/**/*.html")
             # rendered to PDF by WeasyPrint only, never sent to a browser
             if not re.search(r"documents/(briefing|letter|print_base)\.html$", p.as_posix())
             and not p.as_posix().endswith("rereview/attachment3.html")]


def test_check_deploy_clean_with_documented_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "clusterdesk.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_COOKIES": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "cluster.gxt.jl.gov.cn",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://cluster.gxt.jl.gov.cn",
        "CLUSTERDESK_VAR_DIR": str(tmp_path),
    })
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout + result.stderr


def test_secure_settings_follow_secure_cookies(tmp_path):
    code = ("from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "clusterdesk.settings", "CLUSTERDESK_VAR_DIR": str(tmp_path)})
    run = lambda extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env={**env, **extra},
        capture_output=True, text=True, timeout=60).stdout.split()

    assert run({"DJANGO_SECURE_COOKIES": "1"}) == ["True", "31536000", "('HTTP_X_FORWARDED_PROTO',", "'https')"]
    assert run({}) == ["False", "0", "None"]


@pytest.mark.django_db
def test_pages_send_csp_frame_and_referrer_headers(client):
    response = client.get("/login/")

    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "img-src 'self' data:" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.get("/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_static_files_keep_their_cache_headers(client):
    response = client.get("/static/js/app.js")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(ROOT / "clusterdesk").as_posix())
def test_template_has_no_inline_script_or_style(path):
    text = path.read_text(encoding="utf-8")

    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text), "inline <script>: move it to a static JS file"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler: use data-* and a static JS file"
    assert not re.search(r"<style[\s>]", text), "<style> element: move it to a static CSS file"
    assert not re.search(r"\sstyle\s*=", text), "style attribute: use a class from a static CSS file"


def test_generated_document_download_is_audited_and_not_cached(accounts, filled, client):
    client.force_login(accounts["dunhua"])

    response = client.get(f"/documents/applications/{filled.pk}/attachment1.docx")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="document.downloaded")
    assert event.actor_username == "dunhua" and event.org_code == "222403"
    assert event.object_type == "attachment1_docx" and event.object_id == f"pk={filled.pk}"
    assert event.object_repr.endswith("附件1申报表-草稿.docx")
    assert event.after["path"] == f"/documents/applications/{filled.pk}/attachment1.docx"


def test_csv_example_download_is_audited(accounts, client):
    client.force_login(accounts["province"])

    response = client.get("/rounds/subclusters/?example=csv")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="document.downloaded", object_repr="subclusters-example.csv").count() == 1


def test_api_document_download_is_audited_with_token_user(accounts, filled, client, api_token):
    response = client.get(f"/api/v1/applications/{filled.pk}/documents/attachment1.docx", **api_token(accounts["dunhua"]))

    assert response.status_code == 200, response.content[:300]
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.get(action="document.downloaded").actor_username == "dunhua"


def test_evidence_download_is_audited_once(accounts, draft, client):
    from tests.applications.test_evidence import pdf_bytes, upload

    evidence = upload(accounts, draft, "E01", "产值.pdf", pdf_bytes())
    client.force_login(accounts["dunhua"])

    response = client.get(f"/applications/{draft.pk}/evidence/{evidence.pk}/")

    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="evidence.downloaded").count() == 1
    assert not AuditEvent.objects.filter(action="document.downloaded").exists()


def test_refused_download_is_not_audited(accounts, draft, client):
    client.force_login(accounts["tonghua"])  # another city: the application is out of scope

    assert client.get(f"/documents/applications/{draft.pk}/attachment1.pdf").status_code == 404
    assert not AuditEvent.objects.filter(action="document.downloaded").exists()
