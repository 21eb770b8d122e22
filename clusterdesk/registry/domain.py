"""The registry's state changes (集群名录): entries, cultivation pools, annual reports, change
filings, expiry. Keyword-only functions that check the permission, change state in one
transaction, keep the entry's history (``ClusterEvent``) and write the audit event.

Decisions recorded here:

- Validity: a cluster of batch year *Y* is valid from 1 January *Y+1* to 31 December *Y+3*
  (the 2022 national batch: 2023–2025). ``extend_validity`` adds whole years to the end.
- A provincial cluster later recognised as national keeps one entry: the level is raised to
  national (the history keeps the provincial state). A recognition never lowers the level.
  A cultivation-pool entry (same unit, same name) is promoted when its application is recognised.
- Annual reports: a recognised cluster reports each year *Y* of its validity after *Y* has ended,
  due on ``ANNUAL_REPORT_DUE`` (default 03-31) of *Y+1*, 23:59:59 Beijing time. A report is
  *owed* (reminded, and overdue when missing) only when its due date is on or after the day the
  entry was registered: earlier reports were made on paper before the system. A report
  submitted after the due date is **accepted and flagged late** (shown on the province's
  dashboard and the entry), because the notice asks for the report, not for a refusal.
- Target progress: completion rate = (achieved − baseline) ÷ (target − baseline) when the plan
  gives a baseline different from the target, otherwise achieved ÷ target; not computed when the
  divisor is 0 or a value is missing.
- Reminders for a report go 30 days before the due date (first run in days 8–30), 7 days before
  (days 1–7) and on the day, once each (``notifications.ReminderLog``), to the county accounts of
  the cluster's unit, while the report is not submitted.
- Change filings: only the county applicant of the cluster's unit files, with at least one
  evidence file (content-checked: PDF, JPG, PNG, DOCX, XLSX, OFD); one pending filing per kind.
  The province administrator approves (the change is applied, the history keeps both states) or
  refuses with a note (the entry stays as it was, the filing keeps what was asked for).
- Expiry: ``expire_due`` moves recognised entries past ``valid_until`` to expired, except those a
  registered hold keeps (``EXPIRY_HOLDS``: the re-review registers "a re-review is pending").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.http import FileResponse
from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.core.files import private_path, store_upload
from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgKind, OrgLevel, Role
from clusterdesk.rounds.models import SHANGHAI, end_of_day

from .models import (
    AnnualReport, ChangeEvidence, ChangeFiling, ChangeKind, ChangeStatus, Cluster, ClusterEvent, ClusterStatus,
    EventKind, Level, ReportStatus,
)

VALIDITY_YEARS = 3
MAX_TEXT = 5000
MAX_CHANGE_FILES = 10
CHANGE_KINDS = ("pdf", "jpg", "png", "docx", "xlsx", "ofd")
CHANGE_KINDS_TEXT = "PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）或 OFD"
NOT_FOUND = "集群不存在或不在您的权限范围内"
PROVINCE_VIEW_ROLES = (Role.PROVINCE_ADMIN, Role.LEADER, Role.SYSADMIN)

# Functions answering the ids of clusters whose expiry is held (a re-review is pending):
# ``fn(today) -> iterable of cluster ids``. The re-review registers its own.
EXPIRY_HOLDS: list[Callable[[date], object]] = []


# --- small helpers ---------------------------------------------------------------------------

def today_local(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(SHANGHAI).date()


def validity(batch_year: int) -> tuple[date, date]:
    """(valid_from, valid_until) of a batch: 1 Jan of the next year to 31 Dec three years on."""
    return date(batch_year + 1, 1, 1), date(batch_year + VALIDITY_YEARS, 12, 31)


def province_of(org: Org) -> Org | None:
    code = org.path.strip("/").split("/")[0] if org.path else ""
    return Org.objects.filter(code=code).first()


def is_province_staff(user) -> bool:
    """Province-level accounts (administrator; leader and system administrator read only)."""
    return bool(user and user.is_authenticated and user.is_active and user.role in PROVINCE_VIEW_ROLES
                and user.org_id and user.org.kind == OrgKind.PROVINCE)


def is_province_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == Role.PROVINCE_ADMIN
                and user.org_id and user.org.kind == OrgKind.PROVINCE)


def _require_province_admin(actor, cluster: Cluster | None, doing: str) -> None:
    """``actor`` None is the system (management commands, the recognition hooks' callers)."""
    if actor is None:
        return
    if not is_province_admin(actor):
        raise NotAllowed(f"只有省厅管理员可以{doing}")
    if cluster is not None and not cluster.org.path.startswith(actor.org.path):
        raise NotAllowed(f"该集群不属于本省，不能{doing}")


def visible(actor, cluster: Cluster) -> bool:
    return Cluster.objects.visible_to(actor).filter(pk=cluster.pk).exists()


def _require_visible(actor, cluster: Cluster) -> None:
    if not visible(actor, cluster):
        raise DomainError(NOT_FOUND, status=404)


def _require_county(actor, cluster: Cluster, doing: str) -> None:
    """The county applicant of the cluster's unit (or of a unit above it in the same chain)."""
    _require_visible(actor, cluster)
    if actor.role != Role.COUNTY_APPLICANT:
        raise NotAllowed(f"只有集群所在县级单位的申报账号可以{doing}")


def _text(value, field: str, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    if required and not text:
        raise DomainError(f"请填写{label}", field=field)
    if len(text) > limit:
        raise DomainError(f"{label}不能超过 {limit} 个字（现为 {len(text)} 个字）", field=field)
    return text


def state(cluster: Cluster) -> dict:
    """The entry's registered facts as JSON, for the history's before/after."""
    return {
        "name": cluster.name,
        "org": cluster.org.code if cluster.org_id else None,
        "level": cluster.level,
        "status": cluster.status,
        "batch_year": cluster.batch_year,
        "valid_from": cluster.valid_from.isoformat() if cluster.valid_from else None,
        "valid_until": cluster.valid_until.isoformat() if cluster.valid_until else None,
        "leading_industry_code": cluster.leading_industry_code,
        "operating_body": cluster.operating_body,
        "covered_org_codes": list(cluster.covered_org_codes or []),
    }


def _event(cluster: Cluster, actor, kind: str, *, before=None, after=None, comment: str = "",
           action: str, request=None, at=None, audit_extra: dict | None = None) -> ClusterEvent:
    """One line of the entry's history and its audit event (with ``audit_extra`` added to "after")."""
    event = ClusterEvent.objects.create(
        cluster=cluster, actor=actor if getattr(actor, "is_authenticated", False) else None, kind=kind,
        before=before, after=after, comment=comment, at=at or timezone.now(),
    )
    audit_after = {**(after or {}), **audit_extra} if audit_extra else after
    record(action=action, actor=actor, obj=cluster, before=before, after=audit_after, comment=comment,
           request=request)
    return event


def _notify(users, kind: str, title: str, body: str, url: str = "") -> None:
    try:
        from clusterdesk.notifications.domain import notify_users
    except ImportError:  # notifications not installed
        return
    notify_users(users=users, kind=kind, title=title, body=body, url=url)


def _url(name: str, *args) -> str:
    from clusterdesk.notifications.domain import safe_reverse

    return safe_reverse(name, args=list(args) or None)


def _county_users(cluster: Cluster):
    from clusterdesk.notifications.domain import county_accounts

    return county_accounts(cluster.org)


def _city_users(cluster: Cluster):
    from clusterdesk.notifications.domain import city_accounts

    return city_accounts(cluster.org.recommender_id) if cluster.org.recommender_id else []


def _province_users(cluster: Cluster):
    from clusterdesk.notifications.domain import province_accounts

    province = province_of(cluster.org)
    return province_accounts(province.pk) if province else []


# --- recognition creates entries ----------------------------------------------------------------

def _application_facts(application) -> dict:
    """Name, leading industry, operating body, covered units and plan targets as submitted."""
    from clusterdesk.applications.domain import load_data

    version = None
    if application.current_version:
        version = application.versions.filter(number=application.current_version).first()
    data = version.data if version is not None else load_data(application)
    return {
        "name": (data.get("name") or application.name or application.number)[:100],
        "leading_industry_code": data.get("leading_industry_code") or "",
        "operating_body": (data.get("operating_body") or "")[:200],
        "covered_org_codes": list(data.get("covered_org_codes") or []),
        "plan_targets": list(data.get("plan_targets") or []),
    }


LEVEL_RANK = {Level.POOL: 0, Level.PROVINCIAL: 1, Level.NATIONAL: 2}


@transaction.atomic
def register_from_application(*, application, level: str, batch_year: int, actor, request=None) -> Cluster:
    """Enter a recognised application in the registry (or raise its entry's level).

    ``level``: ``provincial`` (the province's recognition) or ``national`` (MIIT's). Validity
    from 1 Jan ``batch_year``+1 to 31 Dec ``batch_year``+3. An entry of the same application is
    updated (provincial → national); a cultivation-pool entry of the same unit and name is
    promoted; otherwise a new entry. Calling again with the same level changes nothing.
    Side effects: ``ClusterEvent`` (registered / level_changed) and ``registry.registered``.
    """
    if level not in (Level.NATIONAL, Level.PROVINCIAL):
        raise DomainError("认定级别应为国家级或省级", field="level")
    facts = _application_facts(application)
    cluster = (Cluster.objects.select_for_update().select_related("org").filter(application=application).first()
               or Cluster.objects.select_for_update().select_related("org").filter(
                   org=application.org, name=facts["name"], status=ClusterStatus.POOL, application__isnull=True).first())
    _require_province_admin(actor, cluster, "登记集群名录")
    valid_from, valid_until = validity(batch_year)
    values = {
        **facts, "level": level, "batch_year": batch_year, "valid_from": valid_from, "valid_until": valid_until,
        "status": ClusterStatus.RECOGNIZED, "application": application,
    }
    source = f"来源申报 {application.number}"
    if cluster is None:
        cluster = Cluster.objects.create(org=application.org, **values)
        _event(cluster, actor, EventKind.REGISTERED, after=state(cluster), comment=f"认定为{Level(level).label}集群；{source}",
               action="registry.registered", request=request)
        return cluster
    if LEVEL_RANK[cluster.level] > LEVEL_RANK[Level(level)] or (
            cluster.level == level and cluster.batch_year == batch_year and cluster.status == ClusterStatus.RECOGNIZED):
        return cluster  # never lowers the level; the same recognition twice changes nothing
    before = state(cluster)
    was_pool = cluster.level == Level.POOL
    for name, value in values.items():
        if name == "plan_targets" and not value and cluster.plan_targets:
            continue
        setattr(cluster, name, value)
    cluster.save()
    kind = EventKind.REGISTERED if was_pool else EventKind.LEVEL_CHANGED
    comment = (f"培育库集群认定为{Level(level).label}集群；{source}" if was_pool
               else f"{Level(before['level']).label}集群认定为{Level(level).label}集群；{source}")
    _event(cluster, actor, kind, before=before, after=state(cluster), comment=comment, action="registry.registered",
           request=request)
    return cluster


def on_recognized(application, actor) -> Cluster:
    """The province recognised ``application`` (publicity finalised): a provincial entry."""
    return register_from_application(application=application, level=Level.PROVINCIAL,
                                     batch_year=application.round.year, actor=actor)


def on_national_recognized(application, actor, document_number: str = "", date: str = "") -> Cluster:
    """MIIT recognised ``application`` as national: a national entry (or the provincial one raised).
    ``document_number`` and ``date`` (ISO) of MIIT's announcement are recorded when given."""
    return register_from_application(application=application, level=Level.NATIONAL,
                                     batch_year=application.round.year, actor=actor)


# --- import of earlier clusters ---------------------------------------------------------------

IMPORT_COLUMNS = {
    "name": ("name", "集群名称"),
    "org_code": ("org_code", "单位代码", "所在县级单位代码", "县级单位代码"),
    "level": ("level", "级别"),
    "batch_year": ("batch_year", "认定批次", "认定年度", "批次"),
    "valid_from": ("valid_from", "有效期起"),
    "valid_until": ("valid_until", "有效期止"),
    "status": ("status", "状态"),
    "leading_industry_code": ("leading_industry_code", "主导产业代码", "主导产业"),
    "operating_body": ("operating_body", "运营主体"),
    "covered_org_codes": ("covered_org_codes", "涉及的其他县级单位", "涉及其他县级单位"),
    "note": ("note", "备注"),
}
REQUIRED_IMPORT = ("name", "org_code", "level")
LEVEL_WORDS = {**{l.value: l.value for l in Level}, **{l.label: l.value for l in Level}, "省级集群": "provincial",
               "国家级集群": "national", "培育": "pool"}
STATUS_WORDS = {**{s.value: s.value for s in ClusterStatus}, **{s.label: s.value for s in ClusterStatus},
                "有效": "recognized", "已认定": "recognized", "到期": "expired", "撤销": "revoked", "培育库": "pool"}
MAX_IMPORT_BYTES = 5 * 1024 * 1024


@dataclass
class ImportResult:
    created: list[Cluster] = field(default_factory=list)
    updated: list[Cluster] = field(default_factory=list)
    unchanged: list[Cluster] = field(default_factory=list)


def _decode(raw: bytes) -> str:
    from clusterdesk.core.files import decode_text

    text = decode_text(raw)
    if text is None:
        raise DomainError("文件编码无法识别，请保存为 UTF-8 编码的 CSV 或 Excel（.xlsx）后再导入", field="file")
    return text


def _table(raw: bytes) -> list[tuple[int, dict]]:
    """(line number, row keyed by the canonical column names) of a CSV or XLSX file."""
    if not raw:
        raise DomainError("上传的文件是空的，请选择填好的名录文件", field="file")
    if len(raw) > MAX_IMPORT_BYTES:
        raise DomainError("名录文件过大（超过 5 MB），请确认选择的文件", field="file")
    if raw[:4] == b"PK\x03\x04":
        import warnings

        from openpyxl import load_workbook

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ws = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
        except Exception:
            raise DomainError("Excel 文件已损坏或格式无法识别，请另存为 .xlsx 或 CSV 后再导入", field="file") from None
    else:
        if b"\x00" in raw[:4096]:
            raise DomainError("文件不是 CSV 或 Excel（.xlsx）文件，请检查后再导入", field="file")
        rows = list(csv.reader(io.StringIO(_decode(raw))))
    if not rows:
        raise DomainError("文件中没有内容", field="file")
    aliases = {alias: key for key, names in IMPORT_COLUMNS.items() for alias in names}
    header = [aliases.get(str(h or "").strip()) for h in rows[0]]
    missing = [IMPORT_COLUMNS[k][1] + f"（{k}）" for k in REQUIRED_IMPORT if k not in header]
    if missing:
        raise DomainError(f"名录文件缺少列：{'、'.join(missing)}；第一行应为表头", field="file")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(str(c or "").strip() for c in row):
            continue
        values = {}
        for key, cell in zip(header, row):
            if key:
                if isinstance(cell, datetime):
                    cell = cell.date()
                values[key] = cell if isinstance(cell, date) else ("" if cell is None else str(cell).strip())
        out.append((number, values))
    return out


def _import_date(value, line: int, label: str, errors: list) -> date | None:
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(str(value).replace("/", "-").strip())
    except ValueError:
        errors.append(f"第{line}行：{label}“{value}”格式不对，应为 2025-12-31")
        return None


def _import_row(line: int, row: dict, orgs: dict, industries: set, errors: list) -> dict | None:
    before = len(errors)
    name = str(row.get("name") or "").strip()
    if not name:
        errors.append(f"第{line}行：集群名称不能为空")
    elif len(name) > 100:
        errors.append(f"第{line}行：集群名称不能超过 100 个字")
    code = str(row.get("org_code") or "").strip()
    org = orgs.get(code)
    if org is None:
        errors.append(f"第{line}行：单位代码“{code}”不存在，请先导入单位" if code else f"第{line}行：单位代码不能为空")
    elif KIND_LEVEL[org.kind] != OrgLevel.COUNTY:
        errors.append(f"第{line}行：“{org.name}”不是县级单位，集群应登记在所在的县级单位")
    level = LEVEL_WORDS.get(str(row.get("level") or "").strip())
    if level is None:
        errors.append(f"第{line}行：级别“{row.get('level') or ''}”无效，可选：国家级、省级、培育库")
    status_text = str(row.get("status") or "").strip()
    status = STATUS_WORDS.get(status_text) if status_text else (
        ClusterStatus.POOL if level == Level.POOL else ClusterStatus.RECOGNIZED)
    if status is None:
        errors.append(f"第{line}行：状态“{status_text}”无效，可选：认定有效、已到期、已撤销、培育中")
    if level and status and (level == Level.POOL) != (status == ClusterStatus.POOL):
        errors.append(f"第{line}行：培育库集群的级别和状态都应为“培育库/培育中”")
    batch_year = None
    if str(row.get("batch_year") or "").strip():
        try:
            batch_year = int(Decimal(str(row["batch_year"]).strip()))
            if not 1990 <= batch_year <= 2100:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(f"第{line}行：认定批次“{row['batch_year']}”应为年份，如 2022")
            batch_year = None
    elif level in (Level.NATIONAL, Level.PROVINCIAL):
        errors.append(f"第{line}行：国家级、省级集群须填写认定批次（年份）")
    valid_from = _import_date(row.get("valid_from"), line, "有效期起", errors)
    valid_until = _import_date(row.get("valid_until"), line, "有效期止", errors)
    if batch_year and level != Level.POOL:
        default_from, default_until = validity(batch_year)
        valid_from, valid_until = valid_from or default_from, valid_until or default_until
    if valid_from and valid_until and valid_until < valid_from:
        errors.append(f"第{line}行：有效期止不能早于有效期起")
    industry = str(row.get("leading_industry_code") or "").strip().upper()
    if industry and industry not in industries:
        errors.append(f"第{line}行：主导产业代码“{industry}”不在国民经济行业分类（GB/T 4754-2017）中")
    body = str(row.get("operating_body") or "").strip()
    if len(body) > 200:
        errors.append(f"第{line}行：运营主体不能超过 200 个字")
    covered = [c for c in re.split(r"[;；,，、\s]+", str(row.get("covered_org_codes") or "")) if c]
    for c in covered:
        other = orgs.get(c)
        if other is None:
            errors.append(f"第{line}行：涉及的其他县级单位“{c}”不存在")
        elif org is not None and (c == org.code or KIND_LEVEL[other.kind] != OrgLevel.COUNTY
                                  or other.recommender_id != org.recommender_id):
            errors.append(f"第{line}行：涉及的其他县级单位“{other.name}”应为同一市（州）的其他县级单位")
    if len(errors) > before:
        return None
    return {
        "name": name, "org": org, "level": level, "status": status, "batch_year": batch_year,
        "valid_from": valid_from, "valid_until": valid_until, "leading_industry_code": industry,
        "operating_body": body, "covered_org_codes": covered, "note": str(row.get("note") or "").strip(),
    }


def import_clusters(*, actor, content: bytes, request=None) -> ImportResult:
    """Enter earlier clusters from a CSV or XLSX file (first row: the column names, English or
    Chinese: name/集群名称, org_code/单位代码, level/级别, batch_year/认定批次, valid_from/有效期起,
    valid_until/有效期止, status/状态, leading_industry_code/主导产业代码, operating_body/运营主体,
    covered_org_codes/涉及的其他县级单位, note/备注).

    All or nothing: any bad row refuses the whole file with every problem listed by line.
    Idempotent: an entry is matched by unit and name; unchanged rows change nothing.
    Side effects: ``ClusterEvent`` (imported) per created or changed entry, ``registry.imported``.
    """
    from clusterdesk.catalog.models import Industry

    _require_province_admin(actor, None, "导入集群名录")
    table = _table(content)
    orgs = {o.code: o for o in Org.objects.all()}
    industries = set(Industry.objects.values_list("code", flat=True))
    errors: list[str] = []
    rows = [(line, _import_row(line, row, orgs, industries, errors)) for line, row in table]
    names = {}
    for line, row in rows:
        if row is None:
            continue
        key = (row["org"].code, row["name"])
        if key in names:
            errors.append(f"第{line}行：与第{names[key]}行重复（同一单位、同一集群名称）")
        names.setdefault(key, line)
    if actor is not None:
        outside = [f"第{line}行：单位“{row['org'].name}”不属于本省" for line, row in rows
                   if row and not row["org"].path.startswith(actor.org.path)]
        errors.extend(outside)
    if errors:
        raise DomainError(f"名录文件有 {len(errors)} 处问题，未导入任何内容：" + "；".join(errors[:10])
                          + ("……" if len(errors) > 10 else ""), field="file",
                          errors=[{"field": "file", "message": e} for e in errors])
    result = ImportResult()
    with transaction.atomic():
        for line, row in rows:
            org = row.pop("org")
            existing = Cluster.objects.select_for_update().select_related("org").filter(
                org=org, name=row["name"]).order_by("pk").first()
            if existing is None:
                cluster = Cluster.objects.create(org=org, **row)
                _event(cluster, actor, EventKind.IMPORTED, after=state(cluster), comment=row["note"],
                       action="registry.imported", request=request)
                result.created.append(cluster)
                continue
            changed = {k: v for k, v in row.items() if getattr(existing, k) != v}
            if not changed:
                result.unchanged.append(existing)
                continue
            before = state(existing)
            for k, v in changed.items():
                setattr(existing, k, v)
            existing.save()
            _event(existing, actor, EventKind.IMPORTED, before=before, after=state(existing), comment="导入更新",
                   action="registry.imported", request=request)
            result.updated.append(existing)
    return result


# --- the cultivation pool ---------------------------------------------------------------------

@transaction.atomic
def add_to_pool(*, actor, org: Org, name: str, note: str = "", leading_industry_code: str = "",
                request=None) -> Cluster:
    """A city (recommending unit) puts a cluster of one of its county-level units in its
    cultivation pool (培育库). Not a recognition: level and status are ``pool``.
    Side effects: ``ClusterEvent`` (pool_added), ``registry.pool_added``.
    """
    from clusterdesk.catalog.models import Industry

    if actor.role != Role.CITY_REVIEWER:
        raise NotAllowed("只有市（州）审核人员可以维护本地的培育库")
    if org is None:
        raise DomainError("请选择集群所在的县级单位", field="org")
    if not Org.objects.visible_to(actor).filter(pk=org.pk).exists():
        raise NotAllowed(f"单位“{org.name}”不在您的管理范围内", field="org")
    if KIND_LEVEL[org.kind] != OrgLevel.COUNTY:
        raise DomainError(f"“{org.name}”不是县级单位，集群应登记在所在的县级单位", field="org")
    name = _text(name, "name", "集群名称", limit=100)
    note = _text(note, "note", "培育说明", required=False)
    code = _text(leading_industry_code, "leading_industry_code", "主导产业代码", required=False, limit=8).upper()
    if code and not Industry.objects.filter(code=code).exists():
        raise DomainError(f"主导产业代码“{code}”不在国民经济行业分类（GB/T 4754-2017）中", field="leading_industry_code")
    if Cluster.objects.filter(org=org, name=name).exclude(status=ClusterStatus.REVOKED).exists():
        raise Conflict(f"“{org.name}”已有名为“{name}”的集群登记在名录中", field="name")
    cluster = Cluster.objects.create(org=org, name=name, level=Level.POOL, status=ClusterStatus.POOL, note=note,
                                     leading_industry_code=code)
    _event(cluster, actor, EventKind.POOL_ADDED, after=state(cluster), comment=note, action="registry.pool_added",
           request=request)
    return cluster


# --- validity: expiry, extension, revocation ----------------------------------------------------

def held_ids(today: date) -> set[int]:
    ids: set[int] = set()
    for hold in EXPIRY_HOLDS:
        ids.update(int(i) for i in hold(today))
    return ids


def expire_due(*, today: date | None = None, actor=None, request=None) -> list[Cluster]:
    """Recognised entries whose validity ended before ``today`` become expired, unless a hold
    (a pending re-review) keeps them. Returns the expired entries. Running again changes nothing.
    Side effects: per entry ``ClusterEvent`` (expired) and ``registry.expired``.
    """
    today = today or today_local()
    _require_province_admin(actor, None, "办理集群到期")
    held = held_ids(today)
    expired = []
    with transaction.atomic():
        due = (Cluster.objects.select_for_update().select_related("org")
               .filter(status=ClusterStatus.RECOGNIZED, valid_until__lt=today).exclude(pk__in=held).order_by("pk"))
        for cluster in due:
            before = state(cluster)
            cluster.status = ClusterStatus.EXPIRED
            cluster.save(update_fields=["status"])
            _event(cluster, actor, EventKind.EXPIRED, before=before, after=state(cluster),
                   comment=f"认定有效期至{cluster.valid_until:%Y年%m月%d日}，已到期", action="registry.expired",
                   request=request)
            expired.append(cluster)
    return expired


@transaction.atomic
def extend_validity(*, cluster: Cluster, years: int = VALIDITY_YEARS, actor, comment: str = "",
                    request=None) -> Cluster:
    """Extend recognition by ``years`` whole years from the current end (a passed re-review):
    valid_until becomes 31 Dec of (end year + ``years``); an expired entry is recognised again.
    Side effects: ``ClusterEvent`` (extended) and ``registry.extended``.
    """
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
    _require_province_admin(actor, cluster, "延长认定有效期")
    if cluster.status not in (ClusterStatus.RECOGNIZED, ClusterStatus.EXPIRED) or not cluster.valid_until:
        raise Conflict(f"该集群当前状态为“{cluster.get_status_display()}”，不能延长有效期", field="cluster")
    if not isinstance(years, int) or not 1 <= years <= 10:
        raise DomainError("延长年限应为 1 到 10 年", field="years")
    before = state(cluster)
    cluster.valid_until = date(cluster.valid_until.year + years, 12, 31)
    cluster.status = ClusterStatus.RECOGNIZED
    cluster.save(update_fields=["valid_until", "status"])
    _event(cluster, actor, EventKind.EXTENDED, before=before, after=state(cluster),
           comment=comment or f"有效期延长 {years} 年，至{cluster.valid_until:%Y年%m月%d日}", action="registry.extended",
           request=request)
    return cluster


@transaction.atomic
def revoke(*, cluster: Cluster, reason: str, actor, request=None) -> Cluster:
    """Revoke a recognition (failed or missed re-review, an unfiled change, a negative-list event).
    A reason is required. Side effects: ``ClusterEvent`` (revoked) and ``registry.revoked``."""
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
    _require_province_admin(actor, cluster, "撤销集群认定")
    reason = _text(reason, "reason", "撤销原因")
    if cluster.status == ClusterStatus.REVOKED:
        raise Conflict("该集群的认定已撤销", field="cluster")
    before = state(cluster)
    cluster.status = ClusterStatus.REVOKED
    cluster.save(update_fields=["status"])
    _event(cluster, actor, EventKind.REVOKED, before=before, after=state(cluster), comment=reason,
           action="registry.revoked", request=request)
    return cluster


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
    if cluster.status != ClusterStatus.RECOGNIZED or not (cluster.valid_from and cluster.valid_until):
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
    _require_county(actor, cluster, "填报年度报告")
    if cluster.status != ClusterStatus.RECOGNIZED:
        raise Conflict(f"该集群当前状态为“{cluster.get_status_display()}”，不需要填报年度报告", field="cluster")
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


def _require_draft_of(actor, report: AnnualReport, doing: str) -> None:
    _require_county(actor, report.cluster, doing)
    if report.status != ReportStatus.DRAFT:
        raise Conflict(f"{report.year}年度报告已于{timezone.localtime(report.submitted_at):%Y-%m-%d %H:%M}提交，不能再修改",
                       field="status")


@transaction.atomic
def save_report(*, actor, report: AnnualReport, data: dict, request=None) -> AnnualReport:
    """Save some fields of a draft report (indicators of the year — same validators as the
    application —, achieved value and note per plan target, narrative). Anything invalid
    refuses the whole save with every error listed. Side effects: ``registry.report_saved``.
    """
    from clusterdesk.applications.domain import ValidationFailed

    report = _locked_report(report)
    _require_draft_of(actor, report, "填报年度报告")
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


def is_late(due_on: date, moment: datetime) -> bool:
    return moment > end_of_day(due_on)


@transaction.atomic
def submit_report(*, actor, report: AnnualReport, now: datetime | None = None, request=None) -> AnnualReport:
    """Submit a complete report. After the due date (23:59:59 Beijing time) it is accepted and
    flagged ``late``. Submitting a submitted report returns it unchanged (a double click).
    Side effects: ``ClusterEvent`` (report_submitted), ``registry.report_submitted``; the city
    and the province are told.
    """
    report = _locked_report(report)
    if report.status == ReportStatus.SUBMITTED:
        _require_county(actor, report.cluster, "提交年度报告")
        return report
    _require_draft_of(actor, report, "提交年度报告")
    missing = report_missing(report)
    if missing:
        raise DomainError(f"还不能提交，缺少 {len(missing)} 项内容：" + "；".join(m["message"] for m in missing[:5])
                          + ("……" if len(missing) > 5 else ""), field=missing[0]["field"], errors=missing)
    now = now or timezone.now()
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now
    report.submitted_by = actor
    report.late = is_late(report.due_on, now)
    report.save(update_fields=["status", "submitted_at", "submitted_by", "late", "updated_at"])
    cluster = report.cluster
    flag = f"（逾期提交，截止日为{report.due_on:%Y年%m月%d日}）" if report.late else ""
    _event(cluster, actor, EventKind.REPORT_SUBMITTED, after={"report": report.pk, "year": report.year,
                                                             "late": report.late, "due_on": report.due_on.isoformat()},
           comment=f"提交{report.year}年度发展情况报告{flag}", action="registry.report_submitted", request=request,
           at=now)
    title = f"{cluster.name}：已提交{report.year}年度报告{'（逾期）' if report.late else ''}"
    users = list(_city_users(cluster)) + list(_province_users(cluster))
    _notify(users, "registry.report_submitted", title, f"{cluster.org.name}已提交{cluster.name}{report.year}年度发展情况报告{flag}。",
            _url("registry_report", report.pk))
    return report


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
    clusters = [c for c in clusters if c.status == ClusterStatus.RECOGNIZED]
    reports = {(r.cluster_id, r.year): r for r in AnnualReport.objects.filter(cluster__in=[c.pk for c in clusters])}
    out = []
    for cluster in clusters:
        for year in owed_years(cluster, today):
            report = reports.get((cluster.pk, year))
            if report is not None and report.status == ReportStatus.SUBMITTED:
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
    clusters = list(Cluster.objects.recognized().select_related("org").order_by("pk"))
    submitted = set(AnnualReport.objects.filter(cluster__in=[c.pk for c in clusters], status=ReportStatus.SUBMITTED)
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


# --- change filings ---------------------------------------------------------------------------

CHANGE_FIELDS = {
    ChangeKind.LEADING_INDUSTRY: "leading_industry_code",
    ChangeKind.SPATIAL_SCOPE: "covered_org_codes",
    ChangeKind.OPERATING_BODY: "operating_body",
}
CHANGE_LABELS = {
    "leading_industry_code": "主导产业",
    "covered_org_codes": "涉及的其他县级单位（空间范围）",
    "operating_body": "运营主体",
}


def _clean_change(cluster: Cluster, kind: str, after) -> dict:
    from clusterdesk.applications.domain import ValidationFailed
    from clusterdesk.applications.validation import Context, _Errors, clean_basic

    name = CHANGE_FIELDS[kind]
    if isinstance(after, dict):
        value = after.get(name)
    else:
        value = after
    if name == "covered_org_codes" and isinstance(value, str):
        value = [c for c in re.split(r"[;；,，、\s]+", value) if c]
    errors = _Errors()
    cleaned = clean_basic({name: value}, Context(round=None, org=cluster.org), errors)
    if errors:
        raise ValidationFailed(list(errors))
    result = cleaned[name]
    if name != "covered_org_codes" and not result:
        raise DomainError(f"请填写变更后的{CHANGE_LABELS[name]}", field=f"after.{name}")
    return {name: result}


def _check_change_file(upload) -> tuple[str, str]:
    """(kind, cleaned download name) of one evidence file, judged by its content."""
    from clusterdesk.applications.evidence import check_upload

    return check_upload(upload, list(CHANGE_KINDS), field="evidence", allowed_text=CHANGE_KINDS_TEXT,
                        what="佐证材料", fix_extension=True)


def file_change(*, actor, cluster: Cluster, kind: str, after, reason: str, evidence_files, request=None) -> ChangeFiling:
    """The county files a change of leading industry, spatial scope or operating body with
    evidence. Refused without evidence ("请上传变更的佐证材料"), with no actual change, or while a
    filing of the same kind waits for the province.

    Side effects: the files are streamed to ``PRIVATE_MEDIA_ROOT/registry/changes/<cluster id>/``
    before the transaction (removed again if anything fails); then a ``ChangeFiling`` with its
    ``ChangeEvidence``, ``ClusterEvent`` (change_filed), ``registry.change_filed``; the province
    administrators are told.
    """
    cluster = Cluster.objects.select_related("org").get(pk=cluster.pk)
    _require_county(actor, cluster, "报备集群变更")
    if cluster.status != ClusterStatus.RECOGNIZED:
        raise Conflict(f"该集群当前状态为“{cluster.get_status_display()}”，只有认定有效的集群需要报备变更", field="cluster")
    if kind not in ChangeKind.values:
        raise DomainError(f"变更事项“{kind}”无效，可选：{'、'.join(ChangeKind.labels)}", field="kind")
    after = _clean_change(cluster, kind, after)
    name = CHANGE_FIELDS[kind]
    before = {name: getattr(cluster, name)}
    if before[name] == after[name]:
        raise DomainError(f"变更后的{CHANGE_LABELS[name]}与名录登记的一致，无需报备", field=f"after.{name}")
    reason = _text(reason, "reason", "变更原因", limit=2000)
    uploads = [f for f in (evidence_files or []) if f]
    if not uploads:
        raise DomainError("请上传变更的佐证材料", field="evidence")
    if len(uploads) > MAX_CHANGE_FILES:
        raise DomainError(f"一次最多上传 {MAX_CHANGE_FILES} 个佐证材料", field="evidence")
    if ChangeFiling.objects.filter(cluster=cluster, kind=kind, status=ChangeStatus.FILED).exists():
        raise Conflict(f"该集群已有一项{ChangeKind(kind).label}等待省厅审核，请待审核后再报备", field="kind")
    checked = [(upload, *_check_change_file(upload)) for upload in uploads]
    stored: list[tuple[str, str, str, int, str]] = []
    try:
        for upload, file_kind, file_name in checked:
            relative, size, sha, _ = store_upload(upload, f"registry/changes/{cluster.pk}", file_kind, file_name)
            stored.append((relative, file_kind, file_name, size, sha))
        with transaction.atomic():
            locked = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
            if ChangeFiling.objects.filter(cluster=locked, kind=kind, status=ChangeStatus.FILED).exists():
                raise Conflict(f"该集群已有一项{ChangeKind(kind).label}等待省厅审核，请待审核后再报备", field="kind")
            filing = ChangeFiling.objects.create(cluster=locked, kind=kind, before=before, after=after, reason=reason,
                                                 filed_by=actor, filed_at=timezone.now())
            ChangeEvidence.objects.bulk_create([
                ChangeEvidence(filing=filing, original_name=n, stored_name=r, kind=k, size=s, sha256=h)
                for r, k, n, s, h in stored
            ])
            files = [{"name": n, "kind": k, "size": s, "sha256": h} for _, k, n, s, h in stored]
            _event(locked, actor, EventKind.CHANGE_FILED, before=before, after=after,
                   comment=f"{ChangeKind(kind).label}：{reason}", action="registry.change_filed", request=request,
                   audit_extra={"filing": filing.pk, "files": files})
            _notify(_province_users(locked), "registry.change_filed", f"{locked.name}：{ChangeKind(kind).label}待审核",
                    f"{locked.org.name}报备了{locked.name}的{ChangeKind(kind).label}，请审核。",
                    _url("registry_change", filing.pk))
    except BaseException:
        for relative, *_ in stored:
            private_path(relative).unlink(missing_ok=True)
        raise
    return filing


@transaction.atomic
def decide_change(*, actor, filing: ChangeFiling, approve: bool, note: str = "", request=None) -> ChangeFiling:
    """The province approves (the change is applied to the entry) or refuses (a note is
    required; the entry stays as it was). The history keeps the state before and after.
    Side effects: ``ClusterEvent`` (change_approved / change_refused), ``registry.change_decided``;
    the county is told.
    """
    filing = ChangeFiling.objects.select_for_update().select_related("cluster__org").get(pk=filing.pk)
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=filing.cluster_id)
    if not visible(actor, cluster):
        raise DomainError("变更报备不存在或不在您的权限范围内", status=404)
    _require_province_admin(actor, cluster, "审核集群变更")
    if filing.status != ChangeStatus.FILED:
        raise Conflict(f"该变更报备已审核（{filing.get_status_display()}），不能再次审核", field="status")
    note = _text(note, "decision_note", "审核意见", required=False, limit=2000)
    if not approve and not note:
        raise DomainError("不予同意时请填写审核意见（说明不同意的理由）", field="decision_note")
    now = timezone.now()
    label = ChangeKind(filing.kind).label
    if approve:
        name = CHANGE_FIELDS[filing.kind]
        before = {name: getattr(cluster, name)}
        setattr(cluster, name, filing.after[name])
        cluster.save(update_fields=[name])
        _event(cluster, actor, EventKind.CHANGE_APPROVED, before=before, after=dict(filing.after),
               comment=f"{label}经省厅同意" + (f"：{note}" if note else ""), action="registry.change_decided",
               request=request, at=now)
    else:
        _event(cluster, actor, EventKind.CHANGE_REFUSED, before=dict(filing.before), after=dict(filing.after),
               comment=f"{label}不予同意：{note}", action="registry.change_decided", request=request, at=now)
    filing.status = ChangeStatus.APPROVED if approve else ChangeStatus.REFUSED
    filing.decided_by = actor
    filing.decided_at = now
    filing.decision_note = note
    filing.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    outcome = "同意" if approve else "不予同意"
    _notify(_county_users(cluster), "registry.change_decided", f"{cluster.name}：{label}{outcome}",
            note or f"省厅已{outcome}{cluster.name}的{label}。", _url("registry_change", filing.pk))
    return filing


def change_evidence_response(*, actor, evidence: ChangeEvidence, request=None) -> FileResponse:
    """Stream one evidence file to an account that sees the cluster; records the download."""
    from clusterdesk.applications.evidence import CONTENT_TYPES

    cluster = evidence.filing.cluster
    if not visible(actor, cluster):
        raise DomainError("文件不存在或不在您的权限范围内", status=404)
    try:
        handle = open(private_path(evidence.stored_name), "rb")
    except FileNotFoundError:
        raise DomainError(f"文件“{evidence.original_name}”在服务器上找不到了，请联系系统管理员（编号 {evidence.pk}）",
                          status=404) from None
    try:
        with transaction.atomic():
            record(action="registry.evidence_downloaded", actor=actor, obj=evidence.filing, request=request,
                   after={"id": evidence.pk, "name": evidence.original_name})
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                            content_type=CONTENT_TYPES.get(evidence.kind, "application/octet-stream"))
    response["Cache-Control"] = "private, no-store"
    return response


# --- reading: the province's dashboard ----------------------------------------------------------

def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def ending_soon(clusters, today: date, months: int = 12) -> list[Cluster]:
    """Recognised entries whose validity ends within ``months`` from ``today``."""
    limit = add_months(today, months)
    return sorted((c for c in clusters if c.status == ClusterStatus.RECOGNIZED and c.valid_until
                   and today <= c.valid_until <= limit), key=lambda c: (c.valid_until, c.org.path, c.name))


def past_validity(clusters, today: date) -> list[Cluster]:
    """Entries still recognised after their validity ended (awaiting re-review or expiry)."""
    return sorted((c for c in clusters if c.status == ClusterStatus.RECOGNIZED and c.valid_until
                   and c.valid_until < today), key=lambda c: (c.valid_until, c.org.path, c.name))


def late_reports(clusters) -> list[AnnualReport]:
    """Reports submitted after their due date (accepted, flagged)."""
    return list(AnnualReport.objects.filter(cluster__in=[c.pk for c in clusters], late=True)
                .select_related("cluster__org").order_by("-submitted_at"))
