"""Loading the catalogues. Each load is one transaction and idempotent; a bad row stops it
with its line number."""

import csv
import io
import re
from pathlib import Path

from django.db import transaction

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import DomainError

from .models import Industry, SubCluster

INDUSTRY_CODE_RE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})$")


class CatalogFileError(DomainError):
    def __init__(self, line: int, message: str):
        super().__init__(f"第{line}行：{message}")
        self.line = line


def _text(raw: bytes) -> str:
    from clusterdesk.core.files import decode_text

    text = decode_text(raw)
    if text is None:
        raise CatalogFileError(1, "文件编码无法识别，请另存为 UTF-8 编码的 CSV")
    return text


def _rows_from_csv(raw: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(_text(raw)))
    rows = [(reader.line_num, row) for row in reader]
    if not rows:
        raise CatalogFileError(1, "文件为空")
    header = [h.strip() for h in rows[0][1]]
    return header, [(n, [c.strip() for c in r]) for n, r in rows[1:] if any(c.strip() for c in r)]


def _rows_from_xlsx(raw: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
    except Exception:
        raise CatalogFileError(1, "无法读取 Excel 文件，请确认是 .xlsx 格式") from None
    rows = [(i, ["" if c is None else str(c).strip() for c in row]) for i, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    if not rows:
        raise CatalogFileError(1, "文件为空")
    return rows[0][1], [(n, r) for n, r in rows[1:] if any(r)]


def read_table(raw: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and numbered rows of a CSV or XLSX file (decided by content, not by name)."""
    if raw[:4] == b"PK\x03\x04":
        return _rows_from_xlsx(raw)
    return _rows_from_csv(raw)


def _columns(header: list[str], wanted: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, int]:
    index = {}
    for key, names in wanted.items():
        for i, h in enumerate(header):
            if h in names:
                index[key] = i
                break
    missing = [wanted[k][0] for k in required if k not in index]
    if missing:
        raise CatalogFileError(1, f"缺少列：{', '.join(missing)}")
    return index


@transaction.atomic
def load_industries(path: str | Path) -> int:
    """Load GB/T 4754-2017 classes (columns section,section_name,code,name). Returns rows changed."""
    header, rows = _rows_from_csv(Path(path).read_bytes())
    cols = _columns(
        header,
        {"section": ("section",), "section_name": ("section_name",), "code": ("code",), "name": ("name",)},
        ("section", "section_name", "code", "name"),
    )
    existing = {i.code: i for i in Industry.objects.all()}
    changed = 0
    seen = set()
    for line, row in rows:
        values = {k: row[i] if i < len(row) else "" for k, i in cols.items()}
        if not INDUSTRY_CODE_RE.match(values["code"]) or values["code"][0] != values["section"]:
            raise CatalogFileError(line, f"行业代码“{values['code']}”格式不对（应为门类字母加 2–4 位数字，如 C27）")
        if not values["name"]:
            raise CatalogFileError(line, f"行业“{values['code']}”缺少名称")
        if values["code"] in seen:
            raise CatalogFileError(line, f"行业代码“{values['code']}”重复")
        seen.add(values["code"])
        current = existing.get(values["code"])
        if current is None:
            Industry.objects.create(**values)
            changed += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            Industry.objects.filter(pk=current.pk).update(**values)
            changed += 1
    return changed


SUBCLUSTER_COLUMNS = {
    "code": ("code", "编号", "序号"),
    "name": ("name", "名称", "子集群名称"),
    "chain": ("chain", "所属产业", "所属集群", "产业链"),
    "note": ("note", "备注"),
}


@transaction.atomic
def import_subclusters(raw: bytes, filename: str, *, actor=None, request=None) -> dict:
    """Create or update sub-clusters from CSV/XLSX (columns 编号,名称[,所属产业,备注])."""
    header, rows = read_table(raw, filename)
    cols = _columns(header, SUBCLUSTER_COLUMNS, ("code", "name"))
    created = updated = 0
    seen: dict[str, int] = {}
    for line, row in rows:
        values = {k: (row[i] if i < len(row) else "") for k, i in cols.items()}
        code = values["code"].removesuffix(".0")
        if not code:
            raise CatalogFileError(line, "编号为空")
        if code in seen:
            raise CatalogFileError(line, f"编号“{code}”与第{seen[code]}行重复")
        seen[code] = line
        if not values["name"]:
            raise CatalogFileError(line, f"子集群“{code}”缺少名称")
        defaults = {k: values.get(k, "") for k in ("name", "chain", "note")}
        _, was_created = SubCluster.objects.update_or_create(code=code, defaults=defaults)
        created += was_created
        updated += not was_created
    if not rows:
        raise CatalogFileError(2, "文件中没有子集群数据")
    result = {"created": created, "updated": updated}
    record(action="catalog.subclusters_imported", actor=actor, object_type="catalog.subcluster",
           object_repr=f"导入重点子集群 {created + updated} 个", after=result, request=request)
    return result
