"""Fixtures for the review chain: applications driven through the real chain, expert scores."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import PDF, complete_body

# (applicant account, city account, cluster name, city flags it 同步推荐国家级). Invented demo data.
CLUSTERS = [
    ("dunhua", "yanbian", "敦化市医药产业集群", True),
    ("dunhua", "yanbian", "敦化市林下经济产业集群", True),
    ("yanji", "yanbian", "延吉市人参大健康产业集群", True),
    ("tonghua_county", "tonghua", "通化县葡萄酒产业集群", True),
    ("tonghua_county", "tonghua", "通化县中药材产业集群", False),
]


@pytest.fixture
def submit_new(accounts, round_open, upload_required):
    """Create, fill, upload the required evidence and submit one application (real domain calls)."""
    from clusterdesk.applications import domain as apps

    def make(applicant: str, name: str):
        user = accounts[applicant]
        app = apps.create_application(actor=user, round_=round_open)
        apps.save_fields(actor=user, application=app, data={**complete_body(), "name": name})
        upload_required(app, user)
        apps.submit(actor=user, application=app)
        app.refresh_from_db()
        return app

    return make


@pytest.fixture
def passed(accounts, round_open, submit_new):
    """The five CLUSTERS, each passed by the province's initial review, in CLUSTERS order.

    Driven through the real chain: county submits → the city recommends (with its national
    flag) → name list → formal recommendation with a letter → ``province_pass``.
    """
    from clusterdesk.applications.models import Application
    from clusterdesk.reviews import domain

    made = []
    for applicant, city, name, national in CLUSTERS:
        app = submit_new(applicant, name)
        domain.perform(actor=accounts[city], application=app, action="city_recommend", inputs={"national": national})
        made.append(app)
    for city in dict.fromkeys(c for _, c, _, _ in CLUSTERS):
        domain.submit_name_list(actor=accounts[city], round_=round_open)
        domain.submit_formal(actor=accounts[city], round_=round_open, confirm_final=True,
                             letter=SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf"))
    for app in made:
        domain.perform(actor=accounts["province"], application=Application.objects.get(pk=app.pk),
                       action="province_pass")
    return [Application.objects.get(pk=a.pk) for a in made]


@pytest.fixture
def expert_scores(monkeypatch):
    """Give applications expert scores without running expert review: ``expert_scores({app: 90})``."""
    from clusterdesk.reviews import province

    def give(scores: dict):
        table = {getattr(a, "pk", a): Decimal(str(s)) for a, s in scores.items()}
        monkeypatch.setattr(province, "_expert_scores", lambda round_: table)

    return give
