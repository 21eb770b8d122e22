"""The re-review task's state machine as data, on the one engine (``core/workflow.py``).

::

    draft ──submit──▶ submitted ──forward──▶ forwarded
    submitted ──return (comment)──▶ returned ──submit──▶ submitted   (the county edits, resubmits)
    draft ──miss (deadline)──▶ missed ──reopen (extension)──▶ draft
    provincial cluster:  forwarded ──pass──▶ passed (validity + 3 years)
                         forwarded ──fail──▶ failed
                         failed | missed ──confirm_revocation──▶ revoked
    national cluster:    forwarded ──prelim_pass──▶ prelim_passed
                         forwarded ──prelim_fail──▶ prelim_failed
                         prelim_passed | prelim_failed | missed ──report_to_ministry──▶ reported
                         reported ──ministry_pass──▶ passed (validity + 3 years)
                         reported ──ministry_fail──▶ revoked

Who decides (domain.md §7, 工信厅企业函〔2025〕77号): for a **provincial** cluster the province;
for a **national** cluster the province only does the initial review (初审) and reports to MIIT —
those that pass, and, with the reasons, those that fail (a missed national task too) — and MIIT's
outcome alone extends validity or revokes. ``LEVELS`` says which actions belong to which level;
taking one on the other level's task is a 400 (wrong kind of task, not a matter of timing).

Refusals, in this order (``check``): the role and unit (403), the cluster's level (400), the
state (409, with ``STATE_HINTS`` saying what has to happen first), the guards (409).
The deadline of the county's submission is not a ``stage`` of the table: a late county action is
refused **and** marks the draft missed (a change that must survive the refusal), which
``domain.lateness`` handles outside the refused transaction.
"""

from __future__ import annotations

from clusterdesk.core.workflow import (
    ALLOW,
    CONFLICT,
    Input,
    Machine,
    Transition,
    Verdict,
    conflict,
    forbid,
    invalid,
)
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Role

from .models import RereviewStatus as S
from .models import RereviewTask

NATIONAL, PROVINCIAL = "national", "provincial"

# --- who -------------------------------------------------------------------------------------------




def is_county_of(actor, task) -> bool:
    return roles.is_county_applicant(actor) and RereviewTask.objects.visible_to(actor).filter(pk=task.pk).exists()


def is_city_of(actor, task) -> bool:
    return roles.is_city_reviewer(actor) and task.org.recommender_id == actor.org_id


def is_province_of(actor, round_) -> bool:
    return roles.is_province_admin(actor, round_.province_id)


def county(reason: str):
    return lambda actor, task: ALLOW if is_county_of(actor, task) else forbid(reason)


def city(reason: str):
    return lambda actor, task: ALLOW if is_city_of(actor, task) else forbid(reason)


def province(reason: str):
    return lambda actor, task: ALLOW if is_province_of(actor, task.round) else forbid(reason)


def nobody(actor, task) -> Verdict:  # steps the deadline takes (no button, no API)
    return forbid("该步骤由系统按截止时间办理")


COUNTY, CITY, PROVINCE = (Role.COUNTY_APPLICANT,), (Role.CITY_REVIEWER,), (Role.PROVINCE_ADMIN,)

CITY_COMMENT = Input("comment", "市州审核意见", required=True, max_length=2000)
RETURN_COMMENT = Input("comment", "退回意见", required=True, max_length=2000,
                       help="说明需要县级单位修改或补充的内容，县级单位可以看到")
REPORT_DATE = Input("date", "报部日期", kind="date", required=True)
NOTE = Input("note", "撤销说明", max_length=2000)

TRANSITIONS = (
    # --- county -----------------------------------------------------------------------------------
    Transition("submit", "提交市（州）", (S.DRAFT, S.RETURNED), S.SUBMITTED,
               county("只有集群所在县级单位的申报账号可以提交复核申报"), COUNTY, audit="rereview.submitted",
               style="primary", notify=("city",), told_by_domain=True),
    # --- the deadline (no one's button) ------------------------------------------------------------
    Transition("miss", "逾期未提交", (S.DRAFT,), S.MISSED, nobody, audit="rereview.missed", api=False,
               notify=("county", "province"), told_by_domain=True),
    Transition("reopen", "延期后恢复填报", (S.MISSED,), S.DRAFT, county("只有集群所在县级单位的申报账号可以填写复核申报表"),
               audit="rereview.reopened", api=False, by="county"),
    # --- city ---------------------------------------------------------------------------------------
    Transition("return", "退回县级单位修改", (S.SUBMITTED,), S.RETURNED,
               city("只有该县所属市（州）的审核账号可以退回"), CITY, inputs=(RETURN_COMMENT,),
               audit="rereview.returned", confirm="退回后县级单位可以修改并重新提交，确定退回？",
               notify=("county",), told_by_domain=True),
    Transition("forward", "报送省厅", (S.SUBMITTED,), S.FORWARDED,
               city("只有该县所属市（州）的审核账号可以报送"), CITY, inputs=(CITY_COMMENT,),
               audit="rereview.forwarded", style="primary", notify=("province",), told_by_domain=True),
    # --- province: provincial clusters ---------------------------------------------------------------
    Transition("pass", "复核通过", (S.FORWARDED,), S.PASSED, province("只有省厅管理员可以作出复核结论"), PROVINCE,
               audit="rereview.passed", api=False, notify=("county", "city"), told_by_domain=True),
    Transition("fail", "复核不通过", (S.FORWARDED,), S.FAILED, province("只有省厅管理员可以作出复核结论"), PROVINCE,
               audit="rereview.failed", api=False, notify=("county", "city"), told_by_domain=True),
    Transition("confirm_revocation", "确认撤销认定", (S.FAILED, S.MISSED), S.REVOKED,
               province("只有省厅管理员可以确认撤销认定"), PROVINCE, inputs=(NOTE,),
               audit="rereview.revocation_confirmed", style="danger", notify=("county", "city"),
               told_by_domain=True),
    # --- province: national clusters (MIIT decides) ---------------------------------------------------
    Transition("prelim_pass", "初审通过（报部）", (S.FORWARDED,), S.PRELIM_PASSED,
               province("只有省厅管理员可以作出初审结论"), PROVINCE, audit="rereview.prelim_passed", api=False,
               notify=("county", "city"), told_by_domain=True),
    Transition("prelim_fail", "初审未通过", (S.FORWARDED,), S.PRELIM_FAILED,
               province("只有省厅管理员可以作出初审结论"), PROVINCE, audit="rereview.prelim_failed", api=False,
               notify=("county", "city"), told_by_domain=True),
    Transition("report_to_ministry", "报送工信部", (S.PRELIM_PASSED, S.PRELIM_FAILED, S.MISSED), S.REPORTED,
               province("只有省厅管理员可以报送工信部"), PROVINCE, inputs=(REPORT_DATE,),
               audit="rereview.reported_to_ministry", style="primary", notify=("county", "city"),
               told_by_domain=True),
    Transition("ministry_pass", "工信部复核通过", (S.REPORTED,), S.PASSED,
               province("只有省厅管理员可以录入工信部结论"), PROVINCE, audit="rereview.ministry_passed", api=False,
               notify=("county", "city"), told_by_domain=True),
    Transition("ministry_fail", "工信部复核不通过", (S.REPORTED,), S.REVOKED,
               province("只有省厅管理员可以录入工信部结论"), PROVINCE, audit="rereview.ministry_failed", api=False,
               notify=("county", "city"), told_by_domain=True),
)

# Which level of cluster an action belongs to (absent: both).
LEVELS = {
    "pass": PROVINCIAL, "fail": PROVINCIAL, "confirm_revocation": PROVINCIAL,
    "prelim_pass": NATIONAL, "prelim_fail": NATIONAL, "report_to_ministry": NATIONAL,
    "ministry_pass": NATIONAL, "ministry_fail": NATIONAL,
}
LEVEL_REFUSALS = {
    PROVINCIAL: "该集群为国家级集群：省厅只作初审（初审通过（报部）或初审未通过），报送工信部后由工信部作出复核结论",
    NATIONAL: "该集群为省级集群：复核结论由省厅作出，不报送工信部，没有工信部结论",
}
# What has to happen first, added to a wrong-state refusal.
STATE_HINTS = {
    "ministry_pass": "须先“报送工信部”（登记报部日期）后再录入工信部结论",
    "ministry_fail": "须先“报送工信部”（登记报部日期）后再录入工信部结论",
    "report_to_ministry": "须先作出初审结论（初审通过（报部）或初审未通过）",
    "pass": "须市州报送后", "fail": "须市州报送后", "prelim_pass": "须市州报送后", "prelim_fail": "须市州报送后",
}

MACHINE = Machine(
    name="rereview.task",
    label="集群复核",
    model=RereviewTask,
    states=S,
    transitions=TRANSITIONS,
    initial=S.DRAFT,
    audit_prefix="rereview",
    object_label="复核申报",
    # The domain (``domain/steps.py``) words the notices; the table declares whom they reach.
    handlers={
        S.DRAFT: "county", S.RETURNED: "county", S.SUBMITTED: "city", S.FORWARDED: "province",
        S.PRELIM_PASSED: "province", S.PRELIM_FAILED: "province", S.REPORTED: "province", S.FAILED: "province",
        S.MISSED: "province", S.PASSED: None, S.REVOKED: None,
    },
    groups={
        # the county fills 附件3 (a missed task only after an extension: ``reopen``)
        "editable": (S.DRAFT, S.RETURNED, S.MISSED),
        # the county's reminders and home panel
        "county_todo": (S.DRAFT, S.RETURNED),
        # a re-review under way: the registry does not expire the cluster (``EXPIRY_HOLDS``)
        "pending": (S.DRAFT, S.RETURNED, S.SUBMITTED, S.FORWARDED, S.PRELIM_PASSED, S.PRELIM_FAILED, S.REPORTED,
                    S.FAILED, S.MISSED),
        # provincial clusters awaiting the province's confirmation of revocation
        "revocation_list": (S.FAILED, S.MISSED),
        # national clusters the province still has to report to MIIT
        "to_report": (S.PRELIM_PASSED, S.PRELIM_FAILED, S.MISSED),
        # national clusters awaiting MIIT's outcome
        "with_ministry": (S.REPORTED,),
        # decided for good
        "closed": (S.PASSED, S.REVOKED),
    },
)


def level_of(cluster) -> str:
    """"national" or "provincial" (who decides, and which criteria set applies)."""
    return NATIONAL if str(cluster.level) == NATIONAL else PROVINCIAL


def check(actor, task, action: str, now=None) -> Verdict:
    """May ``actor`` take ``action`` on ``task`` now? Role (403), level (400), state (409), guards."""
    t = MACHINE.get(action)
    if not getattr(actor, "is_authenticated", False):
        return forbid("请先登录")
    who = t.who(actor, task)
    if not who:
        return who
    level = LEVELS.get(t.action)
    if level and level_of(task.cluster) != level:
        return invalid(LEVEL_REFUSALS[level], field="task")
    verdict = MACHINE.check(actor, task, t, now)
    if not verdict and verdict.kind == CONFLICT and t.action in STATE_HINTS and task.status not in t.sources:
        return conflict(f"{verdict.reason}（{STATE_HINTS[t.action]}）", verdict.field)
    return verdict


def edit_verdict(actor, task) -> Verdict:
    """May the county change 附件3 and its evidence now (save, upload, remove)? 403, then 409."""
    if not is_county_of(actor, task):
        return forbid("只有集群所在县级单位的申报账号可以填写复核申报表")
    if not MACHINE.in_group("editable", task.status):
        return conflict(f"复核申报当前状态为“{task.get_status_display()}”，不能修改")
    return ALLOW
