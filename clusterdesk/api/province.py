"""The province's side of the review chain over JSON (省厅审核): receipt of the cities' lists,
spot checks with files, publicity (start, objections, finalise), the national selection and its
sending to MIIT, and the reads needed to use them.

Thin: every handler calls the same domain function as the province's pages
(``reviews.domain.receive_list`` and ``reviews.province``). Scoping: a round, list, batch, entry,
objection or application outside the caller's scope is a 404 (the ``visible_to`` managers); a
city or county account calling a province operation on an object in its scope gets the domain's
403. Reads are for the province's accounts (administrator; leader and system administrator read).

``state_versions`` (optional, on the operations that move many applications at once: starting
a publicity, finalising it, choosing the national list, marking it sent): ``{application id:
state_version}`` as the caller read them. When given, every listed application is locked and
compared before the operation; any difference is a 409 naming ``state_versions`` and nothing is
done. Without it, the operation checks each application's state itself (as the pages do).
The single-application workflow actions (``POST /applications/{id}/actions/{action}``, e.g. the
ministry's outcome) require ``state_version``; objections and spot checks do not change an
application's state and take none.
"""

from datetime import date

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from clusterdesk.applications.models import Application
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.orgs.scoping import org_scope_q
from clusterdesk.reviews import domain, province
from clusterdesk.reviews.models import (NationalPick, Objection, PublicityBatch, PublicityEntry, RecommendationList,
                                        SpotCheck, SpotCheckFile)
from clusterdesk.rounds.models import Round

from .schemas import ErrorOut

router = Router(tags=["省厅审核"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
READ_ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}  # reads never conflict: no 409
VERSIONS_HELP = ("可选：{申报 id: 读取时的 state_version}。提供时逐一核对，任何一个已变化则 409（字段 state_versions），"
                 "整个操作不执行")


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


# --- schemas ---------------------------------------------------------------------------------

class AppRef(Schema):
    id: int
    number: str
    name: str
    org_code: str
    org_name: str
    status: str
    status_label: str
    national_status: str
    national_status_label: str
    state_version: int


class RoundListOut(Schema):
    id: int
    kind: str
    kind_label: str
    org_code: str
    org_name: str
    submitted_at: str
    received_at: str | None
    confirmed_final: bool
    letter_name: str
    letter_sha256: str
    entries: list[dict]


class ObjectionOut(Schema):
    id: int
    entry: int
    application: int
    received_on: date
    submitted_by: str
    content: str
    upheld: bool | None
    resolution: str
    after_publicity: bool
    recorded_at: str


class EntryOut(Schema):
    id: int
    application: AppRef
    outcome: str
    reason: str
    objections: list[ObjectionOut]


class BatchOut(Schema):
    id: int
    round: int
    title: str
    starts_on: date
    working_days: int
    ends_on: date
    finalizable_from: str
    finalized_at: str | None
    calendar_note: str
    due: bool
    pending_objections: int
    entries: list[EntryOut]


class PublicityIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = ""
    starts_on: date
    working_days: int = 5
    applications: list[int]
    state_versions: dict[int, int] | None = Field(None, description=VERSIONS_HELP)


class ObjectionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    received_on: date
    submitted_by: str = ""
    content: str = ""


class ResolutionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    upheld: bool
    resolution: str = ""


class VersionsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    state_versions: dict[int, int] | None = Field(None, description=VERSIONS_HELP)


class PickIn(Schema):
    model_config = ConfigDict(extra="forbid")
    application: int
    rank: int | None = None
    reason: str = ""


class SelectionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    picks: list[PickIn]
    state_versions: dict[int, int] | None = Field(None, description=VERSIONS_HELP)


class PickOut(Schema):
    application: AppRef
    rank: int
    score: str | None
    reason: str
    sent_at: str | None


class CandidateOut(Schema):
    application: AppRef
    score: str | None
    position: int
    selectable: bool
    note: str
    pick: dict | None


class CandidatesOut(Schema):
    round: int
    quota: int
    sent_at: str | None
    candidates: list[CandidateOut]


class SelectionOut(Schema):
    round: int
    quota: int
    picks: list[PickOut]


class SpotCheckFileOut(Schema):
    id: int
    name: str
    kind: str
    size: int
    sha256: str


class SpotCheckOut(Schema):
    id: int
    application: int
    checked_on: date
    people: str
    findings: str
    created_by: str
    created_at: str
    files: list[SpotCheckFileOut]


# --- output helpers --------------------------------------------------------------------------

def app_ref(a: Application) -> dict:
    return {"id": a.pk, "number": a.number, "name": a.name, "org_code": a.org.code, "org_name": a.org.name,
            "status": a.status, "status_label": a.get_status_display(), "national_status": a.national_status,
            "national_status_label": a.get_national_status_display(), "state_version": a.state_version}


def list_out(lst: RecommendationList) -> dict:
    return {"id": lst.pk, "kind": lst.kind, "kind_label": lst.get_kind_display(), "org_code": lst.org.code,
            "org_name": lst.org.name, "submitted_at": lst.submitted_at.isoformat(),
            "received_at": _iso(lst.received_at),
            "confirmed_final": lst.confirmed_final, "letter_name": lst.letter_name, "letter_sha256": lst.letter_sha256,
            "entries": lst.entries}


def objection_out(o: Objection, batch: PublicityBatch, application_id: int) -> dict:
    return {"id": o.pk, "entry": o.entry_id, "application": application_id, "received_on": o.received_on,
            "submitted_by": o.submitted_by, "content": o.content, "upheld": o.upheld, "resolution": o.resolution,
            "after_publicity": o.received_on > batch.ends_on, "recorded_at": o.recorded_at.isoformat()}


def _batches(queryset) -> list[PublicityBatch]:
    return list(queryset.prefetch_related("entries__application__org", "entries__objections"))


def batch_out(b: PublicityBatch) -> dict:
    now = timezone.now()
    entries = sorted(b.entries.all(), key=lambda e: e.pk)
    return {
        "id": b.pk, "round": b.round_id, "title": b.title, "starts_on": b.starts_on, "working_days": b.working_days,
        "ends_on": b.ends_on, "finalizable_from": province.finalizable_from(b).isoformat(),
        "finalized_at": _iso(b.finalized_at), "calendar_note": province.publicity_note(b),
        "due": b.finalized_at is None and now >= province.finalizable_from(b),
        "pending_objections": sum(1 for e in entries for o in e.objections.all() if o.upheld is None),
        "entries": [{"id": e.pk, "application": app_ref(e.application), "outcome": e.outcome, "reason": e.reason,
                     "objections": [objection_out(o, b, e.application_id)
                                    for o in sorted(e.objections.all(), key=lambda o: o.pk)]}
                    for e in entries],
    }


def _score(value) -> str | None:
    return None if value is None else str(value)


def pick_out(p: NationalPick) -> dict:
    return {"application": app_ref(p.application), "rank": p.rank, "score": _score(p.score),
            "reason": p.override_reason, "sent_at": _iso(p.sent_at)}


def selection_out(round_: Round) -> dict:
    picks = NationalPick.objects.filter(round=round_).select_related("application__org").order_by("rank")
    return {"round": round_.pk, "quota": round_.national_quota, "picks": [pick_out(p) for p in picks]}


def spot_check_out(c: SpotCheck) -> dict:
    return {"id": c.pk, "application": c.application_id, "checked_on": c.checked_on, "people": c.people,
            "findings": c.findings, "created_by": c.created_by.username, "created_at": c.created_at.isoformat(),
            "files": [{"id": f.pk, "name": f.original_name, "kind": f.kind, "size": f.size, "sha256": f.sha256}
                      for f in c.files.all()]}


# --- scoping ---------------------------------------------------------------------------------

def _rounds(request):
    return Round.objects.visible_to(request.user)


def _round(request, round_id: int) -> Round:
    return get_object_or_404(_rounds(request).select_related("province"), pk=round_id)


def _application(request, application_id: int) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"),
                             pk=application_id)


def _require_view(request, round_: Round, what: str) -> None:
    if not province.can_view(request.user, round_):
        raise NotAllowed(f"只有组织本批次的省厅可以查看{what}")


def _check_versions(request, round_: Round, state_versions: dict | None, *, doing: str) -> None:
    """Lock the listed applications and refuse (409) when any ``state_version`` differs from
    what the caller read. Call inside the operation's transaction. Only the round's province
    administrator gets this far (anyone else is refused by the operation itself, with 403)."""
    if not state_versions or not province.acts_for_round(request.user, round_):
        return
    found = {a.pk: a for a in Application.objects.select_for_update().select_related("org")
             .filter(round=round_, pk__in=list(state_versions))}
    missing = [str(i) for i in state_versions if i not in found]
    if missing:
        raise DomainError(f"state_versions 中的申报不属于本批次：{'、'.join(missing)}", field="state_versions",
                          status=404)
    stale = [found[i] for i, v in state_versions.items() if found[i].state_version != v]
    if stale:
        listed = "、".join(f"“{a.name or a.number}”（当前状态“{a.get_status_display()}”/"
                          f"“{a.get_national_status_display()}”，state_version 现为 {a.state_version}，"
                          f"您读取时为 {state_versions[a.pk]}）" for a in stale)
        raise Conflict(f"以下申报在您读取后已被处理：{listed}；{doing}未执行，请刷新后重试", field="state_versions")


# --- the cities' lists -----------------------------------------------------------------------

@router.get("/rounds/{round_id}/lists", response={200: list[RoundListOut], **READ_ERRORS})
def round_lists(request, round_id: int):
    """本批次各推荐单位报送的推荐名单（阶段一）和正式推荐（阶段二），含名单 id、条目和省厅确认收到的时间。

    省级账号（管理员、领导、系统管理员）可读；市州、县级账号 403。"""
    round_ = _round(request, round_id)
    _require_view(request, round_, "各市州报送的名单")
    lists = RecommendationList.objects.filter(round=round_).select_related("org").order_by("org__path", "kind")
    return [list_out(lst) for lst in lists]


@router.post("/lists/{list_id}/receive", response={200: RoundListOut, **ERRORS})
def receive_list(request, list_id: int):
    """省厅确认收到市州报送的名单（阶段一或阶段二）。重复确认不改变首次确认的时间。

    只有组织本批次的省厅管理员可以确认（其他账号 403）；不在权限范围内的名单 404。"""
    lst = get_object_or_404(
        RecommendationList.objects.select_related("round", "org")
        .filter(round__in=_rounds(request)).filter(org_scope_q(request.user, via="org")), pk=list_id)
    return list_out(domain.receive_list(actor=request.user, lst=lst, request=request))


# --- spot checks -----------------------------------------------------------------------------

@router.get("/applications/{application_id}/spot-checks", response={200: list[SpotCheckOut], **READ_ERRORS})
def spot_checks(request, application_id: int):
    """申报的实地抽查记录（新的在前），只有省级账号可读。"""
    application = _application(request, application_id)
    _require_view(request, application.round, "实地抽查记录")
    return [spot_check_out(c) for c in application.spot_checks.select_related("created_by").prefetch_related("files")]


@router.post("/applications/{application_id}/spot-checks", response={201: SpotCheckOut, **ERRORS})
def add_spot_check(request, application_id: int, checked_on: Form[str] = "", people: Form[str] = "",
                   findings: Form[str] = "", files: File[list[UploadedFile]] = None):
    """登记实地抽查（multipart 表单）：checked_on（抽查日期，YYYY-MM-DD）、people（参加人员）、
    findings（发现的情况），以及零个或多个文件（字段名 files，可重复）。

    文件按内容识别，须为 PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）或 OFD，扩展名与内容一致；
    可执行程序等一律拒收（400，字段 files）。只有省厅管理员可以登记（403）；草稿不能抽查（409）。
    抽查不改变申报状态，不需要 state_version。"""
    application = _application(request, application_id)
    check = province.add_spot_check(actor=request.user, application=application, checked_on=checked_on,
                                    people=people, findings=findings, files=list(files or []), request=request)
    check = SpotCheck.objects.select_related("created_by").prefetch_related("files").get(pk=check.pk)
    return Status(201, spot_check_out(check))


@router.get("/spot-check-files/{file_id}", response={200: None, **READ_ERRORS})
def spot_check_file(request, file_id: int):
    """下载实地抽查文件（只有省级账号）。"""
    file = get_object_or_404(
        SpotCheckFile.objects.visible_to(request.user).select_related("spot_check__application__round"), pk=file_id)
    return province.spot_check_file_response(actor=request.user, file=file)


# --- publicity and recognition ---------------------------------------------------------------

@router.get("/rounds/{round_id}/publicity-batches", response={200: list[BatchOut], **READ_ERRORS})
def publicity_batches(request, round_id: int):
    """本批次的拟认定公示（新的在前）：公示期（按工作日计算）、可认定的时间、每个申报及其异议和处理意见、
    认定结果。省级账号可读。"""
    round_ = _round(request, round_id)
    _require_view(request, round_, "公示")
    return [batch_out(b) for b in _batches(PublicityBatch.objects.filter(round=round_))]


@router.post("/rounds/{round_id}/publicity-batches", response={201: BatchOut, **ERRORS})
def start_publicity(request, round_id: int, payload: PublicityIn):
    """拟认定并公示：选定一批省厅初审通过的申报（applications），从 starts_on 起公示 working_days 个工作日
    （按国务院节假日安排计算，默认 5 个）。

    申报须为“初审通过”（否则 409）；超过推荐国家级阶段截止时间 409；缺少公示名称等 400 并指明字段。"""
    round_ = _round(request, round_id)
    with transaction.atomic():
        _check_versions(request, round_, payload.state_versions, doing="拟认定公示")
        batch = province.propose_recognition(actor=request.user, round_=round_, applications=payload.applications,
                                             starts_on=payload.starts_on, working_days=payload.working_days,
                                             title=payload.title, request=request)
    return Status(201, batch_out(_batches(PublicityBatch.objects.filter(pk=batch.pk))[0]))


@router.get("/publicity-batches/{batch_id}", response={200: BatchOut, **READ_ERRORS})
def publicity_batch(request, batch_id: int):
    """一批公示的详情（同列表中的一项）。"""
    batch = get_object_or_404(PublicityBatch.objects.filter(round__in=_rounds(request)).select_related("round"),
                              pk=batch_id)
    _require_view(request, batch.round, "公示")
    return batch_out(_batches(PublicityBatch.objects.filter(pk=batch.pk))[0])


@router.post("/publicity-entries/{entry_id}/objections", response={201: ObjectionOut, **ERRORS})
def record_objection(request, entry_id: int, payload: ObjectionIn):
    """登记公示期内收到的异议（received_on 收到日期、submitted_by 异议人、content 异议内容）。

    该批已认定后 409；收到日期早于公示开始或晚于今天 400。异议不改变申报状态。"""
    entry = get_object_or_404(
        PublicityEntry.objects.select_related("batch").filter(
            batch__round__in=_rounds(request), application__in=Application.objects.visible_to(request.user)),
        pk=entry_id)
    objection = province.record_objection(actor=request.user, entry=entry, received_on=payload.received_on,
                                          submitted_by=payload.submitted_by, content=payload.content, request=request)
    return Status(201, objection_out(objection, entry.batch, entry.application_id))


@router.post("/objections/{objection_id}/resolution", response={200: ObjectionOut, **ERRORS})
def resolve_objection(request, objection_id: int, payload: ResolutionIn):
    """登记异议的处理意见：upheld（异议是否成立）和 resolution（核查情况和理由，必填）。
    认定前可以修改；该批已认定后 409。异议成立的申报在认定时“未予认定”，处理意见即为理由。"""
    objection = get_object_or_404(
        Objection.objects.select_related("entry__batch").filter(
            entry__batch__round__in=_rounds(request),
            entry__application__in=Application.objects.visible_to(request.user)),
        pk=objection_id)
    objection = province.resolve_objection(actor=request.user, objection=objection, upheld=payload.upheld,
                                           resolution=payload.resolution, request=request)
    return objection_out(objection, objection.entry.batch, objection.entry.application_id)


@router.post("/publicity-batches/{batch_id}/finalize", response={200: BatchOut, **ERRORS})
def finalize(request, batch_id: int, payload: VersionsIn | None = None):
    """公示期满，认定：无成立异议的申报认定为省级集群（登记入名录），异议成立的未予认定。

    公示期最后一天（含）之前 409（“尚未期满”）；有未处理的异议 409；已认定 409。"""
    batch = get_object_or_404(PublicityBatch.objects.filter(round__in=_rounds(request)).select_related("round"),
                              pk=batch_id)
    with transaction.atomic():
        _check_versions(request, batch.round, payload.state_versions if payload else None, doing="认定")
        province.finalize_recognition(actor=request.user, batch=batch, request=request)
    return batch_out(_batches(PublicityBatch.objects.filter(pk=batch.pk))[0])


# --- the national selection ------------------------------------------------------------------

@router.get("/rounds/{round_id}/national-candidates", response={200: CandidatesOut, **READ_ERRORS})
def national_candidates(request, round_id: int):
    """国家级候选（市州标注同步推荐国家级且省厅初审通过的申报），按专家评分从高到低：评分、名次、
    能否选定（selectable，不能时 note 说明）、当前名单中的排序和理由（pick）。省级账号可读。"""
    round_ = _round(request, round_id)
    _require_view(request, round_, "国家级推荐")
    candidates = province.national_candidates(round_)
    sent_at = next((c.pick.sent_at for c in candidates if c.pick and c.pick.sent_at), None)
    return {"round": round_.pk, "quota": round_.national_quota, "sent_at": _iso(sent_at), "candidates": [
        {"application": app_ref(c.application), "score": _score(c.score), "position": c.position,
         "selectable": c.selectable, "note": c.note,
         "pick": None if c.pick is None else {"rank": c.pick.rank, "reason": c.pick.override_reason,
                                              "score": _score(c.pick.score), "sent_at": _iso(c.pick.sent_at)}}
        for c in candidates]}


@router.put("/rounds/{round_id}/national-selection", response={200: SelectionOut, **ERRORS})
def select_national(request, round_id: int, payload: SelectionIn):
    """选定国家级推荐名单（整体替换尚未报送的名单）：picks 为 [{application, rank, reason}]。

    rank 可省略（按列表顺序排在有 rank 的之后）；不按专家评分顺序（跳过评分更高的候选或排在其前）须填写
    reason，否则 400（字段 picks.<id>.reason）。超出国家级名额、非候选、已报送后修改、超过截止时间 409。
    空列表撤销尚未报送的名单。"""
    round_ = _round(request, round_id)
    with transaction.atomic():
        _check_versions(request, round_, payload.state_versions, doing="选定国家级推荐名单")
        province.select_national(actor=request.user, round_=round_, request=request,
                                 picks=[p.dict() for p in payload.picks])
    return selection_out(round_)


@router.post("/rounds/{round_id}/national-selection/sent", response={200: SelectionOut, **ERRORS})
def mark_national_sent(request, round_id: int, payload: VersionsIn | None = None):
    """标记国家级推荐名单已报送工信部：名单中的申报变为“已推荐至工信部”。

    尚未选定、超出名额、已标记、超过推荐国家级阶段截止时间 409。之后用
    ``POST /applications/{id}/actions/ministry_recognized``（或 ``ministry_not_recognized``）登记工信部的结果。"""
    round_ = _round(request, round_id)
    with transaction.atomic():
        _check_versions(request, round_, payload.state_versions if payload else None, doing="标记报送")
        province.mark_national_sent(actor=request.user, round_=round_, request=request)
    return selection_out(round_)
