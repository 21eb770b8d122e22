"""Radios sit on the line of their label (issue 15 §10), at 1366×768: the province's objection
form on the publicity page put each radio above its text."""

import os
from datetime import date

import pytest

from clusterdesk.reviews import province
from clusterdesk.reviews.models import PublicityEntry
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_objection_radios_are_inline_with_their_labels(accounts, round_open, passed, live_server, browser, tmp_path):
    batch = province.propose_recognition(actor=accounts["province"], round_=round_open, applications=passed[:1],
                                         starts_on=date.today(), working_days=5, title="2025年度拟认定名单公示")
    entry = PublicityEntry.objects.get(batch=batch, application=passed[0])
    province.record_objection(actor=accounts["province"], entry=entry, received_on=date.today(),
                              submitted_by="某企业", content="集群产值数据与统计部门不一致")

    context, page = sign_in(browser, live_server, "jl_admin")
    page.goto(f"{live_server.url}/reviews/rounds/{round_open.pk}/publicity/")
    form = page.get_by_test_id("resolve-form").first
    form.scroll_into_view_if_needed()
    for text in ("成立（未予认定）", "不成立"):
        label = form.locator("label", has_text=text).first
        radio = label.locator('input[type="radio"]')
        lb, rb = label.bounding_box(), radio.bounding_box()
        # one line: the radio's vertical centre lies within the label, and the label is one text line high
        assert lb["height"] < 40, f"“{text}” wraps: {lb}"
        assert lb["y"] <= rb["y"] + rb["height"] / 2 <= lb["y"] + lb["height"]
        assert rb["x"] < lb["x"] + 30  # the radio is at the start of the line, left of its text
    form.screenshot(path=os.environ.get("E2E_SHOTS", str(tmp_path)) + "/radios.png")
    context.close()
