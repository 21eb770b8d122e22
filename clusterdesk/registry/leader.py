"""The leader's dashboard (领导工作总览): the province leader's home page, also linked from the
province administrator's home.

One page: where the current round stands (recommending units × pipeline stages, counts with a
heat shade), the recognised clusters by level and city on the schematic map, each recognised
cluster's output over the years against the threshold and its plan target (small SVG charts
drawn here), what is overdue (lists not sent, annual reports, re-reviews), and the briefing PDF
one click away.

The number of queries does not depend on the number of applications or clusters: the counts
are one ``values().annotate(Count)`` (``reviews.service.round_progress``), the charts' figures
four queries for every cluster at once (``trends.cluster_trends``).
"""

from __future__ import annotations

import math

from django.urls import reverse
from django.utils import timezone

from clusterdesk.core.charts import trend_chart
from clusterdesk.core.errors import NotAllowed
from clusterdesk.orgs import roles
from clusterdesk.rounds.models import SHANGHAI, Round, RoundStatus, StageCode

from . import domain, workflow
from .models import Cluster, Level
from .trends import PROJECTION_FORMULA, cluster_trends

LIST_STAGES = ((StageCode.NAME_LIST, "推荐名单"), (StageCode.FORMAL_SUBMISSION, "正式推荐"))
LIST_STATE = {"done": "已报送", "late": "逾期报送", "missed": "逾期未报送", "open": "未报送"}


def can_view(user) -> bool:
    """Province-level accounts (leader, administrator, system administrator)."""
    return roles.is_province_staff(user)


def require_view(user) -> None:
    if not can_view(user):
        raise NotAllowed("工作总览仅供省厅领导和省厅管理员查阅")


def current_round(province) -> Round | None:
    """The application round the dashboard shows: the latest open one with a county submission
    stage, else the latest such round that has been opened (a re-review round is not shown here)."""
    rounds = (Round.objects.filter(province=province, stages__code=StageCode.COUNTY_SUBMISSION)
              .exclude(status=RoundStatus.DRAFT).order_by("-year", "-pk"))
    return rounds.filter(status=RoundStatus.OPEN).first() or rounds.first()


def short_unit(name: str) -> str:
    """延边朝鲜族自治州 → 延边州, 长白山保护开发区管理委员会 → 长白山管委会 (the table's narrow first column)."""
    for long, short in (("朝鲜族自治州", "州"), ("保护开发区管理委员会", "管委会")):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name


def heat(n: int, top: int) -> int:
    """0 for an empty cell, else 1–5 in proportion to the largest count of the table."""
    if n <= 0 or top <= 0:
        return 0
    return max(1, min(5, math.ceil(5 * n / top)))


def pipeline_table(progress: list[dict]) -> dict:
    """Rows: the recommending units; columns: the pipeline phases, then 已终止; cells: counts with
    their heat class; the two lists' states; a total row."""
    from clusterdesk.reviews.service import PIPELINE, PROVINCIAL

    stopped = PROVINCIAL.group("stopped")
    columns = [label for label, _ in PIPELINE] + ["已终止"]
    groups = [statuses for _, statuses in PIPELINE] + [stopped]
    rows, totals = [], [0] * len(columns)
    for row in progress:
        counts = [sum(row["counts"].get(s, 0) for s in statuses) for statuses in groups]
        totals = [a + b for a, b in zip(totals, counts)]
        lists = [{"label": label, "state": row["stages"][code]["state"],
                  "text": LIST_STATE[row["stages"][code]["state"]]} for code, label in LIST_STAGES]
        rows.append({"unit": row["org"], "name": short_unit(row["org"].name), "counts": counts, "total": row["total"], "lists": lists})
    top = max([n for r in rows for n in r["counts"][:-1]] or [0])
    for r in rows:
        r["cells"] = [{"n": n, "heat": heat(n, top), "stopped": i == len(columns) - 1} for i, n in enumerate(r["counts"])]
    return {"columns": columns, "rows": rows, "totals": totals, "total": sum(r["total"] for r in rows),
            "top": top}


def late_rereviews(province, now) -> list[dict]:
    """Re-review tasks late: marked 逾期未提交, or still drafts after their unit's deadline."""
    from clusterdesk.rereview.service import RereviewStatus, RereviewTask
    from clusterdesk.rounds.domain import resolve_many

    tasks = list(RereviewTask.objects.filter(round__province=province, status__in=(RereviewStatus.DRAFT, RereviewStatus.MISSED))
                 .select_related("cluster", "org", "round").order_by("round_id", "org__path"))
    by_round: dict[int, list] = {}
    for t in tasks:
        by_round.setdefault(t.round_id, []).append(t)
    out = []
    for tasks_of_round in by_round.values():
        round_ = tasks_of_round[0].round
        deadlines = resolve_many(round_, StageCode.REREVIEW_SUBMISSION, [t.org for t in tasks_of_round])
        for t in tasks_of_round:
            deadline = deadlines.get(t.org_id, (None, False))[0]
            if t.status == RereviewStatus.MISSED or (deadline is not None and now > deadline):
                out.append({"task": t, "deadline": deadline, "missed": t.status == RereviewStatus.MISSED})
    return out


def overdue_items(province, progress, clusters, now) -> list[dict]:
    """Every item past its deadline, as lines: {kind, text, url}."""
    items = []
    for row in progress:
        for code, label in LIST_STAGES:
            info = row["stages"][code]
            if info["state"] == "missed":
                when = timezone.localtime(info["deadline"], SHANGHAI)
                items.append({"kind": "名单", "text": f"{row['org'].name}{label}未报送（{when:%Y-%m-%d}截止）",
                              "url": ""})
    for o in domain.overdue_reports(clusters, now):
        state = "已开始填报，未提交" if o.report else "未填报"
        items.append({"kind": "年报", "text": f"{o.cluster.name} {o.year}年度报告逾期（{o.due_on:%Y-%m-%d}截止，{state}）",
                      "url": reverse("registry_cluster", args=[o.cluster.pk])})
    for r in late_rereviews(province, now):
        t = r["task"]
        if r["missed"]:
            text = f"{t.cluster.name}复核申报逾期未提交"
        else:
            text = f"{t.cluster.name}复核申报已过截止时间（{timezone.localtime(r['deadline'], SHANGHAI):%Y-%m-%d}），尚未提交"
        items.append({"kind": "复核", "text": text, "url": reverse("registry_cluster", args=[t.cluster_id])})
    return items


def _spark(trend) -> dict:
    chart = trend.chart("total_output")
    chart.title = "集群产值"
    shares = []
    for key, label in (("sme_share", "中小企业占比"), ("leading_share", "主导产业占比")):
        series = trend.series(key)
        if series:
            value = series[-1][1]
            threshold = trend.thresholds.get(key)
            ok = None if threshold is None else value >= threshold[1]
            shares.append({"label": label, "value": f"{value * 100:.1f}%", "year": series[-1][0],
                           "threshold": f"{threshold[1] * 100:.0f}%" if threshold else "", "ok": ok})
    return {"cluster": trend.cluster, "svg": trend_chart(chart, width=240, height=120, compact=True), "shares": shares,
            "projection": trend.projection if trend.target else None}


def dashboard_context(user, now=None) -> dict:
    from clusterdesk.reviews.service import round_progress

    from .views_registry import build_map

    require_view(user)
    now = now or timezone.now()
    province = user.org
    round_ = current_round(province)
    progress = round_progress(round_, now) if round_ else []
    clusters = list(Cluster.objects.visible_to(user).select_related("org", "org__recommender")
                    .order_by("org__path", "name"))
    recognized = [c for c in clusters if c.level in (Level.PROVINCIAL, Level.NATIONAL)
                  and workflow.CLUSTER.in_group("valid", c.status)]
    trends = cluster_trends(recognized)
    by_city: dict[int, dict] = {}
    for c in recognized:
        unit = c.org.recommender or c.org
        row = by_city.setdefault(unit.pk, {"unit": unit, "national": 0, "provincial": 0})
        row[c.level] += 1
    return {
        "province": province, "round": round_, "now": now,
        "pipeline": pipeline_table(progress),
        "map": build_map(province, recognized),
        "by_city": sorted(by_city.values(), key=lambda r: r["unit"].path),
        "national": sum(1 for c in recognized if c.level == Level.NATIONAL),
        "provincial": sum(1 for c in recognized if c.level == Level.PROVINCIAL),
        "sparks": [_spark(trends[c.pk]) for c in recognized],
        "overdue": overdue_items(province, progress, clusters, now),
        "briefing_url": reverse("briefing_pdf", args=[round_.pk]) if round_ else "",
        "overview_url": reverse("province_overview", args=[round_.pk]) if round_ else "",
        "projection_formula": PROJECTION_FORMULA,
    }
