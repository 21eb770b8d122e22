"""The re-review (复核) over JSON: thin handlers over ``rereview.domain``.

All paths are under ``/api/v1/registry/rereview/``. A task outside the caller's scope is a 404;
refusals are ``{"detail": …, "field": …}`` with 400/403/409.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict

from clusterdesk.core.pagecache import cached_page
from clusterdesk.api.schemas import ErrorOut
from clusterdesk.core.errors import DomainError

from clusterdesk.rereview import domain as rr
from clusterdesk.rereview.models import RereviewTask

router = Router(tags=["集群复核"])

ErrorResponses = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
Number = str | int | float | None


class TaskSummary(Schema):
    id: int
    round: int
    cluster: dict[str, Any]
    org: dict[str, str]
    status: str
    status_label: str
    deadline: str
    valid_until: str | None
    submitted_at: str | None
    forwarded_at: str | None
    decided_at: str | None


class TaskOut(TaskSummary):
    version: int
    data: dict[str, Any]
    computed: dict[str, Any]
    missing: list[dict[str, str]]
    evidence: list[dict[str, Any]]
    city_comment: str
    decision_reason: str
    return_comment: str
    province_passed: bool | None
    reported_on: str | None
    ministry: dict[str, Any] | None
    spot_check_note: str
    extended_to: str | None
    criteria_report: dict[str, Any] | None
    checks: list[dict[str, Any]]
    revocation_confirmed_at: str | None


class OpenIn(Schema):
    model_config = ConfigDict(extra="forbid")
    cluster_id: int | None = Field(None, description="只为这一个集群发起复核（默认：全部到期集群）")


class OpenOut(Schema):
    created: list[TaskSummary]
    tasks: list[TaskSummary]


class TaskPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, description="读取时的版本号；已被他人修改时返回 409，不会覆盖")
    plan_targets: list[dict[str, Any]] | None = Field(
        None, description="每项 {name, unit, baseline, target, year, achieved, note}；认定时已登记目标的只需 achieved、note")
    indicators: list[dict[str, Any]] | None = Field(None, description="同申报表：year 和各项金额（亿元）")
    quality_enterprises: list[dict[str, Any]] | None = None
    area_km2: Number = None
    changes: dict[str, Any] | None = Field(
        None, description="leading_industry / spatial_scope / operating_body，各为 {changed: bool, description}")
    negative_list_clear: bool | None = None
    self_assessment: str | None = None
    aspects: dict[str, Any] | None = Field(
        None, description="分方面复核说明（选填）：按认定标准的方面编号填写文字，如 {\"1\": \"…\", \"5\": \"…\"}")


class ForwardIn(Schema):
    model_config = ConfigDict(extra="forbid")
    comment: str


class CheckIn(Schema):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(..., description="pass 或 fail")
    note: str = ""


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    passed: bool
    reason: str = Field("", description="复核意见；不通过时必填")
    checks: dict[str, CheckIn] = Field(default_factory=dict, description="逐条核查：{规则代码: {decision, note}}")
    spot_check_note: str = ""


class ReturnIn(Schema):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(..., description="退回意见（县级单位可以看到）")


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")
    date: str = Field(..., description="报送工信部的日期 YYYY-MM-DD")


class MinistryOutcomeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    passed: bool = Field(..., description="工信部复核结论：true 通过（有效期延长三年），false 不通过（撤销认定）")
    document_number: str = Field("", description="工信部文件文号，如 工信厅企业函〔2025〕300号")
    date: str = Field("", description="工信部结论日期 YYYY-MM-DD")
    note: str = Field("", description="说明；不通过时必填（工信部的不通过原因）")


class StartIn(Schema):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(..., description="复核年度：认定有效期在该年届满的集群参加复核")
    rereview_deadline: str = Field(..., description="复核申报截止日期 YYYY-MM-DD")


class StartOut(Schema):
    round: int
    round_name: str
    created: list[TaskSummary]


class RevocationIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: str = ""


class TaskFilters(Schema):
    round: int | None = None
    status: str | None = None


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _summary(task: RereviewTask) -> dict:
    c = task.cluster
    return {
        "id": task.pk, "round": task.round_id,
        "cluster": {"id": c.pk, "name": c.name, "level": c.level, "batch_year": c.batch_year, "status": c.status},
        "org": {"code": task.org.code, "name": task.org.name}, "status": task.status,
        "status_label": task.get_status_display(), "deadline": rr.deadline_text(task),
        "valid_until": _iso(c.valid_until), "submitted_at": _iso(task.submitted_at),
        "forwarded_at": _iso(task.forwarded_at), "decided_at": _iso(task.decided_at),
    }


def _full(task: RereviewTask) -> dict:
    task = RereviewTask.objects.select_related("round", "org", "cluster").get(pk=task.pk)
    return {
        **_summary(task),
        "version": task.version,
        "data": task.data,
        "computed": {"plan_targets": [t.as_dict() for t in rr.target_rows(task.data)], "formula": rr.COMPLETION_FORMULA},
        "missing": rr.readiness_messages(task) if task.status in rr.EDITABLE else [],
        "evidence": [{"id": f.pk, "item": f.item_code, "name": f.original_name, "kind": f.kind, "size": f.size,
                      "sha256": f.sha256} for f in rr.live_evidence(task)],
        "city_comment": task.city_comment, "decision_reason": task.decision_reason,
        "return_comment": task.return_comment if task.status == "returned" else "",
        "province_passed": task.province_passed, "reported_on": _iso(task.reported_on),
        "ministry": None if task.ministry_passed is None else {
            "passed": task.ministry_passed, "document_number": task.ministry_document,
            "date": _iso(task.ministry_date), "note": task.ministry_note},
        "spot_check_note": task.spot_check_note, "extended_to": _iso(task.extended_to),
        "criteria_report": task.criteria_report,
        "checks": [{"rule": c.rule_code, "set": c.set_code, "engine_status": c.engine_status, "decision": c.decision,
                    "note": c.note} for c in task.checks.all()],
        "revocation_confirmed_at": _iso(task.revocation_confirmed_at),
    }


def _get(request, task_id: int) -> RereviewTask:
    return get_object_or_404(RereviewTask.objects.visible_to(request.user).select_related("round", "org", "cluster"),
                             pk=task_id)


@router.post("/registry/rereview/rounds/{round_id}/open", response={200: OpenOut, **ErrorResponses})
def open_round(request, round_id: int, payload: OpenIn | None = None):
    """发起复核（省厅管理员）：为认定有效期在本批次年度届满的集群各建一个复核任务并通知县级单位。可重复调用。"""
    from clusterdesk.rounds.models import Round

    from clusterdesk.registry.service import Cluster

    round_ = get_object_or_404(Round.objects.visible_to(request.user), pk=round_id)
    cluster = None
    if payload is not None and payload.cluster_id is not None:
        cluster = Cluster.objects.visible_to(request.user).filter(pk=payload.cluster_id).select_related("org").first()
        if cluster is None:
            raise DomainError(f"集群 {payload.cluster_id} 不存在", field="cluster_id", status=404)
    created = rr.open_rereview(actor=request.user, round_=round_, cluster=cluster, request=request)
    tasks = RereviewTask.objects.filter(round=round_).select_related("round", "org", "cluster").order_by("org__path", "pk")
    return {"created": [_summary(t) for t in created], "tasks": [_summary(t) for t in tasks]}


@router.post("/registry/rereview/start", response={200: StartOut, **ErrorResponses})
def start(request, payload: StartIn):
    """发起复核（省厅管理员）：按年度建立复核批次（已有的沿用并更新复核申报截止日期），为到期集群建立复核任务。与“发起复核”页面相同。"""
    round_, created = rr.start_round(actor=request.user, year=payload.year, deadline=payload.rereview_deadline,
                                     request=request)
    return {"round": round_.pk, "round_name": round_.name, "created": [_summary(t) for t in created]}


@router.get("/registry/rereview/tasks", response=list[TaskSummary])
@cached_page
def list_tasks(request, filters: Query[TaskFilters]):
    """当前账号可见的复核任务，可按批次、状态筛选。"""
    qs = RereviewTask.objects.visible_to(request.user).select_related("round", "org", "cluster").order_by("-round__year", "org__path")
    if filters.round:
        qs = qs.filter(round_id=filters.round)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return [_summary(t) for t in qs]


@router.get("/registry/rereview/tasks/{task_id}", response={200: TaskOut, 404: ErrorOut})
def get_task(request, task_id: int):
    """一个复核任务：附件3 数据、目标完成率（系统计算）、尚缺的项目、佐证材料、复核结论。"""
    return _full(_get(request, task_id))


@router.patch("/registry/rereview/tasks/{task_id}", response={200: TaskOut, **ErrorResponses})
def patch_task(request, task_id: int, payload: TaskPatch):
    """修改复核申报表（县级申报账号，截止前）；列表字段整体替换。"""
    task = _get(request, task_id)
    fields = payload.dict(exclude_unset=True, exclude={"version"})
    rr.save_task(actor=request.user, task=task, data=fields, expected_version=payload.version, request=request)
    return _full(task)


@router.post("/registry/rereview/tasks/{task_id}/evidence", response={201: dict, **ErrorResponses})
def upload_evidence(request, task_id: int, item: Form[str], file: File[UploadedFile | None] = None):
    """上传一个佐证材料文件（multipart：item 为清单项编号，file 为文件）。"""
    task = _get(request, task_id)
    if file is None:
        raise DomainError("请求中没有文件：请在 multipart 表单字段 file 中附上要上传的文件", field="file")
    f = rr.upload_evidence(actor=request.user, task=task, item_code=item, upload=file, request=request)
    return Status(201, {"id": f.pk, "item": f.item_code, "name": f.original_name, "kind": f.kind, "size": f.size,
                        "sha256": f.sha256})


@router.post("/registry/rereview/tasks/{task_id}/submit", response={200: TaskOut, **ErrorResponses})
def submit_task(request, task_id: int):
    """提交市（州）审核。截止后提交返回 409（逾期不予受理），且该任务列入撤销名单。"""
    return _full(rr.submit_task(actor=request.user, task=_get(request, task_id), request=request))


@router.post("/registry/rereview/tasks/{task_id}/forward", response={200: TaskOut, **ErrorResponses})
def forward_task(request, task_id: int, payload: ForwardIn):
    """市（州）审核后报送省厅（须填写审核意见）。"""
    return _full(rr.forward(actor=request.user, task=_get(request, task_id), comment=payload.comment, request=request))


@router.post("/registry/rereview/tasks/{task_id}/return", response={200: TaskOut, **ErrorResponses})
def return_task(request, task_id: int, payload: ReturnIn):
    """市（州）退回县级单位修改（须填写退回意见）；县级单位修改后重新提交。"""
    return _full(rr.return_task(actor=request.user, task=_get(request, task_id), comment=payload.comment,
                                request=request))


@router.post("/registry/rereview/tasks/{task_id}/report-to-ministry", response={200: TaskOut, **ErrorResponses})
def report_to_ministry(request, task_id: int, payload: ReportIn):
    """国家级集群：登记省厅将初审结果（通过，或未通过及原因）报送工信部的日期。不改变认定有效期。"""
    return _full(rr.report_to_ministry(actor=request.user, task=_get(request, task_id), date=payload.date,
                                       request=request))


@router.post("/registry/rereview/tasks/{task_id}/ministry-outcome", response={200: TaskOut, **ErrorResponses})
def ministry_outcome(request, task_id: int, payload: MinistryOutcomeIn):
    """国家级集群：录入工信部复核结论。通过：认定有效期延长三年；不通过：撤销认定（原因含工信部文号）。
    报部前为 409；省级集群为 400；不通过未填 note 为 400。"""
    return _full(rr.record_ministry_outcome(actor=request.user, task=_get(request, task_id), passed=payload.passed,
                                            document_number=payload.document_number, date=payload.date,
                                            note=payload.note, request=request))


@router.get("/registry/rereview/tasks/{task_id}/evaluation", response={200: dict, **ErrorResponses})
def evaluate(request, task_id: int):
    """对照适用的认定标准，按复核申报的新数据逐条核验的结果（不保存）。"""
    return rr.evaluate_task(_get(request, task_id)).as_dict()


@router.post("/registry/rereview/tasks/{task_id}/decision", response={200: TaskOut, **ErrorResponses})
def decide(request, task_id: int, payload: DecisionIn):
    """省厅复核结论：逐条核查（checks）与总体结论（passed）；不通过须说明原因（reason）。
    省级集群：通过的认定有效期延长三年，不通过的列入撤销名单。国家级集群：初审通过（报部）或初审未通过，不改变有效期，
    之后 report-to-ministry、ministry-outcome。"""
    checks = {code: (c.decision, c.note) for code, c in payload.checks.items()}
    task = rr.decide(actor=request.user, task=_get(request, task_id), checks=checks, passed=payload.passed,
                     reason=payload.reason, spot_check_note=payload.spot_check_note, request=request)
    return _full(task)


@router.post("/registry/rereview/tasks/{task_id}/confirm-revocation", response={200: TaskOut, **ErrorResponses})
def confirm_revocation(request, task_id: int, payload: RevocationIn | None = None):
    """确认撤销认定（省厅管理员；复核不通过或逾期未提交的任务）。"""
    note = payload.note if payload is not None else ""
    return _full(rr.confirm_revocation(actor=request.user, task=_get(request, task_id), note=note, request=request))
