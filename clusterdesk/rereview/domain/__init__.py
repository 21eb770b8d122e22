"""Re-review (复核) of recognised clusters: open, fill 附件3, submit, forward, decide, revoke.

The path (domain.md section 7; the seed notice's row R):

1. ``open_rereview`` — the province opens the re-review of a round that has a
   ``rereview_submission`` stage: every recognised cluster of the province whose validity ends
   in the round's year gets one task (idempotent), and the county is told.
2. ``save_task`` / ``upload_evidence`` / ``submit_task`` — the county fills the 复核申报表
   (附件3) before the stage's deadline (``rounds.domain.check_open``; a per-unit extension
   counts). A late submission is refused ("逾期不予受理") **and** the task is marked
   ``missed``, which puts the cluster on the revocation list.
3. ``forward`` — the reviewer of the county's recommending unit forwards it with an opinion.
4. ``decide`` — the province checks every criterion of the set that applies (the engine's
   result for the new data beside its own finding) and passes or fails; failing needs a
   reason. Pass extends validity by three years (``registry.service.extend_validity``).
5. ``mark_missed`` — tasks not submitted by the deadline become ``missed``.
6. ``confirm_revocation`` — the province confirms a failed or missed task's revocation
   (``registry.service.revoke``).

Decisions recorded here:

* **Completion rate of a plan target.** Two figures, both computed, never typed:
  完成率 = 实际完成值 ÷ 目标值, and, when a base value is known, 增量完成率 =
  (实际完成值 − 基期值) ÷ (目标值 − 基期值) — the share of the planned change realised,
  which is what "completing a plan" means when the starting point is far from zero. A target
  is 已完成 when the achieved value reaches it (for a target below its base value, e.g. energy
  use, when the achieved value is at or below it).
* **Which criteria set.** The round's criteria sets (``round.criteria_sets``) at the level of
  the cluster: national clusters against the national set, provincial clusters against the
  provincial one; when the round names none of that level, the latest active set of that level.
* **Indicator window.** The round's window (``round.window_years``, e.g. 2022–2024 for 2025,
  base year 2021), validated by ``applications.validation`` like an application.
* **Recognised plan targets are fixed.** Targets recorded with the cluster are copied into the
  task; the county fills only the achieved values (and a note). Only a cluster with no
  recorded targets lets the county enter them.
* **Which clusters are due.** Status recognised — or already expired by ``expire_due`` because
  31 December has passed — with ``valid_until`` in the round's year. While a task is pending (up to
  the confirmed revocation) the cluster is held from expiry (``registry.service.EXPIRY_HOLDS``).
* **Late.** Every county action (save, upload, submit) after the stage's deadline for the unit is
  refused and marks a draft ``missed``; an extension granted later turns it back into a draft.
  The city's forwarding and the province's decision have no deadline of their own.
* **Checks.** A rule left out of ``checks`` takes the engine's result when that result is
  符合 (or a soft 提示); every other rule needs the province's finding. A 不符合 finding, or a
  符合 finding against the engine's 不符合/缺少数据, needs a note. An overall pass is refused
  while any finding is 不符合.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from clusterdesk.applications.validation import (
    INDICATOR_FIELDS,
    Context,
    FieldError,
    _Errors,
    _text,
    clean_enterprises,
    clean_indicators,
    parse_bool,
    parse_decimal,
    parse_int,
)
from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.orgs.models import Role
from clusterdesk.rounds.domain import check_open, closes_at, format_deadline
from clusterdesk.rounds.models import ChecklistItem, Round, StageCode

from ..models import (
    REVOCATION_STATUSES,
    CheckDecision,
    RereviewCheck,
    RereviewEvidence,
    RereviewStatus,
    RereviewTask,
)

STAGE = StageCode.REREVIEW_SUBMISSION
EXTENSION_YEARS = 3

DATA_FIELDS = {
    "plan_targets": "发展目标完成情况",
    "indicators": "近三年主要指标",
    "quality_enterprises": "优质企业名单",
    "area_km2": "集群面积",
    "changes": "认定以来的变化情况",
    "negative_list_clear": "负面清单声明",
    "self_assessment": "自评情况",
}
CHANGE_KINDS = {
    "leading_industry": "主导产业",
    "spatial_scope": "空间范围",
    "operating_body": "运营主体",
}
EDITABLE = (RereviewStatus.DRAFT, RereviewStatus.MISSED)
MAX_TARGETS = 50


# --- small helpers ---------------------------------------------------------------------------

def _is(actor, *roles) -> bool:
    return bool(actor and actor.is_authenticated and actor.is_active and actor.role in roles)


def _cluster_model():
    from clusterdesk.registry.service import Cluster

    return Cluster


# A cluster is due when its validity ends in the round's year and it is still recognised — or
# already marked expired by ``registry.service.expire_due`` because that date has passed (an
# expired entry is recognised again by ``extend_validity``).
DUE_STATUSES = ("recognized", "expired")
# Tasks that keep their cluster from expiring (``registry.service.EXPIRY_HOLDS``) until decided.
PENDING = (RereviewStatus.DRAFT, RereviewStatus.SUBMITTED, RereviewStatus.FORWARDED, RereviewStatus.FAILED,
           RereviewStatus.MISSED)


def _date_text(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def level_of(cluster) -> str:
    """"national" or "provincial" (the criteria level a cluster is re-reviewed against)."""
    return "national" if str(cluster.level) == "national" else "provincial"


def level_label(cluster) -> str:
    return {"national": "国家级", "provincial": "省级"}.get(str(cluster.level), "培育库")


def batch_label(cluster) -> str:
    """The recognition batch shown on 附件3: "2022年 国家级"."""
    return f"{cluster.batch_year}年 {level_label(cluster)}" if cluster.batch_year else level_label(cluster)


def location_label(org) -> str:
    """"延边朝鲜族自治州 敦化市": the recommending unit and the county-level unit."""
    recommender = getattr(org, "recommender", None)
    if recommender is not None and recommender.pk != org.pk:
        return f"{recommender.name} {org.name}"
    return org.name


def deadline_text(task: RereviewTask) -> str:
    moment = closes_at(task.round, STAGE, task.org)
    return format_deadline(moment) if moment else "未设置"


# --- permissions: (allowed, reason) -----------------------------------------------------------

def is_county_of(actor, task: RereviewTask) -> bool:
    return _is(actor, Role.COUNTY_APPLICANT) and RereviewTask.objects.visible_to(actor).filter(pk=task.pk).exists()


def is_city_of(actor, task: RereviewTask) -> bool:
    return _is(actor, Role.CITY_REVIEWER) and task.org.recommender_id == actor.org_id


def is_province_of(actor, round_: Round) -> bool:
    return _is(actor, Role.PROVINCE_ADMIN) and round_.province_id == actor.org_id


def can_open(actor, round_: Round) -> tuple[bool, str]:
    if not is_province_of(actor, round_):
        return False, "只有省厅管理员可以发起复核"
    return True, ""


def can_edit(actor, task: RereviewTask) -> tuple[bool, str]:
    if not is_county_of(actor, task):
        return False, "只有集群所在县级单位的申报账号可以填写复核申报表"
    if task.status not in EDITABLE:
        return False, f"复核申报当前状态为“{task.get_status_display()}”，不能修改"
    return True, ""


def can_forward(actor, task: RereviewTask) -> tuple[bool, str]:
    if not is_city_of(actor, task):
        return False, "只有该县所属市（州）的审核账号可以报送"
    if task.status != RereviewStatus.SUBMITTED:
        return False, f"复核申报当前状态为“{task.get_status_display()}”，不能报送省厅"
    return True, ""


def can_decide(actor, task: RereviewTask) -> tuple[bool, str]:
    if not is_province_of(actor, task.round):
        return False, "只有省厅管理员可以作出复核结论"
    if task.status != RereviewStatus.FORWARDED:
        return False, f"复核申报当前状态为“{task.get_status_display()}”，不能作出复核结论（须市州报送后）"
    return True, ""


def can_confirm_revocation(actor, task: RereviewTask) -> tuple[bool, str]:
    if not is_province_of(actor, task.round):
        return False, "只有省厅管理员可以确认撤销认定"
    if task.status not in REVOCATION_STATUSES:
        return False, f"复核申报当前状态为“{task.get_status_display()}”，不在撤销名单中"
    return True, ""


def _require(verdict: tuple[bool, str], error=NotAllowed) -> None:
    allowed, reason = verdict
    if not allowed:
        raise error(reason)


def _require_role_then_state(verdict: tuple[bool, str], role_ok: bool) -> None:
    """403 when the actor may never do it; 409 when the task is in the wrong state."""
    allowed, reason = verdict
    if not allowed:
        raise (Conflict if role_ok else NotAllowed)(reason)


# --- opening ---------------------------------------------------------------------------------

def due_clusters(round_: Round):
    """Recognised clusters of the round's province whose validity ends in the round's year."""
    Cluster = _cluster_model()
    return (
        Cluster.objects.filter(status__in=DUE_STATUSES, valid_until__year=round_.year,
                               org__path__startswith=round_.province.path)
        .select_related("org", "org__recommender")
        .order_by("org__path", "pk")
    )


def _recognized_targets(cluster) -> list[dict]:
    """The plan targets recorded with the cluster, as rows of name/unit/baseline/target/year."""
    value = cluster.plan_targets
    if isinstance(value, dict):
        value = value.get("targets") or value.get("plan_targets") or []
    rows = []
    for raw in value if isinstance(value, list) else []:
        if not isinstance(raw, dict):
            continue
        rows.append({
            "name": str(raw.get("name") or "").strip(),
            "unit": str(raw.get("unit") or "").strip(),
            "baseline": None if raw.get("baseline") in (None, "") else str(raw.get("baseline")),
            "target": None if raw.get("target") in (None, "") else str(raw.get("target")),
            "year": raw.get("year"),
            "achieved": None,
            "note": "",
        })
    return rows


def _initial_data(cluster) -> dict:
    """What a new task starts with: the recorded targets and, from the recognised application's
    last submitted version when there is one, the quality enterprises and the area."""
    data = {
        "plan_targets": _recognized_targets(cluster),
        "indicators": [],
        "quality_enterprises": [],
        "area_km2": None,
        "changes": {key: {"changed": None, "description": ""} for key in CHANGE_KINDS},
        "negative_list_clear": None,
        "self_assessment": "",
    }
    application = getattr(cluster, "application", None)
    if application is not None:
        version = application.versions.filter(withdrawn_at__isnull=True).order_by("-number").first()
        if version is not None:
            data["quality_enterprises"] = version.data.get("quality_enterprises") or []
            data["area_km2"] = version.data.get("area_km2")
    return data


def not_due_reason(cluster, round_: Round) -> str | None:
    if str(cluster.status) not in DUE_STATUSES:
        return f"“{cluster.name}”当前状态为“{cluster.get_status_display()}”，只有已认定的集群需要复核"
    if cluster.valid_until is None or cluster.valid_until.year != round_.year:
        return f"该集群认定有效期至{_date_text(cluster.valid_until)}，本年度无需复核"
    if not cluster.org.path.startswith(round_.province.path):
        return f"“{cluster.name}”不属于本省"
    return None


def open_rereview(*, actor, round_: Round, cluster=None, request=None) -> list[RereviewTask]:
    """Create the re-review tasks of ``round_`` (all due clusters, or just ``cluster``).

    Idempotent: a cluster that already has a task in the round keeps it. Refused when the round
    has no ``rereview_submission`` stage, when that stage has already closed, or — for a named
    ``cluster`` — when it is not due ("该集群认定有效期至…，本年度无需复核").
    Returns the tasks created now. Side effects: ``rereview.opened`` audit event per task; the
    county's applicant accounts are notified.
    """
    from clusterdesk.notifications.domain import county_accounts, notify_users, safe_reverse

    with transaction.atomic():
        round_ = Round.objects.select_for_update().select_related("province").get(pk=round_.pk)
        _require(can_open(actor, round_))
        stage = round_.stages.filter(code=STAGE).first()
        if stage is None:
            raise DomainError(f"本批次没有“{StageCode(STAGE).label}”阶段，请先在批次设置中填写复核申报截止日期",
                              field="stages.rereview_submission")
        if timezone.now() > stage.closes_at:
            raise Conflict(f"本批次复核申报已于{format_deadline(stage.closes_at)}截止，请先修改截止日期再发起复核",
                           field="stages.rereview_submission")
        if cluster is not None:
            reason = not_due_reason(cluster, round_)
            if reason:
                raise DomainError(reason, field="cluster")
            clusters = [cluster]
        else:
            clusters = list(due_clusters(round_))
        existing = set(RereviewTask.objects.filter(round=round_).values_list("cluster_id", flat=True))
        created = []
        for c in clusters:
            if c.pk in existing:
                continue
            task = RereviewTask.objects.create(round=round_, cluster=c, org=c.org, data=_initial_data(c))
            record(action="rereview.opened", actor=actor, obj=task, request=request,
                   after={"round": round_.pk, "cluster": c.pk, "name": c.name, "org": c.org.code,
                          "valid_until": str(c.valid_until)})
            notify_users(
                users=county_accounts(c.org), kind="rereview.opened", title=f"请填报“{c.name}”复核申报表",
                body=(f"“{c.name}”认定有效期至{_date_text(c.valid_until)}，需进行复核。请于"
                      f"{format_deadline(stage.closes_at)}前填写复核申报表（附件3）、上传佐证材料并提交市（州），"
                      "逾期不予受理，未按时提交的将撤销认定。"),
                url=safe_reverse("rereview_task", args=[task.pk]),
            )
            created.append(task)
        return created


# --- the 附件3 data ---------------------------------------------------------------------------

def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class TargetRow:
    index: int
    name: str
    unit: str
    baseline: str | None
    target: str | None
    year: int | None
    achieved: str | None
    note: str
    rate: Decimal | None  # achieved / target
    progress: Decimal | None  # (achieved - baseline) / (target - baseline)
    met: bool | None

    @property
    def rate_text(self) -> str:
        return _pct(self.rate)

    @property
    def progress_text(self) -> str:
        return _pct(self.progress)

    @property
    def met_text(self) -> str:
        return "—" if self.met is None else ("已完成" if self.met else "未完成")

    def as_dict(self) -> dict:
        return {
            "name": self.name, "unit": self.unit, "baseline": self.baseline, "target": self.target,
            "year": self.year, "achieved": self.achieved, "note": self.note,
            "completion_rate": None if self.rate is None else format(self.rate.quantize(Decimal("0.0001")), "f"),
            "progress_rate": None if self.progress is None else format(self.progress.quantize(Decimal("0.0001")), "f"),
            "met": self.met,
        }


COMPLETION_FORMULA = "完成率 = 实际完成值 ÷ 目标值；增量完成率 = (实际完成值 − 基期值) ÷ (目标值 − 基期值)"


def target_rows(data: dict) -> list[TargetRow]:
    """Each plan target with its computed completion (never typed)."""
    rows = []
    for i, t in enumerate(data.get("plan_targets") or []):
        baseline, target, achieved = _dec(t.get("baseline")), _dec(t.get("target")), _dec(t.get("achieved"))
        rate = progress = met = None
        if achieved is not None and target is not None:
            if target != 0:
                rate = achieved / target
            if baseline is not None and target != baseline:
                progress = (achieved - baseline) / (target - baseline)
            met = achieved <= target if baseline is not None and target < baseline else achieved >= target
        rows.append(TargetRow(i, t.get("name") or "", t.get("unit") or "", t.get("baseline"), t.get("target"),
                              t.get("year"), t.get("achieved"), t.get("note") or "", rate, progress, met))
    return rows


def _clean_targets(value, task: RereviewTask, errors: _Errors) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add("plan_targets", "发展目标完成情况应为列表")
        return []
    if len(value) > MAX_TARGETS:
        errors.add("plan_targets", f"发展目标最多 {MAX_TARGETS} 项")
        return []
    fixed = _recognized_targets(task.cluster)
    if fixed and len(value) != len(fixed):
        errors.add("plan_targets", f"发展目标应与认定时登记的 {len(fixed)} 项一致（目标本身不能修改），只需填写实际完成值")
        return []
    out = []
    for i, raw in enumerate(value):
        where, label = f"plan_targets.{i}", f"第{i + 1}项目标的"
        if not isinstance(raw, dict):
            errors.add(where, f"第{i + 1}项目标格式不对")
            continue
        achieved = parse_decimal(raw.get("achieved"), f"{where}.achieved", label + "实际完成值", errors,
                                 minimum=None, maximum=None, unit="所填单位")
        note = _text(raw.get("note"), f"{where}.note", label + "说明", errors, 500)
        if fixed:
            out.append({**fixed[i], "achieved": achieved, "note": note})
            continue
        row = {
            "name": _text(raw.get("name"), f"{where}.name", label + "名称", errors, 100),
            "unit": _text(raw.get("unit"), f"{where}.unit", label + "单位", errors, 20),
            "baseline": parse_decimal(raw.get("baseline"), f"{where}.baseline", label + "基期值", errors,
                                      minimum=None, maximum=None, unit="所填单位"),
            "target": parse_decimal(raw.get("target"), f"{where}.target", label + "目标值", errors,
                                    minimum=None, maximum=None, unit="所填单位"),
            "year": parse_int(raw.get("year"), f"{where}.year", label + "目标年份", errors,
                              minimum=task.round.year - 5, maximum=task.round.year),
            "achieved": achieved,
            "note": note,
        }
        if not any(row[k] not in (None, "") for k in ("name", "unit", "baseline", "target", "year", "achieved")):
            continue
        for key, name in (("name", "名称"), ("unit", "单位"), ("target", "目标值")):
            if row[key] in (None, "") and not any(e.field == f"{where}.{key}" for e in errors):
                errors.add(f"{where}.{key}", f"{label}{name}不能为空")
        out.append(row)
    return out


def _clean_changes(value, errors: _Errors) -> dict:
    if value is None:
        return {key: {"changed": None, "description": ""} for key in CHANGE_KINDS}
    if not isinstance(value, dict):
        errors.add("changes", "认定以来的变化情况应按主导产业、空间范围、运营主体分别填写")
        return {}
    unknown = [k for k in value if k not in CHANGE_KINDS]
    for key in unknown:
        errors.add(f"changes.{key}", f"变化情况没有“{key}”一项（可填：{'、'.join(CHANGE_KINDS.values())}）")
    out = {}
    for key, label in CHANGE_KINDS.items():
        raw = value.get(key) or {}
        if isinstance(raw, str):  # a description alone means "changed"
            raw = {"changed": bool(raw.strip()), "description": raw}
        if not isinstance(raw, dict):
            errors.add(f"changes.{key}", f"{label}变化情况格式不对")
            continue
        changed = parse_bool(raw.get("changed"), f"changes.{key}.changed", f"{label}是否变化", errors)
        description = _text(raw.get("description"), f"changes.{key}.description", f"{label}变化说明", errors, 2000)
        out[key] = {"changed": changed, "description": description if changed else ""}
    return out


def clean_data(data: dict, task: RereviewTask) -> tuple[dict, list[FieldError]]:
    """Clean the 附件3 fields present in ``data`` (the application's validators for indicators,
    enterprises and the negative list). Unknown fields are errors."""
    errors = _Errors()
    ctx = Context(round=task.round, org=task.org)
    out = {}
    for key, value in data.items():
        if key == "plan_targets":
            out[key] = _clean_targets(value, task, errors)
        elif key == "indicators":
            out[key] = clean_indicators(value, ctx, errors)
        elif key == "quality_enterprises":
            out[key] = clean_enterprises(value, ctx, errors)
        elif key == "area_km2":
            out[key] = parse_decimal(value, "area_km2", "集群面积", errors, unit="平方公里")
        elif key == "changes":
            out[key] = _clean_changes(value, errors)
        elif key == "negative_list_clear":
            out[key] = parse_bool(value, key, "负面清单声明", errors)
        elif key == "self_assessment":
            out[key] = _text(value, key, "自评情况", errors, 10000)
        else:
            errors.add(key, f"未知字段 {key}（可填：{'、'.join(DATA_FIELDS)}）")
    return out, list(errors)


def missing_for_submission(task: RereviewTask, data: dict | None = None) -> list[FieldError]:
    """What must still be filled in (evidence is checked separately)."""
    data = task.data if data is None else data
    missing = _Errors()
    rows = target_rows(data)
    if not rows:
        missing.add("plan_targets", "发展目标完成情况：请至少填写一项三年发展规划中的目标及其完成值")
    for row in rows:
        if row.achieved in (None, ""):
            missing.add(f"plan_targets.{row.index}.achieved", f"发展目标完成情况：请填写“{row.name}”的实际完成值")
    by_year = {r["year"]: r for r in data.get("indicators") or []}
    for year in task.round.window_years:
        row = by_year.get(year)
        if row is None:
            missing.add(f"indicators.{year}", f"近三年主要指标：请填写{year}年的指标")
            continue
        for key, label in INDICATOR_FIELDS.items():
            if row.get(key) is None:
                missing.add(f"indicators.{year}.{key}", f"近三年主要指标：请填写{year}年{label}")
    changes = data.get("changes") or {}
    for key, label in CHANGE_KINDS.items():
        entry = changes.get(key) or {}
        if entry.get("changed") is None:
            missing.add(f"changes.{key}.changed", f"变化情况：请说明{label}是否发生变化")
        elif entry.get("changed") and not (entry.get("description") or "").strip():
            missing.add(f"changes.{key}.description", f"变化情况：{label}发生了变化，请说明变化内容及备案情况")
    if data.get("negative_list_clear") is None:
        missing.add("negative_list_clear", "负面清单声明：请作出声明")
    if not (data.get("self_assessment") or "").strip():
        missing.add("self_assessment", "自评情况：请填写复核自评")
    return list(missing)


def checklist(task: RereviewTask) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(round_id=task.round_id).order_by("order", "id"))


def live_evidence(task: RereviewTask):
    return RereviewEvidence.objects.filter(task=task, removed_at__isnull=True).order_by("uploaded_at", "id")


def evidence_missing(task: RereviewTask) -> list[ChecklistItem]:
    present = set(live_evidence(task).values_list("item_code", flat=True))
    return [i for i in checklist(task) if i.required and i.code not in present]


def readiness_messages(task: RereviewTask) -> list[dict]:
    return [m.as_dict() for m in missing_for_submission(task)] + [
        {"field": f"evidence.{i.code}", "message": f"佐证材料：请上传“{i.title}”"} for i in evidence_missing(task)
    ]


# --- deadlines -------------------------------------------------------------------------------

def _lateness(task: RereviewTask, now: datetime | None = None) -> Conflict | None:
    try:
        check_open(task.round, STAGE, task.org, now)
    except Conflict as exc:
        return exc
    return None


def _mark_one_missed(task: RereviewTask, now: datetime, actor=None, request=None) -> bool:
    """Mark a draft missed (its own transaction, so that it stays when the caller refuses)."""
    with transaction.atomic():
        updated = RereviewTask.objects.filter(pk=task.pk, status=RereviewStatus.DRAFT).update(
            status=RereviewStatus.MISSED, missed_at=now)
        if updated:
            record(action="rereview.missed", actor=actor, obj=task, request=request,
                   after={"cluster": task.cluster_id, "deadline": deadline_text(task)},
                   comment="逾期未提交复核申报，列入撤销名单")
    task.status, task.missed_at = (RereviewStatus.MISSED, now) if updated else (task.status, task.missed_at)
    return bool(updated)


def mark_missed(*, round_: Round, now: datetime | None = None) -> list[RereviewTask]:
    """Every draft of ``round_`` whose deadline (its unit's extension counts) has passed becomes
    ``missed`` (on the revocation list). Called when the province opens the task list.

    Side effects: ``rereview.missed`` audit event per task (no actor: the deadline did it).
    """
    now = now or timezone.now()
    marked = []
    for task in RereviewTask.objects.filter(round=round_, status=RereviewStatus.DRAFT).select_related("round", "org", "cluster"):
        if _lateness(task, now) is not None and _mark_one_missed(task, now):
            marked.append(task)
    return marked


def _lock(task: RereviewTask) -> RereviewTask:
    return (RereviewTask.objects.select_for_update(of=("self",))  # the recommender join is nullable
            .select_related("round", "round__province", "org", "org__recommender", "cluster").get(pk=task.pk))


def _open_for_editing(actor, task: RereviewTask, request=None) -> None:
    """Inside a transaction on a locked task: permission, then a missed task whose unit was
    given more time goes back to draft."""
    role_ok = is_county_of(actor, task)
    _require_role_then_state(can_edit(actor, task), role_ok)
    if task.status == RereviewStatus.MISSED and _lateness(task) is None:
        task.status, task.missed_at = RereviewStatus.DRAFT, None
        task.save(update_fields=["status", "missed_at"])


def _late_guard(actor, task: RereviewTask, request=None):
    """Refuse a late action and put the task on the revocation list (kept after the refusal)."""
    late = _lateness(task)
    if late is not None:
        if task.status == RereviewStatus.DRAFT:
            _mark_one_missed(task, timezone.now(), actor, request)
        raise late


# --- county ----------------------------------------------------------------------------------

def save_task(*, actor, task: RereviewTask, data: dict, expected_version: int | None = None,
              request=None) -> RereviewTask:
    """Save fields of the 复核申报表 (partial: only the fields present are replaced).

    Refused with every error listed when anything is invalid; 409 when the page's
    ``expected_version`` is not the stored one (another tab saved since); refused after the
    deadline (the task is marked missed). Side effects: ``rereview.saved`` audit event.
    """
    task = RereviewTask.objects.select_related("round", "org", "cluster").get(pk=task.pk)
    _require_role_then_state(can_edit(actor, task), is_county_of(actor, task))
    _late_guard(actor, task, request)
    cleaned, errors = clean_data(data, task)
    if errors:
        from clusterdesk.applications.domain import ValidationFailed

        raise ValidationFailed(errors)
    with transaction.atomic():
        task = _lock(task)
        _open_for_editing(actor, task)
        if expected_version is not None and int(expected_version) != task.version:
            who = (task.updated_by.display_name or task.updated_by.username) if task.updated_by_id else "他人"
            when = timezone.localtime(task.updated_at).strftime("%H:%M:%S") if task.updated_at else ""
            raise Conflict(f"复核申报表已于 {when} 由 {who} 在其他窗口保存，您这次的修改没有保存，以免覆盖对方的内容。"
                           "请刷新页面后再填写。", field="version")
        changed = {k: v for k, v in cleaned.items() if task.data.get(k) != v}
        if not changed:
            return task
        before = {k: task.data.get(k) for k in changed}
        task.data = {**task.data, **cleaned}
        task.version += 1
        task.updated_at, task.updated_by = timezone.now(), actor
        task.save(update_fields=["data", "version", "updated_at", "updated_by"])
        record(action="rereview.saved", actor=actor, obj=task, before=before, after=changed, request=request)
        return task


def _evidence_item(task: RereviewTask, item_code: str) -> ChecklistItem:
    item_code = (item_code or "").strip()
    if not item_code:
        raise DomainError("请指定文件属于哪一个清单项（清单项编号，如 E01）", field="item")
    item = ChecklistItem.objects.filter(round_id=task.round_id, code=item_code).first()
    if item is None:
        raise DomainError(f"佐证材料清单中没有编号为“{item_code}”的项，请从页面上的清单项上传", field="item")
    return item


def upload_evidence(*, actor, task: RereviewTask, item_code: str, upload, request=None) -> RereviewEvidence:
    """Add one evidence file (judged by its content, stored privately under a random name).

    The same checks as an application's evidence (``applications.evidence``): size, real
    content among the item's allowed kinds, extension agreeing with the content.
    Side effects: the file under ``PRIVATE_MEDIA_ROOT/rereview/<task>/``; ``rereview.evidence_uploaded``.
    """
    from clusterdesk.applications.evidence import _check_content  # the one content check for evidence
    from clusterdesk.core.files import private_path, store_upload

    task = RereviewTask.objects.select_related("round", "org", "cluster").get(pk=task.pk)
    _require_role_then_state(can_edit(actor, task), is_county_of(actor, task))
    _late_guard(actor, task, request)
    item = _evidence_item(task, item_code)
    kind, name = _check_content(item, upload, getattr(upload, "name", "") or "")
    stored_name, size, sha256, _ = store_upload(upload, f"rereview/{task.pk}", kind, name)
    try:
        with transaction.atomic():
            task = _lock(task)
            _open_for_editing(actor, task)
            late = _lateness(task)  # the deadline may have passed while the bytes were copied
            if late is not None:
                raise late
            evidence = RereviewEvidence.objects.create(
                task=task, item_code=item.code, original_name=name, stored_name=stored_name, kind=kind, size=size,
                sha256=sha256, uploaded_by=actor)
            RereviewTask.objects.filter(pk=task.pk).update(updated_at=timezone.now())
            record(action="rereview.evidence_uploaded", actor=actor, obj=task, request=request,
                   after={"id": evidence.pk, "item": item.code, "name": name, "kind": kind, "size": size, "sha256": sha256})
    except BaseException:
        private_path(stored_name).unlink(missing_ok=True)
        raise
    return evidence


def remove_evidence(*, actor, task: RereviewTask, evidence: RereviewEvidence, request=None) -> RereviewEvidence:
    """Take a file off a draft task (the bytes stay). Side effects: ``rereview.evidence_removed``."""
    task = RereviewTask.objects.select_related("round", "org", "cluster").get(pk=task.pk)
    _require_role_then_state(can_edit(actor, task), is_county_of(actor, task))
    _late_guard(actor, task, request)
    with transaction.atomic():
        task = _lock(task)
        _open_for_editing(actor, task)
        evidence = RereviewEvidence.objects.select_for_update().filter(pk=evidence.pk, task=task).first()
        if evidence is None:
            raise DomainError("佐证材料不存在", status=404)
        if evidence.removed_at is None:
            evidence.removed_at = timezone.now()
            evidence.save(update_fields=["removed_at"])
            record(action="rereview.evidence_removed", actor=actor, obj=task, request=request,
                   before={"id": evidence.pk, "item": evidence.item_code, "name": evidence.original_name,
                           "sha256": evidence.sha256})
        return evidence


def submit_task(*, actor, task: RereviewTask, request=None) -> RereviewTask:
    """Submit the 复核申报表 to the city.

    Refused with the list of what is missing. After the deadline: refused with
    "已超过截止时间（…），逾期不予受理", and the task is marked ``missed`` (the cluster goes on
    the revocation list) — that mark stays although the submission is refused.
    A second submit of a submitted task is harmless. Side effects: ``rereview.submitted``; the
    city's reviewers are notified.
    """
    from clusterdesk.notifications.domain import city_accounts, notify_users, safe_reverse

    task = RereviewTask.objects.select_related("round", "org", "cluster").get(pk=task.pk)
    if task.status == RereviewStatus.SUBMITTED and is_county_of(actor, task):
        return task  # a double click
    _require_role_then_state(can_edit(actor, task), is_county_of(actor, task))
    _late_guard(actor, task, request)
    late = None
    with transaction.atomic():
        task = _lock(task)
        _open_for_editing(actor, task)
        late = _lateness(task)  # the deadline may have passed while we waited for the lock
        if late is None:
            missing = readiness_messages(task)
            if missing:
                raise DomainError(
                    f"还不能提交，缺少 {len(missing)} 项内容：" + "；".join(m["message"] for m in missing[:5])
                    + ("……" if len(missing) > 5 else ""), errors=missing, field=missing[0]["field"])
            now = timezone.now()
            task.status, task.submitted_at, task.submitted_by = RereviewStatus.SUBMITTED, now, actor
            task.save(update_fields=["status", "submitted_at", "submitted_by"])
            manifest = [{"id": f.pk, "item": f.item_code, "name": f.original_name, "sha256": f.sha256}
                        for f in live_evidence(task)]
            record(action="rereview.submitted", actor=actor, obj=task, request=request,
                   after={"version": task.version, "evidence": manifest})
            if task.org.recommender_id:
                notify_users(users=city_accounts(task.org.recommender_id), kind="rereview.submitted",
                             title=f"{task.org.name}提交了“{task.cluster.name}”复核申报",
                             body=f"{task.org.name}已提交“{task.cluster.name}”的复核申报表，请审核后报送省厅。",
                             url=safe_reverse("rereview_task", args=[task.pk]))
            return task
    _mark_one_missed(task, timezone.now(), actor, request)
    raise late


# --- city ------------------------------------------------------------------------------------

@transaction.atomic
def forward(*, actor, task: RereviewTask, comment: str, request=None) -> RereviewTask:
    """The recommending unit's reviewer forwards a submitted task to the province with its
    opinion (required). Side effects: ``rereview.forwarded``; the province is notified."""
    from clusterdesk.notifications.domain import notify_users, province_accounts, safe_reverse

    task = _lock(task)
    _require_role_then_state(can_forward(actor, task), is_city_of(actor, task))
    comment = (comment or "").strip()
    if not comment:
        raise DomainError("请填写市州审核意见", field="comment")
    if len(comment) > 2000:
        raise DomainError("市州审核意见不能超过 2000 个字", field="comment")
    task.status, task.forwarded_by, task.forwarded_at, task.city_comment = (
        RereviewStatus.FORWARDED, actor, timezone.now(), comment)
    task.save(update_fields=["status", "forwarded_by", "forwarded_at", "city_comment"])
    record(action="rereview.forwarded", actor=actor, obj=task, after={"comment": comment}, request=request)
    notify_users(users=province_accounts(task.round.province_id), kind="rereview.forwarded",
                 title=f"{actor.org.name}报送了“{task.cluster.name}”复核申报",
                 body=f"{actor.org.name}已审核并报送“{task.cluster.name}”的复核申报，请逐条核查并作出复核结论。",
                 url=safe_reverse("rereview_decide", args=[task.pk]))
    return task


# --- province: criteria and decision ----------------------------------------------------------

def criteria_set_for(task: RereviewTask):
    """The criteria set version the task is checked against (see the module docstring)."""
    from clusterdesk.criteria.domain import get_set, round_sets
    from clusterdesk.criteria.models import CriteriaSet, SetStatus

    level = level_of(task.cluster)
    for code, version in round_sets(task.round):
        try:
            cset = get_set(code, version)
        except DomainError:
            continue
        if cset.level == level:
            return cset
    cset = CriteriaSet.objects.filter(level=level, status=SetStatus.ACTIVE).order_by("code", "-version").first()
    if cset is None:
        label = "国家级" if level == "national" else "省级"
        raise DomainError(f"没有可用的{label}认定标准：请在批次设置中指定适用的{label}认定标准", field="criteria")
    return cset


def engine_data(data: dict) -> dict:
    """The fields of 附件3 the criteria engine reads."""
    return {
        "indicators": data.get("indicators") or [],
        "quality_enterprises": data.get("quality_enterprises") or [],
        "area_km2": data.get("area_km2"),
        "negative_list_clear": data.get("negative_list_clear"),
    }


def evaluate_task(task: RereviewTask, judgements: dict | None = None, cset=None):
    """The engine's report of the task's data against its criteria set (the round's window)."""
    from clusterdesk.criteria.domain import evaluator_for

    cset = cset or criteria_set_for(task)
    return evaluator_for(cset).evaluate(engine_data(task.data), task.round.window_years, task.round.base_year,
                                        judgements or {})


def _normalise_checks(checks) -> dict[str, tuple[str, str]]:
    out = {}
    for code, value in (checks or {}).items():
        if isinstance(value, dict):
            decision, note = value.get("decision"), value.get("note", "")
        elif isinstance(value, (list, tuple)) and value:
            decision, note = value[0], value[1] if len(value) > 1 else ""
        else:
            decision, note = value, ""
        out[str(code)] = (str(decision or "").strip(), str(note or "").strip())
    return out


def resolve_checks(report, checks) -> tuple[dict[str, tuple[str, str]], list[dict]]:
    """The province's finding for every rule of ``report`` and the errors, per the rules in the
    module docstring."""
    from clusterdesk.criteria.engine import FAIL, MISSING, PASS, STATUS_LABELS, WARN

    given = _normalise_checks(checks)
    codes = {r.code for r in report.results}
    errors = [{"field": f"checks.{c}", "message": f"规则“{c}”不在所用认定标准中"} for c in given if c not in codes]
    resolved = {}
    for r in report.results:
        label = f"第{r.aspect}方面“{r.wording}”"
        decision, note = given.get(r.code, ("", ""))
        if not decision:
            if r.status in (PASS, WARN):
                resolved[r.code] = (CheckDecision.PASS, "")
                continue
            errors.append({"field": f"checks.{r.code}",
                           "message": f"{label}：系统核验结果为“{STATUS_LABELS[r.status]}”，请作出核查结论"})
            continue
        if decision not in CheckDecision.values:
            errors.append({"field": f"checks.{r.code}", "message": f"{label}：核查结论只能是符合（pass）或不符合（fail）"})
            continue
        if len(note) > 1000:
            errors.append({"field": f"checks.{r.code}.note", "message": f"{label}：说明不能超过 1000 个字"})
        if decision == CheckDecision.FAIL and not note:
            errors.append({"field": f"checks.{r.code}.note", "message": f"{label}：判定不符合须说明理由"})
        elif decision == CheckDecision.PASS and r.status in (FAIL, MISSING) and not note:
            errors.append({"field": f"checks.{r.code}.note",
                           "message": f"{label}：系统核验结果为“{STATUS_LABELS[r.status]}”，判定符合须在说明中写明依据"})
        resolved[r.code] = (decision, note)
    return resolved, errors


def decide(*, actor, task: RereviewTask, checks: dict, passed: bool, reason: str = "", spot_check_note: str = "",
           request=None) -> RereviewTask:
    """The province's re-review decision after checking each criterion.

    ``checks``: ``{rule_code: (decision, note)}`` (or ``{"decision", "note"}``). The engine is
    run on the task's new data against its criteria set; the findings on judgement rules are
    fed to it as judgements, and the report (with every finding) is stored with the task.
    Failing needs a reason ("复核不通过必须说明原因"). Pass → validity + 3 years
    (``registry.service.extend_validity``); fail → the revocation list.
    Side effects: ``rereview.passed`` / ``rereview.failed``; the county and city are notified.
    """
    from clusterdesk.notifications.domain import city_accounts, county_accounts, notify_users, safe_reverse

    from clusterdesk.registry import service as registry

    with transaction.atomic():
        task = _lock(task)
        _require_role_then_state(can_decide(actor, task), is_province_of(actor, task.round))
        if not isinstance(passed, bool):
            raise DomainError("请选择复核结论：通过或不通过", field="passed")
        reason = (reason or "").strip()
        spot_check_note = (spot_check_note or "").strip()
        if not passed and not reason:
            raise DomainError("复核不通过必须说明原因", field="reason")
        if len(reason) > 2000:
            raise DomainError("复核意见不能超过 2000 个字", field="reason")
        if len(spot_check_note) > 2000:
            raise DomainError("实地抽查情况不能超过 2000 个字", field="spot_check_note")
        cset = criteria_set_for(task)
        engine = evaluate_task(task, cset=cset)
        resolved, errors = resolve_checks(engine, checks)
        if errors:
            raise DomainError(f"逐条核查有 {len(errors)} 处需要补充：" + "；".join(e["message"] for e in errors[:3])
                              + ("……" if len(errors) > 3 else ""), field=errors[0]["field"], errors=errors)
        failing = [r for r in engine.results if resolved[r.code][0] == CheckDecision.FAIL]
        if passed and failing:
            names = "、".join(f"“{r.wording}”" for r in failing[:3])
            raise DomainError(f"逐条核查中{names}判定为不符合，复核结论不能为通过", field="passed")
        who = actor.display_name or actor.username
        judgements = {
            r.code: {"decision": resolved[r.code][0], "reason": resolved[r.code][1], "by": who,
                     "at": timezone.now().isoformat()}
            for r in engine.results if r.kind == "judgement"
        }
        report = evaluate_task(task, judgements=judgements, cset=cset).as_dict()
        engine_status = {r.code: r.status for r in engine.results}
        for row in report["results"]:
            decision, note = resolved[row["code"]]
            row["engine_status"] = engine_status[row["code"]]
            row["check"] = {"decision": decision, "note": note}
        # The engine's verdict covers its own rules (with the province's judgements); the province's
        # findings may also fail a rule the engine passed: that is the checked verdict.
        checked_fail = any(resolved[c][0] == CheckDecision.FAIL for c in resolved)
        report["checked_verdict"] = "fail" if checked_fail else "pass"
        report["checked_verdict_label"] = "逐条核查有不符合项" if checked_fail else "逐条核查均符合"
        report["passed"] = passed
        report["targets"] = [t.as_dict() for t in target_rows(task.data)]
        report["window_years"] = task.round.window_years
        for code, (decision, note) in resolved.items():
            RereviewCheck.objects.update_or_create(
                task=task, rule_code=code,
                defaults={"set_code": cset.code, "decision": decision, "note": note,
                          "engine_status": engine_status[code], "decided_by": actor})
        RereviewCheck.objects.filter(task=task).exclude(rule_code__in=list(resolved)).delete()
        before_until = task.cluster.valid_until
        now = timezone.now()
        task.decided_by, task.decided_at, task.decision_reason = actor, now, reason
        task.spot_check_note, task.criteria_report = spot_check_note, report
        if passed:
            registry.extend_validity(cluster=task.cluster, years=EXTENSION_YEARS, actor=actor)
            task.cluster.refresh_from_db()
            task.status, task.extended_to = RereviewStatus.PASSED, task.cluster.valid_until
        else:
            task.status = RereviewStatus.FAILED
        task.save()
        record(action="rereview.passed" if passed else "rereview.failed", actor=actor, obj=task, request=request,
               after={"set": f"{cset.code}@{cset.version}", "verdict": report["verdict"], "reason": reason,
                      "checks": {c: d for c, (d, _) in resolved.items()},
                      "valid_until": [str(before_until), str(task.extended_to)] if passed else None})
        if passed:
            title = f"“{task.cluster.name}”复核通过"
            body = f"“{task.cluster.name}”复核通过，认定有效期延至{_date_text(task.extended_to)}。"
        else:
            title = f"“{task.cluster.name}”复核不通过"
            body = f"“{task.cluster.name}”复核不通过，原因：{reason}。省厅确认后将撤销认定。"
        users = list(county_accounts(task.org))
        if task.org.recommender_id:
            users += list(city_accounts(task.org.recommender_id))
        notify_users(users=users, kind="rereview.decided", title=title, body=body,
                     url=safe_reverse("rereview_task", args=[task.pk]))
        return task


def revocation_reason(task: RereviewTask) -> str:
    if task.status == RereviewStatus.MISSED or (task.status == RereviewStatus.REVOKED and task.missed_at):
        return f"{task.round.year}年复核逾期未提交复核申报材料"
    return f"{task.round.year}年复核不通过：{task.decision_reason}"


def confirm_revocation(*, actor, task: RereviewTask, note: str = "", request=None) -> RereviewTask:
    """The province confirms the revocation of a failed or missed task's cluster
    (``registry.service.revoke``). A draft whose deadline has passed is marked missed first.
    Side effects: ``rereview.revocation_confirmed``; the county and city are notified."""
    from clusterdesk.notifications.domain import city_accounts, county_accounts, notify_users, safe_reverse

    from clusterdesk.registry import service as registry

    task = RereviewTask.objects.select_related("round", "org", "cluster").get(pk=task.pk)
    if task.status == RereviewStatus.DRAFT and _lateness(task) is not None:
        _mark_one_missed(task, timezone.now())
    with transaction.atomic():
        task = _lock(task)
        _require_role_then_state(can_confirm_revocation(actor, task), is_province_of(actor, task.round))
        note = (note or "").strip()
        if len(note) > 2000:
            raise DomainError("撤销说明不能超过 2000 个字", field="note")
        reason = revocation_reason(task) + (f"（{note}）" if note else "")
        registry.revoke(cluster=task.cluster, reason=reason, actor=actor)
        task.status = RereviewStatus.REVOKED
        task.revocation_confirmed_by, task.revocation_confirmed_at, task.revocation_note = actor, timezone.now(), note
        task.save(update_fields=["status", "revocation_confirmed_by", "revocation_confirmed_at", "revocation_note"])
        record(action="rereview.revocation_confirmed", actor=actor, obj=task, request=request,
               after={"cluster": task.cluster_id, "reason": reason})
        users = list(county_accounts(task.org))
        if task.org.recommender_id:
            users += list(city_accounts(task.org.recommender_id))
        notify_users(users=users, kind="rereview.revoked", title=f"“{task.cluster.name}”已撤销认定",
                     body=f"“{task.cluster.name}”已撤销认定。原因：{reason}。",
                     url=safe_reverse("rereview_task", args=[task.pk]))
        return task


# --- expiry hold -----------------------------------------------------------------------------

def pending_cluster_ids(today) -> list[int]:
    """Clusters whose re-review is under way (or awaiting the revocation's confirmation): the
    registry does not expire them (``registry.service.EXPIRY_HOLDS``)."""
    return list(RereviewTask.objects.filter(status__in=PENDING).values_list("cluster_id", flat=True))


def register_expiry_hold() -> None:
    """Called by ``RereviewConfig.ready``: a pending re-review keeps its cluster from expiring."""
    from clusterdesk.registry.service import EXPIRY_HOLDS

    if pending_cluster_ids not in EXPIRY_HOLDS:
        EXPIRY_HOLDS.append(pending_cluster_ids)
