"""附件2 推荐汇总表 as .xlsx, for one recommending unit or province-wide, and the scope rule the
summary, the recommendation letter and the leader briefing share.

``summary_rows`` is the one source of the table's figures: the latest submitted version's data
(never the editable draft), shares and growth computed by ``applications.computed``, quality
enterprises counted by qualification group. Its queries do not depend on the number of
applications (one each for versions, industries, sub-clusters, city comments, national picks).

``document_scope`` answers who may have which documents of a round: the province's accounts
that see the province's review pages (administrator, leader, system administrator) get the
province-wide documents; a city reviewer (a unit that recommends directly to the province) gets
its own unit's; a leader of such a unit gets its own unit's briefing. Anything else is refused
with the Chinese reason (403), a round outside the user's province is a 404.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.http import Http404
from django.utils import timezone

from clusterdesk.applications.computed import compute
from clusterdesk.core.sheets import fit_rows
from clusterdesk.criteria.service import round_growth_method
from clusterdesk.applications.models import Application, ApplicationVersion, Status
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.core.numbers import query_int
from clusterdesk.orgs.models import Org, OrgKind, Role
from clusterdesk.reviews.service import PROVINCIAL
from clusterdesk.rounds.models import SHANGHAI, Round

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a city has recommended and what became of it (the provincial track's group).
RECOMMENDED_ONWARD = PROVINCIAL.group("recommended_onward")

# Quality-enterprise groups of the national criterion 2 (an enterprise counts once per group).
TOP_QUALIFICATIONS = {"champion", "little_giant"}
BROAD_QUALIFICATIONS = {"specialized", "innovative", "high_tech"}

LEVEL_PROVINCIAL = "省级"
LEVEL_NATIONAL = "同步推荐国家级"


# --- names of the issuing units -------------------------------------------------------------

def authority_name(org: Org) -> str:
    """The industry department of a unit as it signs documents: 吉林省工业和信息化厅,
    延边朝鲜族自治州工业和信息化局, 长白山保护开发区管理委员会经济发展局."""
    if org.kind == OrgKind.PROVINCE:
        return f"{org.name}工业和信息化厅"
    if org.kind == OrgKind.MANAGEMENT_COMMITTEE:
        return f"{org.name}经济发展局"
    return f"{org.name}工业和信息化局"


def self_reference(org: Org) -> str:
    """How the unit names itself in a letter body: 我厅 / 我局."""
    return "我厅" if org.kind == OrgKind.PROVINCE else "我局"


def cn_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def today_cn() -> str:
    return cn_date(timezone.localtime(timezone.now(), SHANGHAI).date())


# --- scope --------------------------------------------------------------------------------------

@dataclass
class DocumentScope:
    round: Round
    org: Org  # the recommending unit, or the province
    user: object

    @property
    def province_wide(self) -> bool:
        return self.org.kind == OrgKind.PROVINCE


PURPOSE_LABELS = {"summary": "导出推荐汇总表", "letter": "生成推荐文件", "briefing": "生成领导简报"}


def document_scope(user, round_id: int, purpose: str = "summary") -> DocumentScope:
    """Whose documents of round ``round_id`` ``user`` may have. Raises ``Http404`` for a round
    outside the user's province, ``NotAllowed`` (403) with the reason for a wrong role."""
    from clusterdesk.reviews.province import can_view

    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.org_id:
        raise NotAllowed("请先登录")
    round_ = Round.objects.visible_to(user).select_related("province").filter(pk=round_id).first()
    if round_ is None:
        raise Http404("申报批次不存在或不在您的权限范围内")
    if can_view(user, round_):
        return DocumentScope(round_, round_.province, user)
    org = user.org
    if org.recommends_to_province and user.role == Role.CITY_REVIEWER:
        return DocumentScope(round_, org, user)
    if org.recommends_to_province and user.role == Role.LEADER and purpose == "briefing":
        return DocumentScope(round_, org, user)
    if purpose == "briefing":
        raise NotAllowed("只有省厅管理员、领导和市州审核人员、市州领导可以生成领导简报")
    raise NotAllowed(f"只有省厅管理员、领导和市州审核人员可以{PURPOSE_LABELS.get(purpose, '导出')}")


def scope_applications(scope: DocumentScope):
    """Every application of the scope's round the scope covers (no status filter)."""
    qs = Application.objects.filter(round=scope.round)
    if not scope.province_wide:
        qs = qs.filter(org__recommender=scope.org)
    return qs


def _statuses(params) -> list[str]:
    raw = params.getlist("status") if hasattr(params, "getlist") else params.get("status") or []
    if isinstance(raw, str):
        raw = [raw]
    wanted = []
    for value in raw:
        for token in str(value).replace("，", ",").split(","):
            token = token.strip()
            if not token:
                continue
            if token not in Status.values:
                choices = "、".join(f"{s.value}（{s.label}）" for s in Status)
                raise DomainError(f"状态“{token}”无效，可选：{choices}", field="status")
            wanted.append(token)
    return wanted


def _truthy(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "是")


def filtered_applications(scope: DocumentScope, params) -> tuple[object, list[str]]:
    """The applications a summary covers, with the filters of the page it was exported from:
    ``status`` (one or more, comma-separated or repeated; default: from 市州拟推荐 onward),
    ``org`` (a recommending unit's code; a city may only name itself), ``national=1`` (only
    those flagged 同步推荐国家级). Returns the queryset and a description of the filters."""
    qs = scope_applications(scope)
    notes = []
    statuses = _statuses(params)
    if statuses:
        qs = qs.filter(status__in=statuses)
        notes.append("状态：" + "、".join(Status(s).label for s in statuses))
    else:
        qs = qs.filter(status__in=RECOMMENDED_ONWARD)
    code = (params.get("org") or "").strip()
    if code:
        if scope.province_wide:
            unit = Org.objects.filter(code=code, recommends_to_province=True,
                                      path__startswith=scope.org.path).first()
        else:
            unit = scope.org if code == scope.org.code else None
        if unit is None:
            raise Http404(f"推荐单位“{code}”不存在或不在您的权限范围内")
        qs = qs.filter(org__recommender=unit)
        if scope.province_wide:
            notes.append(f"推荐单位：{unit.name}")
    if _truthy(params.get("national")):
        qs = qs.filter(national_flag=True)
        notes.append("仅同步推荐国家级")
    return qs, notes


# --- rows ---------------------------------------------------------------------------------------

def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except Exception:  # validated at save time; anything else is treated as absent
        return None
    return number if number.is_finite() else None


def _latest_versions(apps: list[Application]) -> dict[int, ApplicationVersion]:
    versions = ApplicationVersion.objects.filter(
        application__in=[a.pk for a in apps], number=F("application__current_version")
    ).only("application_id", "number", "data", "report", "submitted_at")
    return {v.application_id: v for v in versions}


def _city_comments(apps: list[Application]) -> dict[int, str]:
    from clusterdesk.reviews.models import ReviewComment

    found: dict[int, str] = {}
    for c in (ReviewComment.objects.filter(application__in=[a.pk for a in apps], action="city_recommend")
              .order_by("-created_at", "-id").only("application_id", "text")):
        found.setdefault(c.application_id, (c.text or "").strip())
    return found


def _picks(apps: list[Application]) -> dict[int, int]:
    from clusterdesk.reviews.models import NationalPick

    return dict(NationalPick.objects.filter(application__in=[a.pk for a in apps]).values_list("application_id", "rank"))


def _catalog(codes: set[str], model) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(model.objects.filter(code__in=codes).values_list("code", "name"))


def _contact(contacts) -> str:
    first = next((c for c in contacts or [] if isinstance(c, dict) and (c.get("name") or c.get("phone"))), None)
    if first is None:
        return ""
    return " ".join(p for p in ((first.get("name") or "").strip(), (first.get("phone") or "").strip()) if p)


def _count(firms, group: set[str]) -> int:
    return sum(1 for f in firms or [] if isinstance(f, dict) and set(f.get("qualifications") or []) & group)


TRAILING_PUNCTUATION = "。；;，,、.：: \u3000"


def join_remarks(parts) -> str:
    """The 备注 parts joined by "；" without doubled punctuation: each part loses its trailing
    full stop / semicolon / comma before joining (a city's comment "建议重点支持。" and
    "国家级推荐第1位" read "建议重点支持；国家级推荐第1位"); empty parts are dropped."""
    cleaned = [str(p).strip().rstrip(TRAILING_PUNCTUATION) for p in parts if p is not None]
    return "；".join(p for p in cleaned if p)


def growth_span(row: dict) -> str:
    """The years a row's growth runs over, "2021—2024年", or "" without a growth figure."""
    if row.get("growth") is None or not row.get("growth_from") or not row.get("growth_to"):
        return ""
    return f"{row['growth_from']}—{row['growth_to']}年"


def summary_rows(round_: Round, applications) -> list[dict]:
    """One dict per application, in the order recommending unit → county → application number.

    Figures come from the latest submitted version (``current_version``); an application never
    submitted falls back to its name only. Keys: ``index``, ``application``, ``city``,
    ``county``, ``name``, ``industry``, ``outputs`` (one Decimal or None per window year),
    ``sme_share``, ``leading_share`` (fractions, last window year), ``growth`` (fraction),
    ``top_count`` (单项冠军/小巨人), ``broad_count`` (专精特新/创新型/高新), ``sub_cluster``,
    ``national``, ``level``, ``contact``, ``remarks``, ``status_label``, ``national_rank``.
    """
    from clusterdesk.catalog.models import Industry, SubCluster

    if hasattr(applications, "select_related"):
        applications = applications.select_related("org", "org__recommender")
    apps = sorted(applications, key=lambda a: ((a.org.recommender.path if a.org.recommender_id else a.org.path),
                                               a.org.path, a.number))
    if not apps:
        return []
    versions = _latest_versions(apps)
    data = {a.pk: (versions[a.pk].data if a.pk in versions else {}) or {} for a in apps}
    industries = _catalog({(d.get("leading_industry_code") or "").strip() for d in data.values()}, Industry)
    subclusters = _catalog({(d.get("sub_cluster_code") or "").strip() for d in data.values()}, SubCluster)
    comments = _city_comments(apps)
    picks = _picks(apps)
    years = round_.window_years
    method = round_growth_method(round_)  # once: the same for every row of the round
    rows = []
    for i, app in enumerate(apps, 1):
        d = data[app.pk]
        indicators = [{**r, "year": query_int(str(r["year"]))} for r in d.get("indicators") or []
                      if isinstance(r, dict) and query_int(str(r.get("year") or "")) is not None]
        by_year = {r["year"]: r for r in indicators}
        figures = compute(indicators, years, round_.base_year, method)
        last = figures.years[-1] if figures.years else None
        code = (d.get("leading_industry_code") or "").strip()
        industry = f"{industries[code]}（{code}）" if code in industries else code
        sub = (d.get("sub_cluster_code") or "").strip()
        firms = d.get("quality_enterprises") or []
        remarks = []
        if comments.get(app.pk):
            remarks.append(comments[app.pk])
        if app.pk in picks:
            remarks.append(f"国家级推荐第{picks[app.pk]}位")
        area = _decimal(d.get("area_km2"))
        recommender = app.org.recommender if app.org.recommender_id else app.org
        rows.append({
            "index": i,
            "application": app,
            "city": recommender.name,
            "county": app.org.name,
            "name": d.get("name") or app.name or app.number,
            "industry": industry,
            "niche": (d.get("niche") or "").strip(),
            "operating_body": (d.get("operating_body") or "").strip(),
            "area": area,
            "outputs": [_decimal(by_year.get(y, {}).get("total_output")) for y in years],
            "sme_share": last.sme_share if last else None,
            "leading_share": last.leading_share if last else None,
            "growth": figures.growth,
            "growth_from": figures.growth_from,
            "growth_to": figures.growth_to,
            "top_count": _count(firms, TOP_QUALIFICATIONS),
            "broad_count": _count(firms, BROAD_QUALIFICATIONS),
            "sub_cluster": subclusters.get(sub, sub),
            "national": app.national_flag,
            "level": LEVEL_NATIONAL if app.national_flag else LEVEL_PROVINCIAL,
            "contact": _contact(d.get("contacts")),
            "remarks": join_remarks(remarks),
            "status_label": app.get_status_display(),
            "national_rank": picks.get(app.pk),
            "version": versions[app.pk].number if app.pk in versions else None,
        })
    return rows


# --- the workbook -------------------------------------------------------------------------------

TITLE_ROW, UNIT_ROW, HEAD_ROW, SUB_ROW = 1, 2, 3, 4
FIRST_DATA_ROW = 5


def _columns(round_: Round, rows: list[dict] | None = None) -> list[dict]:
    """Each column: group header (or None), its own header, width, kind.

    The growth header names the years the growth runs over. When every row runs over the same
    years (the usual case) the header says them; when rows differ (a base year missing for one
    cluster, so its growth starts at the window's first year) the header says so and a column
    "增速起止年份" right after it states each row's years."""
    last = round_.window_years[-1]
    spans = sorted({growth_span(r) for r in rows or [] if growth_span(r)})
    if len(spans) > 1:
        growth_head = "年均增速\n（起止年份见右列）"
    elif spans:
        growth_head = f"年均增速\n（{spans[0][:-1]}年）"
    else:
        growth_head = f"年均增速\n（{round_.base_year}—{last}年）"
    cols = [
        {"group": None, "head": "序号", "width": 5, "kind": "int", "key": "index"},
        {"group": None, "head": "市(州)", "width": 11, "kind": "text", "key": "city"},
        {"group": None, "head": "县(市、区)", "width": 10, "kind": "text", "key": "county"},
        {"group": None, "head": "集群名称", "width": 22, "kind": "text", "key": "name"},
        {"group": None, "head": "主导产业", "width": 14, "kind": "text", "key": "industry"},
        {"group": None, "head": "细分领域", "width": 12, "kind": "text", "key": "niche"},
        {"group": None, "head": "运营主体", "width": 16, "kind": "text", "key": "operating_body"},
        {"group": None, "head": "面积\n（平方公里）", "width": 9, "kind": "amount", "key": "area"},
    ]
    for i, year in enumerate(round_.window_years):
        cols.append({"group": "集群产值", "head": f"{year}年", "width": 9, "kind": "amount", "key": ("outputs", i)})
    cols += [
        {"group": f"{last}年占比", "head": "中小企业产值占比", "width": 9, "kind": "pct", "key": "sme_share"},
        {"group": f"{last}年占比", "head": "主导产业产值占比", "width": 9, "kind": "pct", "key": "leading_share"},
        {"group": None, "head": growth_head, "width": 10, "kind": "pct", "key": "growth"},
    ]
    if len(spans) > 1:
        cols.append({"group": None, "head": "增速起止年份", "width": 10, "kind": "text", "key": "growth_span"})
    cols += [
        {"group": "优质中小企业数量（家）", "head": "单项冠军/\n小巨人", "width": 8, "kind": "int", "key": "top_count"},
        {"group": "优质中小企业数量（家）", "head": "专精特新/\n创新型/高新", "width": 9, "kind": "int", "key": "broad_count"},
        {"group": None, "head": "所属重点子集群", "width": 12, "kind": "text", "key": "sub_cluster"},
        {"group": None, "head": "推荐级别\n（省级/同步推荐国家级）", "width": 12, "kind": "text", "key": "level"},
        {"group": None, "head": "联系人及电话", "width": 14, "kind": "text", "key": "contact"},
        {"group": None, "head": "备注", "width": 16, "kind": "text", "key": "remarks"},
    ]
    return cols


NUMBER_FORMATS = {"amount": "0.00", "pct": "0.00%", "int": "0"}


def _safe_text(value) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))


def _put_text(cell, value) -> None:
    """A text cell that is never a formula, whatever an applicant typed (no formula injection)."""
    cell.value = _safe_text(value)
    cell.data_type = "s"


def _value(row: dict, key):
    if isinstance(key, tuple):
        return row[key[0]][key[1]]
    if key == "growth_span":
        return growth_span(row)
    return row[key]


def summary_xlsx(round_: Round, applications, *, title: str, unit_name: str, notes: list[str] | None = None) -> bytes:
    """The 推荐汇总表 workbook: title row, unit row (单位：亿元), two-level merged headers, one row
    per application with numbers as numbers, borders, frozen headers, A4 landscape with the
    header rows repeated on each printed page."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    rows = summary_rows(round_, applications)
    cols = _columns(round_, rows)
    n = len(cols)
    last_col = get_column_letter(n)

    wb = Workbook()
    ws = wb.active
    ws.title = "推荐汇总表"
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    body_font = Font(name="宋体", size=10)
    head_font = Font(name="黑体", size=10, bold=True)

    # title and unit rows
    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")
    _put_text(ws.cell(TITLE_ROW, 1), title)
    ws.cell(TITLE_ROW, 1).font = Font(name="黑体", size=16, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[TITLE_ROW].height = 32
    split = n - 3
    ws.merge_cells(start_row=UNIT_ROW, start_column=1, end_row=UNIT_ROW, end_column=split)
    unit_text = f"推荐单位（盖章）：{unit_name}"
    if notes:
        unit_text += f"　　（{'；'.join(notes)}）"
    _put_text(ws.cell(UNIT_ROW, 1), unit_text)
    ws.cell(UNIT_ROW, 1).font = body_font
    ws.cell(UNIT_ROW, 1).alignment = Alignment(horizontal="left", vertical="center")
    ws.merge_cells(start_row=UNIT_ROW, start_column=split + 1, end_row=UNIT_ROW, end_column=n)
    _put_text(ws.cell(UNIT_ROW, split + 1), "单位：亿元")
    ws.cell(UNIT_ROW, split + 1).font = body_font
    ws.cell(UNIT_ROW, split + 1).alignment = Alignment(horizontal="right", vertical="center")
    ws.row_dimensions[UNIT_ROW].height = 20

    # two-level headers: a group spans its columns on the first row; a column without a group
    # spans both rows.
    head_fill = PatternFill("solid", fgColor="EDEDED")
    c = 1
    while c <= n:
        col = cols[c - 1]
        if col["group"] is None:
            ws.merge_cells(start_row=HEAD_ROW, start_column=c, end_row=SUB_ROW, end_column=c)
            _put_text(ws.cell(HEAD_ROW, c), col["head"])
            c += 1
            continue
        end = c
        while end < n and cols[end]["group"] == col["group"]:
            end += 1
        ws.merge_cells(start_row=HEAD_ROW, start_column=c, end_row=HEAD_ROW, end_column=end)
        _put_text(ws.cell(HEAD_ROW, c), col["group"])
        for k in range(c, end + 1):
            _put_text(ws.cell(SUB_ROW, k), cols[k - 1]["head"])
        c = end + 1
    for r in (HEAD_ROW, SUB_ROW):
        ws.row_dimensions[r].height = 30 if r == HEAD_ROW else 36
        for k in range(1, n + 1):
            cell = ws.cell(r, k)
            cell.font, cell.alignment, cell.border, cell.fill = head_font, center, border, head_fill

    # data
    r = FIRST_DATA_ROW
    for row in rows:
        for k, col in enumerate(cols, 1):
            cell = ws.cell(r, k)
            value = _value(row, col["key"])
            if col["kind"] == "text":
                _put_text(cell, value)
                left = col["key"] in ("name", "remarks", "industry", "niche", "operating_body")
                cell.alignment = Alignment(horizontal="left" if left else "center", vertical="center", wrap_text=True)
            else:
                cell.value = None if value is None else (int(value) if col["kind"] == "int" else float(value))
                cell.number_format = NUMBER_FORMATS[col["kind"]]
                cell.alignment = Alignment(horizontal="right" if col["kind"] != "int" else "center", vertical="center")
            cell.font, cell.border = body_font, border
        r += 1
    if not rows:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        _put_text(ws.cell(r, 1), "（没有符合条件的申报）")
        ws.cell(r, 1).alignment = center
        for k in range(1, n + 1):
            ws.cell(r, k).border = border
        r += 1

    # notes under the table
    last = round_.window_years[-1]
    note_lines = [
        "注：1. 数据取自各申报最新提交的版本；金额单位为亿元，保留两位小数。",
        f"2. 占比为{last}年数据（中小企业产值、主导产业产值分别除以集群产值）；年均增速为{round_.base_year}—{last}年"
        "集群产值年均复合增长率（基年无数据时自三年窗口首年起算），均由系统根据填报数据计算。",
        "3. 优质中小企业按资质分组计数：同一企业兼有两组资质的，两组各计一次。",
        f"4. 导出时间：{timezone.localtime(timezone.now(), SHANGHAI):%Y-%m-%d %H:%M}（北京时间），共 {len(rows)} 个集群。",
    ]
    r += 1
    for line in note_lines:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        _put_text(ws.cell(r, 1), line)
        ws.cell(r, 1).font = Font(name="宋体", size=9)
        ws.cell(r, 1).alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        ws.row_dimensions[r].height = 26 if len(line) > 90 else 16
        r += 1

    for k, col in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(k)].width = col["width"]
    if rows:
        fit_rows(ws, FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows) - 1)  # wrapped names and remarks stay readable

    # frozen header (and the columns up to the cluster name), A4 landscape, headers repeated
    ws.freeze_panes = f"E{FIRST_DATA_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{HEAD_ROW}:{SUB_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.6
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.print_area = f"A1:{last_col}{r - 1}"

    wb.properties.title = title
    wb.properties.creator = unit_name
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def summary_title(round_: Round) -> str:
    return f"{round_.year}年度中小企业特色产业集群推荐汇总表"


def summary_document(scope: DocumentScope, params) -> tuple[bytes, str]:
    """The workbook for a scope with the page's filters, and its file name."""
    applications, notes = filtered_applications(scope, params)
    title = summary_title(scope.round)
    if _truthy(params.get("national")):
        title += "（同步推荐国家级）"
    body = summary_xlsx(scope.round, applications, title=title, unit_name=authority_name(scope.org), notes=notes)
    return body, f"附件2 {title}（{scope.org.name}）.xlsx"
