"""API of the registry (集群名录): entries, annual reports, change filings, the dashboard.

Thin: every handler calls ``registry.domain``; the same scoping (an entry outside the
caller's scope is a 404) and the same permissions as the pages.
"""

import json
from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from clusterdesk.core.pagecache import cached_page
from clusterdesk.api.schemas import ErrorOut
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.core.pagination import Rows
from clusterdesk.orgs.models import Org

from . import domain, workflow
from .models import AnnualReport, ChangeEvidence, ChangeFiling, Cluster, ClusterStatus, Level

router = Router(tags=["集群名录与复核"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class ClusterOut(Schema):
    id: int
    name: str
    org_code: str
    org_name: str
    city_code: str | None
    city_name: str | None
    level: str
    level_label: str
    batch_year: int | None
    valid_from: date | None
    valid_until: date | None
    status: str
    status_label: str
    application_id: int | None
    leading_industry_code: str
    operating_body: str
    covered_org_codes: list[str]
    plan_targets: list[dict]
    note: str
    created_at: datetime


class EventOut(Schema):
    at: datetime
    kind: str
    kind_label: str
    actor: str | None
    before: dict | None
    after: dict | None
    comment: str


class ReportBrief(Schema):
    id: int
    year: int
    due_on: date
    status: str
    submitted_at: datetime | None
    late: bool


class ReportOut(ReportBrief):
    cluster_id: int
    cluster_name: str
    data: dict
    missing: list[dict]


class EvidenceOut(Schema):
    id: int
    name: str
    kind: str
    size: int
    sha256: str


class ChangeOut(Schema):
    id: int
    cluster_id: int
    kind: str
    kind_label: str
    before: dict
    after: dict
    reason: str
    status: str
    status_label: str
    filed_by: str
    filed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    evidence: list[EvidenceOut]


class ClusterDetailOut(ClusterOut):
    history: list[EventOut]
    reports: list[ReportBrief]
    changes: list[ChangeOut]


class ReportStartIn(Schema):
    year: int
    data: dict | None = None


class ReportSaveIn(Schema):
    data: dict


class DecisionIn(Schema):
    approve: bool
    note: str = ""


def _who(user) -> str | None:
    return (user.display_name or user.username) if user is not None else None


def cluster_out(c: Cluster) -> dict:
    city = c.org.recommender
    return {
        "id": c.pk, "name": c.name, "org_code": c.org.code, "org_name": c.org.name,
        "city_code": city.code if city else None, "city_name": city.name if city else None,
        "level": c.level, "level_label": c.get_level_display(), "batch_year": c.batch_year,
        "valid_from": c.valid_from, "valid_until": c.valid_until, "status": c.status,
        "status_label": c.get_status_display(), "application_id": c.application_id,
        "leading_industry_code": c.leading_industry_code, "operating_body": c.operating_body,
        "covered_org_codes": list(c.covered_org_codes or []), "plan_targets": list(c.plan_targets or []),
        "note": c.note, "created_at": c.created_at,
    }


def report_brief(r: AnnualReport) -> dict:
    return {"id": r.pk, "year": r.year, "due_on": r.due_on, "status": r.status, "submitted_at": r.submitted_at,
            "late": r.late}


def report_out(r: AnnualReport) -> dict:
    return {**report_brief(r), "cluster_id": r.cluster_id, "cluster_name": r.cluster.name, "data": r.data or {},
            "missing": domain.report_missing(r) if workflow.REPORT.in_group("editable", r.status) else []}


def change_out(f: ChangeFiling) -> dict:
    return {
        "id": f.pk, "cluster_id": f.cluster_id, "kind": f.kind, "kind_label": f.get_kind_display(),
        "before": f.before or {}, "after": f.after or {}, "reason": f.reason, "status": f.status,
        "status_label": f.get_status_display(), "filed_by": _who(f.filed_by), "filed_at": f.filed_at,
        "decided_by": _who(f.decided_by), "decided_at": f.decided_at, "decision_note": f.decision_note,
        "evidence": [{"id": e.pk, "name": e.original_name, "kind": e.kind, "size": e.size, "sha256": e.sha256}
                     for e in f.evidence.all()],
    }


def _clusters(request):
    return Cluster.objects.visible_to(request.user).select_related("org", "org__recommender")


def _cluster(request, cluster_id: int) -> Cluster:
    return get_object_or_404(_clusters(request), pk=cluster_id)


def _report(request, report_id: int) -> AnnualReport:
    return get_object_or_404(AnnualReport.objects.visible_to(request.user).select_related("cluster__org"),
                             pk=report_id)


def _filing(request, filing_id: int) -> ChangeFiling:
    return get_object_or_404(ChangeFiling.objects.visible_to(request.user)
                             .select_related("cluster__org", "filed_by", "decided_by"), pk=filing_id)


def _changes(cluster_qs_filter) -> list[dict]:
    return [change_out(f) for f in ChangeFiling.objects.filter(**cluster_qs_filter)
            .select_related("filed_by", "decided_by").prefetch_related("evidence")]


@router.get("/registry/clusters", response=list[ClusterOut])
@cached_page
@paginate(PageNumberPagination, page_size=50)
def list_clusters(request, level: str = "", status: str = "", city: str = "", q: str = ""):
    """名录中的集群（本单位权限范围内）。可按级别 level（national/provincial/pool）、状态 status
    （pool/recognized/expired/revoked）、市州 city（推荐单位代码）和名称 q 筛选。分页：每页 50 条，
    返回 {"items": […], "count": 总数}，page=2… 取后续页。"""
    if level and level not in Level.values:
        raise DomainError(f"级别 level 不是允许的取值，可选：{'、'.join(Level.values)}", field="level")
    if status and status not in ClusterStatus.values:
        raise DomainError(f"状态 status 不是允许的取值，可选：{'、'.join(ClusterStatus.values)}", field="status")
    clusters = _clusters(request)
    if level:
        clusters = clusters.filter(level=level)
    if status:
        clusters = clusters.filter(status=status)
    if city:
        clusters = clusters.filter(org__recommender__code=city)
    if q:
        clusters = clusters.filter(name__contains=q)
    return Rows(clusters.order_by("org__path", "name", "pk"), cluster_out)  # LIMIT/OFFSET in the database


@router.get("/registry/clusters/{cluster_id}", response={200: ClusterDetailOut, 404: ErrorOut})
def get_cluster(request, cluster_id: int):
    """一个集群：登记内容、名录记录（含变更前后）、年度报告、变更报备。"""
    cluster = _cluster(request, cluster_id)
    history = [{"at": e.at, "kind": e.kind, "kind_label": e.get_kind_display(), "actor": _who(e.actor),
                "before": e.before, "after": e.after, "comment": e.comment}
               for e in cluster.events.select_related("actor")]
    return {**cluster_out(cluster), "history": history,
            "reports": [report_brief(r) for r in cluster.reports.order_by("-year")],
            "changes": _changes({"cluster": cluster})}


@router.get("/registry/clusters/{cluster_id}/reports", response={200: list[ReportOut], 404: ErrorOut})
def list_reports(request, cluster_id: int):
    """该集群的年度发展情况报告。"""
    cluster = _cluster(request, cluster_id)
    return [report_out(r) for r in cluster.reports.select_related("cluster__org").order_by("-year")]


@router.post("/registry/clusters/{cluster_id}/reports", response={201: ReportOut, **ERRORS})
def start_report(request, cluster_id: int, payload: ReportStartIn):
    """县级申报账号新建（或取回已有的）某年度报告；可同时在 data 中保存内容
    （indicators、target_progress、narrative，校验与申报表相同）。"""
    cluster = _cluster(request, cluster_id)
    report = domain.start_report(actor=request.user, cluster=cluster, year=payload.year, request=request)
    if payload.data:
        report = domain.save_report(actor=request.user, report=report, data=payload.data, request=request)
    return Status(201, report_out(report))


@router.get("/registry/reports/{report_id}", response={200: ReportOut, 404: ErrorOut})
def get_report(request, report_id: int):
    return report_out(_report(request, report_id))


@router.put("/registry/reports/{report_id}", response={200: ReportOut, **ERRORS})
def save_report(request, report_id: int, payload: ReportSaveIn):
    """保存填报中的年度报告（只更新 data 中给出的部分；任何一项有误则整体不保存）。"""
    report = domain.save_report(actor=request.user, report=_report(request, report_id), data=payload.data,
                                request=request)
    return report_out(report)


@router.post("/registry/reports/{report_id}/submit", response={200: ReportOut, **ERRORS})
def submit_report(request, report_id: int):
    """提交年度报告。截止日（北京时间当日 24 时）后仍可提交，但标记为逾期（late=true）。"""
    report = domain.submit_report(actor=request.user, report=_report(request, report_id), request=request)
    return report_out(report)


@router.get("/registry/clusters/{cluster_id}/changes", response={200: list[ChangeOut], 404: ErrorOut})
def list_changes(request, cluster_id: int):
    return _changes({"cluster": _cluster(request, cluster_id)})


def _after(kind: str, raw: str):
    """``after`` as sent in the form: a JSON object, a JSON list (spatial scope) or plain text."""
    text = (raw or "").strip()
    if text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            raise DomainError("变更后内容 after 不是有效的 JSON", field="after") from None
    return text


@router.post("/registry/clusters/{cluster_id}/changes", response={201: ChangeOut, **ERRORS})
def file_change(request, cluster_id: int, kind: Form[str], reason: Form[str] = "", after: Form[str] = "",
                evidence: File[list[UploadedFile]] = None):
    """报备变更（multipart）：kind 为 leading_industry / spatial_scope / operating_body；after 为变更后内容
    （主导产业代码、运营主体名称，或空间范围的县级单位代码 JSON 列表；也可为 JSON 对象）；reason 为原因；
    evidence 为佐证材料文件（可多个，至少一个）。"""
    cluster = _cluster(request, cluster_id)
    filing = domain.file_change(actor=request.user, cluster=cluster, kind=kind, after=_after(kind, after),
                                reason=reason, evidence_files=evidence or [], request=request)
    return Status(201, change_out(ChangeFiling.objects.select_related("filed_by", "decided_by").get(pk=filing.pk)))


@router.get("/registry/changes/{change_id}", response={200: ChangeOut, 404: ErrorOut})
def get_change(request, change_id: int):
    return change_out(_filing(request, change_id))


@router.get("/registry/changes/{change_id}/evidence/{evidence_id}", response={404: ErrorOut})
def download_evidence(request, change_id: int, evidence_id: int):
    filing = _filing(request, change_id)
    evidence = get_object_or_404(ChangeEvidence.objects.visible_to(request.user), pk=evidence_id, filing=filing)
    return domain.change_evidence_response(actor=request.user, evidence=evidence, request=request)


@router.post("/registry/changes/{change_id}/decision", response={200: ChangeOut, **ERRORS})
def decide_change(request, change_id: int, payload: DecisionIn):
    """省厅审核变更：approve=true 同意（名录按变更后内容更新）；false 不予同意（须填写 note）。"""
    filing = domain.decide_change(actor=request.user, filing=_filing(request, change_id), approve=payload.approve,
                                  note=payload.note, request=request)
    return change_out(ChangeFiling.objects.select_related("filed_by", "decided_by").get(pk=filing.pk))


@router.get("/registry/dashboard", response={200: dict, 403: ErrorOut})
def dashboard(request):
    """省厅总览：按级别、状态、市州计数，12个月内到期，年度报告逾期未报与逾期提交。"""
    if not domain.is_province_staff(request.user):
        raise NotAllowed("集群名录总览仅供省厅查阅")
    clusters = list(_clusters(request))
    today = domain.today_local()
    by_city: dict[str, dict] = {}
    for c in clusters:
        unit: Org = c.org.recommender or c.org
        row = by_city.setdefault(unit.code, {"code": unit.code, "name": unit.name, "levels": {}, "statuses": {}})
        row["levels"][c.level] = row["levels"].get(c.level, 0) + 1
        row["statuses"][c.status] = row["statuses"].get(c.status, 0) + 1
    return {
        "total": len(clusters),
        "by_level": {v: sum(1 for c in clusters if c.level == v) for v in Level.values},
        "by_status": {v: sum(1 for c in clusters if c.status == v) for v in ClusterStatus.values},
        "by_city": list(by_city.values()),
        "ending_within_12_months": [{"id": c.pk, "name": c.name, "valid_until": c.valid_until.isoformat()}
                                    for c in domain.ending_soon(clusters, today)],
        "overdue_reports": [{"cluster_id": o.cluster.pk, "cluster": o.cluster.name, "year": o.year,
                             "due_on": o.due_on.isoformat(), "started": o.report is not None}
                            for o in domain.overdue_reports(clusters)],
        "late_reports": [{"id": r.pk, "cluster_id": r.cluster_id, "year": r.year, "due_on": r.due_on.isoformat(),
                          "submitted_at": r.submitted_at.isoformat()} for r in domain.late_reports(clusters)],
    }
