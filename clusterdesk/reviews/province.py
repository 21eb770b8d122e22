"""The province's side of the review chain (省厅): provincial recognition with a publicity
period (公示), objections, the national selection and its sending to MIIT, on-site spot checks.

Every state change is a keyword-only function that checks the permission (the province
administrator of the round's province), changes state in one transaction and writes its
audit event. Refusals are ``DomainError`` / ``NotAllowed`` / ``Conflict`` with a Chinese
message naming the field. The stage whose deadline an action must respect comes from
the tables in ``workflow.py`` (the national recommendation stage for proposing, selecting and
sending; none for finalising a publicity that was started in time).

Decisions recorded here:

- A publicity period of *n* working days starts on ``starts_on`` and ends on the day of the
  *n*-th working day, counting ``starts_on`` itself when it is a working day. Working days
  follow the official holiday and make-up-day schedule (``chinese_calendar``); for a year that
  library does not know yet, Monday–Friday is used and the note says so. The period includes
  its last day: recognition may be finalised from the next day (Beijing time) on.
- The two tracks run side by side (``workflow.PROVINCIAL`` and ``workflow.NATIONAL``):
  publicity and recognition move only ``status``; selection, sending and the ministry's
  outcome move only ``national_status``. National candidates are the applications the city
  flagged 同步推荐国家级 that passed the province's initial review (``national_status``
  ``candidate``), whatever their provincial step (初审通过, 公示中 or 认定): selecting one does
  not skip its publicity. One whose provincial track stopped (an upheld objection: 未予认定)
  is listed but cannot be selected or sent.
- A pick is "out of score order" when a higher-scored selectable candidate is left out while
  it is chosen, or when it is ranked ahead of a higher-scored pick; such a pick needs a reason.
  Equal scores (and no scores at all, when expert review is not installed) are never out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import chinese_calendar
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from clusterdesk.applications.models import Application, NationalStatus, Status
from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.core.files import delete_private, open_private, store_upload
from clusterdesk.orgs import roles
from clusterdesk.rounds.domain import check_open, format_deadline
from clusterdesk.rounds.models import SHANGHAI, Round, end_of_day

from .models import NationalPick, Objection, PublicityBatch, PublicityEntry, ReviewComment, SpotCheck, SpotCheckFile
from .workflow import NATIONAL, PROVINCIAL

STAGES = {t.action: t.stage for m in (PROVINCIAL, NATIONAL) for t in m.transitions}

MAX_WORKING_DAYS = 30
MAX_TEXT = 5000
MAX_SPOT_CHECK_FILES = 20
SPOT_CHECK_KINDS = ("pdf", "jpg", "png", "docx", "xlsx", "ofd")
SPOT_CHECK_KINDS_TEXT = "PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）或 OFD"

# National states listed on the national selection page, and those a selection may include
# (both declared in the national track's table).
CANDIDATE_STATUSES = NATIONAL.group("listed")
SELECTABLE_STATUSES = NATIONAL.group("selectable")


# --- permissions -----------------------------------------------------------------------------

def acts_for_round(user, round_: Round) -> bool:
    """The province administrator of the province that runs ``round_``."""
    return roles.is_province_admin(user, round_.province_id)


def can_view(user, round_: Round) -> bool:
    """Province-level accounts of the round's province (administrator; leader and system
    administrator read only) see the province's review pages and spot-check records."""
    return roles.is_province_staff(user, round_.province_id)


def _require_admin(actor, round_: Round, doing: str) -> None:
    if not acts_for_round(actor, round_):
        raise NotAllowed(f"只有组织本批次的省厅管理员可以{doing}")


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def _as_date(value, field: str, label: str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
        raise DomainError(f"{label}格式不对，请按“2025-09-30”的格式填写", field=field)
    raise DomainError(f"请填写{label}", field=field)


def _text(value, field: str, label: str, *, limit: int = MAX_TEXT, hint: str = "") -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(f"请填写{label}{hint}", field=field)
    if len(text) > limit:
        raise DomainError(f"{label}不能超过 {limit} 字，请精简", field=field)
    return text


def _notify(application: Application, audiences: tuple, kind: str, title: str, body: str) -> None:
    from clusterdesk.notifications.domain import notify_units

    notify_units(application=application, audiences=audiences, kind=kind, title=title, body=body)


# --- working days ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkingDays:
    """The end of a span of working days, and how it was counted."""

    ends_on: date
    days: tuple[date, ...]  # the working days counted, in order
    fallback_years: tuple[int, ...]  # years chinese_calendar did not know (Monday–Friday used)

    @property
    def note(self) -> str:
        """"" when the official calendar covered every day; otherwise says Monday–Friday was used."""
        if not self.fallback_years:
            return ""
        years = "、".join(f"{y}年" for y in self.fallback_years)
        return (f"节假日日历尚未包含{years}的放假安排，{years}按周一至周五计算工作日；"
                "国务院公布放假安排后请核对公示结束日期")


def _is_workday(day: date) -> tuple[bool, bool]:
    """(working day?, from the official calendar?)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:  # a year the installed calendar does not cover
        return day.weekday() < 5, False


def count_working_days(start: date, n: int) -> WorkingDays:
    """The span of ``n`` working days that starts on ``start`` (counted when it is a working day).

    Official holidays are skipped and make-up working days (调休上班, e.g. Sunday 2025-09-28)
    count. For a year ``chinese_calendar`` does not know, Monday–Friday are the working days and
    ``note`` says so.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DomainError("工作日天数应为正整数", field="working_days")
    day, counted, fallback = start, [], set()
    while len(counted) < n:
        workday, known = _is_workday(day)
        if not known:
            fallback.add(day.year)
        if workday:
            counted.append(day)
        day += timedelta(days=1)
    return WorkingDays(ends_on=counted[-1], days=tuple(counted), fallback_years=tuple(sorted(fallback)))


def add_working_days(start: date, n: int) -> date:
    """The last day of a publicity of ``n`` working days starting on ``start``.

    ``start`` itself is the first working day when it is one (starting Tuesday 2025-09-30 with 5
    working days ends Monday 2025-10-13: 09-30, then after the National Day holiday 10-09, 10-10,
    the make-up Saturday 10-11 and 10-13). For years ``chinese_calendar`` does not know,
    Monday–Friday are counted; ``count_working_days(...).note`` gives the wording recorded with
    the batch.
    """
    return count_working_days(start, n).ends_on


def publicity_note(batch: PublicityBatch) -> str:
    """How the batch's end date was counted ("" when the official calendar covered it)."""
    return count_working_days(batch.starts_on, batch.working_days).note


def finalizable_from(batch: PublicityBatch) -> datetime:
    """The first moment recognition may be finalised: the day after the publicity's last day."""
    return end_of_day(batch.ends_on) + timedelta(microseconds=1)


# --- publicity and provincial recognition --------------------------------------------------------

def _ids(items) -> list[int]:
    ids = []
    for item in items or []:
        value = getattr(item, "pk", item)
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise DomainError(f"申报编号“{value}”无效", field="applications") from None
    return ids


@transaction.atomic
def propose_recognition(*, actor, round_: Round, applications, starts_on, working_days: int = 5, title: str,
                        request=None) -> PublicityBatch:
    """Propose a batch of applications that passed the initial review for provincial recognition
    and publish it for ``working_days`` working days from ``starts_on`` (拟认定公示).

    Only ``initial_passed`` applications of the round; refused after the national
    recommendation deadline. Side effects: a ``PublicityBatch`` with one ``PublicityEntry`` per
    application; each application → ``publicity`` (``state_version`` + 1); ``review.publicity_started``
    audit events on the batch's round and on each application (with the calendar note when the
    end date was counted Monday–Friday); the county and city notified. The returned batch
    carries ``calendar_note``.
    """
    round_ = Round.objects.select_related("province").get(pk=round_.pk)
    _require_admin(actor, round_, "拟认定并公示")
    check_open(round_, STAGES["propose_recognition"], round_.province)
    title = _text(title, "title", "公示名称", limit=200,
                  hint=f"，如“{round_.year}年度{round_.province.name}中小企业特色产业集群拟认定名单公示”")
    starts_on = _as_date(starts_on, "starts_on", "公示开始日期")
    if isinstance(working_days, str) and working_days.strip().isdigit():
        working_days = int(working_days)
    if isinstance(working_days, bool) or not isinstance(working_days, int) or not 1 <= working_days <= MAX_WORKING_DAYS:
        raise DomainError(f"公示工作日应为 1–{MAX_WORKING_DAYS} 的整数，通常为 5 个工作日", field="working_days")
    ids = _ids(applications)
    if not ids:
        raise DomainError("请至少选择一个初审通过的申报", field="applications")
    if len(set(ids)) != len(ids):
        raise DomainError("同一申报不能重复列入公示", field="applications")
    apps = list(Application.objects.select_for_update().filter(round=round_, pk__in=ids)
                .select_related("org").order_by("number"))
    if len(apps) != len(ids):
        raise DomainError("所选申报中有不属于本批次的申报，请刷新页面后重新选择", field="applications", status=404)
    wrong = [a for a in apps if a.status != Status.INITIAL_PASSED]
    if wrong:
        listed = "、".join(f"“{a.name or a.number}”（{a.get_status_display()}）" for a in wrong)
        raise Conflict(f"只有省厅初审通过的申报可以拟认定公示：{listed}", field="applications")
    span = count_working_days(starts_on, working_days)
    batch = PublicityBatch.objects.create(round=round_, title=title, starts_on=starts_on, working_days=working_days,
                                          ends_on=span.ends_on, created_by=actor)
    PublicityEntry.objects.bulk_create([PublicityEntry(batch=batch, application=a) for a in apps])
    now = timezone.now()
    period = {"title": title, "starts_on": str(starts_on), "working_days": working_days, "ends_on": str(span.ends_on)}
    record(action="review.publicity_started", actor=actor, obj=round_, object_repr=title, request=request,
           after={**period, "applications": [a.number for a in apps], "calendar_note": span.note},
           comment=span.note)
    notice = f"公示期 {_cn_date(starts_on)} 至 {_cn_date(span.ends_on)}（{working_days} 个工作日）。"
    for a in apps:
        PROVINCIAL.move(actor=actor, obj=a, action="propose_recognition", request=request, now=now, check=False,
                        extra={"batch": batch.pk, **period}, message=notice)
    batch.calendar_note = span.note
    return batch


def _locked_batch(batch_id: int) -> PublicityBatch:
    return PublicityBatch.objects.select_for_update().select_related("round").get(pk=batch_id)


def _open_batch(actor, batch_id: int, doing: str) -> PublicityBatch:
    batch = _locked_batch(batch_id)
    _require_admin(actor, batch.round, doing)
    if batch.finalized_at is not None:
        raise Conflict(f"该批公示已于{format_deadline(batch.finalized_at)}认定，不能再{doing}", field="batch")
    return batch


@transaction.atomic
def record_objection(*, actor, entry: PublicityEntry, received_on, submitted_by: str, content: str,
                     request=None) -> Objection:
    """Record an objection received during publicity against one entry (公示异议).

    Refused once the batch is finalised, with a receipt date before the publicity started or
    after today. An objection received after the last day is recorded (the page marks it).
    Side effects: an ``Objection`` (unresolved); ``review.objection_recorded`` audit event on
    the application.
    """
    entry = PublicityEntry.objects.select_related("application").get(pk=entry.pk)
    batch = _open_batch(actor, entry.batch_id, "登记异议")
    received_on = _as_date(received_on, "received_on", "收到日期")
    if received_on < batch.starts_on:
        raise DomainError(f"收到日期不能早于公示开始日期（{_cn_date(batch.starts_on)}）", field="received_on")
    if received_on > _today():
        raise DomainError("收到日期不能晚于今天", field="received_on")
    submitted_by = _text(submitted_by, "submitted_by", "异议人", limit=100, hint="（单位或个人；匿名的填“匿名”）")
    content = _text(content, "content", "异议内容")
    objection = Objection.objects.create(entry=entry, received_on=received_on, submitted_by=submitted_by,
                                         content=content, recorded_by=actor)
    record(action="review.objection_recorded", actor=actor, obj=entry.application, request=request,
           after={"objection": objection.pk, "batch": batch.pk, "received_on": str(received_on),
                  "submitted_by": submitted_by, "content": content,
                  "after_publicity": received_on > batch.ends_on})
    return objection


@transaction.atomic
def resolve_objection(*, actor, objection: Objection, upheld: bool, resolution: str, request=None) -> Objection:
    """Decide an objection: upheld (成立: the application will not be recognised, with the
    resolution as the reason) or not. The resolution is required either way; it may be changed
    until the batch is finalised.

    Side effects: the ``Objection`` updated; ``review.objection_resolved`` audit event on the application.
    """
    objection = Objection.objects.select_related("entry__application").get(pk=objection.pk)
    batch = _open_batch(actor, objection.entry.batch_id, "处理异议")
    if not isinstance(upheld, bool):
        raise DomainError("请选择异议是否成立", field="upheld")
    resolution = _text(resolution, "resolution", "处理意见", hint="：异议成立与否都须说明核查情况和理由")
    before = {"upheld": objection.upheld, "resolution": objection.resolution}
    objection.upheld = upheld
    objection.resolution = resolution
    objection.save(update_fields=["upheld", "resolution"])
    record(action="review.objection_resolved", actor=actor, obj=objection.entry.application, request=request,
           before=before, after={"objection": objection.pk, "batch": batch.pk, "upheld": upheld,
                                 "resolution": resolution}, comment=resolution)
    return objection


@transaction.atomic
def finalize_recognition(*, actor, batch: PublicityBatch, now=None, request=None) -> PublicityBatch:
    """After the publicity period: recognise the batch (公示期满，认定).

    Refused on or before the last day of the publicity ("公示期至…，尚未期满") and while an
    objection is unresolved ("尚有未处理的异议"). An entry with an upheld objection becomes
    ``not_recognized`` with the resolution as its reason; the others ``recognized``.
    Side effects: entries' outcome and reason; applications' status (``state_version`` + 1);
    a ``ReviewComment`` with the reason for each one not recognised; ``batch.finalized_at``;
    ``review.recognized`` audit events on the round and on each application; county and city notified.
    """
    batch = _open_batch(actor, batch.pk, "认定")
    now = now or timezone.now()
    if now < finalizable_from(batch):
        raise Conflict(f"公示期至{_cn_date(batch.ends_on)}，尚未期满；"
                       f"{_cn_date(batch.ends_on + timedelta(days=1))}起方可认定", field="batch")
    entries = list(batch.entries.select_related("application").prefetch_related("objections").order_by("pk"))
    pending = [(e, o) for e in entries for o in e.objections.all() if o.upheld is None]
    if pending:
        listed = "、".join(f"“{e.application.name or e.application.number}”（异议人：{o.submitted_by}）"
                           for e, o in pending)
        raise Conflict(f"尚有未处理的异议 {len(pending)} 件：{listed}；请先登记处理意见再认定", field="objections")
    apps = {a.pk: a for a in Application.objects.select_for_update().filter(pk__in=[e.application_id for e in entries])}
    moved = [apps[e.application_id] for e in entries if apps[e.application_id].status != Status.PUBLICITY]
    if moved:
        listed = "、".join(f"“{a.name or a.number}”（{a.get_status_display()}）" for a in moved)
        raise Conflict(f"以下申报已不在公示状态，不能认定：{listed}", field="batch")
    for e in entries:
        upheld = [o for o in e.objections.all() if o.upheld]
        if upheld:
            e.outcome, e.reason = Status.NOT_RECOGNIZED.value, "；".join(o.resolution for o in upheld)
        else:
            e.outcome, e.reason = Status.RECOGNIZED.value, ""
    PublicityEntry.objects.bulk_update(entries, ["outcome", "reason"])
    batch.finalized_at = now
    batch.save(update_fields=["finalized_at"])
    outcomes = [{"application": apps[e.application_id].number, "outcome": e.outcome, "reason": e.reason}
                for e in entries]
    record(action="review.recognized", actor=actor, obj=batch.round, object_repr=batch.title, request=request,
           after={"batch": batch.pk, "outcomes": outcomes})
    for e in entries:
        app = apps[e.application_id]
        if e.reason:
            ReviewComment.objects.create(application=app, version=app.current_version, action="finalize_recognition",
                                         author=actor, org_name=actor.org.name, text=f"未予认定：{e.reason}")
        # The table's effects: the registry enters each recognised cluster; county and city are told.
        action = "recognize" if e.outcome == Status.RECOGNIZED else "not_recognize"
        label = "认定为省级集群" if e.outcome == Status.RECOGNIZED else "未予认定"
        PROVINCIAL.move(actor=actor, obj=app, action=action, request=request, now=now, check=False,
                        extra={"batch": batch.pk, "reason": e.reason},
                        message=e.reason or f"{batch.title}公示期满，{label}。")
    return batch


# --- the national selection -------------------------------------------------------------------

@dataclass
class Candidate:
    """A flagged application on the national selection page."""

    application: Application
    score: Decimal | None
    position: int  # 1-based place in score order
    selectable: bool
    note: str = ""
    pick: NationalPick | None = None


def _read(row, *names):
    for name in names:
        if isinstance(row, dict) and name in row:
            return row[name]
        if hasattr(row, name):
            return getattr(row, name)
    return None


def _expert_scores(round_: Round) -> dict[int, Decimal | None]:
    """Expert score per application id, from ``clusterdesk.experts.domain.ranking(round_)``.

    ``ranking`` answers ``ApplicationResult`` rows (``application`` and ``total.mean``, the mean
    weighted total of the submitted scores); rows with ``score`` (or ``mean``), dicts, and a plain
    ``{application id: score}`` mapping are read too. An application without a submitted score
    has ``None``.
    """
    from clusterdesk.experts.domain import ranking

    rows = ranking(round_) or []
    if isinstance(rows, dict):
        rows = [{"application": k, "score": v} for k, v in rows.items()]
    scores: dict[int, Decimal | None] = {}
    for row in rows:
        app = _read(row, "application", "application_id")
        score = _read(row, "score", "mean", "average")
        if score is None:
            score = getattr(_read(row, "total"), "mean", None)
        if app is None:
            continue
        try:
            scores[int(getattr(app, "pk", app))] = None if score is None else Decimal(str(score))
        except (TypeError, ValueError, InvalidOperation):
            continue
    return scores


def _score_key(score) -> Decimal:
    return Decimal("-Infinity") if score is None else score


def national_candidates(round_: Round) -> list[Candidate]:
    """Applications the cities flagged 同步推荐国家级 that reached the province's initial review,
    ordered by expert score (highest first, unscored last), then by application number.

    ``selectable``: ``initial_passed`` or ``recognized``, or on the current unsent list. One under
    publicity is listed but not selectable; the ones already sent show their pick. Three queries
    plus the expert ranking's.
    """
    apps = list(Application.objects.filter(round=round_, national_status__in=CANDIDATE_STATUSES)
                .select_related("org", "org__recommender"))
    picks = {p.application_id: p for p in NationalPick.objects.filter(round=round_)}
    scores = _expert_scores(round_)
    apps.sort(key=lambda a: a.number)
    apps.sort(key=lambda a: _score_key(scores.get(a.pk)), reverse=True)
    result = []
    for i, app in enumerate(apps, 1):
        pick = picks.get(app.pk)
        if app.status in PROVINCIAL.group("stopped"):
            selectable, note = False, f"省级{app.get_status_display()}，不能推荐国家级"
        elif app.national_status == NationalStatus.CANDIDATE:
            selectable, note = True, ""
        elif app.national_status == NationalStatus.SELECTED:
            selectable, note = pick is not None and pick.sent_at is None, ""
        else:
            selectable, note = False, app.get_national_status_display()
        result.append(Candidate(application=app, score=scores.get(app.pk), position=i, selectable=selectable,
                                note=note, pick=pick))
    return result


def _score_text(score) -> str:
    return "无评分" if score is None else f"专家评分 {score}"


@dataclass
class _Pick:
    candidate: Candidate
    rank: int | None
    reason: str


def _parse_picks(picks) -> list[tuple[int, int | None, str]]:
    if not isinstance(picks, (list, tuple)):
        raise DomainError("选定名单格式不对：应为列表，每项含 application 和 reason", field="picks")
    parsed = []
    for i, item in enumerate(picks, 1):
        if not isinstance(item, dict) or item.get("application") in (None, ""):
            raise DomainError(f"第{i}项缺少申报（application）", field="picks")
        app = item["application"]
        try:
            app_id = int(getattr(app, "pk", app))
        except (TypeError, ValueError):
            raise DomainError(f"第{i}项的申报编号“{app}”无效", field="picks") from None
        rank = item.get("rank")
        if rank in ("", None):
            rank = None
        else:
            try:
                rank = int(rank)
            except (TypeError, ValueError):
                raise DomainError(f"排序应为整数，第{i}项填写了“{rank}”", field=f"picks.{app_id}.rank") from None
        reason = item.get("reason") or ""
        if not isinstance(reason, str):
            raise DomainError("理由应为文字", field=f"picks.{app_id}.reason")
        reason = reason.strip()
        if len(reason) > MAX_TEXT:
            raise DomainError(f"理由不能超过 {MAX_TEXT} 字", field=f"picks.{app_id}.reason")
        parsed.append((app_id, rank, reason))
    return parsed


@transaction.atomic
def select_national(*, actor, round_: Round, picks: list[dict], request=None) -> list[NationalPick]:
    """Choose the province's national list (国家级推荐名单), in rank order.

    ``picks``: ``[{"application": id, "reason": str, "rank": int (optional)}]``. Ranks are distinct
    positive ordering keys (renumbered 1..n); picks without a rank follow the ranked ones in list
    order, so without any rank the list order is the rank order.

    Refused whole when over ``round_.national_quota`` ("超出国家级推荐名额（8个）"), for an
    application the city did not flag ("该申报未被市州标注同步推荐国家级"), for one not
    selectable, once the list was sent, after the national recommendation deadline, and when a pick out of score order has no
    reason ("调整排序须说明理由"). An empty list withdraws an unsent selection.

    Side effects: the previous unsent ``NationalPick`` rows replaced; new picks with rank, score
    and reason; newly picked applications → ``national_status`` ``selected`` (``state_version`` + 1),
    dropped ones back to ``candidate`` (the provincial ``status`` is never touched);
    ``review.national_selected`` audit event on the round and on each newly picked application,
    ``review.national_deselected`` on each dropped one.
    """
    round_ = Round.objects.select_for_update().select_related("province").get(pk=round_.pk)
    _require_admin(actor, round_, "选定国家级推荐名单")
    check_open(round_, STAGES["select_national"], round_.province)
    existing = list(NationalPick.objects.select_for_update().filter(round=round_).select_related("application"))
    sent = [p for p in existing if p.sent_at is not None]
    if sent:
        raise Conflict(f"国家级推荐名单已于{format_deadline(sent[0].sent_at)}标记为已报送工信部，不能再修改",
                       field="picks")
    parsed = _parse_picks(picks)
    quota = round_.national_quota
    if len(parsed) > quota:
        raise Conflict(f"超出国家级推荐名额（{quota}个）：当前选择了 {len(parsed)} 个，请减少到 {quota} 个以内",
                       field="picks")
    if not parsed and not existing:
        raise DomainError("请至少选择一个申报", field="picks")
    ids = [p[0] for p in parsed]
    if len(set(ids)) != len(ids):
        raise DomainError("同一申报不能重复选择", field="picks")
    candidates = {c.application.pk: c for c in national_candidates(round_)}
    outside = [i for i in ids if i not in candidates]
    if outside:
        found = {a.pk: a for a in Application.objects.filter(round=round_, pk__in=outside)}
        for app_id in outside:
            app = found.get(app_id)
            if app is None:
                raise DomainError("所选申报不属于本批次，请刷新页面后重新选择", field=f"picks.{app_id}", status=404)
            if not app.national_flag:
                raise Conflict(f"该申报未被市州标注同步推荐国家级：“{app.name or app.number}”", field=f"picks.{app_id}")
            raise Conflict(f"“{app.name or app.number}”当前状态为“{app.get_status_display()}”，"
                           "只有省厅初审通过的国家级候选可以推荐国家级", field=f"picks.{app_id}")
    for app_id in ids:
        c = candidates[app_id]
        if not c.selectable:
            raise Conflict(f"“{c.application.name or c.application.number}”{c.note or '当前不能选定'}",
                           field=f"picks.{app_id}")
    chosen = [_Pick(candidates[i], rank, reason) for i, rank, reason in parsed]
    for p in chosen:
        if p.rank is not None and p.rank < 1:
            raise DomainError("排序应为正整数，1 排在最前", field=f"picks.{p.candidate.application.pk}.rank")
    ranks = [p.rank for p in chosen if p.rank is not None]
    if len(set(ranks)) != len(ranks):
        raise DomainError("排序不能重复，请为每个选中的申报填写不同的序号", field="picks")
    chosen.sort(key=lambda p: (p.rank is None, p.rank or 0))  # stable: unranked keep the list order, last
    for i, p in enumerate(chosen, 1):
        p.rank = i
    _check_order(chosen, [c for c in candidates.values() if c.selectable and c.application.pk not in set(ids)])

    old_ids = [p.application_id for p in existing]
    dropped = [i for i in old_ids if i not in set(ids)]
    added = [i for i in ids if i not in set(old_ids)]
    locked = {a.pk: a for a in Application.objects.select_for_update().select_related("round", "org")
              .filter(pk__in=set(dropped) | set(added))}
    now = timezone.now()
    before = [{"application": p.application.number, "rank": p.rank, "reason": p.override_reason} for p in existing]
    NationalPick.objects.filter(round=round_).delete()
    created = NationalPick.objects.bulk_create([
        NationalPick(round=round_, application=p.candidate.application, rank=p.rank, score=p.candidate.score,
                     override_reason=p.reason, selected_by=actor)
        for p in chosen
    ])
    after = [{"application": p.candidate.application.number, "rank": p.rank,
              "score": None if p.candidate.score is None else str(p.candidate.score), "reason": p.reason}
             for p in chosen]
    record(action="review.national_selected", actor=actor, obj=round_, object_repr=f"{round_.name}国家级推荐名单",
           before={"picks": before}, after={"picks": after, "quota": quota}, request=request)
    for p in chosen:
        if p.candidate.application.pk in added:
            NATIONAL.move(actor=actor, obj=locked[p.candidate.application.pk], action="select_national",
                          request=request, now=now, check=False, extra={"rank": p.rank, "reason": p.reason})
    for app_id in dropped:
        NATIONAL.move(actor=actor, obj=locked[app_id], action="deselect_national", request=request, now=now,
                      check=False)
    return created


def _check_order(chosen: list[_Pick], left_out: list[Candidate]) -> None:
    """Every pick chosen over a higher-scored candidate, or ranked ahead of a higher-scored
    pick, needs a reason."""
    for i, p in enumerate(chosen):
        if p.reason:
            continue
        mine = _score_key(p.candidate.score)
        name = p.candidate.application.name or p.candidate.application.number
        better_left = [c for c in left_out if _score_key(c.score) > mine]
        better_below = [q for q in chosen[i + 1:] if _score_key(q.candidate.score) > mine]
        if better_left:
            other = better_left[0]
            why = f"入选而评分更高的“{other.application.name or other.application.number}”（{_score_text(other.score)}）未入选"
        elif better_below:
            other = better_below[0].candidate
            why = f"排在评分更高的“{other.application.name or other.application.number}”（{_score_text(other.score)}）之前"
        else:
            continue
        raise DomainError(f"调整排序须说明理由：“{name}”（{_score_text(p.candidate.score)}）{why}，请在该行填写理由",
                          field=f"picks.{p.candidate.application.pk}.reason")


@transaction.atomic
def mark_national_sent(*, actor, round_: Round, request=None) -> list[NationalPick]:
    """Record that the national list was sent to MIIT (报送工信部).

    Refused after the national recommendation deadline ("已超过截止时间（…），逾期不予受理"),
    without a selection, over the quota (lowered since), or when already marked.
    Side effects: each pick's ``sent_at``; each application's ``national_status`` ``selected`` →
    ``sent`` (``state_version`` + 1);
    ``review.national_sent`` audit events on the round and on each application; county and city notified.
    """
    round_ = Round.objects.select_for_update().select_related("province").get(pk=round_.pk)
    _require_admin(actor, round_, "标记国家级推荐名单已报送")
    check_open(round_, STAGES["mark_national_sent"], round_.province)
    picks = list(NationalPick.objects.select_for_update().filter(round=round_).order_by("rank"))
    if not picks:
        raise Conflict("尚未选定国家级推荐名单，请先选定再标记报送", field="picks")
    if len(picks) > round_.national_quota:  # the quota was lowered after the selection
        raise Conflict(f"超出国家级推荐名额（{round_.national_quota}个）：名单中有 {len(picks)} 个，请先调整名单",
                       field="picks")
    if any(p.sent_at for p in picks):
        raise Conflict(f"国家级推荐名单已于{format_deadline(picks[0].sent_at)}标记为已报送工信部", field="picks")
    apps = {a.pk: a for a in Application.objects.select_for_update().select_related("round", "org")
            .filter(pk__in=[p.application_id for p in picks])}
    wrong = [a for a in apps.values() if a.national_status != NationalStatus.SELECTED]
    if wrong:
        listed = "、".join(f"“{a.name or a.number}”（{a.get_national_status_display()}）" for a in wrong)
        raise Conflict(f"以下申报不是“拟推荐国家级”状态，不能报送：{listed}", field="picks")
    stopped = [a for a in apps.values() if a.status in PROVINCIAL.group("stopped")]
    if stopped:
        listed = "、".join(f"“{a.name or a.number}”（省级{a.get_status_display()}）" for a in stopped)
        raise Conflict(f"以下申报的省级认定已终止，不能报送工信部，请先调整名单：{listed}", field="picks")
    now = timezone.now()
    for p in picks:
        p.sent_at = now
    NationalPick.objects.bulk_update(picks, ["sent_at"])
    record(action="review.national_sent", actor=actor, obj=round_, object_repr=f"{round_.name}国家级推荐名单",
           after={"sent_at": now.isoformat(), "picks": [apps[p.application_id].number for p in picks]},
           request=request)
    for p in picks:
        NATIONAL.move(actor=actor, obj=apps[p.application_id], action="mark_national_sent", request=request,
                      now=now, check=False, extra={"rank": p.rank},
                      message="省厅已将本集群列入国家级推荐名单报送工信部，认定结果公布后将在系统中登记。")
    return picks


# --- spot checks ------------------------------------------------------------------------------

def _check_spot_check_file(upload) -> tuple[str, str]:
    """(kind, cleaned download name) of one uploaded file, judged by its content."""
    from clusterdesk.applications.evidence import check_upload

    return check_upload(upload, list(SPOT_CHECK_KINDS), field="files", allowed_text=SPOT_CHECK_KINDS_TEXT,
                        fix_extension=True)


def add_spot_check(*, actor, application: Application, checked_on, people: str, findings: str, files=(),
                   request=None) -> SpotCheck:
    """Record an on-site spot check (实地抽查) of an application: date, people, findings, files.

    Each file is judged by its content (PDF, JPG, PNG, DOCX, XLSX, OFD). Refused for a draft,
    with a date in the future, without people or findings.
    Side effects: the files are streamed to ``spotchecks/<application id>/`` of the private storage
    under random names before the transaction (removed again if anything fails); then in one
    transaction a ``SpotCheck`` with its ``SpotCheckFile`` rows and a ``review.spot_check``
    audit event on the application.
    """
    application = Application.objects.select_related("round", "org").get(pk=application.pk)
    _require_admin(actor, application.round, "登记实地抽查")
    if application.status == Status.DRAFT:
        raise Conflict("申报尚未提交，不能登记实地抽查", field="application")
    checked_on = _as_date(checked_on, "checked_on", "抽查日期")
    if checked_on > _today():
        raise DomainError("抽查日期不能晚于今天", field="checked_on")
    people = _text(people, "people", "参加人员", limit=255, hint="（姓名、单位，多人用顿号分隔）")
    findings = _text(findings, "findings", "发现的情况")
    uploads = [f for f in (files or []) if f]
    if len(uploads) > MAX_SPOT_CHECK_FILES:
        raise DomainError(f"一次最多上传 {MAX_SPOT_CHECK_FILES} 个文件", field="files")
    checked = [(upload, *_check_spot_check_file(upload)) for upload in uploads]
    stored: list[tuple[str, str, str, int, str]] = []
    try:
        for upload, kind, name in checked:
            relative, size, sha, _ = store_upload(upload, f"spotchecks/{application.pk}", kind, name)
            stored.append((relative, kind, name, size, sha))
        with transaction.atomic():
            check = SpotCheck.objects.create(application=application, checked_on=checked_on, people=people,
                                             findings=findings, created_by=actor)
            SpotCheckFile.objects.bulk_create([
                SpotCheckFile(spot_check=check, original_name=name, stored_name=relative, kind=kind, size=size,
                              sha256=sha)
                for relative, kind, name, size, sha in stored
            ])
            record(action="review.spot_check", actor=actor, obj=application, request=request,
                   after={"spot_check": check.pk, "checked_on": str(checked_on), "people": people,
                          "findings": findings,
                          "files": [{"name": n, "kind": k, "size": s, "sha256": h} for _, k, n, s, h in stored]})
    except BaseException:
        for relative, *_ in stored:
            delete_private(relative)
        raise
    return check


def spot_check_file_response(*, actor, file: SpotCheckFile) -> FileResponse:
    """Stream a spot-check file to province-level accounts of the round's province only."""
    round_ = file.spot_check.application.round
    if not can_view(actor, round_):
        raise NotAllowed("实地抽查材料只有省厅可以查看")
    from clusterdesk.applications.evidence import CONTENT_TYPES

    try:
        handle = open_private(file.stored_name)
    except FileNotFoundError:
        raise DomainError("文件已不在存储中，请联系系统管理员", status=404) from None
    return FileResponse(handle, as_attachment=True, filename=file.original_name,
                        content_type=CONTENT_TYPES.get(file.kind, "application/octet-stream"))


def spot_check_context(user, application: Application) -> dict:
    """What the application page needs for ``reviews/_spot_checks.html``."""
    visible = can_view(user, application.round)
    return {
        "show_spot_checks": visible,
        "spot_checks": list(application.spot_checks.prefetch_related("files")) if visible else [],
        "can_add_spot_check": acts_for_round(user, application.round) and application.status != Status.DRAFT,
    }
