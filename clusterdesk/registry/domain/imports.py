"""Import of earlier clusters from a CSV or XLSX file (all or nothing, idempotent)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction

from clusterdesk.core.errors import DomainError
from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgLevel

from ..models import Cluster, ClusterStatus, EventKind, Level
from .common import _event, _require_province_admin, state, validity


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
