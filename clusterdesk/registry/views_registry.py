"""Pages of the registry (集群名录): the list with filters, an entry with its history, reports
and changes, the county's annual report form, the change filing form, the province's
dashboard with the schematic map, the city's cultivation pool and the import of earlier clusters.

Every page reads through ``Cluster.objects.visible_to`` (an entry outside the scope is a 404)
and changes state only through ``registry.domain``; what a page offers comes from the machines
and their state groups (``registry.workflow``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clusterdesk.core.pagecache import cached_page
from clusterdesk.applications.computed import percent, share
from clusterdesk.applications.validation import INDICATOR_FIELDS
from clusterdesk.catalog.models import Industry
from clusterdesk.core.charts import trend_chart
from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgLevel, Role

from . import domain, workflow
from .trends import PROJECTION_FORMULA, cluster_trends
from .models import (
    AnnualReport, ChangeEvidence, ChangeFiling, ChangeKind, Cluster, ClusterStatus, Level,
)

STATE_LABELS = {
    "name": "集群名称", "org": "所在单位", "level": "级别", "status": "状态", "batch_year": "认定批次",
    "valid_from": "有效期起", "valid_until": "有效期止", "leading_industry_code": "主导产业",
    "operating_body": "运营主体", "covered_org_codes": "涉及的其他县级单位",
}
LEVEL_COLORS = {Level.NATIONAL: "#b3261e", Level.PROVINCIAL: "#1d4e89", Level.POOL: "#2e7d32"}


def _raise(exc: DomainError):
    if exc.status == 404:
        raise Http404(exc.message)
    if exc.status == 403:
        raise PermissionDenied(exc.message)


def _cluster(request, pk) -> Cluster:
    return get_object_or_404(Cluster.objects.visible_to(request.user).select_related("org", "org__recommender"), pk=pk)


def _lookups(codes: set[str], industry_codes: set[str]) -> tuple[dict, dict]:
    orgs = {o.code: o.name for o in Org.objects.filter(code__in=codes)} if codes else {}
    industries = {i.code: i.name for i in Industry.objects.filter(code__in=industry_codes)} if industry_codes else {}
    return orgs, industries


def _show(key: str, value, orgs: dict, industries: dict) -> str:
    if value in (None, "", []):
        return "—"
    if key == "level":
        return Level(value).label if value in Level.values else value
    if key == "status":
        return ClusterStatus(value).label if value in ClusterStatus.values else value
    if key == "org":
        return orgs.get(value, value)
    if key == "covered_org_codes":
        return "、".join(orgs.get(c, c) for c in value)
    if key == "leading_industry_code":
        return f"{value} {industries.get(value, '')}".strip()
    return str(value)


def event_rows(events) -> list[dict]:
    """History lines with the fields that changed, before and after, in words."""
    codes, industry_codes = set(), set()
    for e in events:
        for side in (e.before or {}, e.after or {}):
            codes.update(side.get("covered_org_codes") or [])
            if side.get("org"):
                codes.add(side["org"])
            if side.get("leading_industry_code"):
                industry_codes.add(side["leading_industry_code"])
    orgs, industries = _lookups(codes, industry_codes)
    rows = []
    for e in events:
        before, after = e.before or {}, e.after or {}
        keys = [k for k in STATE_LABELS if k in before or k in after]
        changes = []
        for k in keys:
            if before and k in before and before.get(k) == after.get(k):
                continue
            if not before and k in ("org", "name"):
                continue
            changes.append({"label": STATE_LABELS[k], "before": _show(k, before.get(k), orgs, industries) if before else "",
                            "after": _show(k, after.get(k), orgs, industries) if k in after else ""})
        rows.append({"event": e, "changes": changes})
    return rows


# --- the list -------------------------------------------------------------------------------

def _listed(request):
    """The registry list's rows for this user and the page's filters: shared by the page and its
    Excel export. Answers (queryset, filters)."""
    clusters = Cluster.objects.visible_to(request.user).select_related("org", "org__recommender")
    level = request.GET.get("level", "")
    if level in Level.values:
        clusters = clusters.filter(level=level)
    status = request.GET.get("status", "")
    if status in ClusterStatus.values:
        clusters = clusters.filter(status=status)
    city = request.GET.get("city", "")
    if city:
        clusters = clusters.filter(org__recommender__code=city)
    q = request.GET.get("q", "").strip()
    if q:
        clusters = clusters.filter(name__contains=q)
    return clusters.order_by("org__path", "name", "pk"), {"level": level, "status": status, "city": city, "q": q}


@login_required
def cluster_registry_xlsx(request):
    """导出Excel: the registry list as the user sees it, with its current filters."""
    from clusterdesk.core.exports import XLSX, attachment, stamp, xlsx_bytes

    clusters, filters = _listed(request)
    headers = ["集群名称", "所在县级单位", "市（州）", "级别", "认定批次", "有效期起", "有效期止", "状态", "主导产业代码",
               "运营主体"]
    rows = [[c.name, c.org.name, c.org.recommender.name if c.org.recommender_id else "", c.get_level_display(),
             c.batch_year, c.valid_from, c.valid_until, c.get_status_display(), c.leading_industry_code,
             c.operating_body] for c in clusters]
    body = xlsx_bytes("集群名录", headers, rows, widths=[30, 20, 20, 10, 10, 12, 12, 10, 12, 30])
    return attachment(body, f"集群名录_{stamp()}.xlsx", XLSX, request=request, what="registry", rows=len(rows),
                      filters=filters)


@cached_page
@login_required
def cluster_registry(request):
    clusters, filters = _listed(request)
    level, status, city, q = filters["level"], filters["status"], filters["city"], filters["q"]
    page = Paginator(clusters, 50).get_page(request.GET.get("page"))
    cities = Org.objects.visible_to(request.user).filter(recommends_to_province=True).order_by("path")
    return render(request, "registry/list.html", {
        "page": page, "levels": Level.choices, "statuses": ClusterStatus.choices, "cities": cities,
        "level": level, "status": status, "city": city, "q": q, "today": domain.today_local(),
        "can_import": domain.is_province_admin(request.user),
        "province_staff": domain.is_province_staff(request.user),
        "is_city": request.user.role == Role.CITY_REVIEWER,
    })


@login_required
@require_POST
def registry_import(request):
    if not domain.is_province_admin(request.user):
        raise PermissionDenied("只有省厅管理员可以导入集群名录")
    upload = request.FILES.get("file")
    back_on_refusal(request, reverse("cluster_registry"))
    if upload is None:
        raise DomainError("请选择要导入的名录文件（CSV 或 Excel .xlsx）", field="file")
    result = domain.import_clusters(actor=request.user, content=upload.read(), request=request)
    messages.success(request, f"名录已导入：新增 {len(result.created)} 个，更新 {len(result.updated)} 个，"
                              f"未变 {len(result.unchanged)} 个")
    return redirect("cluster_registry")


# --- one entry ------------------------------------------------------------------------------

@cached_page
@login_required
def cluster_detail(request, pk):
    cluster = _cluster(request, pk)
    user = request.user
    today = domain.today_local()
    reports = list(cluster.reports.select_related("submitted_by").order_by("-year"))
    by_year = {r.year: r for r in reports}
    is_county = user.role == Role.COUNTY_APPLICANT
    report_years = []
    for year in reversed(domain.reportable_years(cluster, today)):
        report = by_year.get(year)
        due_on = report.due_on if report else domain.report_due_on(year)
        owed = year in domain.owed_years(cluster, today)
        overdue = owed and (report is None or not workflow.REPORT.in_group("done", report.status)) and domain.is_late(
            due_on, timezone.now())
        report_years.append({"year": year, "report": report, "due_on": due_on, "owed": owed, "overdue": overdue})
    shown_years = {r["year"] for r in report_years}
    extra_reports = [r for r in reports if r.year not in shown_years]
    changes = list(cluster.changes.select_related("filed_by", "decided_by").prefetch_related("evidence"))
    events = list(cluster.events.select_related("actor"))
    codes = set(cluster.covered_org_codes or [])
    orgs, industries = _lookups(codes, {cluster.leading_industry_code} - {""})
    application = None
    if cluster.application_id:
        from clusterdesk.applications.models import Application

        application = Application.objects.visible_to(user).filter(pk=cluster.application_id).first()
    targets = cluster.plan_targets or []
    trend = cluster_trends([cluster])[cluster.pk]
    return render(request, "registry/detail.html", {
        "trend": trend, "trend_charts": [trend_chart(trend.chart(k), width=300, height=200)
                                         for k in ("total_output", "sme_share", "leading_share", "growth")],
        "projection_formula": PROJECTION_FORMULA,
        "cluster": cluster,
        "industry": _show("leading_industry_code", cluster.leading_industry_code, orgs, industries),
        "covered": _show("covered_org_codes", cluster.covered_org_codes, orgs, industries),
        "targets": targets,
        "application": application,
        "report_years": report_years,
        "extra_reports": extra_reports,
        "changes": changes,
        "history": event_rows(events),
        "can_report": is_county and workflow.can_start_report(user, cluster).allowed,
        "can_file": is_county and workflow.can_file_change(user, cluster).allowed,
        "can_decide": domain.is_province_admin(user),
        "change_kinds": ChangeKind.choices,
        "ending_soon": cluster in domain.ending_soon([cluster], today),
    })


# --- annual reports --------------------------------------------------------------------------

@login_required
@require_POST
def report_start(request, pk):
    cluster = _cluster(request, pk)
    back_on_refusal(request, reverse("registry_cluster", args=[pk]))
    report = domain.start_report(actor=request.user, cluster=cluster, year=request.POST.get("year"), request=request)
    return redirect("registry_report", pk=report.pk)


def _report(request, pk) -> AnnualReport:
    return get_object_or_404(AnnualReport.objects.visible_to(request.user)
                             .select_related("cluster__org__recommender", "submitted_by"), pk=pk)


def _report_values(report: AnnualReport, posted: dict | None, field_errors: dict | None = None) -> dict:
    """What the form shows: the posted values after a refusal, else the saved ones."""
    data = report.data or {}
    row = next((r for r in data.get("indicators") or [] if r.get("year") == report.year), {})
    progress = {p.get("index"): p for p in data.get("target_progress") or []}
    targets = []
    for i, t in enumerate(report.cluster.plan_targets or []):
        saved = progress.get(i, {})
        rate = saved.get("completion_rate")
        targets.append({
            "index": i, "name": t.get("name"), "unit": t.get("unit"), "baseline": t.get("baseline"),
            "target": t.get("target"), "year": t.get("year"),
            "achieved": posted.get(f"progress_{i}_achieved", "") if posted else (saved.get("achieved") or ""),
            "note": posted.get(f"progress_{i}_note", "") if posted else (saved.get("note") or ""),
            "rate": percent(Decimal(rate)) if rate not in (None, "") else "—",
            "errors": (field_errors or {}).get(f"target_progress.{i}.achieved", []),
        })
    indicators = [
        {"key": k, "label": label, "unit": "家" if k == "enterprise_count" else "亿元",
         "value": posted.get(f"ind_{k}", "") if posted else ("" if row.get(k) is None else row.get(k)),
         "errors": (field_errors or {}).get(f"indicators.{report.year}.{k}", [])}
        for k, label in INDICATOR_FIELDS.items()
    ]
    return {
        "indicators": indicators,
        "sme_share": percent(share(row.get("sme_output"), row.get("total_output"))),
        "leading_share": percent(share(row.get("leading_output"), row.get("total_output"))),
        "targets": targets,
        "narrative": posted.get("narrative", "") if posted else data.get("narrative") or "",
    }


def report_from_post(report: AnnualReport, post) -> dict:
    row = {"year": report.year, **{k: post.get(f"ind_{k}", "") for k in INDICATOR_FIELDS}}
    progress = [{"index": i, "achieved": post.get(f"progress_{i}_achieved", ""), "note": post.get(f"progress_{i}_note", "")}
                for i in range(len(report.cluster.plan_targets or []))]
    return {"indicators": [row], "target_progress": progress, "narrative": post.get("narrative", "")}


def _report_input(field: str) -> str:
    """The form input of a report error's field (indicators.2024.total_output → ind_total_output)."""
    parts = str(field or "").split(".")
    if parts[0] == "indicators" and len(parts) == 3:
        return f"ind_{parts[2]}"
    if parts[0] == "target_progress" and len(parts) == 3:
        return f"progress_{parts[1]}_{parts[2]}"
    return parts[0]


def _report_autosave(request, report: AnnualReport):
    from django.http import JsonResponse

    try:
        report = domain.save_report(actor=request.user, report=report, data=report_from_post(report, request.POST),
                                    expected_version=request.POST.get("_version") or None, request=request)
    except DomainError as exc:
        _raise(exc)
        found = exc.errors or ([{"field": exc.field, "message": exc.message}] if exc.field else [])
        errors = [{"field": e.get("field") or "", "input": _report_input(e.get("field")), "message": e.get("message")}
                  for e in found]
        return JsonResponse({"ok": False, "detail": exc.message, "errors": errors, "conflict": exc.status == 409},
                            status=exc.status)
    return JsonResponse({"ok": True, "version": domain.report_version(report),
                         "saved_at": timezone.localtime().strftime("%H:%M:%S")})


@login_required
def report_page(request, pk):
    """GET: the report (a form for the county while it is a draft). POST: save, or save and submit."""
    report = _report(request, pk)
    errors, posted, status = [], None, 200
    if request.method == "POST":
        # JSON for the page's autosave (js/autosave.js, as the application form), with the
        # version the page showed; a plain post (保存 / 保存并提交) saves what it carries.
        if request.headers.get("Accept", "").startswith("application/json"):
            return _report_autosave(request, report)
        try:
            domain.save_report(actor=request.user, report=report, data=report_from_post(report, request.POST),
                               expected_version=request.POST.get("_version") or None, request=request)
            if request.POST.get("action") == "submit":
                report = domain.submit_report(actor=request.user, report=report, request=request)
                text = f"{report.year}年度报告已提交"
                if report.late:
                    text += f"（已超过截止日 {report.due_on:%Y-%m-%d}，标记为逾期提交）"
                messages.success(request, text)
                return redirect("registry_cluster", pk=report.cluster_id)
            messages.success(request, "已保存")
            return redirect("registry_report", pk=report.pk)
        except DomainError as exc:
            _raise(exc)
            errors = exc.errors or [{"field": exc.field or "", "message": exc.message}]
            posted, status = request.POST, exc.status
            messages.error(request, exc.message)
            report.refresh_from_db()
    editable = (request.user.role == Role.COUNTY_APPLICANT and workflow.can_edit_report(request.user, report).allowed)
    by_field = defaultdict(list)
    for e in errors:
        by_field[e.get("field", "")].append(e["message"])
    return render(request, "registry/report.html", {
        "report": report, "cluster": report.cluster, "editable": editable, "version": domain.report_version(report),
        "values": _report_values(report, posted, by_field),
        "fields": INDICATOR_FIELDS, "errors": errors, "field_errors": dict(by_field),
        "missing": domain.report_missing(report) if editable else [],
        "overdue": workflow.REPORT.in_group("editable", report.status) and domain.is_late(report.due_on, timezone.now()),
    }, status=status)


# --- change filings ---------------------------------------------------------------------------

def _neighbours(cluster: Cluster) -> list[Org]:
    return [o for o in Org.objects.filter(recommender_id=cluster.org.recommender_id).exclude(pk=cluster.org_id)
            .order_by("path") if KIND_LEVEL[o.kind] == OrgLevel.COUNTY]


@login_required
def change_new(request, pk):
    cluster = _cluster(request, pk)
    kind = request.POST.get("kind") or request.GET.get("kind") or ChangeKind.OPERATING_BODY
    if kind not in ChangeKind.values:
        raise Http404("没有这种变更事项")
    error, status = None, 200
    if request.method == "POST":
        name = domain.CHANGE_FIELDS[kind]
        after = request.POST.getlist(name) if name == "covered_org_codes" else request.POST.get(name, "")
        try:
            filing = domain.file_change(actor=request.user, cluster=cluster, kind=kind, after={name: after},
                                        reason=request.POST.get("reason", ""),
                                        evidence_files=request.FILES.getlist("evidence"), request=request)
        except DomainError as exc:
            _raise(exc)
            error, status = exc, exc.status
        else:
            messages.success(request, f"{ChangeKind(kind).label}已报备，等待省厅审核")
            return redirect("registry_change", pk=filing.pk)
    elif request.user.role != Role.COUNTY_APPLICANT:
        raise PermissionDenied("只有集群所在县级单位的申报账号可以报备集群变更")
    orgs, industries = _lookups(set(cluster.covered_org_codes or []), {cluster.leading_industry_code} - {""})
    posted = request.POST if error else None
    return render(request, "registry/change_form.html", {
        "cluster": cluster, "kind": kind, "kind_label": ChangeKind(kind).label, "kinds": ChangeKind.choices,
        "current": _show(domain.CHANGE_FIELDS[kind], getattr(cluster, domain.CHANGE_FIELDS[kind]), orgs, industries),
        "industries": Industry.objects.order_by("code") if kind == ChangeKind.LEADING_INDUSTRY else [],
        "neighbours": _neighbours(cluster) if kind == ChangeKind.SPATIAL_SCOPE else [],
        "selected": set(posted.getlist("covered_org_codes")) if posted else set(cluster.covered_org_codes or []),
        "value": (posted.get(domain.CHANGE_FIELDS[kind], "") if posted
                  else getattr(cluster, domain.CHANGE_FIELDS[kind]) if kind != ChangeKind.SPATIAL_SCOPE else ""),
        "reason": posted.get("reason", "") if posted else "",
        "error": error, "errors": (error.errors if error else []), "max_mb": settings.MAX_UPLOAD_MB,
    }, status=status)


def _filing(request, pk) -> ChangeFiling:
    return get_object_or_404(ChangeFiling.objects.visible_to(request.user)
                             .select_related("cluster__org", "filed_by", "decided_by"), pk=pk)


@login_required
def change_detail(request, pk):
    filing = _filing(request, pk)
    name = domain.CHANGE_FIELDS[filing.kind]
    codes = set((filing.before or {}).get("covered_org_codes") or []) | set((filing.after or {}).get("covered_org_codes") or [])
    industry_codes = {v for v in ((filing.before or {}).get(name), (filing.after or {}).get(name)) if isinstance(v, str) and v}
    orgs, industries = _lookups(codes, industry_codes if name == "leading_industry_code" else set())
    error = None
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision not in ("approve", "refuse"):
                raise DomainError("请选择“同意”或“不予同意”", field="decision")
            domain.decide_change(actor=request.user, filing=filing, approve=decision == "approve",
                                 note=request.POST.get("decision_note", ""), request=request)
        except DomainError as exc:
            _raise(exc)
            error = exc
        else:
            messages.success(request, "审核意见已保存" + ("，名录已按变更后内容更新" if decision == "approve" else "，名录保持原登记内容"))
            return redirect("registry_change", pk=pk)
    return render(request, "registry/change_detail.html", {
        "filing": filing, "cluster": filing.cluster, "label": domain.CHANGE_LABELS[name],
        "before": _show(name, (filing.before or {}).get(name), orgs, industries),
        "after": _show(name, (filing.after or {}).get(name), orgs, industries),
        "evidence": list(filing.evidence.all()),
        "can_decide": any(b.allowed for b in workflow.CHANGE.buttons(request.user, filing)),
        "error": error, "note": request.POST.get("decision_note", "") if error else "",
    }, status=error.status if error else 200)


@login_required
def change_evidence(request, pk, evidence_id):
    filing = _filing(request, pk)
    evidence = get_object_or_404(ChangeEvidence.objects.visible_to(request.user), pk=evidence_id, filing=filing)
    try:
        return domain.change_evidence_response(actor=request.user, evidence=evidence, request=request)
    except DomainError as exc:
        raise Http404(exc.message) from None


# --- the city's cultivation pool -------------------------------------------------------------

@login_required
def cultivation_pool(request):
    user = request.user
    if not (roles.is_city_reviewer(user) or roles.is_province_staff(user)):
        raise PermissionDenied("培育库由市（州）维护，省厅可查阅")
    error, status = None, 200
    if request.method == "POST":
        org = Org.objects.visible_to(user).filter(code=request.POST.get("org", "")).first()
        try:
            cluster = domain.add_to_pool(actor=user, org=org, name=request.POST.get("name", ""),
                                         note=request.POST.get("note", ""),
                                         leading_industry_code=request.POST.get("leading_industry_code", ""),
                                         request=request)
        except DomainError as exc:
            if exc.status == 403 and user.role != Role.CITY_REVIEWER:
                raise PermissionDenied(exc.message) from None
            error, status = exc, exc.status
        else:
            messages.success(request, f"“{cluster.name}”已加入培育库")
            return redirect("cultivation_pool")
    pool = (Cluster.objects.visible_to(user).filter(level=Level.POOL).select_related("org", "org__recommender")
            .order_by("org__recommender__path", "org__path", "name"))
    units = [o for o in Org.objects.visible_to(user).order_by("path") if KIND_LEVEL[o.kind] == OrgLevel.COUNTY]
    return render(request, "registry/pool.html", {
        "pool": pool, "units": units, "can_add": user.role == Role.CITY_REVIEWER, "error": error,
        "posted": request.POST if error else {}, "industries": Industry.objects.order_by("code"),
    }, status=status)


# --- the province's dashboard and map ---------------------------------------------------------

@dataclass
class Marker:
    cluster: Cluster | None  # None: an aggregated marker (``count`` entries of one unit, level and state)
    x: float
    y: float
    r: float
    color: str
    fill: str
    stroke: str
    dash: str
    approx: bool
    title: str
    label: str = ""
    dx: float = 10
    dy: float = 4
    anchor: str = "start"
    count: int = 1
    href: str = ""
    level: str = ""
    status: str = ""


@dataclass
class MapLabel:
    name: str
    x: float
    y: float


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain; counter-clockwise, no repeated end point."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


MAX_MAP_LABELS = 40
CHAR_W, LINE_H = 11.0, 12.0
# Where a cluster's name may go relative to its marker: (dx, dy, text-anchor), in order of preference.
LABEL_SPOTS = [(10, 4, "start"), (-10, 4, "end"), (10, -9, "start"), (10, 17, "start"), (-10, -9, "end"),
               (-10, 17, "end"), (0, -12, "middle"), (0, 21, "middle")]


def _box(x, y, dx, dy, anchor, text) -> tuple[float, float, float, float]:
    w = len(text) * CHAR_W
    left = x + dx - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
    return left, y + dy - LINE_H + 2, left + w, y + dy + 3


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(markers: list[Marker], labels: list[MapLabel], width: int) -> None:
    """Greedy placement of cluster names: the first spot that stays inside the drawing and
    overlaps no unit label, marker or name already placed (else the first spot inside)."""
    taken = [_box(l.x, l.y, 0, -6, "middle", l.name) for l in labels]
    taken += [(m.x - m.r, m.y - m.r, m.x + m.r, m.y + m.r) for m in markers]
    for m in sorted(markers, key=lambda m: (m.y, m.x)):
        if not m.label:
            continue
        text = m.label + ("*" if m.approx else "")
        inside = [spot for spot in LABEL_SPOTS
                  if 2 <= _box(m.x, m.y, *spot, text)[0] and _box(m.x, m.y, *spot, text)[2] <= width - 2]
        mine = (m.x - m.r, m.y - m.r, m.x + m.r, m.y + m.r)
        free = [spot for spot in inside
                if not any(_overlaps(_box(m.x, m.y, *spot, text), t) for t in taken if t != mine)]
        m.dx, m.dy, m.anchor = (free or inside or LABEL_SPOTS)[0]
        taken.append(_box(m.x, m.y, m.dx, m.dy, m.anchor, text))


def short_name(cluster: Cluster) -> str:
    """"辽源市龙山区高精铝轨道客车产业集群" → "龙山区高精铝轨道客车": from the unit's name, without the suffix."""
    name = cluster.name
    at = name.find(cluster.org.name) if cluster.org.name else -1
    if at > 0:
        name = name[at:]
    for suffix in ("产业集群", "集群"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def build_map(province: Org, clusters: list[Cluster], width: int = 760) -> dict:
    """A schematic of the province from the org coordinates only (no boundary data): the outline
    is the convex hull of the units' points pushed outwards a little, labelled 示意图; one marker
    per cluster at its unit (or, when the unit has no coordinates, its nearest ancestor's).

    ``clusters`` is a list or a queryset of entries. Beyond MAX_MAP_MARKERS entries the map shows
    one marker per unit, level and state, sized by its count (for a queryset counted by SQL, so
    the cost does not grow with the registry); each links to the registry list filtered."""
    orgs = {o.pk: o for o in Org.objects.filter(path__startswith=province.path)
            .only("pk", "name", "code", "parent_id", "recommender_id", "longitude", "latitude",
                  "recommends_to_province", "kind", "path")}
    located = [o for o in orgs.values() if o.longitude is not None and o.latitude is not None]
    pad, top, legend_h = 40, 84, 86
    if not located:
        return {"width": width, "height": 200, "empty": True, "markers": [], "labels": [], "outline": "",
                "title": f"{province.name}特色产业集群分布示意图"}
    lats = [float(o.latitude) for o in located]
    lons = [float(o.longitude) for o in located]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    min_x, max_x = min(lons) * k, max(lons) * k
    min_y, max_y = -max(lats), -min(lats)
    span_x, span_y = (max_x - min_x) or 1.0, (max_y - min_y) or 1.0
    scale = (width - 2 * pad) / span_x
    height = int(top + span_y * scale + pad + legend_h)

    def project(lon, lat) -> tuple[float, float]:
        return (round(pad + (float(lon) * k - min_x) * scale, 1), round(top + (-float(lat) - min_y) * scale, 1))

    points = [project(o.longitude, o.latitude) for o in located]
    hull = convex_hull(points)
    cx = sum(p[0] for p in hull) / len(hull)
    cy = sum(p[1] for p in hull) / len(hull)
    grown = []
    for x, y in hull:
        dx, dy = x - cx, y - cy
        d = math.hypot(dx, dy) or 1.0
        grown.append((round(x + dx / d * 22, 1), round(y + dy / d * 22, 1)))
    outline = " ".join(f"{x},{y}" for x, y in grown)
    labels = [MapLabel(o.name, *project(o.longitude, o.latitude)) for o in located
              if o.recommends_to_province]

    def position(org: Org):
        seen, current, approx = 0, orgs.get(org.pk, org), False
        while current is not None and seen < 10:
            if current.longitude is not None and current.latitude is not None:
                return project(current.longitude, current.latitude), approx
            current, approx, seen = orgs.get(current.parent_id), True, seen + 1
        return None, True

    groups: dict[tuple, list] = defaultdict(list)
    for cluster, org_id, level, status, count in _map_entries(clusters):
        org = orgs.get(org_id) or (cluster.org if cluster is not None else None)
        if org is None:
            continue
        point, approx = position(org)
        if point is not None:
            groups[point].append((cluster, org, level, status, count, approx))
    registry_url = reverse("cluster_registry")
    markers = []
    for (x, y), members in groups.items():
        n = len(members)
        for i, (cluster, org, level, status, count, approx) in enumerate(members):
            angle = 2 * math.pi * i / n - math.pi / 2
            ox, oy = (round(9 * math.cos(angle), 1), round(9 * math.sin(angle), 1)) if n > 1 else (0, 0)
            color = LEVEL_COLORS.get(level, "#555")
            fill, stroke, dash = color, "#fff", ""
            if status == ClusterStatus.EXPIRED:
                fill, stroke, dash = "#fff", color, "2 1.5"
            elif status == ClusterStatus.REVOKED:
                fill, stroke = "#9aa5b1", "#5f6b76"
            r = {Level.NATIONAL: 7.5, Level.PROVINCIAL: 6.5}.get(level, 5.5)
            if cluster is not None:
                title = f"{cluster.name}（{cluster.get_level_display()}·{cluster.get_status_display()}）"
                href, label = reverse("registry_cluster", args=[cluster.pk]), short_name(cluster)
            else:
                r = round(min(r + 2.0 * math.sqrt(count - 1), 18.0), 1)
                title = f"{org.name}：{Level(level).label}·{ClusterStatus(status).label} {count} 个"
                city = orgs.get(org.recommender_id) or org
                href, label = f"{registry_url}?city={city.code}&level={level}&status={status}", ""
            if approx:
                title += "；位置按上级单位坐标示意"
            markers.append(Marker(cluster, round(x + ox, 1), round(y + oy, 1), r, color, fill, stroke, dash, approx,
                                  title, label, count=count, href=href, level=level, status=status))
    if len(markers) > MAX_MAP_LABELS:  # too many to label legibly: names stay in the tooltips and tables
        for m in markers:
            m.label = ""
    else:
        place_labels(markers, labels, width)
    legend_y = height - legend_h + 24
    legend = []
    for i, (label, fill, stroke, dash, r) in enumerate([
        ("国家级", LEVEL_COLORS[Level.NATIONAL], "#fff", "", 7.5),
        ("省级", LEVEL_COLORS[Level.PROVINCIAL], "#fff", "", 6.5),
        ("培育库", LEVEL_COLORS[Level.POOL], "#fff", "", 5.5),
        ("已到期（空心）", "#fff", "#555", "2 1.5", 6.5),
        ("已撤销", "#9aa5b1", "#5f6b76", "", 6.5),
    ]):
        legend.append({"label": label, "fill": fill, "stroke": stroke, "dash": dash, "r": r,
                       "x": 26 + i * 118, "y": legend_y})
    return {
        "width": width, "height": height, "outline": outline, "labels": labels, "markers": markers, "empty": False,
        "title": f"{province.name}特色产业集群分布示意图", "legend": legend, "note_y": legend_y + 30,
        "approx": any(m.approx for m in markers), "total": sum(m.count for m in markers),
        "aggregated": any(m.cluster is None for m in markers),
    }


MAX_MAP_MARKERS = 150


def _map_entries(clusters) -> list[tuple]:
    """(cluster or None, org id, level, status, count): one per entry up to MAX_MAP_MARKERS
    entries, else one per unit, level and state (by SQL when ``clusters`` is a queryset)."""
    from django.db.models import Count, QuerySet

    if isinstance(clusters, QuerySet):  # two queries: the count, then the entries or their groups
        if clusters.order_by().count() <= MAX_MAP_MARKERS:
            return [(c, c.org_id, c.level, c.status, 1) for c in clusters.select_related("org")]
        rows = clusters.order_by().values("org_id", "level", "status").annotate(n=Count("pk"))
        return sorted(((None, r["org_id"], r["level"], r["status"], r["n"]) for r in rows), key=lambda e: e[1:4])
    clusters = list(clusters)
    if len(clusters) <= MAX_MAP_MARKERS:
        return [(c, c.org_id, c.level, c.status, 1) for c in clusters]
    counts = Counter((c.org_id, c.level, c.status) for c in clusters)
    return [(None, *key, n) for key, n in sorted(counts.items())]


def _province_of_user(user) -> Org:
    if not domain.is_province_staff(user):
        raise PermissionDenied("集群名录总览仅供省厅查阅")
    return user.org


def _map_context(request, clusters) -> dict:
    return {"map": build_map(request.user.org, clusters)}


DASHBOARD_ROWS = 50  # each list on the dashboard shows at most this many rows (its count is exact)


def _first(queryset, limit: int = DASHBOARD_ROWS) -> tuple[list, int]:
    """A list's first ``limit`` rows and its count (two queries, however long the list)."""
    return list(queryset[:limit]), queryset.count()


@cached_page
@login_required
def dashboard(request):
    """Counts by SQL (levels, states, per city), each list read up to DASHBOARD_ROWS rows, the map
    aggregated when large: the page's cost does not grow with the registry, except the overdue
    reports, which are worked out per entry in force (``domain.overdue_reports``)."""
    from django.db.models import Count
    from django.db.models.functions import Coalesce

    province = _province_of_user(request.user)
    now = timezone.now()
    today = domain.today_local(now)
    visible = Cluster.objects.visible_to(request.user)
    by_level, by_status, cities, total = Counter(), Counter(), {}, 0
    for row in (visible.order_by().values("level", "status", unit=Coalesce("org__recommender_id", "org_id"))
                .annotate(n=Count("pk"))):
        by_level[row["level"]] += row["n"]
        by_status[row["status"]] += row["n"]
        total += row["n"]
        city = cities.setdefault(row["unit"], {"national": 0, "provincial": 0, "pool": 0, "ended": 0, "total": 0})
        city["ended" if workflow.CLUSTER.in_group("ended", row["status"]) else row["level"]] += row["n"]
        city["total"] += row["n"]
    for unit in Org.objects.filter(pk__in=list(cities)).only("pk", "name", "code", "path"):
        cities[unit.pk]["unit"] = unit
    limit = domain.add_months(today, 12)
    ending, ending_count = _first(
        visible.filter(status__in=workflow.CLUSTER.group("valid"), valid_until__gte=today, valid_until__lte=limit)
        .select_related("org").order_by("valid_until", "org__path", "name", "pk"))
    past, past_count = _first(
        visible.filter(status__in=workflow.CLUSTER.group("due_for_expiry"), valid_until__lt=today)
        .select_related("org").order_by("valid_until", "org__path", "name", "pk"))
    in_force = (visible.filter(status__in=workflow.CLUSTER.group("valid")).select_related("org")
                .only("pk", "name", "status", "level", "created_at", "valid_from", "valid_until",
                      "org__path", "org__name"))
    overdue = domain.overdue_reports(in_force, now)
    late, late_count = _first(AnnualReport.objects.filter(cluster__in=visible.values("pk"), late=True)
                              .select_related("cluster__org").order_by("-submitted_at", "-pk"))
    pending, pending_count = _first(
        ChangeFiling.objects.filter(cluster__in=visible.values("pk"), status__in=workflow.CHANGE.group("pending"))
        .select_related("cluster__org").order_by("filed_at", "pk"))
    return render(request, "registry/dashboard.html", {
        "province": province, "total": total,
        "levels": [(v, label, by_level.get(v, 0)) for v, label in Level.choices],
        "statuses": [(v, label, by_status.get(v, 0)) for v, label in ClusterStatus.choices],
        "cities": sorted((c for c in cities.values() if "unit" in c), key=lambda r: r["unit"].path),
        "ending": ending, "ending_count": ending_count, "ending_limit": limit,
        "past": past, "past_count": past_count,
        "overdue": overdue[:DASHBOARD_ROWS], "overdue_count": len(overdue),
        "late": late, "late_count": late_count, "pending": pending, "pending_count": pending_count,
        "rows_limit": DASHBOARD_ROWS, "today": today,
        "due_setting": "{:02d}月{:02d}日".format(*domain.due_month_day()),
        **_map_context(request, visible.order_by("org__path", "name", "pk")),
    })


@login_required
def map_svg(request):
    """The schematic map as a standalone SVG file (served by the app; nothing external)."""
    _province_of_user(request.user)
    clusters = Cluster.objects.visible_to(request.user).order_by("org__path", "name", "pk")
    body = render_to_string("registry/_map.svg", {**_map_context(request, clusters), "standalone": True}, request)
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- the leader's dashboard ------------------------------------------------------------------------

def render_leader_dashboard(request, *, as_home: bool = False):
    from clusterdesk.core.home import panels_for

    from .leader import dashboard_context

    context = dashboard_context(request.user)
    if as_home:  # what else waits for the leader (the home page's panels) stays on the home page
        context["panels"] = panels_for(request.user)
    return render(request, "registry/leader.html", {**context, "as_home": as_home})


@cached_page
@login_required
def leader_dashboard(request):
    """工作总览: the province leader's home, reachable by the province's other accounts too."""
    return render_leader_dashboard(request)
