"""Applications (附件1) over JSON: create, read, patch, submit, withdraw, versions.

The body uses the same field names as the stored sections; validation is
``applications.validation`` through the same domain functions as the form page.
"""

import json
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import ConfigDict

from clusterdesk.core.pagecache import cached_page
from clusterdesk.applications import domain
from clusterdesk.applications.computed import compute_for_round
from clusterdesk.applications.models import Application
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.core.pagination import Rows
from clusterdesk.orgs.models import Org
from clusterdesk.rounds.models import Round

from .schemas import EnterpriseIn, ErrorOut, IndicatorIn, Number, ReportOut

router = Router(tags=["申报"])

class ContactIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    title: str | None = None
    phone: str | None = None
    email: str | None = None


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    unit: str | None = None
    baseline: Number = None
    target: Number = None
    year: int | str | None = None


class ApplicationFields(Schema):
    """Every field is optional in a draft; submission checks completeness."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    covered_org_codes: list[str] | None = None
    coordination_note: str | None = None
    leading_industry_code: str | None = None
    niche: str | None = None
    area_km2: Number = None
    operating_body: str | None = None
    sub_cluster_code: str | None = None
    contacts: list[ContactIn] | None = None
    indicators: list[IndicatorIn] | None = Field(None, description="金额为亿元，以字符串表示的小数，如 \"38.2\"")
    quality_enterprises: list[EnterpriseIn] | None = Field(
        None, description="qualifications: champion, little_giant, specialized, innovative, high_tech"
    )
    sme_count: int | str | None = Field(None, description="集群内中小企业数量（家），截至最后一个申报年度末；选填")
    core_competitiveness: str | None = Field(
        None, description="第一方面“具有较强核心竞争力”的说明：县域支柱或特色产业地位、细分领域全国排名或市场占有率、集群品牌；选填")
    sme_cultivation: str | None = Field(None, description="第二方面“优质中小企业梯度培育成效显著”的说明；选填")
    aspects: dict[str, str] | None = Field(None, description="第 3–8 方面的文字说明，键为 \"3\"…\"8\"")
    negative_list_clear: bool | None = None
    plan_targets: list[TargetIn] | None = None


class ApplicationCreate(ApplicationFields):
    round: int
    org_code: str | None = Field(None, description="申报单位代码，默认为本账号单位")


class ApplicationPatch(ApplicationFields):
    section_versions: dict[str, int] | None = Field(
        None, description="读取时的各部分版本号；若某部分已被他人修改则返回 409，不会覆盖"
    )


class OrgBrief(Schema):
    code: str
    name: str


class ApplicationSummary(Schema):
    id: int
    number: str
    name: str
    round: int
    org: OrgBrief
    status: str = Field(description="省级认定轨道的状态")
    status_label: str
    national_status: str = Field(description="国家级推荐轨道的状态：none / candidate / selected / sent / "
                                             "recognized / not_recognized（与省级认定同步进行）")
    national_status_label: str
    state_version: int = Field(description="状态版本：办理审核操作时须原样带上")
    current_version: int
    updated_at: str


class MissingItem(Schema):
    field: str
    message: str


class ApplicationOut(ApplicationSummary):
    editable: bool
    deadline: str
    section_versions: dict[str, int]
    data: dict[str, Any]
    computed: dict[str, Any]
    missing: list[MissingItem]


class VersionOut(Schema):
    number: int
    submitted_at: str
    submitted_by: str
    digest: str
    withdrawn_at: str | None
    change_note: str = ""  # 修改说明 of a resubmission


class VersionFull(VersionOut):
    data: dict[str, Any]
    evidence: list[dict[str, Any]]


class ListFilters(Schema):
    round: int | None = None
    status: str | None = Field(None, description="省级状态，如 draft / submitted / returned / recognized")
    national_status: str | None = Field(None, description="国家级推荐状态，如 candidate / selected / sent")
    org: str | None = Field(None, description="申报单位代码")


def _summary(app: Application) -> dict:
    return {
        "id": app.pk, "number": app.number, "name": app.name, "round": app.round_id,
        "org": {"code": app.org.code, "name": app.org.name}, "status": app.status,
        "status_label": app.get_status_display(), "national_status": app.national_status,
        "national_status_label": app.get_national_status_display(), "state_version": app.state_version,
        "current_version": app.current_version,
        "updated_at": app.updated_at.isoformat(),
    }


def _full(app: Application) -> dict:
    sections = list(app.sections.all())
    data = domain.load_data(app, sections)
    ready = domain.readiness(app, data)
    figures = compute_for_round(data.get("indicators") or [], app.round)

    def fmt(value):
        return None if value is None else format(value.quantize(Decimal("0.0001")), "f")

    return {
        **_summary(app),
        "editable": app.editable,
        "deadline": domain.deadline_text(app),
        "section_versions": domain.section_versions(app, sections),
        "data": data,
        "computed": {
            "years": [{"year": f.year, "sme_share": fmt(f.sme_share), "leading_share": fmt(f.leading_share)} for f in figures.years],
            "growth": fmt(figures.growth),
            "growth_from": figures.growth_from,
            "growth_to": figures.growth_to,
            "formula": "(末年产值/首年产值)^(1/年数) − 1",
        },
        "missing": [m.as_dict() for m in ready.missing]
        + [{"field": f"evidence.{i.code}", "message": f"佐证材料：请上传“{i.title}”"} for i in ready.evidence_missing],
    }


def _get(request, application_id: int) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=application_id)


def _version_out(v) -> dict:
    return {
        "number": v.number, "submitted_at": v.submitted_at.isoformat(),
        "submitted_by": v.submitted_by.username, "digest": v.digest,
        "withdrawn_at": v.withdrawn_at.isoformat() if v.withdrawn_at else None,
        "change_note": v.change_note,
    }


@router.get("", response=list[ApplicationSummary])
@cached_page
@paginate(PageNumberPagination, page_size=50)
def list_applications(request, filters: Query[ListFilters]):
    """当前账号可见的申报（分页，每页 50 条，page=2…），可按批次、状态、申报单位筛选。"""
    qs = Application.objects.visible_to(request.user).select_related("org").order_by("-id")
    if filters.round:
        qs = qs.filter(round_id=filters.round)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.national_status:
        qs = qs.filter(national_status=filters.national_status)
    if filters.org:
        qs = qs.filter(org__code=filters.org)
    return Rows(qs, _summary)  # the page's rows only, LIMIT/OFFSET and COUNT in the database


@router.post("", response={201: ApplicationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def create_application(request, payload: ApplicationCreate):
    """新建申报（县级申报账号，为本单位），可同时提交部分内容。"""
    round_ = get_object_or_404(Round.objects.visible_to(request.user), pk=payload.round)
    org = None
    if payload.org_code:
        org = Org.objects.filter(code=payload.org_code).first()
        if org is None:
            raise NotAllowed(f"字段 org_code：单位代码“{payload.org_code}”不存在", field="org_code")
    fields = payload.dict(exclude_unset=True, exclude={"round", "org_code"})
    with transaction.atomic():  # invalid fields leave no empty application behind
        app = domain.create_application(actor=request.user, round_=round_, org=org, request=request)
        if fields:
            domain.save_fields(actor=request.user, application=app, data=fields, request=request)
    app.refresh_from_db()
    return Status(201, _full(app))


@router.get("/{application_id}", response=ApplicationOut)
@cached_page
def get_application(request, application_id: int):
    """一份申报的全部内容、计算值和尚缺的项目。"""
    return _full(_get(request, application_id))


@router.patch("/{application_id}", response={200: ApplicationOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def patch_application(request, application_id: int, payload: ApplicationPatch):
    """修改草稿的部分字段。列表字段（指标、企业、联系人、目标）整体替换。"""
    app = _get(request, application_id)
    fields = payload.dict(exclude_unset=True, exclude={"section_versions"})
    domain.save_fields(actor=request.user, application=app, data=fields,
                       expected_versions=payload.section_versions, request=request)
    app.refresh_from_db()
    return _full(app)


def _change_note(request) -> str:
    """The optional JSON body ``{"change_note": "…"}`` of a submission (a body-less POST stays valid)."""
    if request.content_type != "application/json" or not request.body:
        return ""
    try:
        body = json.loads(request.body)
    except ValueError:
        raise DomainError("请求体应为 JSON，如 {\"change_note\": \"已更正2024年产值\"}", field="change_note") from None
    note = body.get("change_note", "") if isinstance(body, dict) else ""
    if not isinstance(note, str):
        raise DomainError("修改说明（change_note）应为文字", field="change_note")
    return note


@router.post("/{application_id}/submit", response={200: VersionOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def submit_application(request, application_id: int):
    """提交市（州）审核：生成不可修改的快照。重复提交返回同一版本。

    退回后重新提交时可附修改说明：JSON 请求体 ``{"change_note": "…"}``（选填，不超过 2000 字），
    随版本保存，审核单位在审核页面和办理记录中看到。"""
    application = _get(request, application_id)
    version = domain.submit(actor=request.user, application=application, request=request,
                            change_note=_change_note(request))
    return _version_out(version)


@router.post("/{application_id}/withdraw", response={200: ApplicationOut, 404: ErrorOut, 409: ErrorOut})
def withdraw_application(request, application_id: int):
    """市（州）处理前撤回，恢复为可修改的草稿。"""
    app = domain.withdraw(actor=request.user, application=_get(request, application_id), request=request)
    app.refresh_from_db()
    return _full(app)


@router.get("/{application_id}/versions", response=list[VersionOut])
def list_versions(request, application_id: int):
    """已提交的全部版本（含已撤回的）。"""
    return [_version_out(v) for v in _get(request, application_id).versions.select_related("submitted_by")]


@router.get("/{application_id}/versions/{number}", response=VersionFull)
def get_version(request, application_id: int, number: int):
    """某一版本的完整快照。"""
    version = get_object_or_404(_get(request, application_id).versions.select_related("submitted_by"), number=number)
    return {**_version_out(version), "data": version.data, "evidence": version.evidence}


class JudgementIn(Schema):
    model_config = ConfigDict(extra="forbid")
    criteria: str = Field(..., description="认定标准代码，如 national-2022")
    rule: str = Field(..., description="需评审判断的规则代码，如 supply_chain")
    decision: str = Field(..., description="pass 或 fail")
    reason: str = Field(..., description="判断理由，必填")


@router.get("/{application_id}/evaluation", response={200: ReportOut, 404: ErrorOut})
def evaluate(request, application_id: int, criteria: str | None = None, version: int | None = None):
    """对照认定标准的逐条结果（默认本批次采用的标准及其版本）。"""
    from clusterdesk.criteria.domain import evaluate_application, round_sets

    app = _get(request, application_id)
    pinned = dict(round_sets(app.round))
    code = criteria or next(iter(pinned), None)
    if code is None:
        raise NotAllowed("本批次未指定认定标准，请用 criteria 参数指定", field="criteria", status=404)
    return evaluate_application(app, code=code, version=version or pinned.get(code)).as_dict()


@router.post("/{application_id}/judgements", response={200: ReportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def judge(request, application_id: int, payload: JudgementIn):
    """记录对评审判断类规则的判断（符合/不符合，须说明理由），返回更新后的结果。"""
    from clusterdesk.criteria.domain import evaluate_application, record_judgement, round_sets

    app = _get(request, application_id)
    record_judgement(actor=request.user, application=app, set_code=payload.criteria, rule_code=payload.rule,
                     decision=payload.decision, reason=payload.reason, request=request)
    return evaluate_application(app, code=payload.criteria, version=dict(round_sets(app.round)).get(payload.criteria)).as_dict()
