"""The review chain over JSON: workflow actions, timeline, the cities' lists, progress."""

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import ConfigDict

from clusterdesk.applications.models import Application
from clusterdesk.audit.vocabulary import ACTIONS
from clusterdesk.core.errors import NotAllowed
from clusterdesk.orgs.models import Role
from clusterdesk.reviews import domain
from clusterdesk.reviews.workflow import LIST_ACTIONS, TRANSITIONS
from clusterdesk.rounds.models import SHANGHAI, Round

from .schemas import ErrorOut

router = Router(tags=["审核推荐"])


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = None
    national: bool | None = None
    field_comments: dict[str, str] | None = None
    state_version: int | None = None


class ActionOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    state_version: int
    national_flag: bool


class AvailableOut(Schema):
    action: str
    label: str
    allowed: bool
    reason: str
    inputs: list[dict[str, Any]]


class EventOut(Schema):
    at: str
    actor: str
    org: str
    action: str
    label: str
    comment: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ListOut(Schema):
    id: int
    kind: str
    org_code: str
    submitted_at: str
    entries: list[dict[str, Any]]
    letter_name: str
    letter_sha256: str
    deadline_at_submission: str | None
    changes: dict[str, Any]
    change_reason: str


def _app(request, application_id: int) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=application_id)


def _local_iso(moment) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat() if moment else None


def _list_out(lst) -> dict:
    return {"id": lst.pk, "kind": lst.kind, "org_code": lst.org.code, "submitted_at": lst.submitted_at.isoformat(),
            "entries": lst.entries, "letter_name": lst.letter_name, "letter_sha256": lst.letter_sha256,
            "deadline_at_submission": _local_iso(lst.deadline_at_submission),
            "changes": lst.changes or {}, "change_reason": lst.change_reason}


@router.get("/workflow")
def workflow(request):
    """工作流定义：每个操作的起始状态、目标状态、角色、阶段和所需输入（只读）。"""
    return {
        "transitions": [
            {"action": t.action, "label": t.label, "from": list(t.sources), "to": t.target, "roles": list(t.roles),
             "unit": t.actor_unit, "stage": t.stage, "inputs": [{"name": i.name, "label": i.label, "kind": i.kind,
                                                                 "required": i.required} for i in t.inputs]}
            for t in TRANSITIONS
        ],
        "list_actions": [{"action": a.action, "label": a.label, "roles": list(a.roles), "stage": a.stage,
                          "from": list(a.sources), "to": a.target, "description": a.description} for a in LIST_ACTIONS],
    }


@router.get("/applications/{application_id}/actions", response=list[AvailableOut])
def available_actions(request, application_id: int):
    """当前账号对该申报可执行的操作，不可执行时说明原因。"""
    return [{"action": b.transition.action, "label": b.transition.label, "allowed": b.allowed, "reason": b.reason,
             "inputs": [{"name": i.name, "label": i.label, "kind": i.kind, "required": i.required} for i in b.transition.inputs]}
            for b in domain.available(request.user, _app(request, application_id))]


@router.post("/applications/{application_id}/actions/{action}",
             response={200: ActionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def take_action(request, application_id: int, action: str, payload: ActionIn):
    """执行审核操作（如 city_recommend、city_return、province_pass）；不允许时返回 409 和原因。"""
    app = domain.perform(actor=request.user, application=_app(request, application_id), action=action,
                         inputs=payload.dict(exclude_none=True), expected_state_version=payload.state_version,
                         request=request)
    return {"id": app.pk, "number": app.number, "status": app.status, "status_label": app.get_status_display(),
            "state_version": app.state_version, "national_flag": app.national_flag}


@router.get("/applications/{application_id}/timeline", response=list[EventOut])
def timeline(request, application_id: int):
    """申报的完整办理记录（谁、哪个单位、何时、做了什么、意见）。"""
    return [{"at": e.at.isoformat(), "actor": e.actor_username, "org": e.org_name, "action": e.action,
             "label": ACTIONS.get(e.action, e.action), "comment": e.comment, "before": e.before, "after": e.after}
            for e in domain.timeline(_app(request, application_id))]


def _round(request, round_id: int) -> Round:
    return get_object_or_404(Round.objects.visible_to(request.user), pk=round_id)


@router.post("/rounds/{round_id}/name-list", response={200: ListOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def submit_name_list(request, round_id: int):
    """市州报送推荐名单（阶段一），报送时检查名额规则。"""
    return _list_out(domain.submit_name_list(actor=request.user, round_=_round(request, round_id), request=request))


@router.post("/rounds/{round_id}/formal", response={200: ListOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def submit_formal(request, round_id: int, letter: File[UploadedFile] = None, confirm_final: Form[bool] = False,
                  change_reason: Form[str] = ""):
    """市州正式推荐（阶段二）：上传推荐文件并确认名单为最终名单。

    最终名单与已报送的推荐名单不同（新增或撤下申报）时，须填写 change_reason（名单变更说明），
    否则返回 400；变化和说明随正式推荐保存（返回的 changes、change_reason）。"""
    return _list_out(domain.submit_formal(actor=request.user, round_=_round(request, round_id), letter=letter,
                                          confirm_final=confirm_final, change_reason=change_reason, request=request))


@router.get("/rounds/{round_id}/progress")
def progress(request, round_id: int):
    """各推荐单位的进度：按状态计数、推荐名单和正式推荐相对截止时间的情况。"""
    if request.user.role not in (Role.PROVINCE_ADMIN, Role.LEADER, Role.SYSADMIN):
        raise NotAllowed("只有省厅可以查看各市州进度")
    round_ = _round(request, round_id)
    return {
        "round": {"id": round_.pk, "name": round_.name},
        "units": [
            {"code": row["org"].code, "name": row["org"].name, "total": row["total"], "counts": row["counts"],
             "stages": {code: {"deadline": s["deadline"].isoformat() if s["deadline"] else None, "state": s["state"],
                               "extended": s["extended"],
                               "submitted_at": s["list"].submitted_at.isoformat() if s["list"] else None,
                               "deadline_at_submission": _local_iso(s["deadline_at_submission"]),
                               "changes": (s["list"].changes or {}) if s["list"] else {},
                               "change_reason": s["list"].change_reason if s["list"] else ""}
                        for code, s in row["stages"].items()}}
            for row in domain.round_progress(round_)
        ],
    }
