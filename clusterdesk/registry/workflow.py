"""The registry's state machines, declared as tables on the one engine (``core/workflow.py``).

- ``CLUSTER``: an entry's status. ``recognize`` (pool / recognized / expired → recognized: a
  recognition enters, promotes, raises or renews the one entry of a cluster), ``expire``
  (recognized → expired, a list step of ``expire_due``), ``extend`` (recognized / expired →
  recognized: a passed re-review), ``revoke`` (recognized / expired → revoked).
- ``REPORT``: an annual report. ``submit`` (draft → submitted; after the due date it is
  accepted and flagged ``late`` by the step's effect).
- ``CHANGE``: a change filing. ``approve`` (filed → approved; the declared effect
  ``apply_change`` applies the change to the entry) and ``refuse`` (filed → refused).

State groups are declared here and read by the domain, the pages, the API and the home panels:
``CLUSTER.group("valid")`` is what reports and change filings need and what counts as 认定有效;
``in_registry`` is where the one entry of a cluster is looked for; ``due_for_expiry`` is where
``expire_due`` looks; ``ended`` is what the dashboard counts as ended.

Decisions:

- Extension is a transition (``extend``), not a field edit: it is the one way an expired entry
  is recognised again by a re-review, and it is audited like the other steps.
- Creating a row is not a transition: a new entry starts recognised (or in the pool), a new
  report as a draft, a new filing as filed. Saving a draft report changes no state: its
  permission is ``can_edit_report`` (the county predicate and the report's ``editable`` group).
- ``actor`` None (management commands, the hooks called without an account) acts as ``SYSTEM``:
  allowed the province's steps on an entry, never a county's (``take``).
- Every step on an entry writes one history line (``ClusterEvent``) through its declared
  ``after`` effect; the first effect, ``remember``, keeps the entry's facts before the step on
  the step (``step.before_state``) and the effects set the line's comment (``step.note``).
"""

from __future__ import annotations

from datetime import date

from clusterdesk.core.workflow import (
    ALLOW, Input, Machine, Transition, Verdict, conflict, first_refusal, forbid, not_found, require,
)
from clusterdesk.orgs.models import Role

from .domain.common import (
    CHANGE_FIELDS, NOT_FOUND, _city_users, _county_users, _history, _notify, _province_users, _url, is_late,
    is_province_admin, state, visible,
)
from .models import (
    AnnualReport, ChangeFiling, ChangeKind, ChangeStatus, Cluster, ClusterStatus, EventKind, Level, ReportStatus,
)


class _System:
    """The actor of steps the system takes (``actor=None``): never a county, always the province."""

    is_authenticated = True
    is_active = True
    role = None
    pk = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


def _cluster_of(obj) -> Cluster:
    return obj if isinstance(obj, Cluster) else obj.cluster


# --- who ---------------------------------------------------------------------------------------

def province_admin(doing: str):
    """The province administrator of the entry's province (or the system)."""
    def who(actor, obj) -> Verdict:
        if actor is SYSTEM:
            return ALLOW
        if not is_province_admin(actor):
            return forbid(f"只有省厅管理员可以{doing}")
        if not _cluster_of(obj).org.path.startswith(actor.org.path):
            return forbid(f"该集群不属于本省，不能{doing}")
        return ALLOW
    return who


def county_of_cluster(doing: str):
    """A county applicant account that sees the entry (its unit's)."""
    def who(actor, obj) -> Verdict:
        if actor is SYSTEM:
            return forbid(f"只有集群所在县级单位的申报账号可以{doing}")
        if not visible(actor, _cluster_of(obj)):
            return not_found(NOT_FOUND)
        if actor.role != Role.COUNTY_APPLICANT:
            return forbid(f"只有集群所在县级单位的申报账号可以{doing}")
        return ALLOW
    return who


# --- effects on an entry -------------------------------------------------------------------------

def remember(step) -> None:
    """First effect of every step on an entry: its facts before the step, for the history line."""
    step.before_state = {**state(step.obj), "status": step.before}
    step.note = ""


def changed_facts(step) -> None:
    """Last effect: the facts the step changed go into the audit event's "after"."""
    after = state(step.obj)
    step.extra.update({k: v for k, v in after.items() if k != "status" and step.before_state.get(k) != v})


def apply_recognition(step) -> None:
    """Level, batch, validity and the recognising application's facts (``step.extra["values"]``,
    taken out of the audit event: the plan targets are long)."""
    cluster, values = step.obj, step.extra.pop("values")
    before = step.before_state
    for name, value in values.items():
        if name == "plan_targets" and not value and cluster.plan_targets:
            continue
        step.set(name, value)
    level, old = Level(cluster.level).label, Level(before["level"]).label
    source = step.extra.get("source", "")
    if before["status"] == ClusterStatus.POOL:
        step.note = f"培育库集群认定为{level}集群"
    elif before["status"] == ClusterStatus.EXPIRED:
        step.note = f"已到期的{old}集群再次认定为{level}集群（{cluster.batch_year}年批次）"
    elif before["level"] != cluster.level:
        step.note = f"{old}集群认定为{level}集群"
    else:
        step.note = f"{old}集群再次认定为{level}集群（{cluster.batch_year}年批次）"
    step.note += f"；{source}" if source else ""


def recognition_kind(step) -> str:
    before = step.before_state
    if before["status"] != ClusterStatus.POOL and before["level"] != step.obj.level:
        return EventKind.LEVEL_CHANGED
    return EventKind.REGISTERED


def note_expiry(step) -> None:
    step.note = f"认定有效期至{step.obj.valid_until:%Y年%m月%d日}，已到期"


def apply_extension(step) -> None:
    """``step.extra["years"]`` whole years added to the end of the validity."""
    cluster, years = step.obj, step.extra["years"]
    step.set("valid_until", date(cluster.valid_until.year + years, 12, 31))
    step.note = step.values.get("comment") or f"有效期延长 {years} 年，至{cluster.valid_until:%Y年%m月%d日}"


def note_reason(step) -> None:
    step.note = step.values.get("reason", "")


HISTORY_KEYS = ("document_number", "document_date")  # kept in the history line's "after" when given


def history(kind):
    """The ``after`` effect writing the step's history line (``kind``: an ``EventKind`` or a function)."""
    def write(step) -> None:
        after = {**state(step.obj), **{k: step.extra[k] for k in HISTORY_KEYS if step.extra.get(k)}}
        _history(step.obj, step.actor, kind(step) if callable(kind) else kind, before=step.before_state,
                 after=after, comment=step.note, at=step.now)
    return write


def has_validity(actor, cluster, now) -> Verdict:
    if not cluster.valid_until:
        return conflict("该集群没有登记有效期，不能延长有效期，请先在名录中补登有效期", field="cluster")
    return ALLOW


CLUSTER = Machine(
    name="registry.cluster",
    label="集群名录",
    model=Cluster,
    states=ClusterStatus,
    initial=ClusterStatus.RECOGNIZED,
    object_label="集群",
    audit_prefix="registry",
    groups={
        "valid": (ClusterStatus.RECOGNIZED,),  # in force: annual reports, change filings, 认定有效
        "in_registry": (ClusterStatus.POOL, ClusterStatus.RECOGNIZED, ClusterStatus.EXPIRED),  # one entry per cluster
        "due_for_expiry": (ClusterStatus.RECOGNIZED,),  # expire_due: these, once valid_until has passed
        "ended": (ClusterStatus.EXPIRED, ClusterStatus.REVOKED),
        "pool": (ClusterStatus.POOL,),
    },
    transitions=(
        Transition(
            "recognize", "认定登记", (ClusterStatus.POOL, ClusterStatus.RECOGNIZED, ClusterStatus.EXPIRED),
            ClusterStatus.RECOGNIZED, who=province_admin("登记集群名录"), roles=(Role.PROVINCE_ADMIN,),
            effects=(remember, apply_recognition, changed_facts), after=(history(recognition_kind),),
            audit="registry.registered", api=False,
            description="省级认定或工信部认定：培育库集群转为认定，省级升为国家级，或以后批次再次认定（一个集群只有一条名录记录）",
        ),
        Transition(
            "expire", "认定到期", (ClusterStatus.RECOGNIZED,), ClusterStatus.EXPIRED,
            who=province_admin("办理集群到期"), roles=(Role.PROVINCE_ADMIN,),
            effects=(remember, note_expiry), after=(history(EventKind.EXPIRED),), audit="registry.expired",
            list_action=True, description="有效期已过且无待办复核的集群（expire_clusters 每日办理）",
        ),
        Transition(
            "extend", "延长认定有效期", (ClusterStatus.RECOGNIZED, ClusterStatus.EXPIRED), ClusterStatus.RECOGNIZED,
            who=province_admin("延长认定有效期"), roles=(Role.PROVINCE_ADMIN,),
            inputs=(Input("comment", "说明"),), guards=(has_validity,),
            effects=(remember, apply_extension, changed_facts), after=(history(EventKind.EXTENDED),),
            audit="registry.extended", api=False, description="复核通过：有效期延长，已到期的恢复为认定有效",
        ),
        Transition(
            "revoke", "撤销认定", (ClusterStatus.RECOGNIZED, ClusterStatus.EXPIRED), ClusterStatus.REVOKED,
            who=province_admin("撤销集群认定"), roles=(Role.PROVINCE_ADMIN,),
            inputs=(Input("reason", "撤销原因", required=True),),
            effects=(remember, note_reason), after=(history(EventKind.REVOKED),), audit="registry.revoked",
            api=False, style="danger", description="复核未通过或未申请复核、未报备的变更、负面清单事项",
        ),
    ),
)


def take(machine: Machine, *, actor, obj, action: str, inputs: dict | None = None, extra: dict | None = None,
         request=None, now=None):
    """One step on an object the caller has locked: the verdict first (``actor`` None is
    ``SYSTEM``), then the machine's ``move``."""
    require(machine.check(actor if actor is not None else SYSTEM, obj, action, now))
    return machine.move(actor=actor, obj=obj, action=action, inputs=inputs, extra=extra, request=request, now=now,
                        check=False)


# --- annual reports ------------------------------------------------------------------------------

def stamp_submission(step) -> None:
    """Who and when; after the due date the report is accepted and flagged late."""
    report = step.obj
    step.set("submitted_at", step.now)
    step.set("submitted_by", step.actor)
    step.set("late", is_late(report.due_on, step.now))
    step.extra.update({"cluster": report.cluster_id, "year": report.year, "late": report.late,
                       "due_on": report.due_on.isoformat()})


def _late_flag(report: AnnualReport) -> str:
    return f"（逾期提交，截止日为{report.due_on:%Y年%m月%d日}）" if report.late else ""


def report_history(step) -> None:
    report = step.obj
    _history(report.cluster, step.actor, EventKind.REPORT_SUBMITTED,
             after={"report": report.pk, "year": report.year, "late": report.late, "due_on": report.due_on.isoformat()},
             comment=f"提交{report.year}年度发展情况报告{_late_flag(report)}", at=step.now)


def notify_report(step, audiences: tuple) -> None:
    report = step.obj
    cluster = report.cluster
    users = []
    if "city" in audiences:
        users += list(_city_users(cluster))
    if "province" in audiences:
        users += list(_province_users(cluster))
    title = f"{cluster.name}：已提交{report.year}年度报告{'（逾期）' if report.late else ''}"
    _notify(users, "registry.report_submitted", title,
            f"{cluster.org.name}已提交{cluster.name}{report.year}年度发展情况报告{_late_flag(report)}。",
            _url("registry_report", report.pk))


REPORT = Machine(
    name="registry.report",
    label="年度报告",
    model=AnnualReport,
    states=ReportStatus,
    initial=ReportStatus.DRAFT,
    object_label="年度报告",
    audit_prefix="registry",
    groups={"editable": (ReportStatus.DRAFT,), "done": (ReportStatus.SUBMITTED,)},
    notifier=notify_report,
    transitions=(
        Transition(
            "submit", "提交年度报告", (ReportStatus.DRAFT,), ReportStatus.SUBMITTED,
            who=county_of_cluster("提交年度报告"), roles=(Role.COUNTY_APPLICANT,),
            effects=(stamp_submission,), after=(report_history,), notify=("city", "province"),
            audit="registry.report_submitted", style="primary",
            description="内容齐全后提交；截止日（北京时间当日 24 时）后仍接受，标记为逾期提交",
        ),
    ),
)


def can_start_report(actor, cluster: Cluster) -> Verdict:
    """The county may open a report while the entry is in force (``CLUSTER`` group "valid")."""
    return first_refusal(
        county_of_cluster("填报年度报告")(actor, cluster),
        ALLOW if CLUSTER.in_group("valid", cluster.status) else conflict(
            f"该集群当前状态为“{cluster.get_status_display()}”，不需要填报年度报告", field="cluster"),
    )


def can_edit_report(actor, report: AnnualReport, doing: str = "填报年度报告") -> Verdict:
    """The county may change a report while it is in the ``editable`` group (a draft)."""
    from django.utils import timezone

    return first_refusal(
        county_of_cluster(doing)(actor, report),
        ALLOW if REPORT.in_group("editable", report.status) else conflict(
            f"{report.year}年度报告已于{timezone.localtime(report.submitted_at):%Y-%m-%d %H:%M}提交，不能再修改",
            field="status"),
    )


# --- change filings ------------------------------------------------------------------------------

def record_decision(step) -> None:
    filing = step.obj
    step.set("decided_by", step.actor)
    step.set("decided_at", step.now)
    step.set("decision_note", step.values.get("decision_note", ""))
    step.extra.update({"cluster": filing.cluster_id, "kind": filing.kind, "change": dict(filing.after)})


def apply_change(step) -> None:
    """The approved change is applied to the entry; its history keeps both states."""
    filing = step.obj
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=filing.cluster_id)
    name = CHANGE_FIELDS[filing.kind]
    before = {name: getattr(cluster, name)}
    setattr(cluster, name, filing.after[name])
    cluster.save(update_fields=[name])
    note = filing.decision_note
    _history(cluster, step.actor, EventKind.CHANGE_APPROVED, before=before, after=dict(filing.after),
             comment=f"{ChangeKind(filing.kind).label}经省厅同意" + (f"：{note}" if note else ""), at=step.now)


def refusal_history(step) -> None:
    filing = step.obj
    _history(filing.cluster, step.actor, EventKind.CHANGE_REFUSED, before=dict(filing.before),
             after=dict(filing.after), comment=f"{ChangeKind(filing.kind).label}不予同意：{filing.decision_note}",
             at=step.now)


def notify_change(step, audiences: tuple) -> None:
    filing = step.obj
    cluster = filing.cluster
    label = ChangeKind(filing.kind).label
    outcome = "同意" if filing.status == ChangeStatus.APPROVED else "不予同意"
    if "county" in audiences:
        _notify(_county_users(cluster), "registry.change_decided", f"{cluster.name}：{label}{outcome}",
                filing.decision_note or f"省厅已{outcome}{cluster.name}的{label}。", _url("registry_change", filing.pk))


def entry_not_revoked(actor, filing, now) -> Verdict:
    if filing.cluster.status == ClusterStatus.REVOKED:
        return conflict("该集群的认定已撤销，变更不再适用；请选择“不予同意”并说明", field="decision")
    return ALLOW


CHANGE = Machine(
    name="registry.change",
    label="变更报备",
    model=ChangeFiling,
    states=ChangeStatus,
    initial=ChangeStatus.FILED,
    object_label="变更报备",
    audit_prefix="registry",
    groups={"pending": (ChangeStatus.FILED,), "decided": (ChangeStatus.APPROVED, ChangeStatus.REFUSED)},
    notifier=notify_change,
    transitions=(
        Transition(
            "approve", "同意变更", (ChangeStatus.FILED,), ChangeStatus.APPROVED,
            who=province_admin("审核集群变更"), roles=(Role.PROVINCE_ADMIN,),
            inputs=(Input("decision_note", "审核意见", max_length=2000),), guards=(entry_not_revoked,),
            effects=(record_decision,), after=(apply_change,), notify=("county",),
            audit="registry.change_decided", style="primary", description="名录按变更后内容更新，记录保留变更前后",
        ),
        Transition(
            "refuse", "不予同意变更", (ChangeStatus.FILED,), ChangeStatus.REFUSED,
            who=province_admin("审核集群变更"), roles=(Role.PROVINCE_ADMIN,),
            inputs=(Input("decision_note", "审核意见", required=True, max_length=2000),),
            effects=(record_decision,), after=(refusal_history,), notify=("county",),
            audit="registry.change_decided", style="danger", description="须填写审核意见；名录保持原登记内容",
        ),
    ),
)


def can_file_change(actor, cluster: Cluster) -> Verdict:
    """The county may file a change while the entry is in force (``CLUSTER`` group "valid")."""
    return first_refusal(
        county_of_cluster("报备集群变更")(actor, cluster),
        ALLOW if CLUSTER.in_group("valid", cluster.status) else conflict(
            f"该集群当前状态为“{cluster.get_status_display()}”，只有认定有效的集群需要报备变更", field="cluster"),
    )
