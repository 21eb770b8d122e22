"""The review chain over JSON: workflow actions, timeline, the cities' lists, progress."""

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import ConfigDict

from clusterdesk.core.pagecache import cached_page
from clusterdesk.applications.models import Application
from clusterdesk.core.errors import NotAllowed
from clusterdesk.orgs import roles
from clusterdesk.reviews import domain
from clusterdesk.reviews.workflow import MACHINES
from clusterdesk.rounds.models import SHANGHAI, Round

from .schemas import ErrorOut

router = Router(tags=["审核推荐"])


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = None
    national: bool | None = None
    field_comments: dict[str, str] | None = None
    document_number: str | None = None
    date: str | None = None
    state_version: int | None = None


class ActionOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    national_status: str
    national_status_label: str
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
    kind: str  # "application": an event on the application; "list": on a city's list that held it
    saves: int = 1  # consecutive autosaves by one user shown as one line (issue 15 §7)
    comment_label: str = ""  # "修改说明" when the comment is a resubmission's explanation
    subject: str  # for a list event, the list (e.g. "延边朝鲜族自治州推荐名单"); "" otherwise


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
    """工作流定义：申报的两条轨道（省级认定 status、国家级推荐 national_status），每个操作的起始状态、
    目标状态、角色、阶段和所需输入，以及状态分组（只读）。"""
    return {
        "machines": [
            {"name": m.name, "label": m.label, "field": m.field, "initial": m.initial,
             "states": [{"value": s.value, "label": str(s.label)} for s in m.states],
             "groups": {k: list(v) for k, v in m.groups.items()},
             "transitions": [
                 {"action": t.action, "label": t.label, "from": list(t.sources), "to": t.target,
                  "roles": list(t.roles), "stage": t.stage, "list_action": t.list_action,
                  "description": t.description,
                  "inputs": [{"name": i.name, "label": i.label, "kind": i.kind, "required": i.required}
                             for i in t.inputs]}
                 for t in m.transitions]}
            for m in MACHINES
        ],
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
    """执行审核操作（如 city_recommend、city_return、province_pass、ministry_recognized）。

    必须带上读取申报时得到的 ``state_version``（缺少时 400），以免覆盖他人刚做的处理；
    当前状态不允许时返回 409 并说明当前状态。可执行的操作及所需输入见 ``GET /applications/{id}/actions``
    和 ``GET /workflow``。

    登记工信部的结果（省厅管理员，国家级推荐状态须为“已推荐至工信部”，即名单已用
    ``POST /rounds/{id}/national-selection/sent`` 标记报送）：

    - ``ministry_recognized``：工信部认定为国家级，名录中该集群升为国家级；
    - ``ministry_not_recognized``：工信部未予认定。

    两者的可选输入：``document_number``（文号，如“工信部企业函〔2025〕123号”）、``date``（公布日期，
    YYYY-MM-DD，格式不对 400）、``comment``（意见）；以及必填的 ``state_version``。"""
    app = domain.perform(actor=request.user, application=_app(request, application_id), action=action,
                         inputs=payload.dict(exclude_none=True), expected_state_version=payload.state_version,
                         require_version=True, request=request)
    return action_out(app)


def action_out(app: Application) -> dict:
    return {"id": app.pk, "number": app.number, "status": app.status, "status_label": app.get_status_display(),
            "national_status": app.national_status, "national_status_label": app.get_national_status_display(),
            "state_version": app.state_version, "national_flag": app.national_flag}


@router.get("/applications/{application_id}/timeline", response={200: list[EventOut], 404: ErrorOut})
@cached_page
def timeline(request, application_id: int):
    """申报的完整办理记录（谁、哪个单位、何时、做了什么、意见），按时间先后。

    包括该申报自身的每一步，以及它所在的推荐名单（阶段一）、正式推荐（阶段二）的报送和省厅确认收到
    （``kind`` 为 ``list``，``subject`` 为名单名称）。``label`` 为工作流中该步骤的名称。
    同一用户连续的自动保存合并为一条（``saves`` 为次数，``label`` 如“填报 17 次，最后 13:32”，``after`` 含首次和末次时间），
    与页面上的办理记录一致；每次保存改了哪些字段仍记录在审计日志中。
    专家评审的记录（专家、评分、评语）只对省级账号显示，专家只看到自己的评分；全部专家提交后，各方都看到一条“专家评审已完成”。"""
    return [{"at": e.at.isoformat(), "actor": e.actor_username, "org": e.org_name, "action": e.action,
             "label": e.label, "comment": e.comment, "before": e.before, "after": e.after,
             "kind": e.kind, "subject": e.subject, "saves": getattr(e, "saves", 1),
             "comment_label": e.comment_label}
            for e in domain.timeline(_app(request, application_id), viewer=request.user)]


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
    round_ = _round(request, round_id)
    if not roles.is_province_staff(request.user, round_.province_id):  # a county's or city's leader too
        raise NotAllowed("只有省厅可以查看各市州进度")
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
