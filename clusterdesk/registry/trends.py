"""Year over year: a recognised cluster's indicators across its application, its annual reports
and its re-review, against the criteria thresholds and its own plan targets, and the projection
of its output target.

``project`` is pure (figures in, a sentence out). ``cluster_trends`` reads what it needs for
many clusters at once: a fixed number of queries whatever the number of clusters (the versions
of their applications, their submitted reports, their submitted re-reviews, the criteria sets).

Where a year is known from several sources the latest source wins: re-review over annual report
over application (a later filing corrects an earlier one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import F

from clusterdesk.core.charts import COMPARATORS, Chart, fmt

from .models import AnnualReport, Cluster
from .workflow import REPORT

# The footnote shown under the projection (and in docs/status.md).
PROJECTION_FORMULA = (
    "推算方法：以最近两个有数据年份的集群产值计算年均增速 g = (后一年产值 ÷ 前一年产值)^(1/相隔年数) − 1，"
    "再按复合增长推至目标年份：预计产值 = 最近一年产值 × (1 + g)^(目标年份 − 最近年份)；差额 = 目标值 − 预计产值。"
)
TENTH = Decimal("0.1")
SOURCE_RANK = {"申报": 0, "年报": 1, "复核": 2}
OUTPUT_TARGET_WORDS = ("产值", "营业收入", "主营业务收入")


def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@dataclass
class Projection:
    """``sentence`` is what the page says; ``projected``/``gap`` are None when there is no basis."""

    sentence: str
    growth: Decimal | None = None
    projected: Decimal | None = None
    gap: Decimal | None = None  # target − projected (positive: missed by; zero or negative: met)
    points: list[tuple[int, Decimal]] = field(default_factory=list)  # the projected years, for the chart

    @property
    def met(self) -> bool | None:
        return None if self.gap is None else self.gap <= 0


def project(known: list[tuple[int, Decimal]], target_year: int | None, target: Decimal | None,
            unit: str = "亿元", name: str = "集群产值") -> Projection:
    """Compound growth from the last two known years, carried to the target year.

    g = (v2 / v1)^(1 / (y2 − y1)) − 1; projected = v2 × (1 + g)^(target_year − y2);
    gap = target − projected, rounded to 0.1. No target, fewer than two years, or a first value
    that is not positive: no projection, and the sentence says why.
    """
    if target is None or target_year is None:
        return Projection(f"三年发展规划中没有{name}目标，无法推算。")
    known = sorted((y, v) for y, v in known if v is not None)
    if len(known) < 2:
        return Projection(f"{name}只有{len(known)}年数据，至少需要两年才能推算{target_year}年目标{fmt(target)}{unit}能否实现。"
                          if known else f"暂无{name}数据，无法推算{target_year}年目标{fmt(target)}{unit}能否实现。")
    (y1, v1), (y2, v2) = known[-2], known[-1]
    if v1 <= 0 or v2 < 0:
        return Projection(f"{y1}年{name}不为正数，无法计算增速。")
    ratio = v2 / v1
    years_between = Decimal(y2 - y1)
    growth = ratio ** (Decimal(1) / years_between) - 1 if ratio > 0 else Decimal(-1)
    ahead = target_year - y2
    if ahead <= 0:
        projected = v2 if target_year == y2 else dict(known).get(target_year, v2)
        points = []
    else:
        projected = v2 * (1 + growth) ** ahead if growth > -1 else Decimal(0)
        points = [(y2 + i, v2 * (1 + growth) ** i) for i in range(1, ahead + 1)]
    projected = projected.quantize(TENTH, ROUND_HALF_UP)
    gap = (target - projected).quantize(TENTH, ROUND_HALF_UP)
    basis = f"按{y2}年比{y1}年{'增长' if growth >= 0 else '下降'}{fmt(abs(growth), percent=True)}"
    basis += "/年" if y2 - y1 > 1 else ""
    if gap > 0:
        sentence = (f"按目前增速，{target_year}年目标{fmt(target)}{unit}将差{fmt(gap)}{unit}"
                    f"（{basis}推算，预计{fmt(projected)}{unit}）。")
    else:
        sentence = (f"按目前增速，{target_year}年目标{fmt(target)}{unit}可以实现"
                    f"（{basis}推算，预计{fmt(projected)}{unit}，超出{fmt(-gap)}{unit}）。")
    return Projection(sentence, growth, projected, gap, [(y, v.quantize(TENTH, ROUND_HALF_UP)) for y, v in points])


# --- reading the figures ------------------------------------------------------------------------------

def _rows(data) -> list[dict]:
    rows = (data or {}).get("indicators") if isinstance(data, dict) else None
    return [r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("year"), int)]


def output_target(targets) -> dict | None:
    """The plan target that is the cluster's output (产值/营业收入, in 亿元), or None."""
    for t in targets if isinstance(targets, list) else []:
        if not isinstance(t, dict):
            continue
        name = str(t.get("name") or "")
        if any(w in name for w in OUTPUT_TARGET_WORDS) and "占" not in name and "亿" in str(t.get("unit") or "亿元"):
            target, year = _dec(t.get("target")), t.get("year")
            if target is not None and isinstance(year, int):
                return {"name": name, "target": target, "year": year, "unit": str(t.get("unit") or "亿元")}
    return None


def _thresholds(definition: dict) -> dict:
    """The chartable thresholds of one set: total output (each year), SME share, leading share, growth."""
    found = {}
    for aspect in (definition or {}).get("aspects") or []:
        for rule in aspect.get("rules") or []:
            kind, value = rule.get("kind"), _dec(rule.get("threshold"))
            if value is None:
                continue
            key = None
            if kind == "threshold" and rule.get("indicator") == "total_output":
                key = "total_output"
            elif kind == "share" and rule.get("denominator") == "total_output":
                key = {"sme_output": "sme_share", "leading_output": "leading_share"}.get(rule.get("numerator"))
            elif kind == "growth" and rule.get("indicator") == "total_output":
                key = "growth"
            if key and key not in found:
                found[key] = (f"门槛{COMPARATORS.get(rule.get('comparator'), '')}", value)
    return found


def _criteria_sets() -> list:
    from clusterdesk.criteria.service import CriteriaSet

    return list(CriteriaSet.objects.only("code", "version", "level", "status", "definition").order_by("-version"))


def _set_for(cluster: Cluster, rounds_sets: list, sets: list):
    """The set whose thresholds a cluster is drawn against: the set of its level its application's
    round named; else (a cluster entered without an application) the latest active set of its level."""
    level = "national" if cluster.level == "national" else "provincial"
    for code, version in rounds_sets:
        for s in sets:
            if s.code == code and (version is None or s.version == version) and s.level == level:
                return s
    return next((s for s in sets if s.level == level and s.status == "active"), None)


@dataclass
class Trend:
    cluster: Cluster
    years: dict  # year -> {"total_output", "sme_output", "leading_output", "source"}
    thresholds: dict
    criteria_name: str
    target: dict | None
    projection: Projection

    def series(self, key: str) -> list[tuple[int, Decimal]]:
        out = []
        for year in sorted(self.years):
            row = self.years[year]
            total = row.get("total_output")
            if key == "total_output":
                value = total
            elif key in ("sme_share", "leading_share"):
                part = row.get("sme_output" if key == "sme_share" else "leading_output")
                value = part / total if part is not None and total else None
            else:  # growth over the previous year
                prev = self.years.get(year - 1, {}).get("total_output")
                value = total / prev - 1 if total is not None and prev else None
            if value is not None:
                out.append((year, value))
        return out

    def chart(self, key: str) -> Chart:
        titles = {"total_output": ("集群产值", "亿元"), "sme_share": ("中小企业产值占比", "%"),
                  "leading_share": ("主导产业产值占比", "%"), "growth": ("产值同比增速", "%")}
        title, unit = titles[key]
        chart = Chart(title, unit, self.series(key), percent=unit == "%", threshold=self.thresholds.get(key),
                      sources={y: r["source"] for y, r in self.years.items()})
        if key == "total_output" and self.target is not None:
            chart.target = (self.target["year"], self.target["target"], "目标")
            chart.projection = self.projection.points
        return chart


def cluster_trends(clusters: list[Cluster]) -> dict[int, Trend]:
    """Each cluster's trend, in a fixed number of queries (4) whatever the number of clusters."""
    from clusterdesk.applications.models import ApplicationVersion
    from clusterdesk.rereview.service import RereviewStatus, RereviewTask

    ids = [c.pk for c in clusters]
    years: dict[int, dict] = {pk: {} for pk in ids}

    def take(cluster_id: int, rows: list[dict], source: str) -> None:
        for r in rows:
            values = {k: _dec(r.get(k)) for k in ("total_output", "sme_output", "leading_output")}
            if all(v is None for v in values.values()):
                continue
            current = years[cluster_id].get(r["year"])
            if current is None or SOURCE_RANK[source] >= SOURCE_RANK[current["source"]]:
                years[cluster_id][r["year"]] = {**values, "source": source}

    by_application = {c.application_id: c.pk for c in clusters if c.application_id}
    round_sets: dict[int, list] = {}
    if by_application:
        for v in (ApplicationVersion.objects.filter(application__in=list(by_application),
                                                    number=F("application__current_version"))
                  .select_related("application__round").only("application_id", "data", "application__round__criteria_sets")):
            pk = by_application[v.application_id]
            take(pk, _rows(v.data), "申报")
            round_sets[pk] = [(e.get("code"), e.get("version")) for e in v.application.round.criteria_sets or []]
    for r in (AnnualReport.objects.filter(cluster__in=ids, status__in=REPORT.group("done"))
              .only("cluster_id", "data").order_by("year")):
        take(r.cluster_id, _rows(r.data), "年报")
    done = [s for s in RereviewStatus.values if s not in (RereviewStatus.DRAFT, RereviewStatus.RETURNED,
                                                          RereviewStatus.MISSED)]
    for t in RereviewTask.objects.filter(cluster__in=ids, status__in=done).only("cluster_id", "data").order_by("pk"):
        take(t.cluster_id, _rows(t.data), "复核")
    sets = _criteria_sets()
    result = {}
    for c in clusters:
        cset = _set_for(c, round_sets.get(c.pk, []), sets)
        target = output_target(c.plan_targets)
        known = [(y, r["total_output"]) for y, r in sorted(years[c.pk].items()) if r["total_output"] is not None]
        projection = project(known, target["year"] if target else None, target["target"] if target else None)
        result[c.pk] = Trend(c, years[c.pk], _thresholds(cset.definition) if cset else {},
                             cset.display_name if cset else "", target, projection)
    return result
