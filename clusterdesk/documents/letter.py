"""The recommendation letter (推荐文件) as a draft in the layout of GB/T 9704-2012, as .docx to
edit and as .pdf.

Two letters: a recommending unit's stage-2 letter to the province (its formal list when sent,
else its applications currently 市州拟推荐), and the province's letter to MIIT listing the
national picks in rank order. Both are upward documents (上行文): the document number sits on
the left with 签发人 on the right, under the red issuing-authority mark (发文机关标志), above the
red separator line.

What a unit must fill is left as a placeholder (×): the document number's sequence, the city's
abbreviation, the signer. The date is the day of generation. The seal is added on paper.
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


@dataclass
class LetterItem:
    index: int
    name: str
    place: str
    national: bool

    @property
    def text(self) -> str:
        extra = "；同步推荐国家级" if self.national else ""
        return f"{self.index}.{self.name}（{self.place}{extra}）"


@dataclass
class Letter:
    kind: str  # "city" | "province"
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
    authority = authority_name(org)
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
        intro = [
            f"根据工业和信息化部关于开展{year}年度中小企业特色产业集群申报工作的通知要求，{we}组织全省各市（州）"
            "开展了中小企业特色产业集群申报推荐工作。经市（州）审核推荐、我厅初审、实地抽查和专家评审，"
            "现将推荐情况报告如下。",
        ]
        lead = f"{we}推荐以下{len(items)}个集群为{year}年度国家级中小企业特色产业集群（按推荐顺序排列）："
        after = [f"上述集群的申报材料已经{we}审核，推荐汇总表见附件。", "特此报告。"]
        doc_number = f"{org.name[:1]}工信中小〔{year}〕×号"
        addressee = f"{MINISTRY}："
        title_lines = [f"关于推荐{year}年度国家级", "中小企业特色产业集群的报告"]
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
        intro = [
            f"根据《{province_authority}关于开展{round_.name}工作的通知》要求，{we}组织本地区开展了"
            "中小企业特色产业集群申报工作，并对申报材料进行了审核。现将推荐情况报告如下。",
        ]
        lead = (f"{we}推荐以下{len(items)}个集群为{year}年度省级中小企业特色产业集群"
                + (f"，其中{national}个同步推荐国家级中小企业特色产业集群：" if national else "："))
        after = [f"上述集群的申报材料已经{we}审核，推荐汇总表见附件。", "特此报告。"]
        doc_number = f"××工信〔{year}〕×号"
        addressee = f"{province_authority}："
        title_lines = [f"关于推荐{year}年度", "中小企业特色产业集群的报告"]
        who = getattr(lst, "submitted_by", None)
        contact = _contact(getattr(who, "display_name", "") or "", getattr(who, "phone", "") or "")
    attachments = [summary_title(round_), f"中小企业特色产业集群申报表（{len(items)}份）"]
    mark = f"{authority}文件"
    return Letter(
        kind="province" if org.kind == OrgKind.PROVINCE else "city", round=round_, org=org, authority=authority,
        mark=mark, mark_pt=_mark_pt(mark), doc_number=doc_number, title="".join(title_lines), title_lines=title_lines,
        addressee=addressee, intro=intro,
        lead=lead, items=items, after=after, attachments=attachments, date=today_cn(), contact=contact,
        national_count=national,
    )


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


def letter_docx(round_: Round, org: Org) -> bytes:
    letter = letter_context(round_, org)
    doc = D.new_document(east_asia=D.FANGSONG, size=BODY_PT)
    doc.core_properties.title = letter.title
    doc.core_properties.author = letter.authority
    normal = doc.styles["Normal"].paragraph_format
    normal.space_before = normal.space_after = Pt(0)
    _dash_page_numbers(doc)

    # 发文机关标志: red, centred, 小标宋, one line; 35 mm from the top of the type area.
    mark = _para(doc, "", align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, before_pt=Mm(35).pt - 12, after_pt=0)
    D.set_font(mark.add_run(letter.mark), XIAOBIAOSONG, size=letter.mark_pt, color=RED)
    _para(doc, "")
    _para(doc, "")
    # 发文字号 (left, one character in) and 签发人 (right, one character in), then the red line.
    number = _para(doc, "", left_chars=1, right_pt=BODY_PT)
    number.paragraph_format.tab_stops.add_tab_stop(Pt(TYPE_AREA_WIDTH_PT - BODY_PT), WD_TAB_ALIGNMENT.RIGHT)
    run = number.add_run(letter.doc_number)
    D.set_font(run, D.FANGSONG, size=BODY_PT)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    D.set_font(number.add_run("\t签发人："), D.FANGSONG, size=BODY_PT)
    signer = number.add_run("×××")
    D.set_font(signer, D.KAI, size=BODY_PT)
    signer.font.highlight_color = WD_COLOR_INDEX.YELLOW
    _bottom_border(number)
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
    _para(doc, letter.lead, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for item in letter.items:
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
    return D.to_bytes(doc)


# --- .pdf -----------------------------------------------------------------------------------------

def letter_pdf(round_: Round, org: Org) -> bytes:
    from .pdf import render_pdf

    letter = letter_context(round_, org)
    return render_pdf("documents/letter.html", {"letter": letter, "draft": True})


def letter_filename(round_: Round, org: Org, ext: str) -> str:
    what = "国家级推荐文件" if org.kind == OrgKind.PROVINCE else "推荐文件"
    return f"{authority_name(org)}{round_.year}年度{what}（草稿）.{ext}"
