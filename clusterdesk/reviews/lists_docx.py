"""Word lists ready to publish: the 公示名单 of a publicity batch, the recognition list
(认定名单) of a finalised batch, and the national recommendation list.

Each is a title, a 文号 line to complete (the document number is given by the office when the
notice is issued), a short lead, and a table of the clusters with their county-level unit, city
and leading industry, in the order of the org tree. The rows are read in a fixed number of
queries (the applications, their basic sections, the industries).
"""

from docx.enum.text import WD_ALIGN_PARAGRAPH

from clusterdesk.applications.models import Application, Section, SectionKey
from clusterdesk.catalog.models import Industry
from clusterdesk.documents.docx import FANGSONG, HEI, new_document, paragraph, table, to_bytes

from .models import NationalPick, PublicityBatch

HEADERS = ["序号", "集群名称", "所在县（市、区）", "所属市（州）", "主导产业"]
WIDTHS_MM = (12, 52, 32, 28, 32)
DOC_NUMBER_LINE = "吉工信中小企〔    〕    号"  # completed by the office when issuing


def cluster_rows(applications: list[Application]) -> list[list[str]]:
    """序号, name, county, city, leading industry (code, name and niche) of each application."""
    basics = {s.application_id: s.data for s in Section.objects.filter(
        application__in=[a.pk for a in applications], key=SectionKey.BASIC)}
    codes = {(basics.get(a.pk) or {}).get("leading_industry_code") or "" for a in applications}
    names = dict(Industry.objects.filter(code__in=[c for c in codes if c]).values_list("code", "name"))
    rows = []
    for n, a in enumerate(applications, 1):
        data = basics.get(a.pk) or {}
        code, niche = data.get("leading_industry_code") or "", data.get("niche") or ""
        industry = "".join(filter(None, [names.get(code, ""), f"（{niche}）" if niche else ""])) or code
        city = a.org.recommender.name if a.org.recommender_id else a.org.name
        rows.append([str(n), a.name, a.org.name, city, industry])
    return rows


def _ordered(queryset) -> list[Application]:
    return list(queryset.select_related("org", "org__recommender").order_by("org__path", "number"))


def build(title: str, lead: str, rows: list[list[str]], *, closing: str = "") -> bytes:
    doc = new_document(east_asia=FANGSONG, size=14)
    paragraph(doc, DOC_NUMBER_LINE, east_asia=FANGSONG, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(doc, title, east_asia=HEI, size=18, align=WD_ALIGN_PARAGRAPH.CENTER)
    if lead:
        paragraph(doc, lead, east_asia=FANGSONG, size=14, indent_first=True)
    table(doc, HEADERS, rows, east_asia=FANGSONG, size=11, widths_mm=WIDTHS_MM)
    if closing:
        paragraph(doc, closing, east_asia=FANGSONG, size=14, indent_first=True)
    return to_bytes(doc)


def publicity_list(batch: PublicityBatch) -> tuple[bytes, int]:
    """The batch's 公示名单: every entry proposed, with the publicity period."""
    apps = _ordered(Application.objects.filter(publicity_entries__batch=batch))
    lead = (f"根据中小企业特色产业集群认定工作安排，经县级申报、市（州）推荐、省厅初审和专家评审，"
            f"拟认定以下 {len(apps)} 个集群为省级中小企业特色产业集群，现予以公示。公示期为"
            f"{batch.starts_on:%Y年%m月%d日}至{batch.ends_on:%Y年%m月%d日}（{batch.working_days}个工作日）。"
            f"公示期间如有异议，请以书面形式向省工业和信息化厅反映。")
    return build(batch.title, lead, cluster_rows(apps), closing="联系人：        联系电话："), len(apps)


def recognition_list(batch: PublicityBatch) -> tuple[bytes, int]:
    """The batch's 认定名单: the entries recognised when the batch was finalised."""
    apps = _ordered(Application.objects.filter(publicity_entries__batch=batch,
                                               publicity_entries__outcome="recognized"))
    title = f"{batch.round.year}年度{batch.round.province.name}省级中小企业特色产业集群认定名单"
    lead = f"经公示无异议，认定以下 {len(apps)} 个集群为省级中小企业特色产业集群。"
    return build(title, lead, cluster_rows(apps)), len(apps)


def national_list(round_) -> tuple[bytes, int]:
    """The province's national recommendation list, in its rank order."""
    picks = list(NationalPick.objects.filter(round=round_).select_related(
        "application", "application__org", "application__org__recommender").order_by("rank"))
    apps = [p.application for p in picks]
    title = f"{round_.year}年度{round_.province.name}推荐国家级中小企业特色产业集群名单"
    lead = f"按专家评审结果和推荐名额，{round_.province.name}推荐以下 {len(apps)} 个集群申报国家级中小企业特色产业集群（按推荐顺序排列）。"
    return build(title, lead, cluster_rows(apps)), len(apps)
