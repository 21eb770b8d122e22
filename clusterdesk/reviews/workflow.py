"""The application's two tracks as data (``core.workflow`` runs them).

- ``PROVINCIAL`` (``Application.status``): the county submits, the city recommends, returns or
  rejects, sends its name list and its formal recommendation, the province does the initial
  review, proposes recognition with a publicity period and recognises.
- ``NATIONAL`` (``Application.national_status``): the city's flag 同步推荐国家级 plus the
  province's initial pass make a candidate; the province selects within the quota, marks the
  list sent to MIIT, and records the ministry's outcome. The two tracks run side by side
  (domain.md §3): nothing on one moves the other, except that an initial pass of a flagged
  application opens its national track and undoing that pass closes it.

The buttons on the pages, the API actions (``POST /api/v1/applications/{id}/actions/{action}``),
the refusals and the timeline labels all come from these tables. Rows marked ``list_action``
are taken on many applications at once by the list operations of ``domain.py`` (the city's
lists) and ``province.py`` (publicity, the national list), which add their list-level checks
(quota, batch) and call ``Machine.move`` for each application.
"""

from clusterdesk.applications.models import Application, NationalStatus as N, Status as S
from clusterdesk.core.workflow import ALLOW, Input, Machine, Transition, conflict, forbid
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Role
from clusterdesk.rounds.models import StageCode

# --- inputs -------------------------------------------------------------------------------------

COMMENT = Input("comment", "意见", required=True, help="说明原因和需要修改的内容，申报单位可以看到")
REASON = Input("comment", "理由", required=True, help="记录在案，申报单位可以看到")
NOTE = Input("comment", "意见", required=False)
FIELD_COMMENTS = Input("field_comments", "逐项意见", kind="fields", help="可选：针对具体栏目的修改意见")
CHANGE_NOTE = Input("comment", "修改说明", required=False, max_length=2000,
                    help="重新提交时说明根据审核意见做了哪些修改；审核单位在审核页面和办理记录中看到")
NATIONAL = Input("national", "同步推荐国家级", kind="bool")
DOCUMENT = Input("document_number", "文号", required=False, max_length=100, help="工信部公布认定结果的文件文号")
DOC_DATE = Input("date", "日期", kind="date", required=False, help="工信部公布结果的日期")

CITY = (Role.CITY_REVIEWER,)
PROVINCE = (Role.PROVINCE_ADMIN,)
COUNTY = (Role.COUNTY_APPLICANT,)

# --- who ----------------------------------------------------------------------------------------


def city_of(actor, app: Application):
    """The reviewer of the application's recommending unit (市州, 长白山管委会, 梅河口)."""
    if not roles.is_city_reviewer(actor):
        return forbid("只有市州审核人员可以{label}")
    if actor.org_id != app.org.recommender_id:
        return forbid("只有本申报的推荐单位可以{label}")
    return ALLOW


def province_of(actor, app: Application):
    """The administrator of the province that runs the application's round."""
    if not roles.is_province_admin(actor):
        return forbid("只有省厅管理员可以{label}")
    if app.round.province_id != actor.org_id:
        return forbid("只有组织本批次的省厅可以{label}")
    return ALLOW


def county_of(actor, app: Application):
    from clusterdesk.applications.rules import is_applicant_of

    if not is_applicant_of(actor, app):
        return forbid("只有申报单位的县级申报账号可以{label}")
    return ALLOW


def system(actor, app: Application):
    """Moves the system makes as an effect of another step (the actor is that step's actor)."""
    return ALLOW


# --- guards -------------------------------------------------------------------------------------


def list_not_final(actor, app: Application, now):
    """The city's list is final once the formal recommendation is sent."""
    from .models import ListKind, RecommendationList

    if RecommendationList.objects.filter(round_id=app.round_id, org_id=app.org.recommender_id,
                                         kind=ListKind.FORMAL).exists():
        return conflict("本单位已正式推荐，名单已锁定，不能再修改")
    return ALLOW


def not_on_national_list(actor, app: Application, now):
    if app.national_status in NATIONAL.group("on_list"):
        return conflict(f"该申报已列入国家级推荐名单（{app.get_national_status_display()}），"
                        "请先在“国家级推荐”页面把它移出名单")
    return ALLOW


def provincially_sound(actor, app: Application, now):
    """An application the province did not recognise after an upheld objection, or whose initial
    review failed, is not sent to MIIT."""
    if app.status in PROVINCIAL.group("stopped"):
        return conflict(f"该申报省级状态为“{app.get_status_display()}”，不能推荐国家级")
    return ALLOW


# --- effects ------------------------------------------------------------------------------------


def set_national_flag(step) -> None:
    step.set("national_flag", step.values.get("national", False))


def back_to_county(step) -> None:
    """A city return: the county resubmits to the city before its county deadline (or extension)."""
    step.set("resubmit_stage", StageCode.COUNTY_SUBMISSION)


def back_to_province(step) -> None:
    """A province return: the county's revision goes straight back to the province's initial review."""
    step.set("resubmit_stage", StageCode.NATIONAL_RECOMMENDATION)


def store_comment(step) -> None:
    from .models import ReviewComment

    text, fields = step.values.get("comment", ""), step.values.get("field_comments", {})
    if text or fields:
        ReviewComment.objects.create(application=step.obj, version=step.obj.current_version,
                                     action=step.transition.action, author=step.actor, org_name=step.actor.org.name,
                                     text=text, field_comments=fields)


def open_national_track(step) -> None:
    """An initial pass of an application the city flagged makes it a national candidate."""
    app = step.obj
    if app.national_flag and app.national_status == N.NONE:
        NATIONAL.move(actor=step.actor, obj=app, action="national_candidate", request=step.request, now=step.now)


def close_national_track(step) -> None:
    app = step.obj
    if app.national_status == N.CANDIDATE:
        NATIONAL.move(actor=step.actor, obj=app, action="national_candidate_withdrawn", request=step.request,
                      now=step.now)


def register_provincial(step) -> None:
    from clusterdesk.registry.service import on_recognized

    on_recognized(step.obj, step.actor)


def register_national(step) -> None:
    from clusterdesk.registry.service import on_national_recognized

    on_national_recognized(step.obj, step.actor, document_number=step.values.get("document_number", ""),
                           date=step.values.get("date", ""))


# --- deadlines and notifications ----------------------------------------------------------------


def deadline(app: Application, stage: str, actor):
    """The acting unit's deadline for ``stage`` (its extension when it has one)."""
    from clusterdesk.rounds.domain import closes_at

    return closes_at(app.round, stage, actor.org)


def notify(step, audiences) -> None:
    from clusterdesk.notifications.domain import notify_units

    app, t = step.obj, step.transition
    title = f"{app.name or app.number}：{t.label}"
    body = step.message or step.values.get("comment") or f"{step.actor.org.name}已{t.label}。"
    notify_units(application=app, audiences=audiences, kind=step.machine.audit_action(t), title=title, body=body)


def stale(app: Application) -> str:
    from .domain import who_last

    return (f"该申报已被处理，当前状态为“{app.get_status_display()}”{who_last(app)}；"
            "您的操作未执行，请刷新页面后查看")


# What both tracks share: one row, one state_version, one audit vocabulary, one notifier.
ON_APPLICATION = {
    "model": Application, "version_field": "state_version", "audit_prefix": "review", "object_label": "申报",
    "deadline": deadline, "notifier": notify, "stale_message": stale,
}


# --- the provincial track -----------------------------------------------------------------------

PROVINCIAL = Machine(
    name="application.provincial",
    label="申报（省级认定）",
    states=S,
    field="status",
    initial=S.DRAFT,
    **ON_APPLICATION,
    handlers={
        S.DRAFT: "county", S.RETURNED: "county", S.SUBMITTED: "city", S.RECOMMENDED: "city",
        S.FORMAL: "province", S.INITIAL_PASSED: "province", S.PUBLICITY: "province",
        S.CITY_REJECTED: None, S.INITIAL_FAILED: None, S.RECOGNIZED: None, S.NOT_RECOGNIZED: None,
    },
    groups={
        "editable": (S.DRAFT, S.RETURNED),
        "city_reviewable": (S.SUBMITTED, S.RECOMMENDED),
        # Submitted and not stopped: counted in the round's criteria figures.
        "active": (S.SUBMITTED, S.RECOMMENDED, S.FORMAL, S.INITIAL_PASSED, S.PUBLICITY, S.RECOGNIZED),
        # What a city has recommended and what became of it (附件2, the briefing).
        "recommended_onward": (S.RECOMMENDED, S.FORMAL, S.INITIAL_PASSED, S.INITIAL_FAILED, S.PUBLICITY,
                               S.RECOGNIZED, S.NOT_RECOGNIZED),
        # Expert review: from the formal recommendation on, while the province is still deciding.
        "reviewable": (S.FORMAL, S.INITIAL_PASSED, S.PUBLICITY, S.RECOGNIZED),
        "initial_passed": (S.INITIAL_PASSED, S.PUBLICITY, S.RECOGNIZED, S.NOT_RECOGNIZED),
        "stopped": (S.CITY_REJECTED, S.INITIAL_FAILED, S.NOT_RECOGNIZED),
        # The phases of the pipeline chart, in procedure order.
        "phase:填报中": (S.DRAFT, S.RETURNED),
        "phase:待市州审核": (S.SUBMITTED,),
        "phase:市州推荐": (S.RECOMMENDED,),
        "phase:省厅初审": (S.FORMAL, S.INITIAL_PASSED),
        "phase:公示": (S.PUBLICITY,),
        "phase:认定省级": (S.RECOGNIZED,),
    },
    transitions=(
        # --- county (县级申报) ---------------------------------------------------------------
        Transition("submit", "提交申报", (S.DRAFT, S.RETURNED), S.SUBMITTED, county_of, COUNTY,
                   inputs=(CHANGE_NOTE,), audit="application.submitted", api=False, notify=("city",),
                   description="县级申报单位提交申报表；之后由市州审核。"),
        Transition("resubmit_to_province", "重新提交（省厅退回）", (S.RETURNED,), S.FORMAL, county_of, COUNTY,
                   inputs=(CHANGE_NOTE,), audit="application.resubmitted", api=False, notify=("city", "province"),
                   description="省厅初审退回的申报修改后直接回到省厅初审。"),
        Transition("withdraw", "撤回申报", (S.SUBMITTED,), S.DRAFT, county_of, COUNTY,
                   audit="application.withdrawn", api=False, notify=("city",),
                   description="市州处理前，县级可以撤回已提交的申报。"),
        # --- city (市州, 长白山管委会, 梅河口): open until the formal deadline ------------------
        Transition("city_recommend", "推荐为省级", (S.SUBMITTED,), S.RECOMMENDED, city_of, CITY,
                   StageCode.FORMAL_SUBMISSION, (NATIONAL, NOTE), guards=(list_not_final,),
                   effects=(set_national_flag,), after=(store_comment,), style="primary", notify=("county",)),
        Transition("city_return", "退回修改", (S.SUBMITTED, S.RECOMMENDED), S.RETURNED, city_of, CITY,
                   StageCode.FORMAL_SUBMISSION, (COMMENT, FIELD_COMMENTS), guards=(list_not_final,),
                   effects=(back_to_county,), after=(store_comment,),
                   confirm="退回后申报单位可以修改并重新提交，确定退回？", notify=("county",)),
        Transition("city_reject", "不予推荐", (S.SUBMITTED, S.RECOMMENDED), S.CITY_REJECTED, city_of, CITY,
                   StageCode.FORMAL_SUBMISSION, (REASON,), guards=(list_not_final,), after=(store_comment,),
                   style="danger", confirm="不予推荐后本批次不能再提交，确定？", notify=("county",)),
        Transition("city_unrecommend", "撤销推荐", (S.RECOMMENDED,), S.SUBMITTED, city_of, CITY,
                   StageCode.FORMAL_SUBMISSION, (NOTE,), guards=(list_not_final,), after=(store_comment,)),
        Transition("submit_formal", "正式推荐（阶段二）", (S.RECOMMENDED,), S.FORMAL, city_of, CITY,
                   StageCode.FORMAL_SUBMISSION, audit="review.formal_submitted", list_action=True,
                   notify=("province",), told_by_domain=True,  # one notice for the list (domain.submit_formal)
                   description="市州上传推荐文件并确认名单为最终名单；名单中的申报进入省厅初审。"),
        # --- province (省厅) ---------------------------------------------------------------
        Transition("province_pass", "初审通过", (S.FORMAL,), S.INITIAL_PASSED, province_of, PROVINCE,
                   StageCode.NATIONAL_RECOMMENDATION, (NOTE,), after=(store_comment, open_national_track),
                   style="primary", notify=("city",),
                   description="初审通过；市州标注“同步推荐国家级”的，同时成为国家级候选。"),
        Transition("province_return", "退回修改", (S.FORMAL,), S.RETURNED, province_of, PROVINCE,
                   StageCode.NATIONAL_RECOMMENDATION, (COMMENT, FIELD_COMMENTS),
                   effects=(back_to_province,), after=(store_comment,),
                   confirm="退回后申报单位修改后直接重新提交省厅初审，确定退回？", notify=("county", "city")),
        Transition("province_fail", "初审不通过", (S.FORMAL,), S.INITIAL_FAILED, province_of, PROVINCE,
                   StageCode.NATIONAL_RECOMMENDATION, (REASON,), after=(store_comment,), style="danger",
                   notify=("county", "city")),
        Transition("province_reopen", "撤销初审结论", (S.INITIAL_PASSED, S.INITIAL_FAILED), S.FORMAL, province_of,
                   PROVINCE, StageCode.NATIONAL_RECOMMENDATION, (REASON,), guards=(not_on_national_list,),
                   after=(store_comment, close_national_track)),
        Transition("propose_recognition", "拟认定并公示", (S.INITIAL_PASSED,), S.PUBLICITY, province_of, PROVINCE,
                   StageCode.NATIONAL_RECOMMENDATION, audit="review.publicity_started", list_action=True,
                   notify=("county", "city"),
                   description="省厅选定一批初审通过的申报拟认定为省级集群，公示期按工作日计算。"),
        Transition("recognize", "公示期满，认定为省级集群", (S.PUBLICITY,), S.RECOGNIZED, province_of, PROVINCE,
                   audit="review.recognized", list_action=True, after=(register_provincial,),
                   notify=("county", "city"), description="公示期满、无成立的异议，认定为省级集群，登记入名录。"),
        Transition("not_recognize", "公示异议成立，未予认定", (S.PUBLICITY,), S.NOT_RECOGNIZED, province_of, PROVINCE,
                   audit="review.not_recognized", list_action=True, notify=("county", "city"),
                   description="公示期内有成立的异议，未予认定（理由记录在案）。"),
    ),
)


# --- the national track -------------------------------------------------------------------------

NATIONAL = Machine(
    name="application.national",
    label="申报（国家级推荐）",
    states=N,
    field="national_status",
    initial=N.NONE,
    **ON_APPLICATION,
    handlers={N.NONE: None, N.CANDIDATE: "province", N.SELECTED: "province", N.SENT: None, N.RECOGNIZED: None,
              N.NOT_RECOGNIZED: None},
    groups={
        # Listed on the national selection page.
        "listed": (N.CANDIDATE, N.SELECTED, N.SENT, N.RECOGNIZED, N.NOT_RECOGNIZED),
        "selectable": (N.CANDIDATE, N.SELECTED),
        "on_list": (N.SELECTED, N.SENT),
        "phase:国家级候选": (N.CANDIDATE,),
        "phase:拟推荐国家级": (N.SELECTED,),
        "phase:已报工信部": (N.SENT,),
        "phase:国家级认定": (N.RECOGNIZED,),
    },
    transitions=(
        Transition("national_candidate", "列为国家级候选", (N.NONE,), N.CANDIDATE, system, (),
                   audit="review.national_candidate", api=False, by="province",
                   description="市州标注同步推荐国家级、省厅初审通过后自动列为候选。"),
        Transition("national_candidate_withdrawn", "撤出国家级候选", (N.CANDIDATE,), N.NONE, system, (),
                   audit="review.national_candidate_withdrawn", api=False, by="province",
                   description="省厅撤销初审结论时自动撤出候选。"),
        Transition("select_national", "选定国家级推荐名单", (N.CANDIDATE,), N.SELECTED, province_of, PROVINCE,
                   StageCode.NATIONAL_RECOMMENDATION, guards=(provincially_sound,), list_action=True,
                   audit="review.national_selected",
                   description="在候选中按专家评分排序选定不超过国家级名额的申报；调整排序须说明理由。"),
        Transition("deselect_national", "撤出国家级推荐名单", (N.SELECTED,), N.CANDIDATE, province_of, PROVINCE,
                   StageCode.NATIONAL_RECOMMENDATION, list_action=True, audit="review.national_deselected"),
        Transition("mark_national_sent", "标记已报送工信部", (N.SELECTED,), N.SENT, province_of, PROVINCE,
                   StageCode.NATIONAL_RECOMMENDATION, guards=(provincially_sound,), list_action=True,
                   audit="review.national_sent", notify=("county", "city"),
                   description="国家级推荐名单报送工信部后标记，截止时间为省厅推荐国家级阶段。"),
        Transition("ministry_recognized", "工信部认定为国家级", (N.SENT,), N.RECOGNIZED, province_of, PROVINCE,
                   None, (DOCUMENT, DOC_DATE, NOTE), after=(store_comment, register_national), style="primary",
                   notify=("county", "city"),
                   description="登记工信部的认定结果；名录中该集群升为国家级（同一条记录）。"),
        Transition("ministry_not_recognized", "工信部未予认定", (N.SENT,), N.NOT_RECOGNIZED, province_of, PROVINCE,
                   None, (DOCUMENT, DOC_DATE, NOTE), after=(store_comment,), notify=("county", "city")),
    ),
)

MACHINES = (PROVINCIAL, NATIONAL)


def phases(machine: Machine) -> list[tuple[str, tuple]]:
    """The machine's "phase:<label>" groups in table order: the pipeline chart's bars."""
    return [(name.split(":", 1)[1], tuple(states)) for name, states in machine.groups.items()
            if name.startswith("phase:")]


PIPELINE = phases(PROVINCIAL)
NATIONAL_PIPELINE = phases(NATIONAL)


def machine_of(action: str) -> Machine:
    """The track an action belongs to (404 for an unknown action)."""
    for m in MACHINES:
        if action in m.by_action:
            return m
    return PROVINCIAL.get(action)  # raises the 404
