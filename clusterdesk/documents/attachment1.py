"""附件1 申报表 as PDF and Word, from one source of content.

``content(application, version)`` gathers everything both formats print: the data of a
submitted version (or the current draft when ``version`` is None), the shares and growth
computed from the amounts (``applications.computed``, never typed), the labels, the leading
industry's name and the evidence list (names and sizes). ``render_pdf`` lays it out with
WeasyPrint (``documents/attachment1.html``), and ``render_docx`` with python-docx
(``documents/docx.py``).

附件1 is the official form: a cover page (申报单位, 推荐单位, 填报日期), 填报说明, then the
sections numbered as in the web form. It carries no system verdict, no digest rows and no
placeholder labels: the criteria self-check and the evidence digests are in the reviewers'
审核参考 (``reference.py``). Amounts read as the office writes them (52.00, 12,345.00).

A draft is marked 草稿 (a watermark in the PDF, a red "草稿（未提交）" in the Word header); a
version carries a QR code encoding ``qr_payload`` plus the number and the first 16 hex digits
of the snapshot digest in text.
"""

import base64
import io

import segno
from django.utils import timezone

from clusterdesk.applications.computed import compute_for_round, percent
from clusterdesk.applications.models import Application, ApplicationVersion
from clusterdesk.applications.validation import AMOUNT_FIELDS, ASPECT_KEYS, ASPECT_TITLES, QUALIFICATIONS

TITLE = "中小企业特色产业集群申报表"
ATTACHMENT = "附件1"
DRAFT_MARK = "草稿（未提交）"
CN_NUMERALS = "一二三四五六七八九十"

# As numbered in the web form (applications/edit.html), then the opinions and seals.
SECTION_TITLES = [
    "基本情况",
    "联系人",
    "主要指标",
    "优质中小企业名单",
    "发展情况",
    "负面清单声明",
    "三年发展规划",
    "审核推荐意见",
]

INSTRUCTIONS = [
    "本表由申报集群所在县（市、区）工业和信息化主管部门填写，经市（州）工业和信息化主管部门审核后推荐报送。",
    "集群名称一般为“县级行政区名称＋主导产业名称＋产业集群”；主导产业按《国民经济行业分类》（GB/T 4754-2017）填写行业代码和名称。",
    "主要指标填写最近三个完整年度数据（可加填基期年份），金额单位为亿元，保留两位小数；产值数据以统计部门数据为准。",
    "中小企业产值占比、主导产业产值占比和年均产值增速由产值数据计算得出，不单独填写。",
    "优质中小企业名单填写主导产业内外的制造业单项冠军、专精特新“小巨人”、专精特新中小企业、创新型中小企业和国家级高新技术企业，注明各项资质的获评年份；同一企业有多项资质的分别注明。",
    "发展情况按认定标准八个方面逐项填写，内容应具体、可核实，并与佐证材料对应。",
    "负面清单声明、三年发展规划目标须如实填写；发展规划目标应可衡量，作为复核依据。",
    "本表一式两份，经各级主管部门签署意见并加盖公章后报送，同时报送电子版及佐证材料。",
]

INDICATOR_COLUMNS = [
    ("total_output", "集群产值"),
    ("sme_output", "中小企业产值"),
    ("leading_output", "主导产业产值"),
    ("sme_rd_spending", "中小企业研发投入"),
]

# Where a long column header breaks in the PDF (narrow columns).
HEADER_LINES = {
    "中小企业产值": ["中小企业", "产值"],
    "主导产业产值": ["主导产业", "产值"],
    "中小企业研发投入": ["中小企业", "研发投入"],
    "企业数量（家）": ["企业数量", "（家）"],
    "中小企业产值占比": ["中小企业", "产值占比"],
    "主导产业产值占比": ["主导产业", "产值占比"],
}

DECLARATION_CLEAR = (
    "申报单位郑重声明：近三年，集群内企业未发生较大及以上安全、质量、环境污染事故，未发生重大及以上网络安全和"
    "数据安全事件，无偷税漏税等违法违规行为和严重失信行为。本表所填内容及所附佐证材料真实、准确、完整，"
    "如有不实，申报单位愿承担相应责任。"
)
DECLARATION_NOT_CLEAR = (
    "申报单位声明：近三年，集群内企业发生过负面清单所列情形（较大及以上安全、质量、环境污染事故，重大及以上"
    "网络安全和数据安全事件，偷税漏税等违法违规行为或严重失信行为）。"
)
DECLARATION_MISSING = "申报单位尚未作出负面清单声明。"

SEALS = [
    ("申报单位意见", "申报单位（盖章）", "负责人（签字）："),
    ("市（州）工业和信息化主管部门意见", "市（州）工业和信息化主管部门（盖章）", ""),
    ("省工业和信息化厅意见", "省工业和信息化厅（盖章）", ""),
]
DATE_LINE = "年　　月　　日"
BLANK_DATE = "　　　　年　　月　　日"


def amount(value) -> str:
    """An amount as the office writes it: two decimals and thousands separators (52.00,
    12,345.00). More significant decimals than two are kept, never silently rounded."""
    from decimal import Decimal, InvalidOperation

    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    places = 2
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        places = -exponent
    return f"{number:,.{places}f}"


def file_size(size) -> str:
    """Bytes as KB (whole, rounded up: a small file is "1 KB") or MB (one decimal)."""
    try:
        size = int(size or 0)
    except (TypeError, ValueError):
        return ""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, -(-size // 1024))} KB"


def cn_date(moment) -> str:
    """"2025年3月18日" in local time."""
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def section_title(index: int) -> str:
    """"一、基本情况" for index 0."""
    return f"{CN_NUMERALS[index]}、{SECTION_TITLES[index]}"


def qr_payload(application: Application, version: ApplicationVersion) -> str:
    """What the QR code on a submitted version encodes: number, version and snapshot digest."""
    return f"CLUSTERDESK|{application.number}|v{version.number}|{version.digest}"


def qr_png(payload: str, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def _text(value, empty: str = "—") -> str:
    if value is None or value == "" or value == []:
        return empty
    return str(value)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _basic_rows(application: Application, data: dict, industry, org_names: dict, subcluster) -> list[tuple[str, str]]:
    org = application.org
    city = org.recommender
    covered = [f"{org_names.get(c, c)}（{c}）" for c in data.get("covered_org_codes") or []]
    area = data.get("area_km2")
    rows = [
        ("集群名称", _text(data.get("name"))),
        ("申报单位（县级）", f"{org.name}（{org.code}）"),
        ("所属市（州）", city.name if city else "—"),
        ("涉及其他县级单位", "、".join(covered) or "无"),
    ]
    if data.get("coordination_note"):
        rows.append(("市州协调意见", data["coordination_note"]))
    rows += [
        ("主导产业", f"{industry.name}（{industry.code}，GB/T 4754-2017）" if industry else _text(data.get("leading_industry_code"))),
        ("细分领域", _text(data.get("niche"))),
        ("集群面积", f"{area} 平方公里" if area not in (None, "") else "—"),
        ("运营主体", _text(data.get("operating_body"))),
        ("所属重点子集群", f"{subcluster.name}（{subcluster.code}）" if subcluster else _text(data.get("sub_cluster_code"), "无")),
    ]
    return rows


def _indicators(application: Application, data: dict) -> dict:
    return indicator_table(application.round, data, fmt=amount)


def _raw(value) -> str:
    """An amount as reported (the stored decimal string, never re-rounded)."""
    return "" if value in (None, "") else str(value)


def indicator_table(round_, data: dict, fmt=_raw) -> dict:
    """The indicator table of a document (附件1, 附件3): amounts (``fmt``: as stored by default,
    ``amount`` for the office's two decimals), computed shares and growth."""
    indicators = data.get("indicators") or []
    by_year = {r.get("year"): r for r in indicators}
    figures = compute_for_round(indicators, round_)
    shares = {f.year: f for f in figures.years}
    rows = []
    for year in [round_.base_year, *round_.window_years]:
        values = by_year.get(year)
        if values is None and year == round_.base_year:
            continue  # the base year is optional
        values = values or {}
        count = values.get("enterprise_count")
        rows.append({
            "year": year,
            "base": year == round_.base_year,
            "label": f"{year}年" + ("（基期）" if year == round_.base_year else ""),
            "cells": [fmt(values.get(key)) for key, _ in INDICATOR_COLUMNS]
                     + ["" if count is None else str(count),
                        percent(shares[year].sme_share) if year in shares else "",
                        percent(shares[year].leading_share) if year in shares else ""],
        })
    headers = ["年份", *[label for _, label in INDICATOR_COLUMNS], "企业数量（家）", "中小企业产值占比", "主导产业产值占比"]
    if figures.growth is not None:
        n = figures.growth_to - figures.growth_from
        formula = (f"年均增速 =（{figures.growth_to}年集群产值 ÷ {figures.growth_from}年集群产值）^(1/{n}) − 1"
                   f"，按复合增长率计算")
    else:
        formula = figures.growth_note or "数据不足，无法计算"
    return {
        "headers": headers,
        "header_lines": [HEADER_LINES.get(h, [h]) for h in headers],
        "rows": rows,
        "growth": percent(figures.growth),
        "growth_formula": formula,
        "share_formula": "占比 = 中小企业产值（或主导产业产值）÷ 集群产值",
        "sme_count": None if data.get("sme_count") in (None, "") else str(data.get("sme_count")),
        "sme_count_year": round_.window_years[-1] if round_.window_years else None,
    }


def qualification_years(enterprise: dict) -> list[tuple[str, int | None]]:
    """(kind, award year) of each qualification of an enterprise, in the catalogue's order.

    Reads either shape: the new per-qualification list ``[{"kind": ..., "year": ...}]`` or the
    old list of kinds with one ``year`` for the enterprise. Unknown kinds are kept (shown as
    given) rather than dropped."""
    fallback = enterprise.get("year")
    found: dict[str, int | None] = {}
    for item in enterprise.get("qualifications") or []:
        if isinstance(item, dict):
            kind, year = item.get("kind"), item.get("year", fallback)
        else:
            kind, year = item, fallback
        if not kind:
            continue
        kind = str(kind)
        if kind not in found or found[kind] is None:
            found[kind] = year if year not in ("",) else None
    order = {k: i for i, k in enumerate(QUALIFICATIONS)}
    return sorted(found.items(), key=lambda kv: order.get(kv[0], len(order)))


def _enterprises(data: dict) -> dict:
    rows, counts = [], {key: 0 for key in QUALIFICATIONS}
    for i, e in enumerate(data.get("quality_enterprises") or [], start=1):
        quals = qualification_years(e)
        for kind, _year in quals:
            if kind in counts:
                counts[kind] += 1
        years = sorted({str(y) for _k, y in quals if y not in (None, "")})
        rows.append({
            "index": i,
            "name": e.get("name") or "",
            "uscc": e.get("uscc") or "",
            "qualifications": "、".join(QUALIFICATIONS.get(k, k) for k, _y in quals),
            "qualification_lines": [
                f"{QUALIFICATIONS.get(k, k)}（{y}年）" if y not in (None, "") else QUALIFICATIONS.get(k, k)
                for k, y in quals
            ],
            "year": "、".join(years),
            "in_leading": "是" if e.get("in_leading_industry") else "否",
        })
    summary = "；".join(f"{QUALIFICATIONS[q]} {n} 家" for q, n in counts.items() if n)
    return {
        "headers": ["序号", "企业名称", "统一社会信用代码", "资质（获评年份）", "属于主导产业"],
        "rows": rows,
        "summary": f"共 {len(rows)} 家" + (f"，其中{summary}" if summary else "") + "（同一企业可有多项资质）。",
    }


def _aspects(data: dict) -> list[dict]:
    """The eight aspects in order: 1 and 2 from their narratives (``form_extra``), 3–8 from ``aspects``."""
    from clusterdesk.applications.form_extra import NARRATIVES

    texts = {number: data.get(field) or "" for field, (number, _t, _h) in NARRATIVES.items()}
    texts.update({k: v or "" for k, v in (data.get("aspects") or {}).items() if k in ASPECT_KEYS})
    out = []
    for i, key in enumerate(["1", "2", *ASPECT_KEYS]):
        text = str(texts.get(key) or "").strip()
        out.append({
            "key": key,
            "heading": f"（{CN_NUMERALS[int(key) - 1]}）{ASPECT_TITLES[key]}",
            "paragraphs": [p.strip() for p in text.splitlines() if p.strip()] or ["未填写"],
        })
    return out


def _declaration(data: dict) -> dict:
    clear = data.get("negative_list_clear")
    text = DECLARATION_CLEAR if clear is True else DECLARATION_NOT_CLEAR if clear is False else DECLARATION_MISSING
    return {"clear": clear, "text": text}


def _plan_value(value, unit) -> str:
    """Money in two decimals (the office's way); counts and rates as entered, with separators."""
    if value in (None, ""):
        return ""
    if unit and "元" in str(unit):
        return amount(value)
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,f}" if number.is_finite() else str(value)


def _plan(data: dict) -> dict:
    rows = [
        [t.get("name") or "", t.get("unit") or "", _plan_value(t.get("baseline"), t.get("unit")),
         _plan_value(t.get("target"), t.get("unit")),
         "" if t.get("year") is None else f"{t['year']}年"]
        for t in data.get("plan_targets") or []
    ]
    return {"headers": ["目标", "单位", "基期值", "目标值", "目标年份"], "rows": rows}


def evidence_files(application: Application, version: ApplicationVersion | None) -> list[dict]:
    """The evidence of a version (frozen at submission) or of the draft (the current files)."""
    if version is not None:
        return list(version.evidence or [])
    from clusterdesk.applications.domain import evidence_manifest

    return evidence_manifest(application)


def evidence_table(files: list[dict], checklist: dict, *, digests: bool = False) -> dict:
    """Rows of an evidence list (numbered; checklist title, code, name, size) and the required
    checklist items with no file. ``digests``: also the byte size and the SHA-256 (审核参考 only:
    the form itself carries no digests)."""
    rows = []
    for i, f in enumerate(files, start=1):
        row = {"index": i, "item": checklist[f["item"]].title if f.get("item") in checklist else f.get("item", ""),
               "code": f.get("item", ""), "name": f.get("name", ""), "size": file_size(f.get("size"))}
        if digests:
            row.update(bytes=f.get("size"), sha256=f.get("sha256", ""))
        rows.append(row)
    present = {f.get("item") for f in files}
    missing = [c.title for c in checklist.values() if c.required and c.code not in present]
    return {"rows": rows, "missing_required": missing}


def _evidence(application: Application, version: ApplicationVersion | None, checklist: dict) -> dict:
    return evidence_table(evidence_files(application, version), checklist)


def content(application: Application, version: ApplicationVersion | None) -> dict:
    """Everything 附件1 prints, for a submitted ``version`` or (None) the current draft."""
    from clusterdesk.applications.domain import load_data
    from clusterdesk.catalog.models import Industry, SubCluster
    from clusterdesk.orgs.models import Org

    application = Application.objects.select_related("round", "org", "org__recommender").get(pk=application.pk)
    data = dict(version.data) if version is not None else load_data(application)
    industry = Industry.objects.filter(code=data.get("leading_industry_code") or "").first()
    subcluster = SubCluster.objects.filter(code=data.get("sub_cluster_code") or "").first()
    org_names = dict(Org.objects.filter(code__in=data.get("covered_org_codes") or []).values_list("code", "name"))
    checklist = {c.code: c for c in application.round.checklist.all()}

    draft = version is None
    version_info, qr = None, None
    if not draft:
        payload = qr_payload(application, version)
        png = qr_png(payload)
        qr = {"payload": payload, "png": png, "data_uri": "data:image/png;base64," + base64.b64encode(png).decode()}
        by = version.submitted_by
        version_info = {
            "number": version.number,
            "label": f"第{version.number}版",
            "submitted_at": _local(version.submitted_at),
            "submitted_by": (by.display_name or by.username) if by else "",
            "withdrawn_at": _local(version.withdrawn_at),
            "digest": version.digest,
            "digest_short": version.digest[:16],
            "date": cn_date(version.submitted_at),
        }
    org = application.org
    city = org.recommender
    return {
        "title": TITLE,
        "attachment": ATTACHMENT,
        "number": application.number,
        "round_name": application.round.name,
        "cluster_name": data.get("name") or application.name or "（未命名）",
        "org_name": org.name,
        "city_name": city.name if city else "",
        "cover": [
            ("集群名称", data.get("name") or application.name or ""),
            ("申报单位（盖章）", org.name),
            ("推荐单位（盖章）", city.name if city else ""),
            ("填报日期", version_info["date"] if version_info else BLANK_DATE),
        ],
        "instructions": INSTRUCTIONS,
        "draft": draft,
        "draft_mark": DRAFT_MARK,
        "printed_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "version": version_info,
        "qr": qr,
        "sections": [section_title(i) for i in range(len(SECTION_TITLES))],
        "basic": _basic_rows(application, data, industry, org_names, subcluster),
        "industry_name": industry.name if industry else "",
        "contacts": [c for c in data.get("contacts") or [] if any(c.values())],
        "indicators": _indicators(application, data),
        "amount_unit": "亿元",
        "amount_fields": AMOUNT_FIELDS,
        "enterprises": _enterprises(data),
        "aspects": _aspects(data),
        "declaration": _declaration(data),
        "plan": _plan(data),
        "seals": [{"title": t, "stamp": s, "signature": g} for t, s, g in SEALS],
        "date_line": DATE_LINE,
        "evidence": _evidence(application, version, checklist),
    }


# --- PDF ------------------------------------------------------------------------------------

def render_pdf(application: Application, version: ApplicationVersion | None = None) -> bytes:
    from .pdf import render_pdf as html_pdf

    return html_pdf("documents/attachment1.html", content(application, version))


# --- Word -----------------------------------------------------------------------------------

def render_docx(application: Application, version: ApplicationVersion | None = None) -> bytes:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    from . import docx as d

    c = content(application, version)
    doc = d.new_document(margins_mm=(30, 25, 26, 24))
    d.style_headings(doc)
    section = doc.sections[0]

    # Header: 附件1, the number, and either 草稿 in red or the version (no header on the cover).
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    d.set_font(header.add_run(f"{c['attachment']}　申报编号：{c['number']}　"), d.SONG, size=9)
    if c["draft"]:
        d.set_font(header.add_run(c["draft_mark"]), d.HEI, size=10.5, bold=True, color=RGBColor(0xC0, 0x00, 0x00))
    else:
        d.set_font(header.add_run(c["version"]["label"]), d.SONG, size=9)
    d.add_page_numbers(doc)

    def new_page(paragraph):
        """Start ``paragraph`` on a new page. A break before the paragraph, not an empty paragraph
        holding a break: that one spills onto a blank page when the page above is full."""
        paragraph.paragraph_format.page_break_before = True
        return paragraph

    def no_borders(t):
        borders = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            el = OxmlElement(f"w:{edge}")
            el.set(qn("w:val"), "nil")
            borders.append(el)
        t._tbl.tblPr.append(borders)

    def underline_cell(cell):
        tcpr = cell._tc.get_or_add_tcPr()
        borders = OxmlElement("w:tcBorders")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "8"), ("w:color", "000000")):
            bottom.set(qn(k), v)
        borders.append(bottom)
        tcpr.append(borders)

    # Cover: 附件1, the title, 集群名称 / 申报单位 / 推荐单位 / 填报日期, the number (and QR code).
    d.paragraph(doc, c["attachment"], east_asia=d.HEI, size=15)
    for _ in range(5):
        doc.add_paragraph()
    d.paragraph(doc, c["title"], east_asia=d.HEI, size=24, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    d.paragraph(doc, c["round_name"], size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    for _ in range(4):
        doc.add_paragraph()
    cover = doc.add_table(rows=0, cols=2)
    cover.alignment = WD_TABLE_ALIGNMENT.CENTER
    no_borders(cover)
    for label, value in c["cover"]:
        row = cover.add_row()
        row.height = Mm(13)
        left, right = row.cells
        left.width, right.width = Mm(46), Mm(84)
        p = left.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
        d.set_font(p.add_run(label + "："), d.HEI, size=14)
        p = right.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        d.set_font(p.add_run(value), size=14)
        underline_cell(right)
    for _ in range(3):
        doc.add_paragraph()
    ident = doc.add_table(rows=1, cols=2)
    no_borders(ident)
    left, right = ident.rows[0].cells
    left.width, right.width = Mm(120), Mm(40)
    lines = [f"申报编号：{c['number']}"]
    if c["version"]:
        v = c["version"]
        lines.append(f"{v['label']}，{v['submitted_at']} 提交" + (f"（已于 {v['withdrawn_at']} 撤回）" if v["withdrawn_at"] else ""))
    else:
        lines.append(f"{c['draft_mark']}：内容以最终提交版本为准，打印时间 {c['printed_at']}")
    left.text = ""
    for i, line in enumerate(lines):
        p = left.paragraphs[0] if i == 0 else left.add_paragraph()
        d.set_font(p.add_run(line), size=10)
    right.text = ""
    if c["qr"]:
        p = right.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.add_run().add_picture(io.BytesIO(c["qr"]["png"]), width=Mm(28))
        caption = right.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        d.set_font(caption.add_run(f"{c['number']}\n{c['version']['digest_short']}"), size=7)

    # 填报说明
    new_page(d.heading(doc, "填报说明", 1, align=WD_ALIGN_PARAGRAPH.CENTER))
    for i, text in enumerate(c["instructions"], start=1):
        p = d.paragraph(doc, f"{i}. {text}", size=12, indent_first=True)
        p.paragraph_format.line_spacing = 1.5

    def heading(index: int):
        return d.heading(doc, c["sections"][index], 1)

    def repeat_header(t):
        """The first row repeats at the top of every page the table runs onto."""
        t.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        return t

    def align_numbers(t, first_numeric_col: int, last_col: int | None = None):
        for row in t.rows:
            for j, cell in enumerate(row.cells):
                if j >= first_numeric_col and (last_col is None or j <= last_col):
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT

    # 一、基本情况
    new_page(heading(0))
    d.label_table(doc, c["basic"])

    # 二、联系人
    heading(1)
    d.table(doc, ["姓名", "职务", "电话", "电子邮箱"],
            [[x.get("name"), x.get("title"), x.get("phone"), x.get("email")] for x in c["contacts"]] or [["未填写", "", "", ""]])

    # 三、主要指标
    heading(2)
    d.paragraph(doc, f"单位：{c['amount_unit']}（企业数量单位：家）", size=10, align=WD_ALIGN_PARAGRAPH.RIGHT)
    ind = c["indicators"]
    t = repeat_header(d.table(doc, ind["headers"], [[row["label"], *row["cells"]] for row in ind["rows"]], size=9))
    align_numbers(t, 1)
    sme = f"{ind['sme_count']} 家（截至{ind['sme_count_year']}年末）" if ind["sme_count"] is not None else "未填写"
    d.paragraph(doc, f"集群内中小企业数量：{sme}。", size=10).paragraph_format.space_before = Pt(6)
    d.paragraph(doc, f"年均产值增速：{ind['growth']}。{ind['growth_formula']}；{ind['share_formula']}。"
                     "占比和增速根据所填产值计算，不单独填写。", size=10)

    # 四、优质中小企业名单
    heading(3)
    ent = c["enterprises"]
    repeat_header(d.table(doc, ent["headers"],
                          [[r["index"], r["name"], r["uscc"], "\n".join(r["qualification_lines"]), r["in_leading"]]
                           for r in ent["rows"]] or [["", "未填写", "", "", ""]], size=9,
                          widths_mm=(12, 44, 40, 46, 18)))  # the 18-character credit code on one line
    d.paragraph(doc, ent["summary"], size=10).paragraph_format.space_before = Pt(4)

    # 五、发展情况
    heading(4)
    for aspect in c["aspects"]:
        d.heading(doc, aspect["heading"], 2)
        for text in aspect["paragraphs"]:
            d.paragraph(doc, text, size=12, indent_first=True)

    # 六、负面清单声明
    heading(5)
    decl = c["declaration"]
    d.paragraph(doc, decl["text"], size=12, indent_first=True, bold=decl["clear"] is False)

    # 七、三年发展规划
    heading(6)
    plan = c["plan"]
    t = d.table(doc, plan["headers"], plan["rows"] or [["未填写", "", "", "", ""]], size=10)
    align_numbers(t, 2, 3)

    # 八、审核推荐意见：签字盖章
    heading(7)
    t = doc.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    for seal in c["seals"]:
        row = t.add_row()
        row.height = Mm(42)  # at least
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))  # never split over two pages (schema: before trHeight)
        label, body = row.cells
        label.width, body.width = Mm(40), Mm(118)
        d.set_font(label.paragraphs[0].add_run(seal["title"]), d.HEI, size=11)
        body.text = ""
        first = body.paragraphs[0]
        if seal["signature"]:
            d.set_font(first.add_run(seal["signature"]), size=11)
        for _ in range(3):
            body.add_paragraph()
        for text in (seal["stamp"], c["date_line"]):
            p = body.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            d.set_font(p.add_run(text), size=11)

    # 附：佐证材料清单 (names and sizes; the digests are in the reviewers' 审核参考)
    d.heading(doc, "附：佐证材料清单", 1)
    ev = c["evidence"]
    t = repeat_header(d.table(doc, ["清单项", "文件名", "大小"], [[r["item"], r["name"], r["size"]] for r in ev["rows"]]
                              or [["无", "", ""]], size=9))
    align_numbers(t, 2)
    if ev["missing_required"]:
        d.paragraph(doc, "尚缺必需材料：" + "、".join(ev["missing_required"]), size=10)
    return d.to_bytes(doc)
