"""The XLSX template for the indicator table and the quality-enterprise list (附件1), and its import.

``build_template`` writes the workbook a county clerk fills in Excel or WPS, prefilled with the
application's saved values so that export → edit → import round-trips. ``parse_workbook`` reads it
back into the raw shape ``domain.save_fields`` accepts; it only checks the file's structure (is it
an .xlsx, are the sheets and headers there). Values are checked by ``validation.clean_fields``
through ``save_fields``; ``import_workbook`` rewrites those errors to point at the Excel row.
"""

import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from clusterdesk.core.errors import DomainError
from clusterdesk.core.workflow import require

from . import domain, rules
from .form_extra import SME_COUNT_LABEL
from .models import Application
from .validation import INDICATOR_FIELDS, QUALIFICATIONS, FieldError

INDICATOR_SHEET = "主要指标"
ENTERPRISE_SHEET = "优质企业"
HELP_SHEET = "填写说明"

# (header text, raw field name); the header row is the row below the title.
# The columns follow the web form's table (``validation.INDICATOR_FIELDS``), so a clerk copying
# between the two finds each figure in the same place (issue 15 §10).
INDICATOR_COLUMNS = [("年份", "year")] + [
    (f"{label}（{'家' if key == 'enterprise_count' else '亿元'}）", key) for key, label in INDICATOR_FIELDS.items()
]
INDICATOR_NOTE_HEADER = "说明"
ENTERPRISE_COLUMNS = [
    ("序号", None),
    ("企业名称", "name"),
    ("统一社会信用代码", "uscc"),
    ("资质", "qualifications"),
    ("获评年份", "year"),
    ("是否属于主导产业", "in_leading_industry"),
]
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
# Formatted empty rows offered below the prefilled enterprises.
SPARE_ENTERPRISE_ROWS = 100

# Short labels used in the template, then every other spelling accepted on import.
QUALIFICATION_SHORT = {
    "champion": "单项冠军",
    "little_giant": "小巨人",
    "specialized": "专精特新",
    "innovative": "创新型",
    "high_tech": "高新",
}
QUALIFICATION_ALIASES = {
    **{label: code for code, label in QUALIFICATION_SHORT.items()},
    **{label: code for code, label in QUALIFICATIONS.items()},
    **{code: code for code in QUALIFICATIONS},
    "单项冠军企业": "champion",
    "制造业单项冠军企业": "champion",
    "小巨人企业": "little_giant",
    "专精特新小巨人": "little_giant",
    "专精特新小巨人企业": "little_giant",
    "国家级专精特新小巨人": "little_giant",
    "专精特新企业": "specialized",
    "专精特新中小企业": "specialized",
    "创新型企业": "innovative",
    "创新型中小企业": "innovative",
    "高新技术企业": "high_tech",
    "高新企业": "high_tech",
    "国家高新技术企业": "high_tech",
    "国家级高新技术企业": "high_tech",
}
QUALIFICATION_SPLIT_RE = re.compile(r"[、,，;；/／\s]+")
QUOTES_RE = re.compile(r"[“”\"'‘’「」]")
YEAR_SUFFIX_RE = re.compile(r"^(\d{4})\s*年$")

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
NOT_XLSX = "上传的文件不是 Excel（.xlsx）文件，请下载模板填写后再导入"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _key(label) -> str:
    """Header text compared loosely: no spaces, full-width brackets either way."""
    text = "" if label is None else str(label)
    text = text.replace("(", "（").replace(")", "）")
    return re.sub(r"\s+", "", text)


def _header_text(columns) -> str:
    return " | ".join(label for label, _ in columns)


# ---------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------


def _safe_text(value) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))


def _put_text(cell, value) -> None:
    """A text cell that is never a formula, whatever the user typed earlier (no formula injection)."""
    cell.value = _safe_text(value)
    cell.data_type = "s"


def _number(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def build_template(application: Application) -> bytes:
    """The .xlsx template of 主要指标 and 优质企业, prefilled with the saved values."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    round_ = application.round
    data = domain.load_data(application)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    locked_fill = PatternFill("solid", fgColor="EDEDED")
    optional_fill = PatternFill("solid", fgColor="FFF7E6")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    title_text = f"{round_.name} 附件1 — {application.number} {application.name or ''}".strip()

    def title(ws, text, width):
        ws.cell(TITLE_ROW, 1, _safe_text(text)).font = Font(bold=True, size=13)
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
        ws.row_dimensions[TITLE_ROW].height = 24

    def header(ws, labels):
        for col, label in enumerate(labels, 1):
            cell = ws.cell(HEADER_ROW, col, label)
            cell.font, cell.fill, cell.alignment, cell.border = bold, header_fill, center, border
        ws.row_dimensions[HEADER_ROW].height = 30
        ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1).coordinate

    wb = Workbook()

    # 主要指标: the optional base year, then the three window years.
    ws = wb.active
    ws.title = INDICATOR_SHEET
    labels = [label for label, _ in INDICATOR_COLUMNS] + [INDICATOR_NOTE_HEADER]
    title(ws, f"主要指标（单位：亿元）  {title_text}", len(labels))
    header(ws, labels)
    by_year = {row.get("year"): row for row in data.get("indicators") or []}
    years = [round_.base_year, *round_.window_years]
    amount_check = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                  showErrorMessage=True, errorTitle="请填写数字",
                                  error="请填写不小于 0 的数字，单位：亿元（可带小数）")
    count_check = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                 showErrorMessage=True, errorTitle="请填写整数", error="企业数量请填写整数（单位：家）")
    ws.add_data_validation(amount_check)
    ws.add_data_validation(count_check)
    for offset, year in enumerate(years):
        r = FIRST_DATA_ROW + offset
        saved = by_year.get(year, {})
        year_cell = ws.cell(r, 1, year)
        year_cell.font, year_cell.fill, year_cell.alignment, year_cell.border = bold, locked_fill, center, border
        year_cell.number_format = "0"
        for col, (_, key) in enumerate(INDICATOR_COLUMNS[1:], 2):
            cell = ws.cell(r, col)
            cell.border = border
            if key == "enterprise_count":
                cell.value = saved.get(key)
                cell.number_format = "0"
                count_check.add(cell.coordinate)
            else:
                cell.value = _number(saved.get(key))
                cell.number_format = "0.00"
                amount_check.add(cell.coordinate)
        optional = year == round_.base_year
        note = ws.cell(r, len(labels), "可选：基期（用于计算增长率，可不填）" if optional else "必填")
        note.fill, note.border = (optional_fill if optional else locked_fill), border
        note.font = Font(color="7F7F7F")
    # 集群内中小企业数量: one labelled line below the table (a count at the end of the last year).
    r = FIRST_DATA_ROW + len(years) + 1
    label = ws.cell(r, 1, f"{SME_COUNT_LABEL}（家，截至{round_.window_years[-1]}年末；选填）")
    label.font = bold
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
    cell = ws.cell(r, 4, data.get("sme_count"))
    cell.number_format, cell.border = "0", border
    count_check.add(cell.coordinate)
    for col, width in zip("ABCDEFG", (10, 18, 22, 22, 16, 26, 36)):
        ws.column_dimensions[col].width = width

    # 优质企业
    ws = wb.create_sheet(ENTERPRISE_SHEET)
    labels = [label for label, _ in ENTERPRISE_COLUMNS]
    title(ws, f"优质企业名单  {title_text}", len(labels))
    header(ws, labels)
    enterprises = data.get("quality_enterprises") or []
    last_row = FIRST_DATA_ROW + len(enterprises) + SPARE_ENTERPRISE_ROWS - 1
    for i in range(len(enterprises) + SPARE_ENTERPRISE_ROWS):
        r = FIRST_DATA_ROW + i
        for col in range(1, len(labels) + 1):
            ws.cell(r, col).border = border
        ws.cell(r, 3).number_format = "@"
        ws.cell(r, 5).number_format = "0"
        if i >= len(enterprises):
            continue
        e = enterprises[i]
        ws.cell(r, 1, i + 1).alignment = center
        _put_text(ws.cell(r, 2), e.get("name"))
        _put_text(ws.cell(r, 3), e.get("uscc"))
        per = e.get("qualification_years") or {}
        _put_text(ws.cell(r, 4), "、".join(
            QUALIFICATION_SHORT.get(q, q) + (f"（{per[q]}）" if per.get(q) is not None and per.get(q) != e.get("year") else "")
            for q in e.get("qualifications") or []))
        ws.cell(r, 5, e.get("year"))
        flag = e.get("in_leading_industry")
        ws.cell(r, 6, "" if flag is None else ("是" if flag else "否")).alignment = center
    ws.column_dimensions["C"].number_format = "@"  # new cells typed below the formatted rows stay text too
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                            errorTitle="请选择", error="请从下拉列表选择“是”或“否”")
    yes_no.add(f"F{FIRST_DATA_ROW}:F{last_row}")
    qual_hint = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="资质（可多选）",
                               prompt="可填多项，用顿号（、）分隔，每项后可用括号写获评年份，如 小巨人（2023）、专精特新（2022）："
                               + "、".join(QUALIFICATION_SHORT.values()))
    qual_hint.add(f"D{FIRST_DATA_ROW}:D{last_row}")
    code_hint = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="统一社会信用代码",
                               prompt="18 位，按营业执照填写；本列为文本格式，请勿改为数字格式")
    code_hint.add(f"C{FIRST_DATA_ROW}:C{last_row}")
    year_check = DataValidation(type="whole", operator="between", formula1="2000", formula2=str(round_.year),
                                allow_blank=True, showErrorMessage=True, errorTitle="请填写年份",
                                error=f"获评年份请填写 4 位年份（2000–{round_.year}）")
    year_check.add(f"E{FIRST_DATA_ROW}:E{last_row}")
    for dv in (yes_no, qual_hint, code_hint, year_check):
        ws.add_data_validation(dv)
    for col, width in zip("ABCDEF", (8, 40, 24, 36, 12, 18)):
        ws.column_dimensions[col].width = width

    # 填写说明
    ws = wb.create_sheet(HELP_SHEET)
    ws.column_dimensions["A"].width = 110
    window = f"{round_.window_years[0]}–{round_.window_years[-1]}"
    lines = [
        ("填写说明", True),
        (f"本文件用于填写申报 {application.number} 的“主要指标”和“优质企业”两部分，填好后在申报表页面点击“从 Excel 导入”上传。", False),
        ("导入会用本文件的内容整体替换系统中已保存的主要指标和优质企业名单；文件中有任何一处错误时，系统不保存任何内容，并按“表名＋行号”列出需要修改的地方。", False),
        ("请不要修改、删除或重命名工作表和表头行，不要在表头上方插入行；序号列仅供查看。", False),
        ("各方面的文字说明（如核心竞争力、梯度培育成效）篇幅较长，请直接在网页申报表中填写，本文件不含这些内容，导入也不会改动它们。", False),
        ("", False),
        ("一、主要指标表", True),
        (f"年份已预先填好（{window} 年三年必填；{round_.base_year} 年为可选的基期，用于计算年均增长率），请勿修改年份。", False),
        ("集群产值、中小企业产值、主导产业产值、中小企业研发投入的单位均为“亿元”，可以带小数（最多 4 位），例如 12.35；不要填写“万元”数值，也不要带单位文字。", False),
        ("企业数量的单位为“家”，填写整数。", False),
        ("中小企业产值、主导产业产值都不能大于同年的集群产值。", False),
        (f"表格下方的“{SME_COUNT_LABEL}”填写截至 {round_.window_years[-1]} 年末集群内中小企业的家数（整数，选填）；留空导入时清空该项。", False),
        ("中小企业产值占比、主导产业产值占比和年均增长率由系统根据产值自动计算，表中没有这些列，请勿自行添加或填写。", False),
        ("", False),
        ("二、优质企业表", True),
        ("每行填写一家企业，空行会被忽略。", False),
        ("企业名称：按营业执照上的全称填写。", False),
        ("统一社会信用代码：18 位，按营业执照填写。系统会校验代码的格式和校验位，代码有误或同一代码出现两次都不能导入。本列已设为文本格式，请勿改成数字格式，否则 Excel 会把代码变成科学计数法并丢失末位数字。", False),
        ("资质：可填一项或多项，多项之间用顿号（、）或逗号分隔。可填：" + "、".join(
            f"{short}（{QUALIFICATIONS[code]}）" for code, short in QUALIFICATION_SHORT.items()) + "。", False),
        (f"各项资质的获评年份不同时，在该资质后用括号写年份，例如“小巨人（{round_.year - 2}）、专精特新（{round_.year - 4}）”。"
         "资质有有效期（如三年），只有在最后一个申报年度年底仍有效的资质才计入。", False),
        (f"获评年份：资质后未写年份时使用本列，4 位数字（2000 年至今），例如 {round_.year - 1}。", False),
        ("是否属于主导产业：从下拉列表选择“是”或“否”。", False),
    ]
    for r, (text, strong) in enumerate(lines, 1):
        cell = ws.cell(r, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if strong:
            cell.font = Font(bold=True, size=13 if r == 1 else 11)

    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------
# Reading it back
# ---------------------------------------------------------------------------


@dataclass
class _Parsed:
    data: dict
    indicator_rows: list[int] = field(default_factory=list)  # Excel row of each indicators[i]
    enterprise_rows: list[int] = field(default_factory=list)  # Excel row of each quality_enterprises[i]
    numeric_codes: set[int] = field(default_factory=set)  # enterprises whose credit code Excel stored as a number
    sme_count_row: int | None = None  # Excel row of the 集群内中小企业数量 line, when present


def _file_error(message: str) -> DomainError:
    return DomainError(message, field="file")


def _open(raw: bytes):
    """The workbook, decided by content (not by file name)."""
    if not raw:
        raise _file_error("上传的文件是空的，请选择填好的模板文件后再导入")
    if len(raw) > MAX_FILE_BYTES:
        raise _file_error(f"上传的文件过大（{len(raw) / 1024 / 1024:.1f} MB），模板文件不应超过 "
                          f"{MAX_FILE_BYTES // 1024 // 1024} MB，请确认选择的是填好的模板")
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _file_error("上传的文件是旧版 Excel（.xls）文件或设置了打开密码的文件，系统只能读取 .xlsx。"
                          "请在 Excel 或 WPS 中取消密码并“另存为”Excel 工作簿（.xlsx），或下载模板填写后再导入")
    if raw[:4] != b"PK\x03\x04":
        raise _file_error(NOT_XLSX)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _file_error("上传的 Excel 文件已损坏或不完整，无法读取，请重新保存后再导入，或下载模板重新填写") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _file_error(NOT_XLSX)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _file_error("上传的 Excel 文件内容过大，无法导入，请确认选择的是填好的模板")
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # WPS extensions openpyxl does not read, etc.
            return load_workbook(io.BytesIO(raw), data_only=True, keep_links=False)
    except Exception:
        raise _file_error("上传的 Excel 文件已损坏或格式无法识别，请在 Excel 或 WPS 中另存为 .xlsx 后再导入，"
                          "或下载模板重新填写") from None


def _sheet(wb, name: str, columns):
    for ws in wb.worksheets:
        if ws.title.strip() == name:
            return ws
    raise _file_error(f"Excel 文件中缺少“{name}”工作表（表头应为：{_header_text(columns)}）。"
                      "请下载模板，在模板中填写后再导入，不要删除或重命名工作表")


def _rows(ws, name: str, columns):
    """(Excel row number, values) of the rows below the header, which is found in the first rows."""
    expected = [_key(label) for label, _ in columns]
    width = len(columns)
    rows = ws.iter_rows(min_row=1, max_col=width, values_only=True)
    for number, values in enumerate(rows, 1):
        values = list(values) + [None] * (width - len(values))
        if _key(values[0]) != expected[0]:
            if number >= 10:
                break
            continue
        for col, (want, got) in enumerate(zip(expected, values), 1):
            if _key(got) != want:
                raise _file_error(
                    f"“{name}”工作表第 {number} 行的表头不对：第 {col} 列应为“{columns[col - 1][0]}”，"
                    f"现为“{'' if got is None else got}”。表头应为：{_header_text(columns)}。"
                    "请不要修改表头，下载模板把数据粘贴进去后再导入"
                )
        return [(n, list(v) + [None] * (width - len(v))) for n, v in enumerate(rows, number + 1)]
    raise _file_error(f"“{name}”工作表中找不到表头行，表头应为：{_header_text(columns)}。"
                      "请不要修改或删除表头，下载模板填写后再导入")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(value):
    """A cell as the validators take it: None for blank, stripped text, numbers as they are."""
    if _blank(value):
        return None
    if isinstance(value, str):
        return value.strip()
    return value


def _year(value):
    if isinstance(value, datetime | date):
        return value.year  # Excel turned a typed year-month into a date
    value = _cell(value)
    if isinstance(value, str) and YEAR_SUFFIX_RE.match(value):
        return YEAR_SUFFIX_RE.match(value).group(1)
    return value


def _text(value) -> str | None:
    """Text columns: numbers Excel stored for digits become their digits again, unless Excel
    already rounded them (over 15 digits): those stay as Excel shows them, so they fail validation
    instead of passing as some other code."""
    value = _cell(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15G}"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


QUAL_YEAR_RE = re.compile(r"^(?P<name>.*?)[（(]?(?P<year>\d{4})年?[)）]?$")


def _qualifications(value) -> tuple[list[str], dict]:
    """The qualifications of a cell and the award year written after any of them:
    “小巨人（2023）、专精特新2022” → [little_giant, specialized], {little_giant: 2023, specialized: 2022}."""
    text = _text(value)
    if text is None:
        return [], {}
    codes, years = [], {}
    for token in QUALIFICATION_SPLIT_RE.split(str(text)):
        token = QUOTES_RE.sub("", token).strip()
        if not token:
            continue
        match = QUAL_YEAR_RE.match(token)
        year = None
        if match:
            token, year = match["name"].strip(), int(match["year"])
            if not token:  # “小巨人 2023”: the year of the qualification before it
                if codes:
                    years[codes[-1]] = year
                continue
        code = QUALIFICATION_ALIASES.get(token) or QUALIFICATION_ALIASES.get(token.lower())
        code = code or QUALIFICATION_ALIASES.get(QUOTES_RE.sub("", token))
        code = code or token  # unknown ones are reported by the validator
        codes.append(code)
        if year is not None:
            years[code] = year
    return list(dict.fromkeys(codes)), years


def _parse(raw: bytes, round_) -> _Parsed:
    wb = _open(raw)
    indicator_sheet = _sheet(wb, INDICATOR_SHEET, INDICATOR_COLUMNS)
    enterprise_sheet = _sheet(wb, ENTERPRISE_SHEET, ENTERPRISE_COLUMNS)
    parsed = _Parsed(data={"indicators": [], "quality_enterprises": []})

    for number, values in _rows(indicator_sheet, INDICATOR_SHEET, INDICATOR_COLUMNS):
        if all(_blank(v) for v in values):
            continue
        if isinstance(values[0], str) and values[0].strip().startswith(SME_COUNT_LABEL):
            parsed.data["sme_count"] = next((_cell(v) for v in values[1:] if not _blank(v)), None)
            parsed.sme_count_row = number
            continue
        row = {"year": _year(values[0])}
        for (_, key), value in zip(INDICATOR_COLUMNS[1:], values[1:]):
            row[key] = _cell(value)
        parsed.data["indicators"].append(row)
        parsed.indicator_rows.append(number)

    for number, values in _rows(enterprise_sheet, ENTERPRISE_SHEET, ENTERPRISE_COLUMNS):
        # 序号 and the 是/否 column are often filled down over empty rows: they alone do not make a row.
        if all(_blank(v) for v in values[1:5]):
            continue
        _, name, code, quals, year, leading = values
        if isinstance(code, int | float) and not isinstance(code, bool):
            parsed.numeric_codes.add(len(parsed.data["quality_enterprises"]))
        qual_codes, qual_years = _qualifications(quals)
        parsed.data["quality_enterprises"].append({
            "name": _text(name),
            "uscc": _text(code),
            "qualifications": qual_codes,
            "year": _year(year),
            "in_leading_industry": _cell(leading),
            **({"qualification_years": qual_years} if qual_years else {}),
        })
        parsed.enterprise_rows.append(number)

    _check_round(parsed, round_)
    return parsed


def _check_round(parsed: _Parsed, round_) -> None:
    """A template of another round (none of its years is one of this round's) is the wrong file."""
    allowed = {round_.base_year, *round_.window_years}
    years = set()
    for row in parsed.data["indicators"]:
        try:
            years.add(int(Decimal(str(row["year"]))))
        except (InvalidOperation, TypeError, ValueError):
            return
    if years and not years & allowed:
        raise _file_error(
            f"“{INDICATOR_SHEET}”工作表中的年份（{'、'.join(map(str, sorted(years)))}）都不是本批次的指标年份"
            f"（{round_.window_years[0]}–{round_.window_years[-1]} 年，{round_.base_year} 年为可选基期），"
            "可能是其他批次的模板。请在本申报的页面重新下载模板填写后再导入"
        )


def parse_workbook(raw: bytes, round_) -> dict:
    """The workbook's 主要指标 and 优质企业 in the raw shape ``save_fields`` accepts.

    Raises ``DomainError(field="file")`` when the file is not an .xlsx or a sheet or header is
    missing; values are not checked here (``validation.clean_fields`` does that).
    """
    return _parse(raw, round_).data


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------

_FIELD_RE = re.compile(r"^(indicators|quality_enterprises)(?:\.(\d+))?(?:\.(\w+))?(?:\.\w+)?$")
NUMERIC_CODE_HINT = "（该单元格被 Excel 存成了数字，18 位代码会丢失末位数字：请把该列设为文本格式后重新输入代码）"


def _located(error: dict, parsed: _Parsed) -> FieldError:
    """The error with the sheet and Excel row put in front of its message."""
    message, name = error["message"], error["field"]
    match = _FIELD_RE.match(name or "")
    if name == "sme_count" and parsed.sme_count_row:
        return FieldError(name, f"{INDICATOR_SHEET}表第 {parsed.sme_count_row} 行：{message}")
    if not match:
        return FieldError(name, message)
    kind, number, sub = match.group(1), match.group(2), match.group(3)
    if kind == "indicators":
        rows = []
        if number is not None:
            n = int(number)
            if n >= 1990:  # indicators.<year>.<field>
                rows = [r for r, row in zip(parsed.indicator_rows, parsed.data["indicators"])
                        if _same_year(row.get("year"), n)]
            elif n < len(parsed.indicator_rows):  # indicators.<index>: the validator counts rows from 1
                rows = [parsed.indicator_rows[n]]
                message = message.replace(f"主要指标第{n + 1}行的", "").replace(f"主要指标第{n + 1}行", "该行")
        where = f"{INDICATOR_SHEET}表" + (f"第 {'、'.join(map(str, rows))} 行" if rows else "")
    else:
        where = f"{ENTERPRISE_SHEET}表"
        if number is not None and int(number) < len(parsed.enterprise_rows):
            n = int(number)
            where += f"第 {parsed.enterprise_rows[n]} 行"
            if sub == "uscc" and n in parsed.numeric_codes:
                message += NUMERIC_CODE_HINT
    return FieldError(name, f"{where}：{message}")


def _same_year(value, year: int) -> bool:
    try:
        return int(Decimal(str(value))) == year
    except (InvalidOperation, TypeError, ValueError):
        return False


def import_workbook(*, actor, application: Application, raw: bytes, request=None) -> dict:
    """Replace the application's 主要指标 and 优质企业 with the workbook's.

    Any error saves nothing: structural ones raise ``DomainError(field="file")``, invalid values
    raise ``domain.ValidationFailed`` whose errors name the sheet and Excel row.
    Returns {"years": rows with figures, "enterprises": enterprises}. Side effects: one
    ``application.imported`` audit event (by ``save_fields``) when something changed.
    """
    require(rules.can_edit(actor, application))
    parsed = _parse(raw, application.round)
    try:
        domain.save_fields(actor=actor, application=application, data=parsed.data, request=request,
                           action="application.imported")
    except domain.ValidationFailed as exc:
        errors = [_located(e, parsed) for e in exc.errors]
        failed = domain.ValidationFailed(errors)
        failed.message = (f"导入失败，没有保存任何内容：Excel 文件中有 {len(errors)} 处需要修正，请改正后重新导入。"
                          + "；".join(e.message for e in errors[:5]) + ("……" if len(errors) > 5 else ""))
        failed.args = (failed.message,)
        raise failed from None
    figures = [k for _, k in INDICATOR_COLUMNS[1:]]
    years = sum(1 for row in parsed.data["indicators"] if any(not _blank(row.get(k)) for k in figures))
    return {"years": years, "enterprises": len(parsed.data["quality_enterprises"])}
