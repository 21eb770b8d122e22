"""The leader briefing (领导简报): one A4 page summing up a round for the local leader.

For the province: every recommending unit's counts by stage and its list submissions; for a
recommending unit: its counties' counts and its own lists. Both: the stage deadlines, the
recommended list, and the problems — lists late or missing (or due within three days and not
sent), quota rules broken, applications returned, stored criteria reports that fail, work
waiting for the reader's unit. Long lists are cut so the page stays one page; the cut is said
on the page ("另有 N 个……").

The queries do not depend on the number of applications.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from clusterdesk.applications.models import Application, ApplicationVersion, Status
from clusterdesk.orgs.models import Org, OrgKind
from clusterdesk.rounds.models import SHANGHAI, Round, StageCode

from clusterdesk.reviews.service import PIPELINE, PROVINCIAL

from .summary import RECOMMENDED_ONWARD, authority_name, summary_rows

# Columns of the counts table: the overview's pipeline groups, then the stopped ones.
STOPPED = PROVINCIAL.group("stopped")
LIST_STAGES = (StageCode.NAME_LIST, StageCode.FORMAL_SUBMISSION)
LIST_STATE_LABELS = {"done": "已报送", "late": "逾期报送", "missed": "未报送", "open": "未报送"}
ACTIVE_FOR_CRITERIA = PROVINCIAL.group("active")

# Short status labels for the narrow list column.
STATUS_SHORT = {
    Status.RECOMMENDED: "市州推荐", Status.FORMAL: "正式推荐", Status.INITIAL_PASSED: "初审通过",
    Status.INITIAL_FAILED: "初审未过", Status.PUBLICITY: "公示中", Status.RECOGNIZED: "省级认定",
    Status.NOT_RECOGNIZED: "未予认定",
}

MAX_LISTED = 40  # recommended clusters shown (two columns of 20)
MAX_PROBLEMS = 10
MAX_NAMES = 6  # names quoted in one problem line


def _pipeline():
    return PIPELINE


def _names(items: list[str], limit: int = MAX_NAMES) -> str:
    shown = "、".join(items[:limit])
    return shown + (f"等 {len(items)} 个" if len(items) > limit else "")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _local(moment) -> str:
    return f"{timezone.localtime(moment, SHANGHAI):%m月%d日 %H:%M}" if moment else ""


def _group_counts(by_status: dict[str, int]) -> list[int]:
    counts = [sum(by_status.get(s, 0) for s in statuses) for _, statuses in _pipeline()]
    counts.append(sum(by_status.get(s, 0) for s in STOPPED))
    return counts


def short_name(name: str) -> str:
    """延边朝鲜族自治州 → 延边州, 长白山保护开发区管理委员会 → 长白山管委会 (for narrow columns)."""
    for long, short in (("朝鲜族自治州", "州"), ("保护开发区管理委员会", "管委会")):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name


def _criteria_failures(apps: list[Application]) -> list[str]:
    """Applications under review whose stored report (latest submitted version) fails a set,
    grouped by criteria set and failing aspect: one line per group, naming the applications."""
    active = [a for a in apps if a.status in ACTIVE_FOR_CRITERIA and a.current_version]
    if not active:
        return []
    names = {a.pk: a for a in active}
    groups: dict[tuple[str, str], list[str]] = {}
    for v in (ApplicationVersion.objects.filter(application__in=list(names), number=F("application__current_version"))
              .only("application_id", "report").order_by("application__number")):
        for report in (v.report or {}).values():
            if not isinstance(report, dict) or report.get("verdict") != "fail":
                continue
            app = names[v.application_id]
            first = next((r for r in report.get("results") or []
                          if r.get("status") == "fail" and r.get("severity") == "hard"), None)
            set_name = (report.get("criteria_set") or {}).get("name") or "认定标准"
            aspect = (first or {}).get("aspect_title") or ""
            groups.setdefault((set_name, aspect), []).append(app.name or app.number)
    lines = []
    for (set_name, aspect), apps_failing in groups.items():
        where = f"（{aspect}）" if aspect else ""
        lines.append(f"最新提交版本不符合{set_name}{where}：{_names(apps_failing, 3)}")
    return lines


def _list_problems(rows: list[dict], now, own: bool) -> list[str]:
    problems = []
    for code in LIST_STAGES:
        label = StageCode(code).label
        late, missed, soon = [], [], []
        deadline_text = ""
        for row in rows:
            info = row["stages"][code]
            name = row["org"].name
            if info["state"] == "late":
                late.append(name)
            elif info["state"] == "missed":
                missed.append(name)
                deadline_text = _local(info["deadline"])
            elif info["state"] == "open" and info["deadline"] is not None:
                if (info["deadline"] - now).total_seconds() <= 3 * 86400:
                    soon.append(name)
                    deadline_text = _local(info["deadline"])
        if missed:
            problems.append(f"{label}已于{deadline_text}截止，" + ("本单位未报送" if own else f"未报送：{_names(missed)}"))
        if late:
            problems.append(f"{label}逾期报送：" + ("本单位" if own else _names(late)))
        if soon:
            problems.append(f"{label}将于{deadline_text}截止，" + ("本单位尚未报送" if own else f"尚未报送：{_names(soon)}"))
    return problems


def briefing_context(round_: Round, org: Org, now=None) -> dict:
    from clusterdesk.reviews.domain import quota_problems, round_progress
    from clusterdesk.reviews.models import NationalPick
    from clusterdesk.rounds.home import stage_rows

    now = now or timezone.now()
    province_wide = org.kind == OrgKind.PROVINCE
    progress = round_progress(round_, now)
    if not province_wide:
        progress = [r for r in progress if r["org"].pk == org.pk]
    apps = Application.objects.filter(round=round_).select_related("org", "org__recommender")
    if not province_wide:
        apps = apps.filter(org__recommender=org)
    apps = list(apps.order_by("org__path", "number"))

    # counts by stage: per recommending unit (province) or per county (a unit)
    headers = [label for label, _ in _pipeline()] + ["已终止"]
    table = []
    if province_wide:
        for row in progress:
            table.append({"name": row["org"].name, "total": row["total"], "counts": _group_counts(row["counts"]),
                          "lists": [{"label": LIST_STATE_LABELS[row["stages"][c]["state"]],
                                     "tone": row["stages"][c]["state"]} for c in LIST_STAGES]})
    else:
        per_county: dict[int, dict] = {}
        for a in apps:
            entry = per_county.setdefault(a.org_id, {"name": a.org.name, "by_status": {}})
            entry["by_status"][a.status] = entry["by_status"].get(a.status, 0) + 1
        for entry in per_county.values():
            table.append({"name": entry["name"], "total": sum(entry["by_status"].values()),
                          "counts": _group_counts(entry["by_status"])})
    by_status: dict[str, int] = {}
    for a in apps:
        by_status[a.status] = by_status.get(a.status, 0) + 1
    totals = {"total": len(apps), "counts": _group_counts(by_status)}

    # deadlines (a unit's own extensions count)
    extensions = {} if province_wide else {e.stage_code: e.closes_at for e in round_.extensions.filter(org=org)}
    stages = stage_rows(round_, extensions, now)
    unit_lists = []
    if not province_wide and progress:
        for code in LIST_STAGES:
            info = progress[0]["stages"][code]
            lst = info["list"]
            unit_lists.append({"label": StageCode(code).label, "state": LIST_STATE_LABELS[info["state"]],
                               "tone": info["state"], "at": _local(lst.submitted_at) if lst else ""})

    # the recommended list
    recommended = [a for a in apps if a.status in RECOMMENDED_ONWARD]
    rows = summary_rows(round_, recommended)
    for r in rows:
        with_city = province_wide and r["city"] != r["county"]
        r["place"] = f"{short_name(r['city'])}{r['county']}" if with_city else r["county"]
        r["status_short"] = STATUS_SHORT.get(r["application"].status, r["status_label"])
    last_year = round_.window_years[-1]
    listed = rows[:MAX_LISTED]
    half = (len(listed) + 1) // 2
    columns = [listed[:half], listed[half:]] if len(listed) > 12 else [listed]
    national_flagged = sum(1 for r in rows if r["national"])

    picks = list(NationalPick.objects.filter(round=round_).select_related("application__org")
                 .order_by("rank")) if province_wide else []
    national = None
    if province_wide:
        sent = next((p.sent_at for p in picks if p.sent_at), None)
        national = {"picks": picks, "quota": round_.national_quota, "sent": _local(sent)}

    # problems
    problems = _list_problems(progress, now, own=not province_wide)
    units = {row["org"].pk: row["org"] for row in progress}
    for unit_id, unit in units.items():
        mine = [a for a in apps if a.status == Status.RECOMMENDED and (a.org.recommender_id or a.org_id) == unit_id]
        for p in quota_problems(round_, mine):
            problems.append(p if not province_wide else f"{unit.name}：{p}")
    returned = [f"{a.name or a.number}（{a.org.name}）" for a in apps if a.status == Status.RETURNED]
    if returned:
        problems.append(f"退回修改 {len(returned)} 个：{_names(returned, 3)}")
    problems += _criteria_failures(apps)
    waiting_city = by_status.get(Status.SUBMITTED, 0)
    if waiting_city:
        problems.append(f"待市州审核 {waiting_city} 个" + ("" if province_wide else "，请在推荐名单截止前处理"))
    if province_wide:
        if by_status.get(Status.FORMAL, 0):
            problems.append(f"待省厅初审 {by_status[Status.FORMAL]} 个")
        unreceived = [row["org"].name for row in progress for c in LIST_STAGES
                      if row["stages"][c]["list"] is not None and row["stages"][c]["list"].received_at is None]
        if unreceived:
            problems.append(f"待确认收到的名单 {len(unreceived)} 份：{_names(list(dict.fromkeys(unreceived)))}")
        national_stage = next((s for s in stages if s["code"] == StageCode.NATIONAL_RECOMMENDATION), None)
        if national_stage and national_stage["past"] and not (national and national["sent"]):
            problems.append(f"国家级推荐名单未在截止时间（{national_stage['closes_at_text']}）前标记报送工信部")
    cut = max(0, len(problems) - MAX_PROBLEMS)
    problems = problems[:MAX_PROBLEMS] + ([f"……另有 {cut} 项，请登录系统查看"] if cut else [])

    submitted = sum(n for s, n in by_status.items() if s not in (Status.DRAFT,))
    figures = [
        ("申报总数", len(apps)),
        ("已提交", submitted),
        ("市州推荐", len(recommended)),
        ("同步推荐国家级", national_flagged),
    ]
    if province_wide:
        figures.append(("国家级推荐", f"{len(picks)}/{round_.national_quota}"))
    figures.append(("需关注问题", len(problems) - (1 if cut else 0) + cut))
    return {
        "round": round_, "org": org, "province_wide": province_wide, "authority": authority_name(org),
        "title": f"{round_.year}年度中小企业特色产业集群申报推荐工作简报",
        "now": f"{timezone.localtime(now, SHANGHAI):%Y年%m月%d日 %H:%M}",
        "headers": headers, "table": table, "totals": totals, "unit_label": "推荐单位" if province_wide else "申报单位",
        "stages": stages, "unit_lists": unit_lists, "columns": columns, "listed": len(listed), "recommended": len(rows),
        "more": len(rows) - len(listed), "last_year": last_year, "national": national, "problems": problems,
        "figures": figures,
    }


def briefing_pdf(round_: Round, org: Org, now=None) -> bytes:
    from .pdf import render_pdf

    return render_pdf("documents/briefing.html", briefing_context(round_, org, now))


def briefing_filename(round_: Round, org: Org) -> str:
    return f"{round_.year}年度中小企业特色产业集群领导简报（{org.name}）.pdf"
