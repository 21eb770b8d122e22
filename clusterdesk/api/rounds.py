"""Application rounds: list, read, create, change, and per-unit extensions."""

from datetime import date, datetime

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.orgs.models import Org, Role
from clusterdesk.rounds import domain
from clusterdesk.rounds.models import (
    SHANGHAI, STAGE_ORDER, ChecklistItem, Extension, Round, StageCode, UnitDeadline, end_of_day,
)

router = Router(tags=["申报批次"])


# --- Schemas ---------------------------------------------------------------------------------

class CriteriaSetRef(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str
    version: int


class StageOut(Schema):
    code: str
    label: str
    deadline: str
    closes_at: str


class ChecklistItemOut(Schema):
    code: str
    title: str
    required: bool
    allowed_types: list[str]
    order: int


class ExtensionOut(Schema):
    stage: str
    org_code: str
    closes_at: str
    reason: str
    granted_by: str


class UnitDeadlineOut(Schema):
    stage: str
    org_code: str
    closes_at: str
    set_by: str


class RoundOut(Schema):
    id: int
    name: str
    year: int
    status: str
    stages: list[StageOut]
    national_quota: int
    city_quota: int | None
    city_quota_needs_county: bool
    one_per_niche: bool
    criteria_sets: list[CriteriaSetRef]
    contact_office: str
    contact_name: str
    contact_phone: str
    contact_email: str
    notice: str
    notice_title: str
    notice_number: str
    ministry_notice_title: str
    ministry_notice_number: str
    checklist: list[ChecklistItemOut]
    extensions: list[ExtensionOut]
    county_deadlines: list[UnitDeadlineOut]


class RoundIn(Schema):
    """A new round. ``stages`` maps stage codes to dates: {"county_submission": "2025-03-31", ...}."""

    model_config = ConfigDict(extra="forbid")

    name: str
    year: int
    status: str = "draft"
    stages: dict[str, str]
    national_quota: int = 8
    city_quota: int | None = None
    city_quota_needs_county: bool = False
    one_per_niche: bool = False
    criteria_sets: list[CriteriaSetRef] = []
    contact_office: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    notice: str = ""
    notice_title: str = ""
    notice_number: str = Field("", description="省厅通知文号，如 吉工信中小〔2025〕12号")
    ministry_notice_title: str = ""
    ministry_notice_number: str = Field("", description="工信部通知文号，如 工信厅企业函〔2025〕77号")


class RoundPatch(Schema):
    """Only the fields sent are changed; ``stages`` may name just the stages to move."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    year: int | None = None
    status: str | None = None
    stages: dict[str, str] | None = None
    national_quota: int | None = None
    city_quota: int | None = None
    city_quota_needs_county: bool | None = None
    one_per_niche: bool | None = None
    criteria_sets: list[CriteriaSetRef] | None = None
    contact_office: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    notice: str | None = None
    notice_title: str | None = None
    notice_number: str | None = None
    ministry_notice_title: str | None = None
    ministry_notice_number: str | None = None


class ExtensionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    stage: str
    org_code: str
    closes_at: str
    reason: str


class CountyDeadlineIn(Schema):
    """``closes_at``: a date, meaning 23:59:59 Beijing time that day. ``org_code``: the recommending
    unit whose counties it applies to; only the caller's own unit (the default)."""

    model_config = ConfigDict(extra="forbid")

    closes_at: str
    org_code: str | None = None


class CountyDeadlineOut(Schema):
    org_code: str
    stage: str
    closes_at: str
    set_by: str
    counties: list[dict]


class ErrorOut(Schema):
    detail: str
    field: str | None = None


# --- Shaping ---------------------------------------------------------------------------------

def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def round_out(round_: Round) -> dict:
    order = {code: i for i, code in enumerate(STAGE_ORDER)}
    stages = sorted(round_.stages.all(), key=lambda s: order.get(s.code, 99))
    return {
        "id": round_.pk,
        "name": round_.name,
        "year": round_.year,
        "status": round_.status,
        "stages": [
            {"code": s.code, "label": s.get_code_display(), "deadline": s.deadline.isoformat(),
             "closes_at": _iso(s.closes_at)}
            for s in stages
        ],
        "national_quota": round_.national_quota,
        "city_quota": round_.city_quota,
        "city_quota_needs_county": round_.city_quota_needs_county,
        "one_per_niche": round_.one_per_niche,
        "criteria_sets": round_.criteria_sets,
        "contact_office": round_.contact_office,
        "contact_name": round_.contact_name,
        "contact_phone": round_.contact_phone,
        "contact_email": round_.contact_email,
        "notice": round_.notice,
        "notice_title": round_.notice_title,
        "notice_number": round_.notice_number,
        "ministry_notice_title": round_.ministry_notice_title,
        "ministry_notice_number": round_.ministry_notice_number,
        "checklist": [
            {"code": c.code, "title": c.title, "required": c.required, "allowed_types": c.allowed_types,
             "order": c.order}
            for c in round_.checklist.all()
        ],
        "extensions": [
            extension_out(e)
            for e in sorted(round_.extensions.all(), key=lambda e: (order.get(e.stage_code, 99), e.org.path))
        ],
        # Deadlines the cities set for their counties (stage 0): those of visible units and, for a
        # county, its own city's.
        "county_deadlines": [
            {"stage": d.stage_code, "org_code": d.org.code, "closes_at": _iso(d.closes_at), "set_by": d.set_by.username}
            for d in sorted(round_.unit_deadlines.all(), key=lambda d: d.org.path)
        ],
    }


def extension_out(extension: Extension) -> dict:
    return {
        "stage": extension.stage_code,
        "org_code": extension.org.code,
        "closes_at": _iso(extension.closes_at),
        "reason": extension.reason,
        "granted_by": extension.granted_by.username,
    }


def _rounds_for(user):
    return Round.objects.visible_to(user).prefetch_related(
        "stages",
        Prefetch("checklist", queryset=ChecklistItem.objects.order_by("order", "id")),
        Prefetch("extensions", queryset=domain.extensions_visible_to(user).select_related("org", "granted_by")),
        Prefetch("unit_deadlines", queryset=_unit_deadlines_for(user)),
    )


def _unit_deadlines_for(user):
    mine = Q(org__in=Org.objects.visible_to(user))
    recommender = getattr(getattr(user, "org", None), "recommender_id", None)
    if recommender:
        mine |= Q(org_id=recommender)
    return UnitDeadline.objects.filter(mine).select_related("org", "set_by")


def _get(request, round_id: int) -> Round:
    return get_object_or_404(_rounds_for(request.user), pk=round_id)


def _deadlines(stages: dict[str, str]) -> dict[str, date]:
    parsed = {}
    for code, text in stages.items():
        if code not in StageCode.values:
            choices = "、".join(StageCode.values)
            raise DomainError(f"未知阶段“{code}”，可选：{choices}", field=f"stages.{code}")
        try:
            parsed[code] = date.fromisoformat(str(text).strip())
        except ValueError:
            raise DomainError(
                f"阶段“{StageCode(code).label}”的截止日期“{text}”格式不对，请按 YYYY-MM-DD 填写，如 2025-03-31",
                field=f"stages.{code}",
            ) from None
    return parsed


def _fields(data: dict) -> dict:
    if "criteria_sets" in data and data["criteria_sets"] is not None:
        data["criteria_sets"] = [dict(c) for c in data["criteria_sets"]]
    return domain.validate_round_fields(data)


# --- Endpoints -------------------------------------------------------------------------------

@router.get("", response=list[RoundOut])
def list_rounds(request):
    """当前账号可见的申报批次（省厅可见筹备中的批次；其他单位只见进行中和已结束的批次）。"""
    return [round_out(r) for r in _rounds_for(request.user)]


@router.post("", response={201: RoundOut, 400: ErrorOut, 403: ErrorOut})
def create(request, payload: RoundIn):
    """新建申报批次（仅省厅管理员）。自动载入默认的佐证材料清单。"""
    allowed, reason = domain.can_manage_rounds(request.user)
    if not allowed:
        raise NotAllowed(reason)
    data = payload.model_dump()
    deadlines = _deadlines(data.pop("stages"))
    fields = _fields(data)
    round_ = domain.create_round(
        actor=request.user, name=fields.pop("name"), year=fields.pop("year"), deadlines=deadlines,
        request=request, **fields,
    )
    return Status(201, round_out(_get(request, round_.pk)))


@router.get("/{round_id}", response=RoundOut)
def get_round(request, round_id: int):
    """一个申报批次；不可见时返回 404。"""
    return round_out(_get(request, round_id))


@router.patch("/{round_id}", response={200: RoundOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def patch_round(request, round_id: int, payload: RoundPatch):
    """修改申报批次：只修改请求中给出的字段（仅本省的省厅管理员）。"""
    round_ = _get(request, round_id)
    data = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in data.items() if v is None and k != "city_quota"]
    if nulls:
        raise DomainError(f"字段 {nulls[0]} 不能为 null；不修改时请省略该字段", field=nulls[0])
    allowed, reason = domain.can_manage_rounds(request.user, round_)
    if not allowed:
        raise NotAllowed(reason)
    deadlines = _deadlines(data.pop("stages")) if "stages" in data else None
    domain.update_round(actor=request.user, round_=round_, deadlines=deadlines, request=request, **_fields(data))
    return round_out(_get(request, round_id))


@router.post("/{round_id}/extensions", response={201: ExtensionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def grant(request, round_id: int, payload: ExtensionIn):
    """批准一个单位某一阶段延期（仅该单位受益）。closes_at 为 ISO 时间，未带时区按北京时间；只写日期表示当日 23:59:59。

    省厅管理员可为任一单位批准任一阶段的延期；市州审核人员只能为本单位所辖县（市、区）批准
    “县级申报提交”（county_submission）阶段的延期，且不晚于本单位正式推荐的截止时间，否则 403/400。"""
    round_ = _get(request, round_id)
    if request.user.role == Role.CITY_REVIEWER:
        # A city grants its own counties (checked by the domain: a foreign unit is 403, not unknown).
        org = Org.objects.filter(code=payload.org_code.strip()).first()
    else:
        allowed, reason = domain.can_manage_rounds(request.user, round_)
        if not allowed:
            raise NotAllowed(reason)
        org = Org.objects.visible_to(request.user).filter(code=payload.org_code.strip()).first()
    if org is None:
        raise DomainError(f"单位代码“{payload.org_code}”不存在或不在您的管理范围内，请用 GET /api/v1/orgs 查询", field="org_code")
    if payload.stage not in StageCode.values:
        raise DomainError(f"未知阶段“{payload.stage}”，可选：{'、'.join(StageCode.values)}", field="stage")
    text = payload.closes_at.strip()
    try:
        if len(text) == 10:
            moment = end_of_day(date.fromisoformat(text))
        else:
            moment = domain.whole_second(datetime.fromisoformat(text))
    except ValueError:
        raise DomainError(
            f"延期时间“{payload.closes_at}”格式不对，请按 ISO 格式填写，如 2025-04-15T23:59:59+08:00", field="closes_at"
        ) from None
    try:
        extension = domain.grant_extension(
            actor=request.user, round_=round_, stage_code=payload.stage, org=org, closes_at=moment,
            reason=payload.reason, request=request,
        )
    except DomainError as exc:
        if exc.field == "stage_code":
            exc.field = "stage"
        raise
    extension = Extension.objects.select_related("org", "granted_by").get(pk=extension.pk)
    return Status(201, extension_out(extension))


@router.post("/{round_id}/county-deadline", response={200: CountyDeadlineOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def county_deadline(request, round_id: int, payload: CountyDeadlineIn):
    """市州设置所辖县（市、区）的申报截止日期（阶段“县级申报提交”），当日 23:59:59（北京时间）截止。

    仅市州审核人员，只能设置本单位的；不得晚于本单位正式推荐的截止时间（含延期）。
    未设置时以省厅的阶段截止日期为准；已获延期的县按延期时间（取较晚者）。"""
    round_ = _get(request, round_id)
    org = None
    if payload.org_code is not None and payload.org_code.strip():
        org = Org.objects.filter(code=payload.org_code.strip()).first()
        if org is None:
            raise DomainError(f"单位代码“{payload.org_code}”不存在，请用 GET /api/v1/orgs 查询", field="org_code")
    text = (payload.closes_at or "").strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"截止日期“{payload.closes_at}”格式不对，请按 YYYY-MM-DD 填写，如 2025-03-31",
                          field="closes_at") from None
    deadline = domain.set_county_deadline(actor=request.user, round_=round_, day=day, org=org, request=request)
    return {
        "org_code": deadline.org.code, "stage": deadline.stage_code, "closes_at": _iso(deadline.closes_at),
        "set_by": deadline.set_by.username,
        "counties": [
            {"org_code": row["org"].code, "name": row["org"].name,
             "closes_at": _iso(row["closes_at"]) if row["closes_at"] else None, "extended": row["extended"]}
            for row in domain.county_deadline_rows(round_, deadline.org)
        ],
    }
