"""附件3 复核申报表 (PDF and Word, one source of content) and 附件4 复核情况汇总表 (.xlsx).

``content(task)`` gathers everything 附件3 prints: the cluster's recognition (batch, validity),
each plan target with its achieved value and the completion computed by
``rereview.target_rows`` (never typed), the indicators of the round's window with shares and
growth computed by ``applications.computed``, the quality enterprises, the changes since
recognition, the negative-list declaration, the self-assessment, the opinions of county, city
and province, the evidence with SHA-256, and — once decided — the per-criterion findings.
``attachment3_pdf`` lays it out with WeasyPrint (``rereview/attachment3.html``),
``attachment3_docx`` with python-docx (``documents/docx.py``). A task not yet submitted is
marked 草稿.

``attachment4_xlsx(round_, tasks)`` is the summary (the province's, or a county's or city's own
rows): its title names the recognition batch re-reviewed (``attachment4_title``); 序号, 集群名称,
所在地, 初审结果 / 复核结果 (``result_head``: 初审 only for national clusters, whose re-review
MIIT decides; provincial: 通过/未通过; national: 初审通过（报部）/初审未通过), 未通过原因 (the failure reason, or
the missed deadline), 实地抽查情况, 备注 (the batch, the stage, and for a national cluster the
report date and MIIT's outcome, 工信部结论).
"""

from __future__ import annotations

import io
from datetime import date

from django.utils import timezone

from clusterdesk.core.sheets import fit_rows
from clusterdesk.applications.validation import QUALIFICATIONS
from clusterdesk.rounds.models import SHANGHAI

from . import domain as rr
from .models import RereviewStatus, RereviewTask
from .workflow import MACHINE

TITLE3 = "中小企业特色产业集群复核申报表"
ATTACHMENT3 = "附件3"
TITLE4 = "中小企业特色产业集群复核情况汇总表"
ATTACHMENT4 = "附件4"
DRAFT_MARK = "草稿（未提交）"
CN_NUMERALS = "一二三四五六七八九十"
SECTION_TITLES = [
    "发展目标完成情况",
    "近三年主要经济指标",
    "优质中小企业名单",
    "认定以来变化情况",
    "负面清单声明",
    "复核自评情况",
    "分方面复核说明",
    "审核意见",
]
INDICATOR_COLUMNS = [
    ("total_output", "集群产值"),
    ("sme_output", "中小企业产值"),
    ("leading_output", "主导产业产值"),
    ("sme_rd_spending", "中小企业研发投入"),
]
DECLARATION_CLEAR = (
    "申报单位郑重声明：近三年，集群内企业未发生较大及以上安全、质量、环境污染事故，未发生重大及以上网络安全和"
    "数据安全事件，无偷税漏税等违法违规行为和严重失信行为。本表所填内容及所附佐证材料真实、准确、完整。"
)
DECLARATION_NOT_CLEAR = "申报单位声明：近三年，集群内企业发生过负面清单所列情形。"
DECLARATION_MISSING = "申报单位尚未作出负面清单声明。"
DATE_LINE = "年　　月　　日"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MISSED_REASON = "逾期未提交复核申报材料"


def section_title(index: int) -> str:
    return f"{CN_NUMERALS[index]}、{SECTION_TITLES[index]}"


def cn_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def _local(moment) -> str:
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def _amount(value) -> str:
    return "" if value in (None, "") else str(value)


def _name(user) -> str:
    return (user.display_name or user.username) if user else ""


def original_until(task: RereviewTask) -> date | None:
    """The validity end before this re-review (a pass moved the cluster's to ``extended_to``)."""
    if task.extended_to:
        try:
            return task.extended_to.replace(year=task.extended_to.year - rr.EXTENSION_YEARS)
        except ValueError:  # 29 February
            return task.extended_to.replace(year=task.extended_to.year - rr.EXTENSION_YEARS, day=28)
    return task.cluster.valid_until


def _indicators(task: RereviewTask, data: dict) -> dict:
    from clusterdesk.documents.attachment1 import indicator_table

    return indicator_table(task.round, data)


def _targets(data: dict) -> dict:
    rows = [
        [t.name, t.unit, _amount(t.baseline), _amount(t.target), "" if t.year in (None, "") else f"{t.year}年",
         _amount(t.achieved), t.rate_text, t.progress_text, t.met_text]
        for t in rr.target_rows(data)
    ]
    notes = [t.note for t in rr.target_rows(data) if t.note]
    return {
        "headers": ["目标", "单位", "基期值", "目标值", "目标年份", "实际完成值", "完成率", "增量完成率", "是否完成"],
        "rows": rows, "formula": rr.COMPLETION_FORMULA, "notes": notes,
    }


def _enterprises(data: dict) -> dict:
    rows = []
    for i, e in enumerate(data.get("quality_enterprises") or [], start=1):
        quals = [QUALIFICATIONS[q] for q in QUALIFICATIONS if q in (e.get("qualifications") or [])]
        rows.append([str(i), e.get("name") or "", e.get("uscc") or "", "、".join(quals),
                     "" if e.get("year") is None else str(e["year"]), "是" if e.get("in_leading_industry") else "否"])
    return {"headers": ["序号", "企业名称", "统一社会信用代码", "资质", "获评年份", "属于主导产业"], "rows": rows}


def _changes(data: dict) -> list[list[str]]:
    changes = data.get("changes") or {}
    rows = []
    for key, label in rr.CHANGE_KINDS.items():
        entry = changes.get(key) or {}
        changed = entry.get("changed")
        rows.append([label, "未填写" if changed is None else ("有变化" if changed else "无变化"),
                     entry.get("description") or ("—" if not changed else "")])
    return rows


def _declaration(data: dict) -> dict:
    clear = data.get("negative_list_clear")
    return {"clear": clear,
            "text": DECLARATION_CLEAR if clear is True else DECLARATION_NOT_CLEAR if clear is False else DECLARATION_MISSING}


def _paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").splitlines() if p.strip()] or ["未填写"]


def ministry_text(task: RereviewTask) -> str:
    """MIIT's outcome of a national cluster's re-review, as 附件3/附件4 print it."""
    if task.ministry_passed is None:
        return ""
    where = f"{task.ministry_document}，{cn_date(task.ministry_date)}"
    if task.ministry_passed:
        return f"工信部结论：复核通过（{where}），认定有效期延至{cn_date(task.extended_to)}"
    return f"工信部结论：复核不通过（{where}），已撤销认定" + (f"。{task.ministry_note}" if task.ministry_note else "")


def _sentence(text: str | None) -> str:
    """``text`` ending with a full stop ("" stays ""), so sentences can follow it."""
    text = (text or "").strip()
    return text if not text or text[-1] in "。！？；.!?;" else text + "。"


def decision_text(task: RereviewTask) -> str:
    status = task.status
    if task.is_national:
        parts = []
        if task.province_passed is True:
            parts.append("初审通过（报部）。" + _sentence(task.decision_reason))
        elif task.province_passed is False:
            parts.append(_sentence(f"初审未通过。原因：{task.decision_reason}"))
        elif status == RereviewStatus.MISSED or task.missed_at:
            parts.append(f"{MISSED_REASON}。")
        if task.reported_on:
            parts.append(f"已于{cn_date(task.reported_on)}报送工业和信息化部。")
        elif MACHINE.in_group("to_report", status):
            parts.append("待报送工业和信息化部。")
        if task.ministry_passed is not None:
            parts.append(ministry_text(task) + "。")
        return "".join(parts)
    if status == RereviewStatus.PASSED:
        return f"复核通过，认定有效期延至{cn_date(task.extended_to)}。" + _sentence(task.decision_reason)
    if status == RereviewStatus.FAILED:
        return f"复核不通过。原因：{task.decision_reason}"
    if status == RereviewStatus.MISSED:
        return f"{MISSED_REASON}，列入撤销名单。"
    if status == RereviewStatus.REVOKED:
        return f"已撤销认定（{rr.revocation_reason(task)}）。"
    return ""


def _aspects(task: RereviewTask, data: dict) -> list[dict]:
    """The county's narrative per aspect of the criteria set, "未填写" where it wrote none."""
    narratives = data.get("aspects") or {}
    return [{"title": f"{key}. {title}", "paragraphs": _paragraphs(narratives.get(key))}
            for key, title in rr.task_aspects(task)]


def _opinions(task: RereviewTask, province: bool = True) -> list[dict]:
    submitted = task.submitted_at is not None
    return [
        {"title": "县级申报单位意见", "text": f"已于 {_local(task.submitted_at)} 提交（{_name(task.submitted_by)}）。" if submitted else "",
         "stamp": "申报单位（盖章）"},
        {"title": "市（州）工业和信息化主管部门审核意见",
         "text": task.city_comment + (f"（{_local(task.forwarded_at)} 报送）" if task.forwarded_at else ""),
         "stamp": "市（州）工业和信息化主管部门（盖章）"},
        {"title": "省工业和信息化厅初审意见" if task.is_national else "省工业和信息化厅复核意见",
         "text": decision_text(task) if province else "", "stamp": "省工业和信息化厅（盖章）"},
    ]


def _evidence(task: RereviewTask) -> dict:
    items = {i.code: i for i in rr.checklist(task)}
    rows = [[items[f.item_code].title if f.item_code in items else f.item_code, f.original_name, str(f.size), f.sha256]
            for f in rr.live_evidence(task)]
    present = {f.item_code for f in rr.live_evidence(task)}
    missing = [i.title for i in items.values() if i.required and i.code not in present]
    return {"headers": ["清单项", "文件名", "大小（字节）", "SHA-256"], "rows": rows, "missing_required": missing}


def _checks(task: RereviewTask) -> dict | None:
    from clusterdesk.criteria.engine import STATUS_LABELS

    report = task.criteria_report
    if not report:
        return None
    rows = []
    for r in report.get("results") or []:
        check = r.get("check") or {}
        rows.append([f"{r.get('aspect')}. {r.get('aspect_title')}", r.get("wording", ""), r.get("actual", ""),
                     STATUS_LABELS.get(r.get("engine_status") or r.get("status"), ""),
                     {"pass": "符合", "fail": "不符合"}.get(check.get("decision"), ""), check.get("note") or ""])
    cset = report.get("criteria_set") or {}
    return {
        "name": f"{cset.get('name', '')}（第{cset.get('version', '')}版{'，阈值待确认' if cset.get('placeholder') else ''}）",
        "verdict": "；".join(v for v in (f"系统核验{report.get('verdict_label', '')}", report.get("checked_verdict_label", "")) if v),
        "headers": ["方面", "要求（官方表述）", "实际", "系统核验", "省厅核查", "说明"],
        "rows": rows,
    }


def content(task: RereviewTask, province: bool = True) -> dict:
    """What 附件3 prints. ``province=False`` is the form as the county files it and the city
    forwards it: no status, no province decision (its opinion box stays blank for the seal), no
    per-criterion checks. The province's copy (``province=True``) adds its decision and, on a
    separate page headed as the province's internal record, its checks."""
    from clusterdesk.catalog.models import Industry

    task = RereviewTask.objects.select_related(
        "round", "org", "org__recommender", "cluster", "submitted_by", "forwarded_by", "decided_by").get(pk=task.pk)
    data = task.data or {}
    cluster = task.cluster
    industry = Industry.objects.filter(code=cluster.leading_industry_code or "").first()
    basic = [
        ("集群名称", cluster.name),
        ("所在地", rr.location_label(task.org)),
        ("认定批次", rr.batch_label(cluster)),
        ("认定有效期", f"{cn_date(cluster.valid_from)} 至 {cn_date(original_until(task))}"),
        ("主导产业", f"{industry.name}（{industry.code}）" if industry else (cluster.leading_industry_code or "—")),
        ("运营主体", cluster.operating_body or "—"),
        ("集群面积", f"{data['area_km2']} 平方公里" if data.get("area_km2") not in (None, "") else "—"),
    ]
    if province:
        basic.append(("复核状态", task.get_status_display()))
    return {
        "attachment": ATTACHMENT3,
        "title": TITLE3,
        "round_name": task.round.name,
        "cluster_name": cluster.name,
        "draft": MACHINE.in_group("county_todo", task.status),
        "draft_mark": DRAFT_MARK,
        "printed_at": _local(timezone.now()),
        "sections": [section_title(i) for i in range(len(SECTION_TITLES))],
        "basic": basic,
        "targets": _targets(data),
        "indicators": _indicators(task, data),
        "enterprises": _enterprises(data),
        "changes": _changes(data),
        "declaration": _declaration(data),
        "self_assessment": _paragraphs(data.get("self_assessment")),
        "aspects": _aspects(task, data),
        "opinions": _opinions(task, province),
        "province": province,
        "date_line": DATE_LINE,
        "evidence": _evidence(task),
        "checks": _checks(task) if province else None,
    }


def filename(task: RereviewTask, fmt: str) -> str:
    return f"附件3 复核申报表-{task.cluster.name}-{task.round.year}.{fmt}"


# --- 附件3 as PDF -----------------------------------------------------------------------------

def attachment3_pdf(task: RereviewTask, province: bool = True) -> bytes:
    from clusterdesk.documents.pdf import render_pdf

    return render_pdf("rereview/attachment3.html", content(task, province))


# --- 附件3 as Word ----------------------------------------------------------------------------

def attachment3_docx(task: RereviewTask, province: bool = True) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    from clusterdesk.documents import docx as d

    c = content(task, province)
    doc = d.new_document(margins_mm=(30, 25, 26, 24))
    header = doc.sections[0].header.paragraphs[0]
    d.set_font(header.add_run(f"{c['attachment']}　{c['cluster_name']}　"), d.SONG, size=9)
    if c["draft"]:
        d.set_font(header.add_run(c["draft_mark"]), d.HEI, size=10.5, bold=True, color=RGBColor(0xC0, 0x00, 0x00))
    d.add_page_numbers(doc)

    d.paragraph(doc, c["attachment"], east_asia=d.HEI, size=14)
    d.paragraph(doc, c["title"], east_asia=d.HEI, size=20, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    d.paragraph(doc, c["round_name"], size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    if c["draft"]:
        d.paragraph(doc, f"{c['draft_mark']}：内容以最终提交为准，打印时间 {c['printed_at']}", size=10)

    d.label_table(doc, c["basic"])

    def heading(index: int):
        p = d.paragraph(doc, c["sections"][index], east_asia=d.HEI, size=14, bold=True)
        p.paragraph_format.space_before = Pt(12)
        p.paragraph_format.keep_with_next = True

    heading(0)
    tg = c["targets"]
    d.table(doc, tg["headers"], tg["rows"] or [["未填写"] + [""] * 8], size=9)
    d.paragraph(doc, f"{tg['formula']}。完成率由系统根据所填数值计算。", size=10)
    for note in tg["notes"]:
        d.paragraph(doc, f"说明：{note}", size=10)

    heading(1)
    d.paragraph(doc, "单位：亿元（企业数量单位：家）", size=10, align=WD_ALIGN_PARAGRAPH.RIGHT)
    ind = c["indicators"]
    d.table(doc, ind["headers"], [[r["label"], *r["cells"]] for r in ind["rows"]] or [["未填写"] + [""] * 7], size=9)
    d.paragraph(doc, f"年均产值增速（系统计算）：{ind['growth']}。{ind['growth_formula']}。", size=10)

    heading(2)
    ent = c["enterprises"]
    d.table(doc, ent["headers"], ent["rows"] or [["", "未填写", "", "", "", ""]], size=9)

    heading(3)
    d.table(doc, ["事项", "是否变化", "变化内容及备案情况"], c["changes"], size=10)

    heading(4)
    decl = c["declaration"]
    d.paragraph(doc, decl["text"], size=12, indent_first=True, bold=decl["clear"] is False)

    heading(5)
    for text in c["self_assessment"]:
        d.paragraph(doc, text, size=12, indent_first=True)

    heading(6)
    for aspect in c["aspects"]:
        p = d.paragraph(doc, aspect["title"], east_asia=d.HEI, size=12)
        p.paragraph_format.keep_with_next = True
        for text in aspect["paragraphs"]:
            d.paragraph(doc, text, size=12, indent_first=True)

    heading(7)
    t = doc.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    for op in c["opinions"]:
        row = t.add_row()
        row.height = Mm(38)
        label, body = row.cells
        label.width, body.width = Mm(40), Mm(118)
        d.set_font(label.paragraphs[0].add_run(op["title"]), d.HEI, size=11)
        body.text = ""
        if op["text"]:
            d.set_font(body.paragraphs[0].add_run(op["text"]), size=11)
        for _ in range(2):
            body.add_paragraph()
        for text in (op["stamp"], c["date_line"]):
            p = body.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            d.set_font(p.add_run(text), size=11)

    p = d.paragraph(doc, "附：佐证材料清单（含 SHA-256 摘要）", east_asia=d.HEI, size=12, bold=True)
    p.paragraph_format.space_before = Pt(12)
    ev = c["evidence"]
    d.table(doc, ev["headers"], ev["rows"] or [["无", "", "", ""]], size=8)
    if ev["missing_required"]:
        d.paragraph(doc, "尚缺必需材料：" + "、".join(ev["missing_required"]), size=10)
    if c["checks"]:
        from docx.enum.text import WD_BREAK

        ch = c["checks"]
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)  # the province's record, not part of the form
        d.paragraph(doc, f"省厅逐条核查结果（省厅留存，不属于复核申报表） — {ch['name']}：{ch['verdict']}",
                    east_asia=d.HEI, size=12, bold=True)
        d.table(doc, ch["headers"], ch["rows"], size=8)
    return d.to_bytes(doc)


# --- 附件4 as .xlsx ---------------------------------------------------------------------------

COLUMNS4 = [
    ("序号", 6), ("集群名称", 28), ("所在地", 22), ("初审结果", 10), ("未通过原因", 36), ("实地抽查情况", 28), ("备注", 30),
]
TITLE_ROW, UNIT_ROW, HEAD_ROW, FIRST_ROW = 1, 2, 3, 4


NOT_PASSED = "未通过"


def summary_row(task: RereviewTask) -> dict:
    """One line of 附件4. 初审结果: a provincial cluster's result (通过 / 未通过), a national
    cluster's initial review (初审通过（报部） / 初审未通过); MIIT's outcome goes in 备注. The
    failure reason (or the missed deadline) goes in 未通过原因."""
    status = task.status
    missed = status == RereviewStatus.MISSED or (task.missed_at and not task.decided_at
                                                 and status in (RereviewStatus.REVOKED, RereviewStatus.REPORTED))
    remarks = [rr.batch_label(task.cluster)]
    if task.is_national:
        if task.province_passed is True:
            result, reason = "初审通过（报部）", ""
        elif task.province_passed is False:
            result, reason = "初审未通过", task.decision_reason
        elif missed:
            result, reason = NOT_PASSED, MISSED_REASON
        else:
            result, reason = "尚未初审", ""
        if task.ministry_passed is not None:
            remarks.append(ministry_text(task))
        elif task.reported_on:
            remarks.append(f"已于{cn_date(task.reported_on)}报部，待工信部复核结论")
        elif MACHINE.in_group("to_report", status):
            remarks.append("待报送工业和信息化部")
    else:
        failed = status in (RereviewStatus.FAILED, RereviewStatus.MISSED, RereviewStatus.REVOKED)
        result = "通过" if status == RereviewStatus.PASSED else NOT_PASSED if failed else "尚未复核"
        reason = MISSED_REASON if missed else task.decision_reason if failed else ""
        if status == RereviewStatus.PASSED:
            remarks.append(f"认定有效期延至{cn_date(task.extended_to)}")
        elif status == RereviewStatus.REVOKED:
            remarks.append(f"已于{cn_date(timezone.localtime(task.revocation_confirmed_at, SHANGHAI).date())}撤销认定"
                           if task.revocation_confirmed_at else "已撤销认定")
        elif status in (RereviewStatus.FAILED, RereviewStatus.MISSED):
            remarks.append("列入撤销名单，待省厅确认")
    if status in (RereviewStatus.DRAFT,):
        remarks.append("县级单位填报中")
    elif status == RereviewStatus.RETURNED:
        remarks.append("市州退回修改中")
    elif status == RereviewStatus.SUBMITTED:
        remarks.append("待市州审核")
    elif status == RereviewStatus.FORWARDED:
        remarks.append("待省厅复核" if not task.is_national else "待省厅初审")
    if task.revocation_note:
        remarks.append(task.revocation_note)
    return {
        "cluster": task.cluster.name, "location": rr.location_label(task.org), "result": result,
        "reason": reason, "spot_check": task.spot_check_note, "remarks": "；".join(r for r in remarks if r),
    }


def _put_text(cell, value) -> None:
    """A text cell that is never a formula, whatever was typed (no formula injection)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell.value = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    cell.data_type = "s"


def batch_years(tasks) -> list[int]:
    """The recognition batch years of the clusters re-reviewed, ascending, without repeats."""
    return sorted({t.cluster.batch_year for t in tasks if t.cluster.batch_year})


def attachment4_title(round_, tasks=None) -> str:
    """附件4's title names the batch **re-reviewed** (the clusters' recognition batch year), not
    the year the re-review runs: "2022年度中小企业特色产业集群复核情况汇总表". Clusters of several
    batches in one export name every batch, "2021、2022年度…" (each row's batch is in 备注); with no
    batch year known the title falls back to the re-review year, "2025年开展的…"."""
    years = batch_years(tasks if tasks is not None else RereviewTask.objects.filter(round=round_)
                        .select_related("cluster"))
    if years:
        return f"{'、'.join(str(y) for y in years)}年度{TITLE4}"
    return f"{round_.year}年开展的{TITLE4}"


RESULT_HEADS = {"national": "初审结果", "provincial": "复核结果", "mixed": "初审/复核结果"}


def result_head(tasks) -> str:
    """"初审结果" only where every row is an initial review (national clusters, MIIT decides),
    "复核结果" where the province decides (provincial clusters); a mixed table reads
    "初审/复核结果" and its note says which is which."""
    kinds = {t.is_national for t in tasks}
    if kinds == {True}:
        return RESULT_HEADS["national"]
    if kinds == {False}:
        return RESULT_HEADS["provincial"]
    return RESULT_HEADS["mixed"] if kinds else RESULT_HEADS["provincial"]


def attachment4_xlsx(round_, tasks, *, unit=None) -> bytes:
    """附件4: title row, unit row, header, one bordered row per task, frozen header, A4 landscape.

    ``unit`` is the exporting unit (the province by default; a county or city exporting its own
    rows signs as itself)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    from clusterdesk.documents.summary import authority_name

    tasks = list(tasks)
    n = len(COLUMNS4)
    last_col = get_column_letter(n)
    title = attachment4_title(round_, tasks)
    head = result_head(tasks)
    columns = [(head if name == "初审结果" else name, width) for name, width in COLUMNS4]
    wb = Workbook()
    ws = wb.active
    ws.title = "复核情况汇总表"
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font, head_font = Font(name="宋体", size=10), Font(name="黑体", size=10, bold=True)

    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")
    _put_text(ws.cell(TITLE_ROW, 1), title)
    ws.cell(TITLE_ROW, 1).font = Font(name="黑体", size=16, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[TITLE_ROW].height = 32
    ws.merge_cells(start_row=UNIT_ROW, start_column=1, end_row=UNIT_ROW, end_column=4)
    _put_text(ws.cell(UNIT_ROW, 1), f"填报单位（盖章）：{authority_name(unit or round_.province)}")
    ws.merge_cells(start_row=UNIT_ROW, start_column=5, end_row=UNIT_ROW, end_column=n)
    _put_text(ws.cell(UNIT_ROW, 5), f"填报日期：{cn_date(timezone.localtime(timezone.now(), SHANGHAI).date())}")
    ws.cell(UNIT_ROW, 5).alignment = Alignment(horizontal="right", vertical="center")
    ws.cell(UNIT_ROW, 1).font = ws.cell(UNIT_ROW, 5).font = body_font
    ws.row_dimensions[UNIT_ROW].height = 20

    fill = PatternFill("solid", fgColor="EDEDED")
    for k, (label, width) in enumerate(columns, 1):
        cell = ws.cell(HEAD_ROW, k)
        _put_text(cell, label)
        cell.font, cell.border, cell.fill = head_font, border, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(k)].width = width
    ws.row_dimensions[HEAD_ROW].height = 28

    r = FIRST_ROW
    for i, task in enumerate(tasks, 1):
        row = summary_row(task)
        ws.cell(r, 1).value = i
        for k, key in enumerate(("cluster", "location", "result", "reason", "spot_check", "remarks"), 2):
            _put_text(ws.cell(r, k), row[key])
        for k in range(1, n + 1):
            cell = ws.cell(r, k)
            cell.font, cell.border = body_font, border
            cell.alignment = Alignment(horizontal="center" if k in (1, 4) else "left", vertical="center", wrap_text=True)
        if row["result"] in (NOT_PASSED, "初审未通过"):
            ws.cell(r, 4).font = Font(name="宋体", size=10, bold=True, color="C00000")
        r += 1
    if not tasks:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        _put_text(ws.cell(r, 1), "（本批次没有复核任务）")
        for k in range(1, n + 1):
            ws.cell(r, k).border = border
        r += 1
    rows = [summary_row(t) for t in tasks]
    passed = sum(1 for r in rows if r["result"] in ("通过", "初审通过（报部）"))
    failed = sum(1 for r in rows if r["result"] in (NOT_PASSED, "初审未通过"))
    r += 1
    lines = [f"注：1. 共 {len(tasks)} 个集群参加复核，通过（含国家级初审通过）{passed} 个，未通过 {failed} 个。",
             "2. 未通过的须说明原因；逾期未提交复核申报材料的按未通过处理。省级集群由省厅撤销认定；国家级集群为省厅初审结果，"
             "报送工业和信息化部，复核结论以工信部为准（见备注）。"]
    if head == RESULT_HEADS["mixed"]:
        lines.append("3. “初审/复核结果”一栏：国家级集群为省厅初审结果，省级集群为省厅复核结果；各行认定批次见备注。")
    lines.append(f"{len(lines) + 1}. 导出时间：{timezone.localtime(timezone.now(), SHANGHAI):%Y-%m-%d %H:%M}（北京时间）。")
    for line in lines:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        _put_text(ws.cell(r, 1), line)
        ws.cell(r, 1).font = Font(name="宋体", size=9)
        r += 1

    ws.freeze_panes = ws.cell(FIRST_ROW, 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if tasks:
        fit_rows(ws, FIRST_ROW, FIRST_ROW + len(tasks) - 1)  # wrapped reasons stay readable
    ws.print_title_rows = f"{HEAD_ROW}:{HEAD_ROW}"
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.print_area = f"A1:{last_col}{r - 1}"
    wb.properties.title = title
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def attachment4_filename(round_, tasks=None, unit=None) -> str:
    suffix = f"（{unit.name}）" if unit is not None and unit.pk != round_.province_id else ""
    return f"{ATTACHMENT4} {attachment4_title(round_, tasks)}{suffix}.xlsx"
