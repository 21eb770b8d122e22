"""The letters of a round as drafts in the layout of GB/T 9704-2012, as .docx to edit and .pdf.

Three letters:

- a recommending unit's stage-2 letter to the province (its formal list when sent, else its
  applications currently 市州拟推荐): a report (报告) in the 文件 format — the document number on
  the left with 签发人 on the right, under the red mark "…文件", above the red separator line;
  it cites the province's notice (title and 文号, from the round);
- the province's letter to MIIT recommending the national list in rank order, naming the quota;
- the province's letter to MIIT with the results of its initial re-review of national clusters
  (passed, and failed with the reason).

The two letters to MIIT are 函 (信函格式, GB/T 9704 10.1): the provincial department is not a
subordinate in line of MIIT (it answers to the provincial government), so it writes a 函, not a
report. The mark is the authority's name without "文件", above a red double line; the number
("吉工信函〔2025〕　　号") is at the right under the line, 签发人 under it. They cite the ministry's
notice (title and 文号, from the round).

The number is built from the unit's 发文机关代字 (``Org.doc_prefix``) and the signer is the unit's
``Org.signer``; only what is unknown is left to fill — the running number always, the 代字
(××) and the signer (×××) when the unit has none — highlighted. The date is the day of
generation. The seal is added on paper.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from clusterdesk.applications.models import Application, Status
from clusterdesk.core.errors import Conflict
from clusterdesk.orgs.models import Org, OrgKind
from clusterdesk.rounds.models import Round

from . import docx as D
from .summary import authority_name, self_reference, summary_title, today_cn

RED = RGBColor(0xFF, 0x00, 0x00)
XIAOBIAOSONG = "方正小标宋简体"
TYPE_AREA_WIDTH_PT = 156 / 25.4 * 72  # GB/T 9704 type area: 156 mm × 225 mm
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
LINE_PT = 28.95  # 22 lines in 225 mm
MINISTRY = "工业和信息化部中小企业局"


RUNNING_NUMBER_BLANK = "\u3000\u3000"  # the clerk writes the running number here
PREFIX_PLACEHOLDER = "××"
SIGNER_PLACEHOLDER = "×××"
REPORT, LETTER = "report", "letter"  # 文件格式（报告）, 信函格式（函）


@dataclass
class LetterItem:
    index: int
    name: str
    place: str
    national: bool
    note: str = ""

    @property
    def text(self) -> str:
        extra = "；同步推荐国家级" if self.national else ""
        note = f"。{self.note.rstrip('。')}。" if self.note else ""
        return f"{self.index}.{self.name}（{self.place}{extra}）{note}"


@dataclass
class Letter:
    kind: str  # "city" | "province" | "rereview"
    round: Round
    org: Org
    authority: str
    mark: str
    mark_pt: int
    doc_number: str
    title: str
    title_lines: list[str]
    addressee: str
    intro: list[str]
    lead: str
    items: list[LetterItem]
    after: list[str]
    attachments: list[str]
    date: str
    contact: str
    national_count: int = 0
    fmt: str = REPORT
    signer: str = ""
    # the number split where the clerk fills in: (before the blank, the blank, after the blank)
    number_parts: tuple = ("", "", "")
    prefix_known: bool = True
    more: list = None  # further (lead, items) sections, e.g. the clusters that failed

    @property
    def sections(self) -> list[tuple[str, list[LetterItem]]]:
        return [(self.lead, self.items)] + list(self.more or [])

    @property
    def signer_text(self) -> str:
        return self.signer or SIGNER_PLACEHOLDER


def doc_number_parts(org: Org, year: int, fmt: str) -> tuple[tuple[str, str, str], bool]:
    """The unit's document number with the running number left blank: ("吉工信函〔2025〕", "　　",
    "号"); ``××`` stands for an unknown 代字 (the second value says whether it is known)."""
    prefix = (org.doc_prefix or "").strip()
    kind = "函" if fmt == LETTER and not prefix.endswith("函") else ""
    head = f"{prefix or PREFIX_PLACEHOLDER}{kind}〔{year}〕"
    return (head, RUNNING_NUMBER_BLANK, "号"), bool(prefix)


def cited_notice(title: str, number: str, fallback: str) -> str:
    """"《title》（number）" as a letter cites a notice; without a title the fallback words."""
    title = (title or "").strip().strip("《》")
    if not title:
        return fallback
    return f"《{title}》" + (f"（{number}）" if number else "")


def _mark_pt(mark: str) -> int:
    """The largest size (at most 36 pt, 小初) at which the mark fits the type area on one line."""
    return int(min(36, TYPE_AREA_WIDTH_PT * 0.94 / max(len(mark), 1)))


def _city_items(round_: Round, org: Org) -> tuple[list[LetterItem], object]:
    from clusterdesk.reviews.domain import city_applications
    from clusterdesk.reviews.models import ListKind, RecommendationList

    lists = {lst.kind: lst
             for lst in RecommendationList.objects.filter(round=round_, org=org).select_related("submitted_by")}
    formal = lists.get(ListKind.FORMAL)
    if formal is not None:
        entries = formal.entries
        items = [LetterItem(i, e.get("name") or e.get("number", ""), e.get("org", ""), bool(e.get("national")))
                 for i, e in enumerate(entries, 1)]
        return items, formal
    apps = list(city_applications(round_, org).filter(status=Status.RECOMMENDED).select_related("org")
                .order_by("org__path", "number"))
    items = [LetterItem(i, a.name or a.number, a.org.name, a.national_flag) for i, a in enumerate(apps, 1)]
    return items, lists.get(ListKind.NAME_LIST)


def _contact(name: str, phone: str) -> str:
    return f"（联系人：{name or '×××'}，联系电话：{phone or '×××'}）"


def letter_context(round_: Round, org: Org) -> Letter:
    """What the letter says. ``org`` is a recommending unit (its stage-2 list) or the round's
    province (the national list). Refused (409) when there is nothing to recommend."""
    year = round_.year
    we = self_reference(org)
    if org.kind == OrgKind.PROVINCE:
        from clusterdesk.reviews.models import NationalPick

        if org.pk != round_.province_id:
            raise Conflict("这是其他省份的申报批次")
        picks = list(NationalPick.objects.filter(round=round_).select_related("application__org__recommender")
                     .order_by("rank"))
        if not picks:
            raise Conflict("尚未选定国家级推荐名单，无法生成推荐文件：请先在“国家级推荐”页面选定名单")
        items = []
        for i, p in enumerate(picks, 1):
            app: Application = p.application
            county = app.org
            city = county.recommender if county.recommender_id and county.recommender_id != county.pk else None
            place = f"{city.name}{county.name}" if city else county.name
            items.append(LetterItem(i, app.name or app.number, place, False))
        notice = cited_notice(round_.ministry_notice_title, round_.ministry_notice_number,
                              f"工业和信息化部关于开展{year}年度中小企业特色产业集群申报工作的通知")
        intro = [
            f"根据{notice}要求，{we}组织全省各市（州）开展了中小企业特色产业集群申报推荐工作。"
            "经市（州）审核推荐、我厅初审、实地抽查和专家评审，现将推荐情况函告如下。",
        ]
        quota = round_.national_quota
        lead = (f"按照通知分配我省的{quota}个推荐名额，{we}推荐以下{len(items)}个集群为{year}年度"
                "国家级中小企业特色产业集群（按推荐顺序排列）：")
        after = [f"上述集群的申报材料已经{we}审核，推荐汇总表见附件。", "请予审核。"]
        fmt = LETTER
        addressee = f"{MINISTRY}："
        title_lines = [f"关于推荐{year}年度国家级", "中小企业特色产业集群的函"]
        contact = _contact(round_.contact_name, round_.contact_phone)
        national = 0
    else:
        if not org.recommends_to_province:
            raise Conflict(f"“{org.name}”不是推荐单位，不能生成推荐文件")
        items, lst = _city_items(round_, org)
        if not items:
            raise Conflict("尚无拟推荐的申报，无法生成推荐文件：请先在待审列表中把申报“推荐为省级”")
        national = sum(1 for i in items if i.national)
        province_authority = authority_name(round_.province)
        notice = cited_notice(round_.notice_title, round_.notice_number,
                              f"《{province_authority}关于开展{round_.name}工作的通知》")
        intro = [
            f"根据{notice}要求，{we}组织本地区开展了"
            "中小企业特色产业集群申报工作，并对申报材料进行了审核。现将推荐情况报告如下。",
        ]
        lead = (f"{we}推荐以下{len(items)}个集群为{year}年度省级中小企业特色产业集群"
                + (f"，其中{national}个同步推荐国家级中小企业特色产业集群：" if national else "："))
        after = [f"上述集群的申报材料已经{we}审核，推荐汇总表见附件。", "特此报告。"]
        fmt = REPORT
        addressee = f"{province_authority}："
        title_lines = [f"关于推荐{year}年度", "中小企业特色产业集群的报告"]
        who = getattr(lst, "submitted_by", None)
        contact = _contact(getattr(who, "display_name", "") or "", getattr(who, "phone", "") or "")
    attachments = [summary_title(round_), f"中小企业特色产业集群申报表（{len(items)}份）"]
    return _letter(kind="province" if org.kind == OrgKind.PROVINCE else "city", round_=round_, org=org, fmt=fmt,
                   title_lines=title_lines, addressee=addressee, intro=intro, lead=lead, items=items, after=after,
                   attachments=attachments, contact=contact, national_count=national)


def _letter(*, kind: str, round_: Round, org: Org, fmt: str, title_lines: list[str], **fields) -> Letter:
    authority = authority_name(org)
    mark = f"{authority}文件" if fmt == REPORT else authority
    parts, known = doc_number_parts(org, round_.year, fmt)
    return Letter(kind=kind, round=round_, org=org, authority=authority, mark=mark, mark_pt=_mark_pt(mark),
                  doc_number="".join(parts), number_parts=parts, prefix_known=known, signer=org.signer or "",
                  title="".join(title_lines), title_lines=title_lines, date=today_cn(), fmt=fmt, **fields)


def rereview_letter_context(round_: Round) -> Letter:
    """The province's 函 to MIIT with its initial re-review of the national clusters: those that
    passed (reported for MIIT's decision) and those that failed, each with the reason. Refused
    (409) while no national cluster of the round has its initial review."""
    from clusterdesk.rereview import docs as rdocs
    from clusterdesk.rereview.models import RereviewStatus, RereviewTask
    from clusterdesk.rereview.domain import location_label

    org = round_.province
    tasks = list(RereviewTask.objects.filter(round=round_, cluster__level="national")
                 .select_related("org", "org__recommender", "cluster").order_by("org__path", "pk"))
    passed = [t for t in tasks if t.province_passed is True]
    failed = [t for t in tasks if t.province_passed is False
              or (t.province_passed is None and (t.status == RereviewStatus.MISSED or t.missed_at))]
    if not passed and not failed:
        raise Conflict("尚无完成初审的国家级集群，无法生成复核结果函：请先在复核页面作出初审结论")
    years = rdocs.batch_years(passed + failed)
    batch = f"{'、'.join(str(y) for y in years)}年度" if years else ""
    we = self_reference(org)
    notice = cited_notice(round_.ministry_notice_title, round_.ministry_notice_number,
                          f"工业和信息化部关于开展{round_.year}年度中小企业特色产业集群复核工作的通知")
    intro = [
        f"根据{notice}要求，{we}组织{batch}认定的国家级中小企业特色产业集群开展了复核。经县级单位申报、"
        f"市（州）审核、我厅逐条核查和实地抽查，共{len(passed) + len(failed)}个集群完成初审，"
        f"其中初审通过{len(passed)}个，初审未通过{len(failed)}个。现将初审结果函告如下。",
    ]
    pass_items = [LetterItem(i, t.cluster.name, location_label(t.org).replace(" ", ""), False)
                  for i, t in enumerate(passed, 1)]
    fail_items = [LetterItem(i, t.cluster.name, location_label(t.org).replace(" ", ""), False,
                             note=f"未通过原因：{t.decision_reason or rdocs.MISSED_REASON}")
                  for i, t in enumerate(failed, 1)]
    more = [(f"二、初审未通过的集群（{len(fail_items)}个）：", fail_items)] if fail_items else []
    lead = f"一、初审通过的集群（{len(pass_items)}个）：" if pass_items else "一、初审通过的集群：无。"
    # With no cluster passed there is no 复核申报表 to send: the summary alone is attached.
    after = ([f"初审通过集群的复核申报表及佐证材料已经{we}审核，复核情况汇总表见附件。"] if passed
             else ["复核情况汇总表见附件。"]) + ["请予审核。"]
    attachments = [rdocs.attachment4_title(round_, passed + failed)]
    if passed:
        attachments.append(f"中小企业特色产业集群复核申报表（{len(passed)}份）")
    title_lines = [f"关于报送{batch}国家级中小企业", "特色产业集群复核初审结果的函"]
    return _letter(kind="rereview", round_=round_, org=org, fmt=LETTER, title_lines=title_lines,
                   addressee=f"{MINISTRY}：", intro=intro, lead=lead, items=pass_items, after=after,
                   attachments=attachments, contact=_contact(round_.contact_name, round_.contact_phone), more=more)


# --- .docx ----------------------------------------------------------------------------------------

def _text_width(text: str, size: float) -> float:
    """Rough printed width: CJK characters full width, digits and Latin half width."""
    return sum(size if ord(ch) > 0x2E80 else size / 2 for ch in text)


def _bottom_border(paragraph, color: str = "FF0000", size_eighths: int = 12, space_pt: int = 11) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size_eighths))
    bottom.set(qn("w:space"), str(space_pt))
    bottom.set(qn("w:color"), color)
    borders.append(bottom)
    ppr.insert_element_before(
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
        "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
        "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
        "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
        "w:rPr", "w:sectPr", "w:pPrChange",
    )


def _dash_page_numbers(doc) -> None:
    """GB/T 9704 page numbers: "— 1 —" in 4号 宋体 under the type area."""
    for section in doc.sections:
        section.footer_distance = Mm(24)
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for text, instruction in (("— ", None), ("", "PAGE"), (" —", None)):
            run = paragraph.add_run(text)
            D.set_font(run, D.SONG, size=14)
            if instruction:
                D.field_code(run, instruction)


def _para(doc, text: str = "", *, east_asia: str = D.FANGSONG, size: float = BODY_PT, align=None,
          indent_chars: float = 0, left_chars: float = 0, right_pt: float = 0, bold: bool = False, color=None, exact: bool = True,
          before_pt: float = 0, after_pt: float = 0):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if indent_chars:
        fmt.first_line_indent = Pt(BODY_PT * indent_chars)
    if left_chars:
        fmt.left_indent = Pt(BODY_PT * left_chars)
    if right_pt:
        fmt.right_indent = Pt(right_pt)
    fmt.space_before, fmt.space_after = Pt(before_pt), Pt(after_pt)
    if exact:
        fmt.line_spacing = Pt(LINE_PT)
    if text:
        D.set_font(p.add_run(text), east_asia, size=size, bold=bold, color=color)
    return p


def _double_red_line(paragraph) -> None:
    """The 信函格式 separator: a red double line (thick over thin) under the mark."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "thickThinSmallGap"), ("w:sz", "24"), ("w:space", "4"), ("w:color", "FF0000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.insert_element_before(borders, "w:spacing", "w:ind", "w:jc", "w:rPr")


def _number_runs(paragraph, letter: Letter) -> None:
    """The document number with what the clerk fills in highlighted (the running number; the
    代字 when the unit has none)."""
    head, blank, tail = letter.number_parts
    run = paragraph.add_run(head)
    D.set_font(run, D.FANGSONG, size=BODY_PT)
    if not letter.prefix_known:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    run = paragraph.add_run(blank)
    D.set_font(run, D.FANGSONG, size=BODY_PT)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    D.set_font(paragraph.add_run(tail), D.FANGSONG, size=BODY_PT)


def _signer_run(paragraph, letter: Letter) -> None:
    signer = paragraph.add_run(letter.signer_text)
    D.set_font(signer, D.KAI, size=BODY_PT)
    if not letter.signer:
        signer.font.highlight_color = WD_COLOR_INDEX.YELLOW


def letter_docx(round_: Round, org: Org) -> bytes:
    return render_letter_docx(letter_context(round_, org))


def render_letter_docx(letter: Letter) -> bytes:
    doc = D.new_document(east_asia=D.FANGSONG, size=BODY_PT)
    doc.core_properties.title = letter.title
    doc.core_properties.author = letter.authority
    normal = doc.styles["Normal"].paragraph_format
    normal.space_before = normal.space_after = Pt(0)
    _dash_page_numbers(doc)

    if letter.fmt == LETTER:
        # 信函格式: the mark 30 mm from the top edge (the margin is 37 mm, so it rises 7 mm), red
        # double line under it, the number at the right under the line, 签发人 under the number.
        mark = _para(doc, "", align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, before_pt=0, after_pt=0)
        D.set_font(mark.add_run(letter.mark), XIAOBIAOSONG, size=letter.mark_pt, color=RED)
        _double_red_line(mark)
        number = _para(doc, "", align=WD_ALIGN_PARAGRAPH.RIGHT, before_pt=6)
        _number_runs(number, letter)
        signer = _para(doc, "", align=WD_ALIGN_PARAGRAPH.RIGHT)
        D.set_font(signer.add_run("签发人："), D.FANGSONG, size=BODY_PT)
        _signer_run(signer, letter)
        _write_body(doc, letter)
        return D.to_bytes(doc)

    # 发文机关标志: red, centred, 小标宋, one line; 35 mm from the top of the type area.
    mark = _para(doc, "", align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, before_pt=Mm(35).pt - 12, after_pt=0)
    D.set_font(mark.add_run(letter.mark), XIAOBIAOSONG, size=letter.mark_pt, color=RED)
    _para(doc, "")
    _para(doc, "")
    # 发文字号 (left, one character in) and 签发人 (right, one character in), then the red line.
    number = _para(doc, "", left_chars=1, right_pt=BODY_PT)
    number.paragraph_format.tab_stops.add_tab_stop(Pt(TYPE_AREA_WIDTH_PT - BODY_PT), WD_TAB_ALIGNMENT.RIGHT)
    _number_runs(number, letter)
    D.set_font(number.add_run("\t签发人："), D.FANGSONG, size=BODY_PT)
    _signer_run(number, letter)
    _bottom_border(number)
    _write_body(doc, letter)
    return D.to_bytes(doc)


def _write_body(doc, letter: Letter) -> None:
    # title two lines below the red line
    _para(doc, "")
    _para(doc, "")
    # the title in 2号 小标宋, broken where the meaning allows (GB/T 9704 7.3.1)
    title = _para(doc, "", align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
    title.paragraph_format.line_spacing = Pt(TITLE_PT * 1.5)
    for i, line in enumerate(letter.title_lines):
        run = title.add_run(line)
        D.set_font(run, XIAOBIAOSONG, size=TITLE_PT)
        if i < len(letter.title_lines) - 1:
            run.add_break()
    _para(doc, "")
    _para(doc, letter.addressee)
    for text in letter.intro:
        _para(doc, text, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for lead, items in letter.sections:
        _para(doc, lead, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        for item in items:
            _para(doc, item.text, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for text in letter.after:
        _para(doc, text, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    # 附件说明: one blank line under the body, two characters in; later items aligned after "附件："
    _para(doc, "")
    for i, name in enumerate(letter.attachments, 1):
        if i == 1:
            _para(doc, f"附件：{i}. {name}", left_chars=5, indent_chars=-3)
        else:
            _para(doc, f"{i}. {name}", left_chars=5)
    # 署名 centred over 成文日期, which is four characters from the right; three blank lines above
    # are the seal area (印章 on paper).
    _para(doc, "")
    _para(doc, "")
    date_width = _text_width(letter.date, BODY_PT)
    name_width = _text_width(letter.authority, BODY_PT)
    date_right = BODY_PT * 4
    name_right = max(0.0, date_right + (date_width - name_width) / 2)
    seal_right = max(0.0, name_right + name_width / 2 - _text_width("（盖章）", 12) / 2)
    _para(doc, "（盖章）", east_asia=D.SONG, size=12, align=WD_ALIGN_PARAGRAPH.RIGHT, right_pt=seal_right,
          color=RGBColor(0x99, 0x99, 0x99))
    _para(doc, letter.authority, align=WD_ALIGN_PARAGRAPH.RIGHT, right_pt=name_right)
    _para(doc, letter.date, align=WD_ALIGN_PARAGRAPH.RIGHT, right_pt=date_right)
    # 附注: the contact, in brackets, two characters in, under the date
    _para(doc, letter.contact, indent_chars=2)


# --- .pdf -----------------------------------------------------------------------------------------

def letter_pdf(round_: Round, org: Org) -> bytes:
    return render_letter_pdf(letter_context(round_, org))


def render_letter_pdf(letter: Letter) -> bytes:
    from .pdf import render_pdf

    return render_pdf("documents/letter.html", {"letter": letter, "draft": True})


def rereview_letter_filename(round_: Round, ext: str) -> str:
    return f"{authority_name(round_.province)}{round_.year}年国家级集群复核初审结果函（草稿）.{ext}"


def letter_filename(round_: Round, org: Org, ext: str) -> str:
    what = "国家级推荐文件" if org.kind == OrgKind.PROVINCE else "推荐文件"
    return f"{authority_name(org)}{round_.year}年度{what}（草稿）.{ext}"
