"""附件1 申报表 as PDF and Word, from one source of content.

``content(application, version)`` gathers everything both formats print: the data of a
submitted version (or the current draft when ``version`` is None), the shares and growth
computed from the amounts (``applications.computed``, never typed), the labels, the leading
industry's name, the evidence list (with SHA-256 for a version) and a summary of the criteria
reports. ``render_pdf`` lays it out with WeasyPrint (``documents/attachment1.html``), and
``render_docx`` with python-docx (``documents/docx.py``).

A draft is marked 草稿 (a watermark in the PDF, a red "草稿（未提交）" in the Word header); a
version carries a QR code encoding ``qr_payload`` plus the number and the first 16 hex digits
of the snapshot digest in text.
"""

import base64
import io

import segno
from django.utils import timezone

from clusterdesk.applications.computed import compute, percent
from clusterdesk.applications.models import Application, ApplicationVersion
from clusterdesk.applications.validation import AMOUNT_FIELDS, ASPECT_KEYS, ASPECT_TITLES, QUALIFICATIONS

TITLE = "中小企业特色产业集群申报表"
ATTACHMENT = "附件1"
DRAFT_MARK = "草稿（未提交）"
CN_NUMERALS = "一二三四五六七八九十"

SECTION_TITLES = [
    "基本情况",
    "主要经济指标",
    "优质中小企业名单",
    "集群发展情况",
    "负面清单声明",
    "三年发展规划目标",
    "审核推荐意见",
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


def _amount(value) -> str:
    """An amount as reported (the stored decimal string, never re-rounded)."""
    return "" if value in (None, "") else str(value)


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
    return indicator_table(application.round, data)


def indicator_table(round_, data: dict) -> dict:
    """The indicator table of a document (附件1, 附件3): amounts as reported, computed shares and growth."""
    indicators = data.get("indicators") or []
    by_year = {r.get("year"): r for r in indicators}
    figures = compute(indicators, round_.window_years, round_.base_year)
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
            "cells": [_amount(values.get(key)) for key, _ in INDICATOR_COLUMNS]
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
    }


def _enterprises(data: dict) -> dict:
    rows, counts = [], {key: 0 for key in QUALIFICATIONS}
    for i, e in enumerate(data.get("quality_enterprises") or [], start=1):
        quals = [q for q in QUALIFICATIONS if q in (e.get("qualifications") or [])]
        for q in quals:
            counts[q] += 1
        rows.append({
            "index": i,
            "name": e.get("name") or "",
            "uscc": e.get("uscc") or "",
            "qualifications": "、".join(QUALIFICATIONS[q] for q in quals),
            "year": "" if e.get("year") is None else str(e["year"]),
            "in_leading": "是" if e.get("in_leading_industry") else "否",
        })
    summary = "；".join(f"{QUALIFICATIONS[q]} {n} 家" for q, n in counts.items() if n)
    return {
        "headers": ["序号", "企业名称", "统一社会信用代码", "资质", "获评年份", "属于主导产业"],
        "rows": rows,
        "summary": f"共 {len(rows)} 家" + (f"，其中{summary}" if summary else "") + "（同一企业可有多项资质）。",
    }


def _aspects(data: dict) -> list[dict]:
    texts = data.get("aspects") or {}
    out = []
    for i, key in enumerate(ASPECT_KEYS):
        text = (texts.get(key) or "").strip()
        out.append({
            "key": key,
            "heading": f"（{CN_NUMERALS[i]}）{ASPECT_TITLES[key]}",
            "paragraphs": [p.strip() for p in text.splitlines() if p.strip()] or ["未填写"],
        })
    return out


def _declaration(data: dict) -> dict:
    clear = data.get("negative_list_clear")
    text = DECLARATION_CLEAR if clear is True else DECLARATION_NOT_CLEAR if clear is False else DECLARATION_MISSING
    return {"clear": clear, "text": text}


def _plan(data: dict) -> dict:
    rows = [
        [t.get("name") or "", t.get("unit") or "", _amount(t.get("baseline")), _amount(t.get("target")),
         "" if t.get("year") is None else f"{t['year']}年"]
        for t in data.get("plan_targets") or []
    ]
    return {"headers": ["目标", "单位", "基期值", "目标值", "目标年份"], "rows": rows}


def _evidence(application: Application, version: ApplicationVersion | None, checklist: dict) -> dict:
    if version is not None:
        files = version.evidence or []
    else:
        from clusterdesk.applications.domain import evidence_manifest

        files = evidence_manifest(application)
    rows = [
        {"item": checklist[f["item"]].title if f.get("item") in checklist else f.get("item", ""),
         "code": f.get("item", ""), "name": f.get("name", ""), "size": f.get("size"),
         "sha256": f.get("sha256", "") if version is not None else ""}
        for f in files
    ]
    present = {f.get("item") for f in files}
    missing = [c.title for c in checklist.values() if c.required and c.code not in present]
    return {"rows": rows, "with_hashes": version is not None, "missing_required": missing}


def _criteria(application: Application, version: ApplicationVersion | None, data: dict) -> list[dict]:
    """One line per criteria set: the stored reports of a version, or a fresh check of a draft."""
    from clusterdesk.criteria.engine import STATUS_LABELS

    if version is not None:
        reports = version.report or {}
    else:
        from clusterdesk.criteria.domain import snapshot_reports

        reports = snapshot_reports(application, data)
    out = []
    for report in reports.values():
        cset = report.get("criteria_set") or {}
        counts: dict[str, int] = {}
        for r in report.get("results") or []:
            counts[r.get("status")] = counts.get(r.get("status"), 0) + 1
        out.append({
            "name": cset.get("name") or cset.get("code", ""),
            "version": cset.get("version"),
            "placeholder": bool(cset.get("placeholder")),
            # The set's name may already say so.
            "placeholder_note": bool(cset.get("placeholder")) and "待确认" not in (cset.get("name") or ""),
            "verdict": report.get("verdict_label") or report.get("verdict", ""),
            "counts": "，".join(f"{STATUS_LABELS.get(s, s)} {n} 项" for s, n in counts.items()),
        })
    return out


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
        "criteria": _criteria(application, version, data),
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
    from docx.shared import Mm, Pt, RGBColor

    from . import docx as d

    c = content(application, version)
    doc = d.new_document(margins_mm=(30, 25, 26, 24))
    section = doc.sections[0]

    # Header: 附件1, the number, and either 草稿 in red or the version.
    header = section.header.paragraphs[0]
    d.set_font(header.add_run(f"{c['attachment']}　申报编号：{c['number']}　"), d.SONG, size=9)
    if c["draft"]:
        d.set_font(header.add_run(c["draft_mark"]), d.HEI, size=10.5, bold=True, color=RGBColor(0xC0, 0x00, 0x00))
    else:
        d.set_font(header.add_run(f"{c['version']['label']}　摘要 {c['version']['digest_short']}"), d.SONG, size=9)
    d.add_page_numbers(doc)

    d.paragraph(doc, c["attachment"], east_asia=d.HEI, size=14)
    d.paragraph(doc, c["title"], east_asia=d.HEI, size=20, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    d.paragraph(doc, c["round_name"], size=12, align=WD_ALIGN_PARAGRAPH.CENTER)

    # Identification block: number, version, digest and the QR code (versions), or the draft note.
    ident = doc.add_table(rows=1, cols=2)
    ident.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = ident.rows[0].cells
    left.width, right.width = Mm(125), Mm(35)
    lines = [f"申报编号：{c['number']}", f"集群名称：{c['cluster_name']}", f"申报单位：{c['org_name']}"]
    if c["version"]:
        v = c["version"]
        lines += [f"版本：{v['label']}，提交时间 {v['submitted_at']}（提交人 {v['submitted_by']}）",
                  f"快照摘要（SHA-256）：{v['digest']}"]
        if v["withdrawn_at"]:
            lines.append(f"该版本已于 {v['withdrawn_at']} 撤回")
    else:
        lines.append(f"{c['draft_mark']}：内容以最终提交版本为准，打印时间 {c['printed_at']}")
    left.text = ""
    for i, line in enumerate(lines):
        p = left.paragraphs[0] if i == 0 else left.add_paragraph()
        d.set_font(p.add_run(line), size=8 if line.startswith("快照摘要") else 10.5)
    right.text = ""
    if c["qr"]:
        p = right.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.add_run().add_picture(io.BytesIO(c["qr"]["png"]), width=Mm(28))
        caption = right.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        d.set_font(caption.add_run(f"{c['number']}\n{c['version']['digest_short']}"), size=7)

    def heading(index: int):
        p = d.paragraph(doc, c["sections"][index], east_asia=d.HEI, size=14, bold=True)
        p.paragraph_format.space_before = Pt(12)
        p.paragraph_format.keep_with_next = True
        return p

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
    heading(0)
    d.label_table(doc, c["basic"])
    d.paragraph(doc, "联系人", east_asia=d.HEI, size=11).paragraph_format.space_before = Pt(6)
    d.table(doc, ["姓名", "职务", "电话", "电子邮箱"],
            [[x.get("name"), x.get("title"), x.get("phone"), x.get("email")] for x in c["contacts"]] or [["未填写", "", "", ""]])

    # 二、主要经济指标
    heading(1)
    d.paragraph(doc, f"单位：{c['amount_unit']}（企业数量单位：家）", size=10, align=WD_ALIGN_PARAGRAPH.RIGHT)
    ind = c["indicators"]
    t = repeat_header(d.table(doc, ind["headers"], [[row["label"], *row["cells"]] for row in ind["rows"]], size=9))
    align_numbers(t, 1)
    d.paragraph(doc, f"年均产值增速（系统计算）：{ind['growth']}。{ind['growth_formula']}；{ind['share_formula']}。"
                     "占比和增速由系统根据所填金额计算，不由申报单位填写。", size=10)

    # 三、优质中小企业名单
    heading(2)
    ent = c["enterprises"]
    repeat_header(d.table(doc, ent["headers"],
                          [[r["index"], r["name"], r["uscc"], r["qualifications"], r["year"], r["in_leading"]]
                           for r in ent["rows"]] or [["", "未填写", "", "", "", ""]], size=9))
    d.paragraph(doc, ent["summary"], size=10)

    # 四、集群发展情况
    heading(3)
    d.paragraph(doc, "按认定标准第三至第八方面分别说明（第一、二方面见主要经济指标和优质中小企业名单）。", size=10)
    for aspect in c["aspects"]:
        p = d.paragraph(doc, aspect["heading"], east_asia=d.KAI, size=12, bold=True)
        p.paragraph_format.keep_with_next = True
        for text in aspect["paragraphs"]:
            d.paragraph(doc, text, size=12, indent_first=True)

    # 五、负面清单声明
    heading(4)
    decl = c["declaration"]
    d.paragraph(doc, decl["text"], size=12, indent_first=True, bold=decl["clear"] is False)

    # 六、三年发展规划目标
    heading(5)
    plan = c["plan"]
    t = d.table(doc, plan["headers"], plan["rows"] or [["未填写", "", "", "", ""]], size=10)
    align_numbers(t, 2, 3)

    # 七、审核推荐意见：签字盖章
    heading(6)
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

    # 附：佐证材料清单 and the criteria summary
    p = d.paragraph(doc, "附：佐证材料清单" + ("（提交时固化，含 SHA-256 摘要）" if c["evidence"]["with_hashes"] else ""),
                    east_asia=d.HEI, size=12, bold=True)
    p.paragraph_format.space_before = Pt(12)
    ev = c["evidence"]
    headers = ["清单项", "文件名", "大小（字节）"] + (["SHA-256"] if ev["with_hashes"] else [])
    rows = [[r["item"], r["name"], r["size"]] + ([r["sha256"]] if ev["with_hashes"] else []) for r in ev["rows"]]
    repeat_header(d.table(doc, headers, rows or [["无", "", ""] + ([""] if ev["with_hashes"] else [])], size=8))
    if ev["missing_required"]:
        d.paragraph(doc, "尚缺必需材料：" + "、".join(ev["missing_required"]), size=10)
    if c["criteria"]:
        d.paragraph(doc, "附：系统核验摘要（仅供参考，以审核意见为准）", east_asia=d.HEI, size=12, bold=True)
        for item in c["criteria"]:
            d.paragraph(doc, f"{item['name']}（第{item['version']}版{'，阈值待确认' if item['placeholder_note'] else ''}）："
                             f"{item['verdict']}。{item['counts']}。", size=10)
    return d.to_bytes(doc)
