"""Render time of one 附件1 申报表 PDF (WeasyPrint, Noto CJK embedded).

How to run (from the project root; about 15 seconds, most of it setting up the database):

    .venv/bin/python bench/attachment1_pdf.py

Target: one 附件1 PDF renders in under 1 second. The script exits 1 when the median of 5
renders is 1 second or more, 2 when the setup failed.

What it does: sets up Django against a throwaway SQLite database in a temporary directory
(CLUSTERDESK_VAR_DIR and CLUSTERDESK_MEDIA_DIR point there, so nothing under var/ is touched),
migrates, loads the Jilin units, the GB/T 4754-2017 industries and the shipped criteria sets,
creates an open round and a complete application through the domain functions -- 4 indicator
years, 30 quality enterprises, a narrative of about 600 characters for each of the aspects 3-8,
3 plan targets, one small PDF for each required evidence item -- and submits it. The timed
call is ``documents.attachment1.render_pdf(application, version)``: the submitted version,
the heaviest variant (QR code, evidence list with SHA-256), including its database queries
and template rendering, as the download view does. Five renders, the median is reported
(time.perf_counter), after one untimed warm-up render whose time is printed as "cold"
(the first render of a process loads the fonts).

The baseline, measured in the same run and the same way (warm-up, median of 5), is a trivial
one-line PDF through the same helper and the same base template (``documents/print_base.html``
with one line of Chinese text): the fixed cost of WeasyPrint with the CJK fonts. The script
prints both medians and the ratio attachment1 / trivial, plus the page count and size of the
附件1 PDF. This is a benchmark, not a test: pytest only collects tests/.
"""

import os
import re
import shutil
import subprocess
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
LIMIT_SECONDS = 1.0
ENTERPRISES = 30
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TRIVIAL = '{% extends "documents/print_base.html" %}{% block body %}<p>中小企业特色产业集群（一行）</p>{% endblock %}'


def body() -> dict:
    from stdnum.cn import uscc

    def code(n: int) -> str:
        base = f"91222403MA{n:07d}"[:17]
        return base + uscc.calc_check_digit(base)

    narrative = ("集群围绕主导产业开展上下游协作，龙头企业带动配套企业共同发展，建立了稳定的本地供应体系。" * 14)[:600]
    quals = ["specialized", "innovative", "high_tech", "little_giant", "champion"]
    return {
        "name": "敦化市医药产业集群", "covered_org_codes": [], "coordination_note": "",
        "leading_industry_code": "C27", "niche": "中成药", "area_km2": "85.5",
        "operating_body": "敦化经济开发区管理委员会", "sub_cluster_code": "",
        "contacts": [{"name": "张三", "title": "科长", "phone": "0433-6220000", "email": "dh@example.cn"},
                     {"name": "李四", "title": "副局长", "phone": "13900000000", "email": ""}],
        "indicators": [
            {"year": 2021, "total_output": "40.0", "sme_output": "30.0", "leading_output": "32.0", "enterprise_count": 80, "sme_rd_spending": "1.0"},
            {"year": 2022, "total_output": "45.0", "sme_output": "34.0", "leading_output": "36.0", "enterprise_count": 85, "sme_rd_spending": "1.1"},
            {"year": 2023, "total_output": "50.0", "sme_output": "38.0", "leading_output": "40.0", "enterprise_count": 90, "sme_rd_spending": "1.2"},
            {"year": 2024, "total_output": "56.0", "sme_output": "42.0", "leading_output": "45.0", "enterprise_count": 95, "sme_rd_spending": "1.4"},
        ],
        "quality_enterprises": [
            {"name": f"敦化示例药业{i}有限公司", "uscc": code(i), "qualifications": [quals[i % len(quals)]],
             "year": 2020 + i % 5, "in_leading_industry": i % 4 != 0}
            for i in range(ENTERPRISES)
        ],
        "aspects": {str(k): narrative for k in range(3, 9)},
        "negative_list_clear": True,
        "plan_targets": [
            {"name": "集群产值", "unit": "亿元", "baseline": "56", "target": "80", "year": 2027},
            {"name": "专精特新中小企业", "unit": "家", "baseline": "12", "target": "20", "year": 2027},
            {"name": "中小企业研发投入", "unit": "亿元", "baseline": "1.4", "target": "2.0", "year": 2027},
        ],
    }


def page_count(pdf: bytes) -> str:
    """Pages as pdfinfo (poppler) reports them; "?" without pdfinfo (object streams are compressed)."""
    if not shutil.which("pdfinfo"):
        return "?"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        info = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return found.group(1) if found else "?"


def median_of(runs: int, fn) -> tuple[float, float, object]:
    """(cold seconds of an untimed warm-up, median seconds of ``runs`` calls, last result)."""
    start = time.perf_counter()
    result = fn()
    cold = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return cold, statistics.median(times), result


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="clusterdesk-bench-"))
    os.environ["CLUSTERDESK_VAR_DIR"] = str(workdir)
    os.environ["CLUSTERDESK_MEDIA_DIR"] = str(workdir / "media")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "clusterdesk.settings"
    sys.path.insert(0, str(ROOT))
    try:
        return run()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def setup():
    import django

    django.setup()

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from clusterdesk.applications.domain import create_application, save_fields, submit
    from clusterdesk.applications.evidence import upload_evidence
    from clusterdesk.catalog.domain import load_industries
    from clusterdesk.criteria.domain import load_shipped
    from clusterdesk.orgs.domain import create_account, load_orgs, parse_org_csv
    from clusterdesk.orgs.models import Org
    from clusterdesk.rounds.domain import create_round

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only
    call_command("migrate", verbosity=0, interactive=False)
    load_orgs(parse_org_csv(ROOT / "data" / "jilin-divisions.csv"))
    load_industries(ROOT / "data" / "gbt4754-2017-divisions.csv")
    load_shipped()
    orgs = {o.code: o for o in Org.objects.all()}
    password = "Bench-pass-2025"
    admin = create_account(actor=None, username="bench_admin", org=orgs["220000"], role="province_admin",
                           password=password, must_change_password=False)
    clerk = create_account(actor=None, username="bench_dunhua", org=orgs["222403"], role="county_applicant",
                           password=password, must_change_password=False)
    today = timezone.localdate()
    round_ = create_round(
        actor=admin, name="2025年度中小企业特色产业集群申报推荐（基准测试）", year=2025, status="open",
        criteria_sets=[{"code": "national-2022", "version": 1}, {"code": "jilin-provincial-2024", "version": 1}],
        deadlines={"county_submission": today + timedelta(days=30), "name_list": today + timedelta(days=40),
                   "formal_submission": today + timedelta(days=60), "national_recommendation": today + timedelta(days=90)},
    )
    application = create_application(actor=clerk, round_=round_)
    save_fields(actor=clerk, application=application, data=body())
    for item in round_.checklist.filter(required=True):
        upload_evidence(actor=clerk, application=application, item_code=item.code,
                        upload=SimpleUploadedFile(f"{item.title[:10]}.pdf", PDF, content_type="application/pdf"))
    version = submit(actor=clerk, application=application)
    application.refresh_from_db()
    return application, version


def run() -> int:
    try:
        application, version = setup()
    except Exception as exc:  # noqa: BLE001 -- report any setup failure as such
        print(f"setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2

    from django.template import engines

    from clusterdesk.documents import attachment1
    from clusterdesk.documents.pdf import html_to_pdf

    trivial_template = engines["django"].from_string(TRIVIAL)
    trivial_cold, trivial_s, _ = median_of(RUNS, lambda: html_to_pdf(trivial_template.render({})))
    cold, attachment_s, pdf = median_of(RUNS, lambda: attachment1.render_pdf(application, version))

    pages = page_count(pdf)
    print(f"附件1 PDF benchmark: application {application.number}, version {version.number}, "
          f"{ENTERPRISES} enterprises, median of {RUNS} after a warm-up")
    print(f"  attachment1: {attachment_s:.3f} s (cold first render {cold:.3f} s), {len(pdf) / 1024:.0f} KiB, {pages} pages")
    print(f"  trivial one-line PDF: {trivial_s:.3f} s (cold first render {trivial_cold:.3f} s)")
    print(f"  ratio attachment1 / trivial: {attachment_s / trivial_s:.1f}x")
    if attachment_s >= LIMIT_SECONDS:
        print(f"FAIL: one 附件1 PDF took {attachment_s:.3f} s, the target is under {LIMIT_SECONDS:.0f} s")
        return 1
    print(f"OK: under the {LIMIT_SECONDS:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
