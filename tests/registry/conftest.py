"""Fixtures for the registry: the seeded entries, recognised applications, files."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.conftest import PDF
from tests.reviews.conftest import passed, submit_new  # noqa: F401  (the review chain's fixtures)

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def pdf(name: str = "批复文件.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def seeded(accounts, industries):
    """The six known clusters, entered on 2026-06-01 by ``load_registry_seed`` (the real command)."""
    from clusterdesk.registry.models import Cluster

    with time_machine.travel(at(2026, 6, 1, 10), tick=False):
        call_command("load_registry_seed", stdout=open("/dev/null", "w"))
    return {c.name: c for c in Cluster.objects.select_related("org")}


@pytest.fixture
def yanji(seeded):
    """延边州延吉市人参大健康产业集群 (provincial, 2025 batch, valid 2026–2028), with two plan targets."""
    cluster = seeded["延边州延吉市人参大健康产业集群"]
    cluster.plan_targets = [
        {"name": "集群产值", "unit": "亿元", "baseline": "50", "target": "80", "year": 2028},
        {"name": "专精特新企业数", "unit": "家", "baseline": None, "target": "20", "year": 2028},
    ]
    cluster.save(update_fields=["plan_targets"])
    return cluster


def full_report(year: int = 2026) -> dict:
    """A complete report body (invented figures for tests)."""
    return {
        "indicators": [{"year": year, "total_output": "60", "sme_output": "45", "leading_output": "50",
                        "enterprise_count": 120, "sme_rd_spending": "1.5"}],
        "target_progress": [{"index": 0, "achieved": "60", "note": "产值稳步增长"}, {"index": 1, "achieved": "12"}],
        "narrative": "2026年集群发展情况（测试数据）。",
    }
