"""Expert review: the rubric, assignments (by hand and automatic), declared conflicts,
scoring, and the statistics and ranking the province sees.

Every state change is a keyword-only function that checks the permission, changes state in
one transaction and writes its audit event. Refusals are ``DomainError`` (400 bad input),
``NotAllowed`` (403), ``Conflict`` (409: a conflict of interest, a closed stage, a wrong
state) with a Chinese message naming the field.
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from clusterdesk.applications.models import Application
from clusterdesk.applications.validation import ASPECT_TITLES
from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError
from clusterdesk.core.numbers import NumberError, parse_number
from clusterdesk.core.workflow import require
from clusterdesk.orgs.models import Org, OrgKind, Role, User
from clusterdesk.rounds.domain import closes_at, format_deadline
from clusterdesk.rounds.models import Round, Stage, StageCode

from . import rules
from .models import ExpertAssignment, ExpertConflict, RubricItem, Score
from .scoping import REVIEWABLE, assignments_for

# The default rubric: the eight aspects of the notice, weights adding up to 100, 10 points each.
DEFAULT_WEIGHTS = {1: 20, 2: 15, 3: 15, 4: 10, 5: 10, 6: 10, 7: 10, 8: 10}
DEFAULT_MAX = Decimal("10")
TOTAL_WEIGHT = Decimal("100")
CENT = Decimal("0.01")
MAX_COMMENT = 2000
MAX_PER_APPLICATION = 20


_require = require  # the one ``core.workflow.require``: a refusal's kind chooses the error


def two_places(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(raw, *, label: str, field: str) -> Decimal | None:
    """``raw`` (text, int, float, Decimal; empty → None) as a Decimal with at most two decimals."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise DomainError(f"{label}应为数字，如 8.5", field=field)
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"{label}应为数字，如 8.5，您填写的是“{raw}”", field=field) from None
    if not value.is_finite():
        raise DomainError(f"{label}应为数字，如 8.5", field=field)
    try:  # the shared bounds (1e999, 1e308, 400 digits fail the quantize below)
        parse_number(raw, label=label)
    except NumberError as exc:
        raise DomainError(exc.message, field=field) from None
    if value != value.quantize(CENT):
        raise DomainError(f"{label}最多保留两位小数，您填写的是 {value}", field=field)
    return value.quantize(CENT)


def fmt(value: Decimal) -> str:
    """8.00 → "8", 8.50 → "8.5"."""
    text = format(Decimal(value).quantize(CENT), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the rubric -----------------------------------------------------------------------------

def rubric(round_: Round) -> list[RubricItem]:
    """The round's rubric in display order; the default one is created on first need.

    Side effects (first call for a round only): the default items, ``expert.rubric_changed``.
    """
    items = list(RubricItem.objects.filter(round=round_))
    if items:
        return items
    with transaction.atomic():
        RubricItem.objects.bulk_create(
            [RubricItem(round=round_, aspect=a, title=ASPECT_TITLES[str(a)], weight=Decimal(w), max_score=DEFAULT_MAX,
                        order=a) for a, w in DEFAULT_WEIGHTS.items()],
            ignore_conflicts=True,
        )
        items = list(RubricItem.objects.filter(round=round_))
        record(action="expert.rubric_changed", obj=round_, after=_rubric_snapshot(items),
               comment="载入默认评分细则（八个方面，满分各 10 分，权重合计 100）")
    return items


def _rubric_snapshot(items) -> dict:
    return {str(i.aspect): {"title": i.title, "weight": fmt(i.weight), "max_score": fmt(i.max_score)} for i in items}


@transaction.atomic
def save_rubric(*, actor, round_: Round, items: dict, request=None) -> list[RubricItem]:
    """Change the rubric of a round: ``items`` maps each aspect (1–8) to
    ``{"title", "weight", "max_score"}``. Every aspect is given at once, because the weights
    must add up to 100. A maximum below a score already given is refused.

    Side effects: ``expert.rubric_changed`` audit event with the rubric before and after.
    """
    _require(rules.can_manage(actor, round_))
    current = {i.aspect: i for i in rubric(round_)}
    errors = []
    cleaned = {}
    keys = {}
    for raw_key in items:
        try:
            keys[int(raw_key)] = raw_key
        except (TypeError, ValueError):
            raise DomainError(f"评分项“{raw_key}”无效，应为 1–8 的方面编号", field="aspect") from None
    unknown = sorted(set(keys) - set(current))
    if unknown:
        raise DomainError(f"没有第{unknown[0]}方面的评分项，评分细则只有第1–8方面", field=f"items.{unknown[0]}")
    missing = sorted(set(current) - set(keys))
    if missing:
        raise DomainError(f"请同时提交全部八个方面的评分项：缺少第{missing[0]}方面", field=f"items.{missing[0]}")
    for aspect in sorted(keys):
        value = items[keys[aspect]] or {}
        where = f"items.{aspect}"
        label = f"第{aspect}方面"
        title = str(value.get("title") or "").strip()
        if not title:
            errors.append({"field": f"{where}.title", "message": f"{label}的评分项名称不能为空"})
        elif len(title) > 100:
            errors.append({"field": f"{where}.title", "message": f"{label}的评分项名称最多 100 个字"})
        weight = max_score = None
        try:
            weight = parse_decimal(value.get("weight"), label=f"{label}的权重", field=f"{where}.weight")
            if weight is None:
                errors.append({"field": f"{where}.weight", "message": f"请填写{label}的权重"})
            elif not Decimal(0) < weight <= TOTAL_WEIGHT:
                errors.append({"field": f"{where}.weight", "message": f"{label}的权重应大于 0、不超过 100，您填写的是 {fmt(weight)}"})
        except DomainError as exc:
            errors.append({"field": exc.field, "message": exc.message})
        try:
            max_score = parse_decimal(value.get("max_score"), label=f"{label}的满分", field=f"{where}.max_score")
            if max_score is None:
                errors.append({"field": f"{where}.max_score", "message": f"请填写{label}的满分"})
            elif not Decimal(0) < max_score <= Decimal(1000):
                errors.append({"field": f"{where}.max_score",
                               "message": f"{label}的满分应大于 0、不超过 1000，您填写的是 {fmt(max_score)}"})
        except DomainError as exc:
            errors.append({"field": exc.field, "message": exc.message})
        cleaned[aspect] = {"title": title, "weight": weight, "max_score": max_score}
    if not errors:
        total = sum(v["weight"] for v in cleaned.values())
        if total != TOTAL_WEIGHT:
            errors.append({"field": "items.weight", "message": f"各方面权重合计应为 100，当前合计 {fmt(total)}"})
    if not errors:
        for aspect, value in cleaned.items():
            top = (Score.objects.filter(item=current[aspect], value__isnull=False)
                   .order_by("-value").values_list("value", flat=True).first())
            if top is not None and value["max_score"] < top:
                errors.append({"field": f"items.{aspect}.max_score",
                               "message": f"第{aspect}方面已有专家打出 {fmt(top)} 分，满分不能低于该分数"})
    if errors:
        raise DomainError(errors[0]["message"], field=errors[0]["field"], errors=errors)
    before = _rubric_snapshot(current.values())
    for aspect, value in cleaned.items():
        item = current[aspect]
        item.title, item.weight, item.max_score = value["title"], value["weight"], value["max_score"]
        item.save(update_fields=["title", "weight", "max_score"])
    after_items = rubric(round_)
    after = _rubric_snapshot(after_items)
    if after != before:
        record(action="expert.rubric_changed", actor=actor, obj=round_, before=before, after=after, request=request)
    return after_items


# --- the stage ------------------------------------------------------------------------------

def scoring_closes_at(round_: Round) -> datetime | None:
    """When scoring closes for the round: the 专家评审 stage deadline (None: not set, open)."""
    return closes_at(round_, StageCode.EXPERT_REVIEW, None)


def scoring_closes_at_many(rounds) -> dict[int, datetime | None]:
    """``scoring_closes_at`` for many rounds in one query: {round id: closes at}."""
    ids = {r.pk for r in rounds}
    found = {s.round_id: s.closes_at for s in Stage.objects.filter(round_id__in=ids, code=StageCode.EXPERT_REVIEW)}
    return {pk: found.get(pk) for pk in ids}


def scoring_open(round_: Round, now: datetime | None = None) -> bool:
    moment = scoring_closes_at(round_)
    return moment is None or (now or timezone.now()) <= moment


def check_scoring_open(round_: Round, what: str = "评分") -> None:
    moment = scoring_closes_at(round_)
    if moment is not None and timezone.now() > moment:
        raise Conflict(f"评分已截止（{format_deadline(moment)}），不能再{what}", field="round")


# --- assignments ----------------------------------------------------------------------------

def experts_of(province: Org):
    """The active expert accounts of a province, in username order."""
    return (User.objects.filter(role=Role.EXPERT, is_active=True, org__path__startswith=province.path)
            .select_related("org").order_by("username"))


def _check_reviewable(application: Application) -> None:
    if application.status not in REVIEWABLE:
        raise Conflict(f"申报“{application.number}”当前状态为“{application.get_status_display()}”，"
                       f"不能分配专家评审：只有{rules.REVIEWABLE_LABEL}可以评审", field="application")


def _notify(expert, count: int, round_: Round, application: Application | None = None) -> None:
    from clusterdesk.notifications.domain import notify_users

    if application is not None:
        title = f"新的评审任务：{application.name or application.number}"
    else:
        title = f"新的评审任务 {count} 项"
    deadline = scoring_closes_at(round_)
    body = f"省厅为您分配了“{round_.name}”的专家评审任务，请在" + (
        f"{format_deadline(deadline)}前完成评分。" if deadline else "评审截止前完成评分。")
    notify_users(users=[expert], kind="expert.assigned", title=title, body=body, url=reverse("expert_assignments"))


def _assigned_event(actor, assignment: ExpertAssignment, request, comment: str) -> None:
    expert = assignment.expert
    record(action="expert.assigned", actor=actor, obj=assignment.application, request=request, comment=comment,
           after={"assignment": assignment.pk, "expert": expert.username, "expert_org": expert.org.code})


@transaction.atomic
def assign(*, actor, application: Application, expert, request=None) -> ExpertAssignment:
    """Assign ``expert`` to review ``application``. Refused for a non-expert account, an
    application not yet formally recommended, a conflict of interest (with its reason), a
    closed 专家评审 stage, or an expert already assigned.

    Side effects: ``expert.assigned`` audit event; the expert notified; the round's default
    rubric created if it had none.
    """
    application = (Application.objects.select_for_update(of=("self",)).select_related("round", "org")
                   .get(pk=application.pk))
    _require(rules.can_manage(actor, application.round))
    if expert is None or expert.role != Role.EXPERT or not expert.is_active or expert.org_id is None:
        name = getattr(expert, "username", "") or "（未指定）"
        raise DomainError(f"账号“{name}”不是可用的专家账号，请从专家名单中选择", field="expert")
    _check_reviewable(application)
    check_scoring_open(application.round, "分配专家")
    reason = rules.conflict(expert, application)
    if reason:
        raise Conflict(f"不能分配{expert.display_name or expert.username}评审{application.number}：{reason}",
                       field="expert")
    if ExpertAssignment.objects.filter(application=application, expert=expert).exists():
        raise Conflict(f"{expert.display_name or expert.username}已分配评审{application.number}，无需重复分配",
                       field="expert")
    rubric(application.round)
    try:
        with transaction.atomic():
            assignment = ExpertAssignment.objects.create(application=application, expert=expert, assigned_by=actor)
    except IntegrityError:
        raise Conflict(f"{expert.display_name or expert.username}已分配评审{application.number}，无需重复分配",
                       field="expert") from None
    _assigned_event(actor, assignment, request, "")
    _notify(expert, 1, application.round, application)
    return assignment


def assign_many(*, actor, round_: Round, application_ids: list[int], expert_ids: list[int],
                request=None) -> list[ExpertAssignment]:
    """Assign each chosen expert to each chosen application, all or nothing (``core.batch``).
    Each pair goes through :func:`assign` (its checks: reviewable, scoring open, conflict of
    interest by ``rules.conflict``); a pair already assigned is left as it is. One refused pair
    (a conflict names the expert, the application and the reason) refuses the whole batch.

    Side effects: those of :func:`assign` for each new pair."""
    from clusterdesk.core.batch import all_or_nothing

    if not expert_ids:
        raise DomainError("请至少勾选一位专家", field="experts")
    apps = {a.pk: a for a in Application.objects.visible_to(actor).filter(round=round_, pk__in=application_ids)}
    experts = {u.pk: u for u in User.objects.filter(pk__in=expert_ids).select_related("org")}
    existing = set(ExpertAssignment.objects.filter(application__in=list(apps), expert__in=list(experts))
                   .values_list("application_id", "expert_id"))
    pairs = [(a, e) for a in dict.fromkeys(application_ids) for e in dict.fromkeys(expert_ids) if (a, e) not in existing]

    def do(pair):
        app_id, expert_id = pair
        if app_id not in apps:
            raise DomainError("申报不存在或不属于本批次", status=404, field="applications")
        return assign(actor=actor, application=apps[app_id], expert=experts.get(expert_id), request=request)

    def describe(pair):
        app, expert = apps.get(pair[0]), experts.get(pair[1])
        who = (expert.display_name or expert.username) if expert else f"账号 #{pair[1]}"
        return f"{app.number if app else f'申报 #{pair[0]}'} · {who}"

    if not pairs and application_ids:
        return []
    return all_or_nothing(pairs, do, describe, what="分配专家", field="applications")


@transaction.atomic
def unassign(*, actor, assignment: ExpertAssignment, request=None) -> None:
    """Take an application away from an expert, with any scores they gave. Refused after the
    专家评审 stage has closed (the results are final then).

    Side effects: ``expert.unassigned`` audit event keeping the scores that are removed.
    """
    assignment = (ExpertAssignment.objects.select_for_update(of=("self",))
                  .select_related("application__round", "expert__org").get(pk=assignment.pk))
    application = assignment.application
    _require(rules.can_manage(actor, application.round))
    check_scoring_open(application.round, "调整专家分配")
    before = {"assignment": assignment.pk, "expert": assignment.expert.username,
              "submitted_at": assignment.submitted_at.isoformat() if assignment.submitted_at else None,
              "scores": _scores_snapshot(assignment)}
    assignment.scores.all().delete()
    assignment.delete()
    record(action="expert.unassigned", actor=actor, obj=application, before=before, request=request)


@dataclass
class Shortfall:
    application: Application
    have: int
    needed: int

    @property
    def message(self) -> str:
        return (f"{self.application.number} {self.application.name or ''}：需要 {self.needed} 位专家，"
                f"只能分配 {self.have} 位（其余专家须回避或已分配）")


@dataclass
class AutoAssignResult:
    created: list = field(default_factory=list)
    short: list = field(default_factory=list)
    applications: int = 0


@transaction.atomic
def auto_assign(*, actor, round_: Round, per_application: int = 3, request=None) -> AutoAssignResult:
    """Give every reviewable application of the round ``per_application`` experts.

    Existing assignments count (a conflicted one does not); each missing place goes to the
    least-loaded expert of the province (load: assignments in this round) who is neither
    assigned already nor in conflict, ties by username — so the result is deterministic and,
    without conflicts, the loads differ by at most one. Applications that cannot get enough
    experts are reported in ``short``.

    Side effects: one ``expert.assigned`` audit event per new assignment; each expert
    notified once; the default rubric created if the round had none.
    """
    _require(rules.can_manage(actor, round_))
    if isinstance(per_application, bool) or not isinstance(per_application, int) \
            or not 1 <= per_application <= MAX_PER_APPLICATION:
        raise DomainError(f"每份申报的专家人数应为 1–{MAX_PER_APPLICATION} 的整数，如 3", field="per_application")
    check_scoring_open(round_, "分配专家")
    Round.objects.select_for_update().filter(pk=round_.pk).first()
    rubric(round_)
    experts = list(experts_of(round_.province))
    applications = list(Application.objects.filter(round=round_, status__in=REVIEWABLE)
                        .select_related("org").order_by("number"))
    existing = list(ExpertAssignment.objects.filter(application__round=round_).select_related("expert__org"))
    checker = rules.ConflictChecker({e.pk: e for e in [*experts, *(a.expert for a in existing)]}.values())
    load = {e.pk: 0 for e in experts}
    assigned: dict[int, set[int]] = {}
    have: dict[int, int] = {}
    by_app = {a.pk: a for a in applications}
    for a in existing:
        load[a.expert_id] = load.get(a.expert_id, 0) + 1
        assigned.setdefault(a.application_id, set()).add(a.expert_id)
        app = by_app.get(a.application_id)
        if app is not None and checker.reason(a.expert, app) is None:
            have[app.pk] = have.get(app.pk, 0) + 1
    result = AutoAssignResult(applications=len(applications))
    new: list[ExpertAssignment] = []
    for app in applications:
        need = per_application - have.get(app.pk, 0)
        if need <= 0:
            continue
        taken = assigned.get(app.pk, set())
        candidates = [e for e in experts if e.pk not in taken and checker.reason(e, app) is None]
        candidates.sort(key=lambda e: (load[e.pk], e.username))
        chosen = candidates[:need]
        for e in chosen:
            load[e.pk] += 1
            new.append(ExpertAssignment(application=app, expert=e, assigned_by=actor))
        if len(chosen) < need:
            result.short.append(Shortfall(app, have.get(app.pk, 0) + len(chosen), per_application))
    ExpertAssignment.objects.bulk_create(new)
    created = list(ExpertAssignment.objects.filter(application__round=round_, expert__in=[n.expert for n in new])
                   .exclude(pk__in=[a.pk for a in existing]).select_related("application", "expert__org"))
    created.sort(key=lambda a: (a.application.number, a.expert.username))
    for assignment in created:
        _assigned_event(actor, assignment, request, f"自动分配（每份申报 {per_application} 位专家）")
    counts: dict[int, int] = {}
    for assignment in created:
        counts[assignment.expert_id] = counts.get(assignment.expert_id, 0) + 1
    for e in experts:
        if counts.get(e.pk):
            _notify(e, counts[e.pk], round_)
    result.created = created
    return result


def assignment_rows(round_: Round) -> list[dict]:
    """For the assignment page: each reviewable (or assigned) application with its experts,
    each flagged with any conflict, and the experts who could still be added. Bounded queries."""
    experts = list(experts_of(round_.province))
    applications = list(
        Application.objects.filter(round=round_)
        .filter(Q(status__in=REVIEWABLE) | Q(expert_assignments__isnull=False)).distinct()
        .select_related("org").order_by("number")
    )
    assignments = list(ExpertAssignment.objects.filter(application__round=round_).select_related("expert__org"))
    checker = rules.ConflictChecker({e.pk: e for e in [*experts, *(a.expert for a in assignments)]}.values())
    by_app: dict[int, list] = {}
    for a in assignments:
        by_app.setdefault(a.application_id, []).append(a)
    rows = []
    for app in applications:
        mine = sorted(by_app.get(app.pk, []), key=lambda a: a.expert.username)
        taken = {a.expert_id for a in mine}
        for a in mine:
            a.conflict = checker.reason(a.expert, app)
        options = [{"expert": e, "conflict": checker.reason(e, app)} for e in experts if e.pk not in taken]
        rows.append({"application": app, "assignments": mine, "options": options,
                     "conflicted": [o for o in options if o["conflict"]],
                     "reviewable": app.status in REVIEWABLE,
                     "valid": sum(1 for a in mine if not a.conflict)})
    return rows


def expert_loads(round_: Round) -> list[dict]:
    """Each expert of the province with their number of assignments in the round and submitted."""
    experts = list(experts_of(round_.province))
    counts: dict[int, list[int]] = {}
    for expert_id, submitted_at in ExpertAssignment.objects.filter(application__round=round_).values_list(
            "expert_id", "submitted_at"):
        entry = counts.setdefault(expert_id, [0, 0])
        entry[0] += 1
        entry[1] += submitted_at is not None
    return [{"expert": e, "assigned": counts.get(e.pk, [0, 0])[0], "submitted": counts.get(e.pk, [0, 0])[1]}
            for e in experts]


# --- declared conflicts ---------------------------------------------------------------------

@transaction.atomic
def declare_conflict(*, expert, org: Org, reason: str, request=None) -> ExpertConflict:
    """The expert declares a unit whose applications they must not review (e.g. a former
    employer's county). From then on the expert sees none of that unit's applications (nor
    those of units under it), cannot score them, and is not assigned to them; an assignment
    already made stays listed for the province, flagged, and is not counted in the results.

    Side effects: ``expert.conflict_declared`` audit event.
    """
    _require(rules.can_score(expert))
    if org is None:
        raise DomainError("请选择需要回避的单位", field="org")
    if org.kind == OrgKind.PROVINCE:
        raise DomainError("不能申报回避整个省份；请选择具体的市（州）或县（市、区）", field="org")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写回避原因，如“曾在该县工信局任职”", field="reason")
    if len(reason) > 500:
        raise DomainError("回避原因最多 500 个字，请缩短", field="reason")
    if ExpertConflict.objects.filter(expert=expert, org=org).exists():
        raise Conflict(f"您已申报回避“{org.name}”，无需重复申报", field="org")
    conflict = ExpertConflict.objects.create(expert=expert, org=org, reason=reason)
    affected = list(ExpertAssignment.objects.filter(expert=expert, application__org__path__startswith=org.path)
                    .values_list("application__number", flat=True))
    record(action="expert.conflict_declared", actor=expert, obj=conflict, request=request, comment=reason,
           after={"org": org.code, "org_name": org.name, "reason": reason, "assignments_affected": affected})
    return conflict


# --- scoring --------------------------------------------------------------------------------

def _scores_snapshot(assignment: ExpertAssignment) -> dict:
    return {str(s.item.aspect): {"value": fmt(s.value) if s.value is not None else None, "comment": s.comment}
            for s in assignment.scores.select_related("item")}


def _unpack(entry) -> tuple:
    if isinstance(entry, dict):
        return entry.get("value"), entry.get("comment")
    if isinstance(entry, (tuple, list)) and len(entry) == 2:
        return entry[0], entry[1]
    return entry, None


@transaction.atomic
def save_scores(*, expert, assignment: ExpertAssignment, scores: dict, submit: bool = False,
                request=None) -> ExpertAssignment:
    """Save the expert's scores for an assignment: ``scores`` maps an aspect (1–8) to
    ``(value, comment)``; an empty value keeps a draft comment only. Each value lies between
    0 and that aspect's maximum with at most two decimals. ``submit`` requires every aspect
    scored. A submitted assignment may be changed until scoring closes (it stays complete);
    submitting again without a change does nothing.

    Refusals: 404 when the assignment is not the expert's or out of their scope; 409 when
    scoring has closed ("评分已截止（…）") or the expert is in conflict; 400 naming the aspect
    for a bad value.

    Side effects: ``expert.scored`` audit event with the scores before and after.
    """
    _require(rules.can_score(expert))
    found = (ExpertAssignment.objects.select_for_update(of=("self",))
             .select_related("application__round", "application__org")
             .filter(pk=assignment.pk, expert=expert).first())
    if found is None:
        raise DomainError("评审任务不存在或未分配给您", status=404)
    assignment = found
    application = assignment.application
    check_scoring_open(application.round, "修改评分")
    reason = rules.conflict(expert, application)
    if reason:
        raise Conflict(f"您不能评审该申报：{reason}", field="assignment")
    if not assignments_for(expert).filter(pk=assignment.pk).exists():
        raise DomainError("评审任务不存在或不在您的权限范围内", status=404)
    if not isinstance(scores, dict):
        raise DomainError("评分格式不对：应为各方面的分数和评语", field="scores")
    items = {i.aspect: i for i in rubric(application.round)}
    existing = {s.item_id: s for s in assignment.scores.all()}
    errors = []
    changes: dict[int, tuple] = {}
    for raw_aspect, entry in scores.items():
        try:
            aspect = int(raw_aspect)
        except (TypeError, ValueError):
            errors.append({"field": f"scores.{raw_aspect}", "message": f"评分项“{raw_aspect}”无效，应为 1–8 的方面编号"})
            continue
        item = items.get(aspect)
        if item is None:
            errors.append({"field": f"scores.{aspect}", "message": f"评分细则中没有第{aspect}方面"})
            continue
        raw_value, comment = _unpack(entry)
        label = f"第{aspect}方面“{item.title}”的评分"
        try:
            value = parse_decimal(raw_value, label=label, field=f"scores.{aspect}.value")
        except DomainError as exc:
            errors.append({"field": exc.field, "message": exc.message})
            continue
        if value is not None and not Decimal(0) <= value <= item.max_score:
            errors.append({"field": f"scores.{aspect}.value",
                           "message": f"{label}应在 0–{fmt(item.max_score)} 分之间，您填写的是 {fmt(value)}"})
            continue
        if comment is None:  # not given: keep the comment already written
            comment = existing[item.pk].comment if item.pk in existing else ""
        comment = str(comment).strip()
        if len(comment) > MAX_COMMENT:
            errors.append({"field": f"scores.{aspect}.comment",
                           "message": f"第{aspect}方面“{item.title}”的评语最多 {MAX_COMMENT} 个字，请缩短"})
            continue
        changes[item.pk] = (value, comment)
    if errors:
        raise DomainError(errors[0]["message"], field=errors[0]["field"], errors=errors)
    merged = {item_id: (s.value, s.comment) for item_id, s in existing.items()}
    merged.update(changes)
    if submit or assignment.submitted:
        missing = [i for i in items.values() if merged.get(i.pk, (None, ""))[0] is None]
        if missing:
            verb = "提交" if not assignment.submitted else "保存"
            errors = [{"field": f"scores.{i.aspect}.value", "message": f"请为第{i.aspect}方面“{i.title}”评分后再{verb}"}
                      for i in missing]
            raise DomainError(errors[0]["message"], field=errors[0]["field"], errors=errors)
    def differs(item_id, v) -> bool:
        if item_id in existing:
            return (existing[item_id].value, existing[item_id].comment) != v
        return v != (None, "")

    changed = {item_id: v for item_id, v in changes.items() if differs(item_id, v)}
    submitting = submit and not assignment.submitted
    if not changed and not submitting:
        return assignment  # a double submit, or nothing new: harmless
    before = _scores_snapshot(assignment)
    for item_id, (value, comment) in changed.items():
        Score.objects.update_or_create(assignment=assignment, item_id=item_id,
                                       defaults={"value": value, "comment": comment})
    now = timezone.now()
    assignment.updated_at = now
    if submitting:
        assignment.submitted_at = now
    assignment.save(update_fields=["updated_at", "submitted_at"])
    after = _scores_snapshot(assignment)
    if submitting:
        comment = "提交评分"
    elif assignment.submitted:
        comment = "修改已提交的评分"
    else:
        comment = "保存评分草稿"
    record(action="expert.scored", actor=expert, obj=application, request=request, comment=comment,
           before={"assignment": assignment.pk, "scores": before},
           after={"assignment": assignment.pk, "scores": after, "submitted": assignment.submitted,
                  "total": fmt(weighted_total(items.values(), after)) if assignment.submitted else None})
    return assignment


def weighted_total(items, values: dict) -> Decimal:
    """``sum(score / max * weight)``; ``values`` maps the aspect (str or int) to a number or a
    ``{"value": …}`` dict. Out of 100 when the weights add up to 100."""
    total = Decimal(0)
    for item in items:
        raw = values.get(str(item.aspect), values.get(item.aspect))
        if isinstance(raw, dict):
            raw = raw.get("value")
        if raw is None:
            continue
        total += Decimal(str(raw)) / item.max_score * item.weight
    return total


# --- statistics -----------------------------------------------------------------------------

@dataclass
class Stats:
    """Descriptive statistics of a set of scores. ``spread`` is the population standard
    deviation (总体标准差, dividing by n), 0 for a single score."""

    count: int = 0
    mean: Decimal | None = None
    median: Decimal | None = None
    spread: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None

    def as_dict(self) -> dict:
        def text(v):
            return None if v is None else fmt(v)

        return {"count": self.count, "mean": text(self.mean), "median": text(self.median),
                "spread": text(self.spread), "min": text(self.min), "max": text(self.max)}


def describe(values) -> Stats:
    """Count, mean, median, population standard deviation, min and max, to two decimals."""
    values = [Decimal(v) for v in values]
    if not values:
        return Stats()
    return Stats(
        count=len(values),
        mean=two_places(statistics.mean(values)),
        median=two_places(statistics.median(values)),
        spread=two_places(statistics.pstdev(values)),
        min=two_places(min(values)),
        max=two_places(max(values)),
    )


@dataclass
class ApplicationResult:
    application: Application
    total: Stats
    aspects: list  # [(RubricItem, Stats)]
    assigned: int = 0
    submitted: int = 0
    excluded: list = field(default_factory=list)  # [(assignment, conflict reason)]
    rank: int | None = None


def results(round_: Round) -> tuple[list[RubricItem], list[ApplicationResult]]:
    """The round's results: for each reviewable or assigned application, the statistics of
    the weighted totals and of each aspect over the submitted assignments (conflicted ones
    excluded), ranked by mean weighted total (higher first, ties by application number);
    applications without submitted scores follow unranked. A fixed number of queries."""
    items = rubric(round_)
    applications = list(
        Application.objects.filter(round=round_)
        .filter(Q(status__in=REVIEWABLE) | Q(expert_assignments__isnull=False)).distinct()
        .select_related("org").order_by("number")
    )
    assignments = list(ExpertAssignment.objects.filter(application__round=round_).select_related("expert__org"))
    checker = rules.ConflictChecker({a.expert_id: a.expert for a in assignments}.values())
    scores: dict[int, dict[int, Decimal]] = {}
    for assignment_id, item_id, value in Score.objects.filter(
            assignment__application__round=round_, assignment__submitted_at__isnull=False,
            value__isnull=False).values_list("assignment_id", "item_id", "value"):
        scores.setdefault(assignment_id, {})[item_id] = value
    by_app = {app.pk: {"app": app, "totals": [], "aspects": {i.pk: [] for i in items}, "assigned": 0,
                       "submitted": 0, "excluded": []} for app in applications}
    for a in assignments:
        entry = by_app.get(a.application_id)
        if entry is None:
            continue
        reason = checker.reason(a.expert, entry["app"])
        if reason:
            entry["excluded"].append((a, reason))
            continue
        entry["assigned"] += 1
        given = scores.get(a.pk)
        if a.submitted_at is None or not given or len(given) < len(items):
            continue
        entry["submitted"] += 1
        entry["totals"].append(sum(given[i.pk] / i.max_score * i.weight for i in items))
        for i in items:
            entry["aspects"][i.pk].append(given[i.pk])
    out = [
        ApplicationResult(application=e["app"], total=describe(e["totals"]),
                          aspects=[(i, describe(e["aspects"][i.pk])) for i in items],
                          assigned=e["assigned"], submitted=e["submitted"], excluded=e["excluded"])
        for e in by_app.values()
    ]
    ranked = sorted((r for r in out if r.total.count), key=lambda r: (-r.total.mean, r.application.number))
    for position, r in enumerate(ranked, 1):
        r.rank = position
    unranked = sorted((r for r in out if not r.total.count), key=lambda r: r.application.number)
    return items, ranked + unranked


def score_rows(round_: Round, items: list[RubricItem]) -> list[list]:
    """Every submitted assignment of the round, one row each: application, expert, unit, each
    item's score, the weighted total, the submission time and, for an expert who must abstain,
    the reason the score is not counted. A fixed number of queries."""
    assignments = list(ExpertAssignment.objects.filter(application__round=round_, submitted_at__isnull=False)
                       .select_related("application__org", "expert__org").order_by("application__number", "pk"))
    checker = rules.ConflictChecker({a.expert_id: a.expert for a in assignments}.values())
    values: dict[int, dict[int, Decimal]] = {}
    for assignment_id, item_id, value in Score.objects.filter(
            assignment__in=[a.pk for a in assignments], value__isnull=False).values_list("assignment_id", "item_id", "value"):
        values.setdefault(assignment_id, {})[item_id] = value
    rows = []
    for a in assignments:
        given = values.get(a.pk, {})
        total = (two_places(sum(given[i.pk] / i.max_score * i.weight for i in items))
                 if items and len(given) >= len(items) else None)
        rows.append([a.application.number, a.application.name, a.application.org.name,
                     a.expert.display_name or a.expert.username, a.expert.org.name,
                     *[given.get(i.pk) for i in items], total, a.submitted_at,
                     checker.reason(a.expert, a.application) or ""])
    return rows


def ranking(round_: Round) -> list[ApplicationResult]:
    """The ranked applications only (those with at least one submitted score), best first."""
    return [r for r in results(round_)[1] if r.rank is not None]
