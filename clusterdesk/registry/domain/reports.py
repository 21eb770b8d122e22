"""Annual reports (年度发展情况报告): the years owed, the draft, submission (late ones
accepted and flagged), overdue lists and reminders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import DomainError
from clusterdesk.core.workflow import require
from clusterdesk.rounds.models import SHANGHAI

from .. import workflow
from ..models import AnnualReport, Cluster
from .common import MAX_TEXT, _county_users, _notify, _url, is_late, today_local


# --- annual reports --------------------------------------------------------------------------

def due_month_day() -> tuple[int, int]:
    """``settings.ANNUAL_REPORT_DUE`` ("MM-DD") as (month, day)."""
    value = str(getattr(settings, "ANNUAL_REPORT_DUE", "03-31") or "03-31").strip()
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value)
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(2024, month, day)  # a leap year: 02-29 is allowed
            return month, day
        except ValueError:
            pass
    raise ImproperlyConfigured(f"ANNUAL_REPORT_DUE must be MM-DD (e.g. 03-31), got {value!r}")


def report_due_on(year: int) -> date:
    """The due date of the report on ``year``: ``ANNUAL_REPORT_DUE`` of the following year
    (29 February becomes 28 February in a common year)."""
    month, day = due_month_day()
    try:
        return date(year + 1, month, day)
    except ValueError:
        return date(year + 1, month, day - 1)


def reportable_years(cluster: Cluster, today: date) -> list[int]:
    """Years of the validity that have ended, for which a report may be written."""
    if not workflow.CLUSTER.in_group("valid", cluster.status) or not (cluster.valid_from and cluster.valid_until):
        return []
    return list(range(cluster.valid_from.year, min(cluster.valid_until.year, today.year - 1) + 1))


def owed_years(cluster: Cluster, today: date) -> list[int]:
    """Years whose report is owed: ended, within validity, due on or after the entry's registration."""
    registered = cluster.created_at.astimezone(SHANGHAI).date()
    return [y for y in reportable_years(cluster, today) if report_due_on(y) >= registered]


def _report_context(cluster: Cluster, year: int):
    """What ``applications.validation.clean_indicators`` needs: one allowed year."""
    from clusterdesk.applications.validation import Context

    return Context(round=SimpleNamespace(base_year=year, window_years=[year], year=year + 1), org=cluster.org)


def _initial_progress(cluster: Cluster) -> list[dict]:
    return [
        {"index": i, "name": t.get("name") or "", "unit": t.get("unit") or "", "baseline": t.get("baseline"),
         "target": t.get("target"), "target_year": t.get("year"), "achieved": None, "completion_rate": None, "note": ""}
        for i, t in enumerate(cluster.plan_targets or [])
    ]


def completion_rate(baseline, target, achieved) -> Decimal | None:
    """(achieved − baseline) / (target − baseline) with a baseline, else achieved / target."""
    def d(v):
        try:
            return None if v in (None, "") else Decimal(str(v))
        except InvalidOperation:
            return None

    baseline, target, achieved = d(baseline), d(target), d(achieved)
    if target is None or achieved is None:
        return None
    if baseline is not None and target != baseline:
        return (achieved - baseline) / (target - baseline)
    if target == 0:
        return None
    return achieved / target


@transaction.atomic
def start_report(*, actor, cluster: Cluster, year: int, request=None) -> AnnualReport:
    """Open (or return the existing) report of ``cluster`` on ``year``, due on the configured day
    of the next year. Refused for a cluster not recognised or a year outside its validity or not
    yet ended. Side effects: ``registry.report_started``.
    """
    cluster = Cluster.objects.select_related("org").get(pk=cluster.pk)
    require(workflow.can_start_report(actor, cluster))
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DomainError("报告年度应为年份，如 2025", field="year") from None
    years = reportable_years(cluster, today_local())
    if year not in years:
        allowed = f"{years[0]}–{years[-1]}年" if years else "暂无"
        raise DomainError(f"{year}年不能填报年度报告：报告年度应为认定有效期内已结束的年度（可选：{allowed}）", field="year")
    report = AnnualReport.objects.filter(cluster=cluster, year=year).first()
    if report is not None:
        return report
    try:
        with transaction.atomic():
            report = AnnualReport.objects.create(
                cluster=cluster, year=year, due_on=report_due_on(year),
                data={"indicators": [], "target_progress": _initial_progress(cluster), "narrative": ""},
            )
    except IntegrityError:  # a double click
        return AnnualReport.objects.get(cluster=cluster, year=year)
    record(action="registry.report_started", actor=actor, obj=report, after={"cluster": cluster.pk, "year": year,
                                                                             "due_on": report.due_on.isoformat()},
           request=request)
    return report


def _locked_report(report: AnnualReport) -> AnnualReport:
    return AnnualReport.objects.select_for_update().select_related("cluster__org").get(pk=report.pk)


def clean_report(report: AnnualReport, data: dict) -> tuple[dict, list]:
    """Clean the fields present in ``data`` (indicators, target_progress, narrative) with the
    application's validators; returns (cleaned, errors as ``FieldError``)."""
    from clusterdesk.applications.validation import FieldError, _Errors, clean_indicators, parse_decimal

    errors = _Errors()
    out: dict = {}
    cluster = report.cluster
    if not isinstance(data, dict):
        return {}, [FieldError("data", "年度报告内容格式不对")]
    for key in data:
        if key not in ("indicators", "target_progress", "narrative"):
            errors.add(key, f"未知字段 {key}（可填：indicators、target_progress、narrative）")
    if "indicators" in data:
        rows = data["indicators"]
        if isinstance(rows, dict):
            rows = [rows]
        if isinstance(rows, list):
            rows = [{**r, "year": r.get("year") if r.get("year") not in (None, "") else report.year}
                    if isinstance(r, dict) else r for r in rows]
            for i, r in enumerate(rows):
                if isinstance(r, dict) and str(r.get("year")).strip() != str(report.year):
                    errors.add(f"indicators.{i}.year",
                               f"年度报告只填报{report.year}年的指标，第{i + 1}行的年份为“{r.get('year')}”")
            if not errors:
                out["indicators"] = clean_indicators(rows, _report_context(cluster, report.year), errors)
        else:
            errors.add("indicators", "主要指标应为列表")
    if "target_progress" in data:
        targets = cluster.plan_targets or []
        given = data["target_progress"]
        if not isinstance(given, list):
            errors.add("target_progress", "发展目标完成情况应为列表")
            given = []
        by_index = {}
        for i, row in enumerate(given):
            if not isinstance(row, dict):
                errors.add(f"target_progress.{i}", f"发展目标完成情况第{i + 1}行格式不对")
                continue
            index = row.get("index", i)
            try:
                index = int(index)
            except (TypeError, ValueError):
                index = -1
            if not 0 <= index < len(targets):
                errors.add(f"target_progress.{i}.index",
                           f"发展目标完成情况第{i + 1}行对应的目标不存在（本集群登记了 {len(targets)} 项目标）")
                continue
            by_index[index] = row
        progress = []
        for index, target in enumerate(targets):
            row = by_index.get(index, {})
            label = f"第{index + 1}项目标“{target.get('name') or ''}”的"
            where = f"target_progress.{index}"
            achieved = parse_decimal(row.get("achieved"), f"{where}.achieved", label + "实际完成值", errors,
                                     minimum=None, maximum=None, unit=target.get("unit") or "所填单位")
            note = row.get("note") or ""
            if not isinstance(note, str):
                errors.add(f"{where}.note", label + "说明应为文字")
                note = ""
            note = note.strip()
            if len(note) > 1000:
                errors.add(f"{where}.note", f"{label}说明不能超过 1000 个字")
            rate = completion_rate(target.get("baseline"), target.get("target"), achieved)
            progress.append({
                "index": index, "name": target.get("name") or "", "unit": target.get("unit") or "",
                "baseline": target.get("baseline"), "target": target.get("target"),
                "target_year": target.get("year"), "achieved": achieved,
                "completion_rate": f"{rate:.4f}" if rate is not None else None, "note": note,
            })
        out["target_progress"] = progress
    if "narrative" in data:
        text = data["narrative"]
        if text is not None and not isinstance(text, str):
            errors.add("narrative", "年度发展情况应为文字")
            text = ""
        text = (text or "").strip()
        if len(text) > MAX_TEXT:
            errors.add("narrative", f"年度发展情况不能超过 {MAX_TEXT} 个字（现为 {len(text)} 个字）")
        out["narrative"] = text
    return out, list(errors)


def report_version(report: AnnualReport) -> str:
    """The token a page holds to save the report it showed (its last save time, to the
    microsecond): the autosave sends it back, and a save from an older tab is refused."""
    return report.updated_at.isoformat() if report.updated_at else ""


@transaction.atomic
def save_report(*, actor, report: AnnualReport, data: dict, expected_version: str | None = None,
                request=None) -> AnnualReport:
    """Save some fields of a draft report (indicators of the year — same validators as the
    application —, achieved value and note per plan target, narrative). Anything invalid
    refuses the whole save with every error listed; 409 when ``expected_version``
    (``report_version`` of the page) is not the stored one. Side effects: ``registry.report_saved``.
    """
    from clusterdesk.applications.domain import ValidationFailed
    from clusterdesk.core.errors import Conflict

    report = _locked_report(report)
    require(workflow.can_edit_report(actor, report))
    if expected_version and expected_version != report_version(report):
        when = timezone.localtime(report.updated_at).strftime("%H:%M:%S")
        raise Conflict(f"年度报告已于 {when} 在其他窗口保存，您这次的修改没有保存，以免覆盖。请刷新页面后再填写。",
                       field="version")
    cleaned, errors = clean_report(report, data)
    if errors:
        raise ValidationFailed(errors)
    changed = {k: v for k, v in cleaned.items() if report.data.get(k) != v}
    if changed:
        before = {k: report.data.get(k) for k in changed}
        report.data = {**report.data, **changed}
        report.save(update_fields=["data", "updated_at"])
        record(action="registry.report_saved", actor=actor, obj=report, before=before, after=changed, request=request)
    return report


def report_missing(report: AnnualReport) -> list[dict]:
    """What submission still needs, each with the field and a Chinese message."""
    from clusterdesk.applications.validation import INDICATOR_FIELDS

    data = report.data or {}
    missing = []
    row = next((r for r in data.get("indicators") or [] if r.get("year") == report.year), None)
    for key, label in INDICATOR_FIELDS.items():
        if row is None or row.get(key) is None:
            missing.append({"field": f"indicators.{report.year}.{key}", "message": f"主要指标：请填写{report.year}年{label}"})
    progress = {p.get("index"): p for p in data.get("target_progress") or []}
    for i, target in enumerate(report.cluster.plan_targets or []):
        if (progress.get(i) or {}).get("achieved") in (None, ""):
            missing.append({"field": f"target_progress.{i}.achieved",
                            "message": f"发展目标：请填写第{i + 1}项目标“{target.get('name') or ''}”的实际完成值"})
    if not (data.get("narrative") or "").strip():
        missing.append({"field": "narrative", "message": "年度发展情况：请填写上一年度的发展情况说明"})
    return missing


@transaction.atomic
def submit_report(*, actor, report: AnnualReport, now: datetime | None = None, request=None) -> AnnualReport:
    """Submit a complete report: the ``REPORT`` machine's ``submit`` step. After the due date
    (23:59:59 Beijing time) it is accepted and flagged ``late``. Submitting a submitted report
    returns it unchanged (a double click). Refusals: not the county (403), not a draft (409),
    incomplete (400, every missing item listed).
    Side effects: ``registry.report_submitted``, ``ClusterEvent`` (report_submitted); the city
    and the province are told.
    """
    report = _locked_report(report)
    if workflow.REPORT.in_group("done", report.status):
        require(workflow.county_of_cluster("提交年度报告")(actor, report))
        return report
    require(workflow.REPORT.check(actor, report, "submit", now))
    missing = report_missing(report)
    if missing:
        raise DomainError(f"还不能提交，缺少 {len(missing)} 项内容：" + "；".join(m["message"] for m in missing[:5])
                          + ("……" if len(missing) > 5 else ""), field=missing[0]["field"], errors=missing)
    return workflow.REPORT.move(actor=actor, obj=report, action="submit", request=request, now=now, check=False)


@dataclass
class OverdueReport:
    cluster: Cluster
    year: int
    due_on: date
    report: AnnualReport | None  # a draft, or None when not started


def overdue_reports(clusters, now: datetime | None = None) -> list[OverdueReport]:
    """Owed reports past their due date and not submitted, for the given entries (one query
    for the reports)."""
    now = now or timezone.now()
    today = today_local(now)
    clusters = [c for c in clusters if workflow.CLUSTER.in_group("valid", c.status)]
    reports = {(r.cluster_id, r.year): r for r in AnnualReport.objects.filter(cluster__in=[c.pk for c in clusters])}
    out = []
    for cluster in clusters:
        for year in owed_years(cluster, today):
            report = reports.get((cluster.pk, year))
            if report is not None and workflow.REPORT.in_group("done", report.status):
                continue
            due_on = report.due_on if report is not None else report_due_on(year)
            if is_late(due_on, now):
                out.append(OverdueReport(cluster, year, due_on, report))
    return sorted(out, key=lambda o: (o.due_on, o.cluster.org.path, o.cluster.name))


def which_report_reminder(due_on: date, today: date) -> tuple[str, int] | None:
    """("30d", days) in days 8–30 before, ("7d", days) in days 1–7, ("0d", 0) on the day."""
    days = (due_on - today).days
    if days == 0:
        return "0d", 0
    if 1 <= days <= 7:
        return "7d", days
    if 8 <= days <= 30:
        return "30d", days
    return None


def send_report_reminders(now: datetime | None = None) -> int:
    """Remind the county accounts of each recognised cluster whose report is due within 30 days
    and not submitted: 30 and 7 days before and on the due date, once each. Returns how many
    reminders (clusters, not accounts) went out."""
    from clusterdesk.notifications.models import ReminderLog

    now = now or timezone.now()
    today = today_local(now)
    clusters = list(Cluster.objects.filter(status__in=workflow.CLUSTER.group("valid")).select_related("org")
                    .order_by("pk"))
    submitted = set(AnnualReport.objects.filter(cluster__in=[c.pk for c in clusters],
                                                status__in=workflow.REPORT.group("done"))
                    .values_list("cluster_id", "year"))
    sent = 0
    for cluster in clusters:
        registered = cluster.created_at.astimezone(SHANGHAI).date()
        for year in (today.year - 1, today.year):
            if not (cluster.valid_from and cluster.valid_until
                    and cluster.valid_from.year <= year <= cluster.valid_until.year):
                continue
            due_on = report_due_on(year)
            due = which_report_reminder(due_on, today)
            if due is None or due_on < registered or (cluster.pk, year) in submitted:
                continue
            which, days = due
            users = list(_county_users(cluster))
            if not users:
                continue
            when = f"{due_on:%Y年%m月%d日}"
            if which == "0d":
                title = f"今天是{cluster.name}{year}年度报告的报送截止日"
                body = f"{cluster.name}{year}年度发展情况报告今天（{when}）截止报送，请尽快填报并提交；逾期提交将被标记。"
            else:
                title = f"距{cluster.name}{year}年度报告截止还有 {days} 天"
                body = f"{cluster.name}{year}年度发展情况报告应于{when}前报送，还有 {days} 天，请及时填报。"
            key = f"registry-report:{cluster.pk}:{year}:{due_on:%Y%m%d}:{which}"
            try:
                with transaction.atomic():
                    _, created = ReminderLog.objects.get_or_create(key=key)
                    if not created:
                        continue
                    _notify(users, "reminder.annual_report", title, body, _url("registry_cluster", cluster.pk))
            except IntegrityError:
                continue
            sent += 1
    return sent


def late_reports(clusters) -> list[AnnualReport]:
    """Reports submitted after their due date (accepted, flagged)."""
    return list(AnnualReport.objects.filter(cluster__in=[c.pk for c in clusters], late=True)
                .select_related("cluster__org").order_by("-submitted_at"))
