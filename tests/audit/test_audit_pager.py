"""The audit log counts at most the newest 10,000 events: a view costs the same however long the
system has run, and the pager says how far it goes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.pagination import CappedPaginator


def test_capped_paginator_counts_no_further_than_its_cap(accounts):
    events = AuditEvent.objects.order_by("-id")
    total = events.count()
    assert total >= 5
    exact = CappedPaginator(events, 2, cap=total)
    assert (exact.count, exact.capped) == (total, False)
    capped = CappedPaginator(events, 2, cap=4)
    with CaptureQueriesContext(connection) as queries:
        assert (capped.count, capped.capped, capped.num_pages) == (4, True, 2)
    assert len(queries) == 1
    assert "LIMIT 5" in queries[0]["sql"].upper()
    assert capped.get_page(99).number == 2  # the last page it can reach


@pytest.mark.parametrize(("cap", "capped"), [(3, True), (10_000, False)])
def test_the_audit_page_says_when_the_count_stops(accounts, login, monkeypatch, cap, capped):
    from clusterdesk.audit import views

    monkeypatch.setattr(views, "CappedPaginator", lambda rows, per_page: CappedPaginator(rows, 1, cap=cap))
    html = login(accounts["province"]).get("/audit/").content.decode()
    total = AuditEvent.objects.count()
    if capped:
        assert "共 3+ 条" in html
        assert "只能翻看最近的 3 条" in html
    else:
        assert f"共 {total} 条" in html
        assert "只能翻看" not in html
