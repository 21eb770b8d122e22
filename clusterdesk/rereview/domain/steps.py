"""Every state change of a re-review task. The states and who may move them are the table in
``rereview.workflow``; these functions check its verdicts (``workflow.check``), validate what
the table cannot (附件3, the per-criterion checks, the ministry's outcome), and move the task
with ``MACHINE.move`` inside one transaction (audit event included), then notify.

The path (domain.md §7; the seed notice's row R; 工信厅企业函〔2025〕77号):

1. ``start_round`` / ``open_rereview`` — the province creates the re-review round (its own
   ``rereview_submission`` deadline) and opens one task per cluster due; the county is told.
2. ``save_task`` / ``upload_evidence`` / ``submit_task`` — the county fills 附件3 before the
   deadline (``rounds.domain.check_open``; an extension counts). Late: refused **and** the draft
   becomes ``missed`` (kept although the action is refused).
3. ``return_task`` — the city sends a submitted task back with its comment (shown to the
   county), the county edits and resubmits; ``forward`` — the city forwards with its opinion.
4. ``decide`` — the province checks every criterion and decides:
   * provincial cluster: pass → validity + 3 years (``registry.service.extend_validity``);
     fail → the revocation list, ``confirm_revocation`` → ``registry.service.revoke``;
   * national cluster: 初审通过（报部） or 初审未通过 (reason required). Validity does not change.
5. ``report_to_ministry`` (national) — the province reports the initial result to MIIT on a date:
   both results are reported (the notice: those that pass, and the reasons for those that
   fail), and so is a national task the county missed.
6. ``record_ministry_outcome`` (national) — MIIT's outcome with its document number and date:
   pass → validity + 3 years; fail → revoked at once with the document in the reason. This alone
   extends or revokes a national cluster; an initial failure never revokes by itself.

Decisions recorded here:

* **Which clusters are due.** Status recognised — or already expired by ``expire_due`` because
  31 December has passed — with ``valid_until`` in the round's year. While a task is pending
  (``workflow`` group ``pending``) the cluster is held from expiry (``EXPIRY_HOLDS``).
* **Late.** Every county action on a draft after the stage's deadline for the unit is refused and
  marks the draft ``missed``; an extension granted later turns it back into a draft (``reopen``).
  A task the city **returned** is not held to the deadline: the county did submit in time, and
  the return is the city's request, so the county may resubmit it after the deadline.
* **Ministry outcome.** Needs the document number (文号) and the date (not before the report
  date, not in the future); a failure also needs the note (MIIT's reasons). Before the report:
  409; on a provincial cluster's task: 400.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.core.workflow import require
from clusterdesk.rounds.domain import check_open, closes_at, format_deadline
from clusterdesk.rounds.models import ChecklistItem, Round, StageCode

from ..models import CheckDecision, RereviewCheck, RereviewEvidence, RereviewStatus, RereviewTask
from ..workflow import MACHINE, check, edit_verdict, is_county_of, is_province_of, level_of
from .checks import criteria_set_for, evaluate_task, resolve_checks
from .form import _date_text, _initial_data, clean_data, live_evidence, readiness_messages, target_rows

STAGE = StageCode.REREVIEW_SUBMISSION
EXTENSION_YEARS = 3
# A cluster is due when its validity ends in the round's year and it is still recognised — or
# already marked expired by the registry's ``expire_due`` (``extend_validity`` recognises it again).
DUE_STATUSES = ("recognized", "expired")
EDITABLE = MACHINE.group("editable")
PENDING = MACHINE.group("pending")
# Audit events of a task: written as "registry.rereviewtask" before re-review became its own app
# (the log is append-only, so they keep that type), "rereview.rereviewtask" since.
OBJECT_TYPES = ("rereview.rereviewtask", "registry.rereviewtask")


def _registry():
    from clusterdesk.registry import service

    return service


def deadline_text(task: RereviewTask) -> str:
    moment = closes_at(task.round, STAGE, task.org)
    return format_deadline(moment) if moment else "未设置"


def can_open(actor, round_: Round):
    from clusterdesk.core.workflow import ALLOW, forbid

    return ALLOW if is_province_of(actor, round_) else forbid("只有省厅管理员可以发起复核")


def can_edit(actor, task: RereviewTask):
    return edit_verdict(actor, task)


def _lock(task: RereviewTask) -> RereviewTask:
    return (RereviewTask.objects.select_for_update(of=("self",))  # the recommender join is nullable
            .select_related("round", "round__province", "org", "org__recommender", "cluster").get(pk=task.pk))


def _fresh(task: RereviewTask) -> RereviewTask:
    return RereviewTask.objects.select_related("round", "org", "org__recommender", "cluster").get(pk=task.pk)


def events_of(task: RereviewTask):
    """The task's audit events, oldest first, whichever app wrote them."""
    from clusterdesk.audit.models import AuditEvent

    return AuditEvent.objects.filter(object_type__in=OBJECT_TYPES, object_id=str(task.pk)).order_by("id")


def _people(task: RereviewTask, *, county=True, city=True, province=False) -> list:
    from clusterdesk.notifications.domain import city_accounts, county_accounts, province_accounts

    users = list(county_accounts(task.org)) if county else []
    if city and task.org.recommender_id:
        users += list(city_accounts(task.org.recommender_id))
    if province:
        users += list(province_accounts(task.round.province_id))
    return users


def _tell(users, task, kind, title, body, view="rereview_task"):
    from clusterdesk.notifications.domain import notify_users, safe_reverse

    notify_users(users=users, kind=kind, title=title, body=body, url=safe_reverse(view, args=[task.pk]))


# --- opening ---------------------------------------------------------------------------------------

def clusters_due(province, year: int):
    """Recognised clusters of ``province`` whose validity ends in ``year``."""
    Cluster = _registry().Cluster
    return (
        Cluster.objects.filter(status__in=DUE_STATUSES, valid_until__year=year, org__path__startswith=province.path)
        .select_related("org", "org__recommender")
        .order_by("org__path", "pk")
    )


def due_clusters(round_: Round):
    """Recognised clusters of the round's province whose validity ends in the round's year."""
    return clusters_due(round_.province, round_.year)


def not_due_reason(cluster, round_: Round) -> str | None:
    if str(cluster.status) not in DUE_STATUSES:
        return f"“{cluster.name}”当前状态为“{cluster.get_status_display()}”，只有已认定的集群需要复核"
    if cluster.valid_until is None or cluster.valid_until.year != round_.year:
        return f"该集群认定有效期至{_date_text(cluster.valid_until)}，本年度无需复核"
    if not cluster.org.path.startswith(round_.province.path):
        return f"“{cluster.name}”不属于本省"
    return None


NO_STAGE = ("本批次没有“复核申报”阶段（没有复核申报截止日期）：请从导航栏“集群名录 ▸ 发起复核”"
            "填写年度和复核申报截止日期发起复核，系统会建立带截止日期的复核批次")


def open_rereview(*, actor, round_: Round, cluster=None, request=None) -> list[RereviewTask]:
    """Create the re-review tasks of ``round_`` (all due clusters, or just ``cluster``).

    Idempotent: a cluster that already has a task in the round keeps it. Refused when the round
    has no ``rereview_submission`` stage, when that stage has already closed, or — for a named
    ``cluster`` — when it is not due ("该集群认定有效期至…，本年度无需复核").
    Returns the tasks created now. Side effects: ``rereview.opened`` audit event per task; the
    county's applicant accounts are notified.
    """
    from clusterdesk.notifications.domain import county_accounts

    with transaction.atomic():
        round_ = Round.objects.select_for_update().select_related("province").get(pk=round_.pk)
        require(can_open(actor, round_))
        stage = round_.stages.filter(code=STAGE).first()
        if stage is None:
            raise DomainError(NO_STAGE, field="rereview_deadline")
        if timezone.now() > stage.closes_at:
            raise Conflict(f"本批次复核申报已于{format_deadline(stage.closes_at)}截止：请在“发起复核”页面填写新的"
                           "复核申报截止日期后再发起", field="rereview_deadline")
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
            _tell(county_accounts(c.org), task, "rereview.opened", f"请填报“{c.name}”复核申报表",
                  f"“{c.name}”认定有效期至{_date_text(c.valid_until)}，需进行复核。请于"
                  f"{format_deadline(stage.closes_at)}前填写复核申报表（附件3）、上传佐证材料并提交市（州），"
                  "逾期不予受理，未按时提交的将撤销认定。")
            created.append(task)
        return created


def rereview_round_name(year: int) -> str:
    return f"{year}年度中小企业特色产业集群复核"


def start_round(*, actor, year, deadline, request=None) -> tuple[Round, list[RereviewTask]]:
    """The province starts the year's re-review from the 发起复核 page (or the API): the round of
    ``year`` that has a ``rereview_submission`` stage gets ``deadline`` as that stage's deadline,
    or — when there is none — a re-review round "<year>年度中小企业特色产业集群复核" (open, with
    the default checklist) is created with it; then the tasks of the clusters due are opened
    (``open_rereview``, idempotent). All in one transaction.

    Refusals name the page's fields: ``year`` (a four-digit year), ``rereview_deadline`` (a date,
    not before today). Side effects: ``round.created`` / ``round.updated``, then those of
    ``open_rereview``.
    """
    from clusterdesk.rounds.domain import create_round, update_round
    from clusterdesk.rounds.models import SHANGHAI

    if not (getattr(actor, "is_authenticated", False) and getattr(actor, "role", None) == "province_admin"
            and getattr(getattr(actor, "org", None), "kind", None) == "province"):
        raise NotAllowed("只有省厅管理员可以发起复核")
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        raise DomainError("请填写复核年度：四位年份，如 2025", field="year") from None
    if not 2000 <= year <= 2100:
        raise DomainError("复核年度应为四位年份，如 2025", field="year")
    if isinstance(deadline, str):
        text = deadline.strip()
        if not text:
            raise DomainError("请填写复核申报截止日期（县级单位提交复核申报表的最后一天）", field="rereview_deadline")
        try:
            deadline = date.fromisoformat(text)
        except ValueError:
            raise DomainError("复核申报截止日期格式不对，请按“2025-10-31”的格式填写", field="rereview_deadline") from None
    if not isinstance(deadline, date):
        raise DomainError("请填写复核申报截止日期（县级单位提交复核申报表的最后一天）", field="rereview_deadline")
    today = timezone.now().astimezone(SHANGHAI).date()
    if deadline < today:
        raise DomainError(f"复核申报截止日期（{deadline:%Y-%m-%d}）不能早于今天（{today:%Y-%m-%d}），请重新填写",
                          field="rereview_deadline")
    with transaction.atomic():
        round_ = (Round.objects.filter(province=actor.org, year=year, stages__code=STAGE)
                  .order_by("-id").first())
        if round_ is None:
            round_ = create_round(actor=actor, name=rereview_round_name(year), year=year, status="open",
                                  deadlines={STAGE: deadline}, request=request)
        elif round_.stages.get(code=STAGE).deadline != deadline:
            round_ = update_round(actor=actor, round_=round_, deadlines={STAGE: deadline}, request=request)
        created = open_rereview(actor=actor, round_=round_, request=request)
    return round_, created


# --- deadlines ---------------------------------------------------------------------------------------

def lateness(task: RereviewTask, now: datetime | None = None) -> Conflict | None:
    """The refusal a late county action gets (None while open). A returned task is not late."""
    if task.status == RereviewStatus.RETURNED:
        return None
    try:
        check_open(task.round, STAGE, task.org, now)
    except Conflict as exc:
        return exc
    return None


def _mark_one_missed(task: RereviewTask, now: datetime, actor=None, request=None) -> bool:
    """Mark a draft missed (its own transaction, so that it stays when the caller refuses)."""
    with transaction.atomic():
        locked = _lock(task)
        marked = locked.status == RereviewStatus.DRAFT
        if marked:
            locked.missed_at = now
            locked.save(update_fields=["missed_at"])
            MACHINE.move(actor=actor, obj=locked, action="miss", request=request, now=now, check=False,
                         extra={"cluster": task.cluster_id, "deadline": deadline_text(locked),
                                "note": "逾期未提交复核申报"})
            # A hand-over to the province (revocation or the report to MIIT); the county learns why.
            _tell(_people(locked, city=False, province=True), locked, "rereview.missed",
                  f"“{locked.cluster.name}”复核申报逾期未提交",
                  f"“{locked.cluster.name}”的复核申报表在截止时间（{deadline_text(locked)}）前未提交，已记为逾期未提交；"
                  "如已获延期，县级单位可恢复填报。")
    if marked:
        task.status, task.missed_at = RereviewStatus.MISSED, now
    return marked


def mark_missed(*, round_: Round, now: datetime | None = None) -> list[RereviewTask]:
    """Every draft of ``round_`` whose deadline (its unit's extension counts) has passed becomes
    ``missed``. Called when the province opens the task list.

    Side effects: ``rereview.missed`` audit event per task (no actor: the deadline did it).
    """
    now = now or timezone.now()
    marked = []
    for task in RereviewTask.objects.filter(round=round_, status=RereviewStatus.DRAFT).select_related("round", "org", "cluster"):
        if lateness(task, now) is not None and _mark_one_missed(task, now):
            marked.append(task)
    return marked


def _open_for_editing(actor, task: RereviewTask, request=None) -> None:
    """Inside a transaction on a locked task: permission, then a missed task whose unit was
    given more time goes back to draft (``reopen``)."""
    require(edit_verdict(actor, task))
    if task.status == RereviewStatus.MISSED and lateness(task) is None:
        task.missed_at = None
        task.save(update_fields=["missed_at"])
        MACHINE.move(actor=actor, obj=task, action="reopen", request=request, extra={"note": "已获延期，恢复填报"})


def _late_guard(actor, task: RereviewTask, request=None):
    """Refuse a late action and put the task on the revocation list (kept after the refusal)."""
    late = lateness(task)
    if late is not None:
        if task.status == RereviewStatus.DRAFT:
            _mark_one_missed(task, timezone.now(), actor, request)
        raise late


# --- county ------------------------------------------------------------------------------------------

def save_task(*, actor, task: RereviewTask, data: dict, expected_version: int | None = None,
              request=None) -> RereviewTask:
    """Save fields of the 复核申报表 (partial: only the fields present are replaced).

    Refused with every error listed when anything is invalid; 409 when the page's
    ``expected_version`` is not the stored one (another tab saved since); refused after the
    deadline (the task is marked missed). Side effects: ``rereview.saved`` audit event.
    """
    task = _fresh(task)
    require(edit_verdict(actor, task))
    _late_guard(actor, task, request)
    cleaned, errors = clean_data(data, task)
    if errors:
        from clusterdesk.applications.domain import ValidationFailed

        raise ValidationFailed(errors)
    with transaction.atomic():
        task = _lock(task)
        _open_for_editing(actor, task, request)
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
    Side effects: the file under ``rereview/<task>/`` of the private storage; ``rereview.evidence_uploaded``.
    """
    from clusterdesk.applications.evidence import check_item_upload  # the one public content check for evidence
    from clusterdesk.core.files import delete_private, store_upload

    task = _fresh(task)
    require(edit_verdict(actor, task))
    _late_guard(actor, task, request)
    item = _evidence_item(task, item_code)
    kind, name = check_item_upload(item, upload, getattr(upload, "name", "") or "")
    stored_name, size, sha256, _ = store_upload(upload, f"rereview/{task.pk}", kind, name)
    try:
        with transaction.atomic():
            task = _lock(task)
            _open_for_editing(actor, task, request)
            late = lateness(task)  # the deadline may have passed while the bytes were copied
            if late is not None:
                raise late
            evidence = RereviewEvidence.objects.create(
                task=task, item_code=item.code, original_name=name, stored_name=stored_name, kind=kind, size=size,
                sha256=sha256, uploaded_by=actor)
            RereviewTask.objects.filter(pk=task.pk).update(updated_at=timezone.now())
            record(action="rereview.evidence_uploaded", actor=actor, obj=task, request=request,
                   after={"id": evidence.pk, "item": item.code, "name": name, "kind": kind, "size": size, "sha256": sha256})
    except BaseException:
        delete_private(stored_name)
        raise
    return evidence


def remove_evidence(*, actor, task: RereviewTask, evidence: RereviewEvidence, request=None) -> RereviewEvidence:
    """Take a file off an editable task (the bytes stay). Side effects: ``rereview.evidence_removed``."""
    task = _fresh(task)
    require(edit_verdict(actor, task))
    _late_guard(actor, task, request)
    with transaction.atomic():
        task = _lock(task)
        _open_for_editing(actor, task, request)
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
    """Submit (or, after the city's return, resubmit) the 复核申报表 to the city.

    Refused with the list of what is missing. After the deadline (a draft): refused with
    "已超过截止时间（…），逾期不予受理", and the task is marked ``missed`` — that mark stays although
    the submission is refused. A second submit of a submitted task is harmless (a double click).
    Side effects: ``rereview.submitted`` (with the evidence manifest); the city's reviewers are told.
    """
    task = _fresh(task)
    if task.status == RereviewStatus.SUBMITTED and is_county_of(actor, task):
        return task  # a double click
    require(edit_verdict(actor, task))
    _late_guard(actor, task, request)
    with transaction.atomic():
        task = _lock(task)
        _open_for_editing(actor, task, request)
        late = lateness(task)  # the deadline may have passed while we waited for the lock
        if late is None:
            require(check(actor, task, "submit"))
            missing = readiness_messages(task)
            if missing:
                raise DomainError(
                    f"还不能提交，缺少 {len(missing)} 项内容：" + "；".join(m["message"] for m in missing[:5])
                    + ("……" if len(missing) > 5 else ""), errors=missing, field=missing[0]["field"])
            resubmitted = task.status == RereviewStatus.RETURNED
            task.submitted_at, task.submitted_by = timezone.now(), actor
            task.save(update_fields=["submitted_at", "submitted_by"])
            manifest = [{"id": f.pk, "item": f.item_code, "name": f.original_name, "sha256": f.sha256}
                        for f in live_evidence(task)]
            MACHINE.move(actor=actor, obj=task, action="submit", request=request, check=False,
                         extra={"version": task.version, "evidence": manifest, "resubmitted": resubmitted})
            verb = "重新提交" if resubmitted else "提交"
            _tell(_people(task, county=False), task, "rereview.submitted",
                  f"{task.org.name}{verb}了“{task.cluster.name}”复核申报",
                  f"{task.org.name}已{verb}“{task.cluster.name}”的复核申报表，请审核后报送省厅或退回修改。")
            return task
    _mark_one_missed(task, timezone.now(), actor, request)
    raise late


# --- city --------------------------------------------------------------------------------------------

@transaction.atomic
def return_task(*, actor, task: RereviewTask, comment: str, request=None) -> RereviewTask:
    """The recommending unit's reviewer sends a submitted task back to the county with its comment
    (required, shown to the county). The county edits and resubmits (not held to the deadline).
    Side effects: ``rereview.returned``; the county is told."""
    task = _lock(task)
    require(check(actor, task, "return"))
    task = MACHINE.move(actor=actor, obj=task, action="return", inputs={"comment": comment}, request=request,
                        check=False)
    task.returned_by, task.returned_at = actor, timezone.now()
    task.return_comment = (comment or "").strip()
    task.save(update_fields=["returned_by", "returned_at", "return_comment"])
    _tell(_people(task, city=False), task, "rereview.returned", f"“{task.cluster.name}”复核申报被市（州）退回修改",
          f"{actor.org.name}退回了“{task.cluster.name}”的复核申报，意见：{task.return_comment}。请修改后重新提交。")
    return task


@transaction.atomic
def forward(*, actor, task: RereviewTask, comment: str, request=None) -> RereviewTask:
    """The recommending unit's reviewer forwards a submitted task to the province with its
    opinion (required). Side effects: ``rereview.forwarded``; the province is told."""
    task = _lock(task)
    require(check(actor, task, "forward"))
    task = MACHINE.move(actor=actor, obj=task, action="forward", inputs={"comment": comment}, request=request,
                        check=False)
    task.forwarded_by, task.forwarded_at, task.city_comment = actor, timezone.now(), (comment or "").strip()
    task.save(update_fields=["forwarded_by", "forwarded_at", "city_comment"])
    _tell(_people(task, county=False, city=False, province=True), task, "rereview.forwarded",
          f"{actor.org.name}报送了“{task.cluster.name}”复核申报",
          f"{actor.org.name}已审核并报送“{task.cluster.name}”的复核申报，请逐条核查并作出复核结论。", "rereview_decide")
    return task


# --- province: the decision ----------------------------------------------------------------------------

def decision_action(task: RereviewTask, passed: bool) -> str:
    """The table's action for the province's decision on this task's level."""
    if level_of(task.cluster) == "national":
        return "prelim_pass" if passed else "prelim_fail"
    return "pass" if passed else "fail"


def decide(*, actor, task: RereviewTask, checks: dict, passed: bool, reason: str = "", spot_check_note: str = "",
           request=None) -> RereviewTask:
    """The province's decision after checking each criterion.

    ``checks``: ``{rule_code: (decision, note)}`` (or ``{"decision", "note"}``). The engine is
    run on the task's new data against its criteria set; the findings on judgement rules are
    fed to it as judgements, and the report (with every finding) is stored with the task.
    Failing needs a reason ("复核不通过必须说明原因" / "初审未通过必须说明原因").
    Provincial cluster: pass → validity + 3 years; fail → the revocation list.
    National cluster: 初审通过（报部） / 初审未通过 — validity unchanged, to be reported to MIIT.
    Side effects: ``rereview.passed`` / ``failed`` / ``prelim_passed`` / ``prelim_failed``
    (``registry.extended`` on a provincial pass); the county and city are told.
    """
    with transaction.atomic():
        task = _lock(task)
        national = level_of(task.cluster) == "national"
        if not isinstance(passed, bool):
            raise DomainError("请选择复核结论：通过或不通过" if not national else "请选择初审结论：初审通过（报部）或初审未通过",
                              field="passed")
        action = decision_action(task, passed)
        require(check(actor, task, action))
        reason = (reason or "").strip()
        spot_check_note = (spot_check_note or "").strip()
        if not passed and not reason:
            raise DomainError("初审未通过必须说明原因（将随初审结果报送工信部）" if national else "复核不通过必须说明原因",
                              field="reason")
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
            raise DomainError(f"逐条核查中{names}判定为不符合，{'初审' if national else '复核'}结论不能为通过",
                              field="passed")
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
        task.decided_by, task.decided_at, task.decision_reason = actor, timezone.now(), reason
        task.spot_check_note, task.criteria_report, task.province_passed = spot_check_note, report, passed
        task.save(update_fields=["decided_by", "decided_at", "decision_reason", "spot_check_note", "criteria_report",
                                 "province_passed"])
        extra = {"set": f"{cset.code}@{cset.version}", "verdict": report["verdict"], "reason": reason,
                 "checks": {c: d for c, (d, _) in resolved.items()}}
        if action == "pass":
            task = _extend(task, actor, request)
            extra["valid_until"] = [str(before_until), str(task.extended_to)]
        MACHINE.move(actor=actor, obj=task, action=action, request=request, check=False, extra=extra)
        name = task.cluster.name
        title, body = {
            "pass": (f"“{name}”复核通过", f"“{name}”复核通过，认定有效期延至{_date_text(task.extended_to)}。"),
            "fail": (f"“{name}”复核不通过", f"“{name}”复核不通过，原因：{reason}。省厅确认后将撤销认定。"),
            "prelim_pass": (f"“{name}”复核初审通过", f"“{name}”省厅初审通过，将报送工业和信息化部，复核结论以工信部为准。"),
            "prelim_fail": (f"“{name}”复核初审未通过",
                            f"“{name}”省厅初审未通过，原因：{reason}。将随初审结果报送工业和信息化部，由工信部作出复核结论。"),
        }[action]
        _tell(_people(task), task, "rereview.decided", title, body)
        return task


def _extend(task: RereviewTask, actor, request) -> RereviewTask:
    """Validity + 3 years (the registry's ``extend_validity``); remembered on the task."""
    _registry().extend_validity(cluster=task.cluster, years=EXTENSION_YEARS, actor=actor, request=request)
    task.cluster.refresh_from_db()
    task.extended_to = task.cluster.valid_until
    task.save(update_fields=["extended_to"])
    return task


# --- province: national clusters — the report to MIIT and MIIT's outcome -----------------------------

def _day(value, field: str, label: str) -> date:
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(f"请填写{label}（格式 2025-11-20）", field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"{label}格式不对，请按“2025-11-20”的格式填写", field=field) from None


def _today() -> date:
    from clusterdesk.rounds.models import SHANGHAI

    return timezone.now().astimezone(SHANGHAI).date()


@transaction.atomic
def report_to_ministry(*, actor, task: RereviewTask, date, request=None) -> RereviewTask:
    """The province records that it reported a national cluster's initial result to MIIT on
    ``date`` (not in the future, not before the initial decision). Both 初审通过 and 初审未通过
    are reported (the latter with its reasons), and so is a national task the county missed.
    Validity does not change. Side effects: ``rereview.reported_to_ministry``; county and city told."""
    task = _lock(task)
    require(check(actor, task, "report_to_ministry"))
    day = _day(date, "date", "报部日期")
    if day > _today():
        raise DomainError(f"报部日期（{day:%Y-%m-%d}）不能晚于今天，请填写实际报送工信部的日期", field="date")
    decided = timezone.localtime(task.decided_at).date() if task.decided_at else None
    if decided and day < decided:
        raise DomainError(f"报部日期（{day:%Y-%m-%d}）不能早于省厅初审日期（{decided:%Y-%m-%d}）", field="date")
    initial = ("初审通过" if task.province_passed else "初审未通过") if task.status != RereviewStatus.MISSED \
        else "逾期未提交复核申报材料"
    task.reported_on, task.reported_by = day, actor
    task.save(update_fields=["reported_on", "reported_by"])
    MACHINE.move(actor=actor, obj=task, action="report_to_ministry", inputs={"date": day}, request=request,
                 check=False, extra={"initial": initial})
    _tell(_people(task), task, "rereview.reported", f"“{task.cluster.name}”复核材料已报送工业和信息化部",
          f"省厅已于{_date_text(day)}将“{task.cluster.name}”的复核情况（{initial}）报送工业和信息化部，复核结论以工信部为准。")
    return task


def ministry_reason(task: RereviewTask) -> str:
    """The revocation reason of a national cluster: MIIT's document, date and reasons."""
    return (f"工业和信息化部复核不通过（{task.ministry_document}，{_date_text(task.ministry_date)}）："
            f"{task.ministry_note}")


@transaction.atomic
def record_ministry_outcome(*, actor, task: RereviewTask, passed, document_number: str = "", date=None,
                            note: str = "", request=None) -> RereviewTask:
    """Record MIIT's re-review outcome for a national cluster reported to it.

    ``passed``: True → validity + 3 years (``registry.service.extend_validity``), task passed;
    False → the cluster is revoked at once (``registry.service.revoke``, MIIT's document in the
    reason), task revoked. Needs ``document_number`` and ``date`` (not before the report date,
    not in the future); a failure needs ``note`` (MIIT's reasons). A provincial cluster's task:
    400; not yet reported: 409. Side effects: ``rereview.ministry_passed`` / ``ministry_failed``
    with ``registry.extended`` / ``registry.revoked``; county and city told.
    """
    task = _lock(task)
    if not isinstance(passed, bool):
        raise DomainError("请选择工信部复核结论：通过或不通过（passed 为 true 或 false）", field="passed")
    action = "ministry_pass" if passed else "ministry_fail"
    require(check(actor, task, action))
    document_number = (document_number or "").strip() if isinstance(document_number, str) else ""
    if not document_number:
        raise DomainError("请填写工信部文件文号，如“工信厅企业函〔2025〕300号”", field="document_number")
    if len(document_number) > 100:
        raise DomainError("工信部文件文号不能超过 100 个字", field="document_number")
    day = _day(date, "date", "工信部结论日期")
    if day > _today():
        raise DomainError(f"工信部结论日期（{day:%Y-%m-%d}）不能晚于今天", field="date")
    if task.reported_on and day < task.reported_on:
        raise DomainError(f"工信部结论日期（{day:%Y-%m-%d}）不能早于报部日期（{task.reported_on:%Y-%m-%d}）", field="date")
    note = (note or "").strip() if isinstance(note, str) else ""
    if not passed and not note:
        raise DomainError("工信部复核不通过须填写说明（工信部文件中的不通过原因），将写入撤销原因", field="note")
    if len(note) > 2000:
        raise DomainError("工信部结论说明不能超过 2000 个字", field="note")
    task.ministry_passed, task.ministry_document = passed, document_number
    task.ministry_date, task.ministry_note = day, note
    task.ministry_recorded_by, task.ministry_recorded_at = actor, timezone.now()
    task.save(update_fields=["ministry_passed", "ministry_document", "ministry_date", "ministry_note",
                             "ministry_recorded_by", "ministry_recorded_at"])
    before_until = task.cluster.valid_until
    extra = {"passed": passed, "document_number": document_number, "date": day.isoformat(), "note": note}
    name = task.cluster.name
    if passed:
        task = _extend(task, actor, request)
        extra["valid_until"] = [str(before_until), str(task.extended_to)]
        title, body = (f"“{name}”通过工业和信息化部复核",
                       f"工业和信息化部（{document_number}）：“{name}”复核通过，认定有效期延至{_date_text(task.extended_to)}。")
    else:
        reason = ministry_reason(task)
        _registry().revoke(cluster=task.cluster, reason=reason, actor=actor, request=request)
        extra["reason"] = reason
        title, body = f"“{name}”未通过工业和信息化部复核，已撤销认定", f"“{name}”已撤销认定。原因：{reason}。"
    MACHINE.move(actor=actor, obj=task, action=action, request=request, check=False, extra=extra)
    _tell(_people(task), task, "rereview.ministry", title, body)
    return task


# --- province: revocation of a provincial cluster --------------------------------------------------------

def revocation_reason(task: RereviewTask) -> str:
    if task.status == RereviewStatus.MISSED or (task.status == RereviewStatus.REVOKED and task.missed_at
                                                and not task.decided_at):
        return f"{task.round.year}年复核逾期未提交复核申报材料"
    if task.ministry_passed is False:
        return ministry_reason(task)
    return f"{task.round.year}年复核不通过：{task.decision_reason}"


def confirm_revocation(*, actor, task: RereviewTask, note: str = "", request=None) -> RereviewTask:
    """The province confirms the revocation of a provincial cluster's failed or missed task
    (``registry.service.revoke``). A draft whose deadline has passed is marked missed first.
    A national cluster's task: 400 (MIIT decides). Side effects: ``rereview.revocation_confirmed``;
    the county and city are told."""
    task = _fresh(task)
    if task.status == RereviewStatus.DRAFT and lateness(task) is not None:
        _mark_one_missed(task, timezone.now())
    with transaction.atomic():
        task = _lock(task)
        require(check(actor, task, "confirm_revocation"))
        note = (note or "").strip()
        if len(note) > 2000:
            raise DomainError("撤销说明不能超过 2000 个字", field="note")
        reason = revocation_reason(task) + (f"（{note}）" if note else "")
        _registry().revoke(cluster=task.cluster, reason=reason, actor=actor, request=request)
        task.revocation_confirmed_by, task.revocation_confirmed_at, task.revocation_note = actor, timezone.now(), note
        task.save(update_fields=["revocation_confirmed_by", "revocation_confirmed_at", "revocation_note"])
        MACHINE.move(actor=actor, obj=task, action="confirm_revocation", inputs={"note": note}, request=request,
                     check=False, extra={"cluster": task.cluster_id, "reason": reason})
        _tell(_people(task), task, "rereview.revoked", f"“{task.cluster.name}”已撤销认定",
              f"“{task.cluster.name}”已撤销认定。原因：{reason}。")
        return task


# --- expiry hold -----------------------------------------------------------------------------------------

def pending_cluster_ids(today) -> list[int]:
    """Clusters whose re-review is under way (workflow group ``pending``): the registry does not
    expire them (``registry.service.EXPIRY_HOLDS``)."""
    return list(RereviewTask.objects.filter(status__in=PENDING).values_list("cluster_id", flat=True))


def register_expiry_hold() -> None:
    """Called by ``RereviewConfig.ready``: a pending re-review keeps its cluster from expiring."""
    from clusterdesk.registry.service import EXPIRY_HOLDS

    if pending_cluster_ids not in EXPIRY_HOLDS:
        EXPIRY_HOLDS.append(pending_cluster_ids)
