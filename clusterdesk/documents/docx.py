"""python-docx helpers: A4 pages, Chinese fonts set for East Asian text, page numbers.

Word only uses a Chinese font for Chinese characters when the run's ``w:eastAsia`` font is set;
``set_font`` sets it together with the Latin font.
"""

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

SONG = "宋体"
FANGSONG = "仿宋_GB2312"
HEI = "黑体"
KAI = "楷体_GB2312"


def set_font(run, east_asia: str = SONG, latin: str = "Times New Roman", size: float | None = None,
             bold: bool | None = None, color=None) -> None:
    run.font.name = latin
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color


def new_document(*, landscape: bool = False, east_asia: str = SONG, size: float = 12,
                 margins_mm=(37, 35, 28, 26)) -> Document:
    """An A4 document whose default style uses ``east_asia`` for Chinese text.

    Default margins follow GB/T 9704 (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm).
    """
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = (Mm(m) for m in margins_mm)
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    return doc


def field_code(run, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES…) in ``run``; Word computes it when the document opens."""
    begin, text, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    end.set(qn("w:fldCharType"), "end")
    run._element.append(begin)
    run._element.append(text)
    run._element.append(end)


def add_page_numbers(doc: Document, east_asia: str = SONG) -> None:
    """Footer "第 X 页 共 Y 页" with Word fields (updated when the document is opened)."""
    for section in doc.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for text, field in (("第 ", "PAGE"), (" 页 共 ", "NUMPAGES"), (" 页", None)):
            run = paragraph.add_run(text)
            set_font(run, east_asia, size=9)
            if field:
                number = paragraph.add_run()
                set_font(number, east_asia, size=9)
                field_code(number, field)


def paragraph(doc: Document, text: str = "", *, east_asia: str = SONG, size: float | None = None, bold: bool = False,
              align=None, indent_first: bool = False):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent_first:
        p.paragraph_format.first_line_indent = Pt((size or 12) * 2)
    if text:
        set_font(p.add_run(text), east_asia, size=size, bold=bold)
    return p


def table(doc: Document, headers: list[str], rows: list[list], *, east_asia: str = SONG, size: float = 10.5,
          widths_mm: tuple | None = None):
    """A grid table with a bold header row; ``widths_mm`` fixes each column's width."""
    from docx.shared import Mm

    t = doc.add_table(rows=1, cols=len(headers))
    t.style = "Table Grid"
    if widths_mm:  # the grid (LibreOffice reads it) and every cell (Word and WPS read those)
        t.autofit = False
        for column, width in zip(t.columns, widths_mm):
            column.width = Mm(width)

    def sized(cells):
        if widths_mm:
            for cell, width in zip(cells, widths_mm):
                cell.width = Mm(width)
        return cells

    for cell, text in zip(sized(t.rows[0].cells), headers):
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(str(text)), east_asia, size=size, bold=True)
    for values in rows:
        cells = sized(t.add_row().cells)
        for cell, value in zip(cells, values):
            cell.text = ""
            set_font(cell.paragraphs[0].add_run("" if value is None else str(value)), east_asia, size=size)
    return t


def to_bytes(doc: Document) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def label_table(doc: Document, rows: list[tuple[str, str]], *, widths_mm=(40, 118), size: float = 10.5):
    """A two-column table of labels (黑体) and values, as forms have it."""
    from docx.shared import Mm

    t = doc.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    for label, value in rows:
        cells = t.add_row().cells
        cells[0].width, cells[1].width = Mm(widths_mm[0]), Mm(widths_mm[1])
        set_font(cells[0].paragraphs[0].add_run(label), HEI, size=size)
        set_font(cells[1].paragraphs[0].add_run(value), size=size)
    return t


HEADING_FONTS = {1: (HEI, 16), 2: (KAI, 14), 3: (HEI, 12)}


def style_headings(doc: Document, levels=HEADING_FONTS) -> None:
    """Restyle Word's built-in 'Heading N' styles to the CJK fonts (黑体 / 楷体), black, no theme
    fonts, so headings keep their outline level (the navigation pane lists them) and read as a
    Chinese official form."""
    from docx.shared import RGBColor

    for level, (east_asia, size) in levels.items():
        style = doc.styles[f"Heading {level}"]
        font = style.font
        font.name = "Times New Roman"
        font.size = Pt(size)
        font.bold = True
        font.italic = False
        font.color.rgb = RGBColor(0, 0, 0)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)
        fonts.set(qn("w:ascii"), "Times New Roman")
        fonts.set(qn("w:hAnsi"), "Times New Roman")
        fonts.set(qn("w:eastAsia"), east_asia)
        style.paragraph_format.space_before = Pt(12 if level == 1 else 6)
        style.paragraph_format.space_after = Pt(6 if level == 1 else 3)
        style.paragraph_format.keep_with_next = True


def heading(doc: Document, text: str, level: int = 1, *, align=None):
    """A paragraph in the built-in 'Heading N' style (restyle with ``style_headings`` first);
    the run names the East Asian font as well, for readers that ignore style fonts."""
    east_asia, size = HEADING_FONTS.get(level, (HEI, 12))
    p = doc.add_paragraph(style=f"Heading {level}")
    if align is not None:
        p.alignment = align
    set_font(p.add_run(text), east_asia, size=size, bold=True)
    return p
