"""Statistics per application and per aspect, the ranking, and a bounded number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clusterdesk.experts import domain
from clusterdesk.experts.models import ExpertAssignment, Score

from .conftest import full_scores

D = Decimal


@pytest.fixture
def scored(accounts, experts, make_app, round_open):
    """Three experts free of conflict for 敦化 applications: province, 长春, 通化.

    A: totals 80 (all 8), 60 (all 6), 92 (aspect 1: 10, others 9)
    B: totals 90 (all 9), 70 (all 7)
    C: total 80 (all 8), plus an unsubmitted draft of another expert (not counted)
    D: assigned, nothing submitted (unranked)
    """
    a, b, c, d = (make_app("222403", name=n) for n in ("甲集群", "乙集群", "丙集群", "丁集群"))
    p, cc, th = experts["province"], experts["changchun"], experts["tonghua"]

    def score(app, expert, values, submit=True):
        assignment = ExpertAssignment.objects.filter(application=app, expert=expert).first() or domain.assign(
            actor=accounts["province"], application=app, expert=expert)
        domain.save_scores(expert=expert, assignment=assignment, scores=full_scores(values), submit=submit)

    score(a, p, [8] * 8)
    score(a, cc, [6] * 8)
    score(a, th, [10] + [9] * 7)
    score(b, p, [9] * 8)
    score(b, cc, [7] * 8)
    score(c, p, [8] * 8)
    score(c, th, [1] * 8, submit=False)
    domain.assign(actor=accounts["province"], application=d, expert=p)
    return {"A": a, "B": b, "C": c, "D": d}


def test_statistics_exact_values(scored, round_open):
    items, results = domain.results(round_open)
    by = {r.application.pk: r for r in results}
    a = by[scored["A"].pk]
    assert (a.total.count, a.total.mean, a.total.median, a.total.spread, a.total.min, a.total.max) == (
        3, D("77.33"), D("80.00"), D("13.20"), D("60.00"), D("92.00"))
    aspect1, aspect2 = a.aspects[0][1], a.aspects[1][1]
    assert a.aspects[0][0].aspect == 1
    assert (aspect1.count, aspect1.mean, aspect1.median, aspect1.spread) == (3, D("8.00"), D("8.00"), D("1.63"))
    assert (aspect2.count, aspect2.mean, aspect2.median, aspect2.spread) == (3, D("7.67"), D("8.00"), D("1.25"))
    b = by[scored["B"].pk]
    assert (b.total.count, b.total.mean, b.total.median, b.total.spread) == (2, D("80.00"), D("80.00"), D("10.00"))
    c = by[scored["C"].pk]
    assert (c.total.count, c.total.mean, c.total.spread, c.assigned, c.submitted) == (1, D("80.00"), D("0.00"), 2, 1)
    d = by[scored["D"].pk]
    assert d.total.count == 0 and d.total.mean is None and d.rank is None


def test_ranking_by_mean_then_number(scored, round_open):
    ranked = domain.ranking(round_open)
    assert [r.application.name for r in ranked] == ["乙集群", "丙集群", "甲集群"]  # 80, 80 (by number), 77.33
    assert [r.rank for r in ranked] == [1, 2, 3]
    _, results = domain.results(round_open)
    assert results[-1].application.name == "丁集群" and results[-1].rank is None


def test_weighted_total_follows_the_rubric(accounts, experts, scored, round_open):
    """Doubling aspect 1's maximum halves the share of its score in the weighted total."""
    items = {i.aspect: {"title": i.title, "weight": str(i.weight), "max_score": str(i.max_score)}
             for i in domain.rubric(round_open)}
    items[1]["max_score"] = "20"
    domain.save_rubric(actor=accounts["province"], round_=round_open, items=items)
    _, results = domain.results(round_open)
    a = next(r for r in results if r.application.pk == scored["A"].pk)
    # totals: 8/20*20+0.8*80 = 72; 6/20*20+0.6*80 = 54; 10/20*20+0.9*80 = 82
    assert (a.total.mean, a.total.median, a.total.min, a.total.max) == (D("69.33"), D("72.00"), D("54.00"), D("82.00"))


def test_conflicted_scores_are_excluded(accounts, experts, jilin, scored, round_open):
    domain.declare_conflict(expert=experts["tonghua"], org=jilin["222403"], reason="曾在敦化任职")
    _, results = domain.results(round_open)
    a = next(r for r in results if r.application.pk == scored["A"].pk)
    assert a.total.count == 2 and a.total.mean == D("70.00")
    assert [x[0].expert.username for x in a.excluded] == ["expert_sun"]


def test_results_page_and_api(accounts, scored, round_open, login, client, api_token):
    web = login(accounts["province"])
    text = web.get(f"/experts/rounds/{round_open.pk}/results/").content.decode()
    assert "乙集群" in text and "77.33" in text and "13.20" in text and "总体标准差" in text
    web.logout()
    headers = api_token(accounts["province"])
    body = client.get(f"/api/v1/experts/rounds/{round_open.pk}/results", **headers).json()
    assert body["spread_is"] == "population_stdev"
    first = body["results"][0]
    assert first["rank"] == 1 and first["application"]["name"] == "乙集群"
    assert first["total"] == {"count": 2, "mean": "80", "median": "80", "spread": "10", "min": "70", "max": "90"}
    a = next(r for r in body["results"] if r["application"]["name"] == "甲集群")
    assert a["aspects"][1]["stats"]["mean"] == "7.67"


def _bulk_scored(accounts, experts, make_app, n: int, round_):
    """``n`` applications with three submitted assignments each (bulk shortcut for volume)."""
    items = domain.rubric(round_)
    now = timezone.now()
    apps = [make_app("222403") for _ in range(n)]
    pool = [experts["province"], experts["changchun"], experts["tonghua"]]
    assignments = ExpertAssignment.objects.bulk_create([
        ExpertAssignment(application=app, expert=e, assigned_by=accounts["province"], submitted_at=now)
        for app in apps for e in pool
    ])
    assignments = list(ExpertAssignment.objects.filter(application__in=apps))
    Score.objects.bulk_create([Score(assignment=a, item=i, value=D(5 + (a.pk + i.aspect) % 5)) for a in assignments
                               for i in items])


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_results_page_query_count_does_not_grow(accounts, experts, make_app, round_open, login):
    web = login(accounts["province"])
    url = f"/experts/rounds/{round_open.pk}/results/"
    _bulk_scored(accounts, experts, make_app, 1, round_open)
    web.get(url)  # warm up (session, rubric)
    one = _count_queries(web, url)
    _bulk_scored(accounts, experts, make_app, 29, round_open)
    thirty = _count_queries(web, url)
    assert one == thirty
    assert one <= 20
    _, results = domain.results(round_open)
    assert len(results) == 30 and all(r.total.count == 3 for r in results)


def test_results_export_matches_the_ranking(accounts, scored, round_open, login):
    from io import BytesIO

    from openpyxl import load_workbook

    from clusterdesk.audit.models import AuditEvent

    url = f"/experts/rounds/{round_open.pk}/results.xlsx"
    assert login(accounts["yanbian"]).get(url).status_code in (403, 404)
    response = login(accounts["province"]).get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    detail = [list(r) for r in workbook["专家评分明细"].iter_rows(values_only=True)]
    assert detail[0][:5] == ["申报编号", "集群名称", "申报单位", "专家", "专家单位"]
    # Six submitted assignments (the unsubmitted draft is not listed), each with its weighted total.
    assert len(detail) == 7
    assert sorted(r[-3] for r in detail[1:] if r[1] == "甲集群") == [60, 80, 92]
    assert rows[0][0].endswith("专家评审结果与排名")
    assert rows[1][:8] == ["排名", "申报编号", "集群名称", "申报单位", "状态", "已提交评分", "分配专家", "平均分"]
    assert rows[1][13].startswith("1. ")  # one column per rubric aspect
    body = rows[2:]
    assert [(r[0], r[2]) for r in body] == [(1, "乙集群"), (2, "丙集群"), (3, "甲集群"), (None, "丁集群")]
    assert body[2][7] == 77.33 and body[2][5] == 3
    assert AuditEvent.objects.filter(action="export.downloaded", object_id="expert_results").count() == 1
