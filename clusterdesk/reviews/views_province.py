"""The province's pages: the progress overview, receipt of the cities' lists, publicity and
recognition, the national selection, spot checks.

Province administrators act; the province's leader and system administrator read. Every
change goes through ``reviews.domain`` / ``reviews.province``; a refusal is shown beside the
form it came from, with what was typed kept.
"""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clusterdesk.core.pagecache import cached_page
from clusterdesk.applications.models import Application, NationalStatus, Status
from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.core.numbers import query_int
from clusterdesk.rounds.domain import closes_at, format_deadline
from clusterdesk.rounds.home import countdown, stage_rows
from clusterdesk.rounds.models import SHANGHAI, Round, StageCode

from . import domain, province
from .workflow import NATIONAL_PIPELINE, PIPELINE, PROVINCIAL
from .models import ListKind, NationalPick, Objection, PublicityBatch, PublicityEntry, RecommendationList, SpotCheckFile

# The pipeline chart's bars and the stopped states come from the tables (workflow.py).
STOPPED = PROVINCIAL.group("stopped")
LIST_STATES = {
    "done": ("已报送", "ok"),
    "late": ("逾期", "danger"),
    "missed": ("未报送", "danger"),
    "open": ("进行中", "plain"),
}
LIST_STAGES = ((StageCode.NAME_LIST, ListKind.NAME_LIST), (StageCode.FORMAL_SUBMISSION, ListKind.FORMAL))
STATUS_ORDER = {s.value: i for i, s in enumerate(Status)}


def _round(request, round_id) -> Round:
    round_ = get_object_or_404(
        Round.objects.select_related("province").prefetch_related("stages", "extensions"), pk=round_id
    )
    if not province.can_view(request.user, round_):
        raise PermissionDenied("只有组织本批次的省厅管理员和领导可以查看本页")
    return round_


def _local(moment) -> str:
    return f"{timezone.localtime(moment, SHANGHAI):%Y-%m-%d %H:%M}" if moment else ""


def _nav(round_: Round, current: str) -> list[dict]:
    return [
        {"name": name, "label": label, "url": reverse(name, args=[round_.pk]), "current": name == current}
        for name, label in (("province_overview", "进度总览"), ("publicity", "拟认定与公示"),
                            ("national_selection", "国家级推荐"))
    ]


# --- overview ---------------------------------------------------------------------------------

def _unit_card(row: dict, now) -> dict:
    counts = sorted(row["counts"].items(), key=lambda kv: STATUS_ORDER.get(kv[0], 99))
    stages = []
    for code, kind in LIST_STAGES:
        info = row["stages"][code]
        label, tone = LIST_STATES[info["state"]]
        lst = info["list"]
        cd_text, cd_tone = countdown(info["deadline"], now) if info["state"] == "open" else ("", "")
        stages.append({
            "code": code, "label": StageCode(code).label, "state": info["state"], "state_label": label, "tone": tone,
            "deadline": format_deadline(info["deadline"]) if info["deadline"] else "未设置",
            "extended": info["extended"], "list": lst, "countdown": cd_text, "countdown_tone": cd_tone,
            "submitted_at": _local(lst.submitted_at) if lst else "",
            "received_at": _local(lst.received_at) if lst and lst.received_at else "",
            "national": sum(1 for e in lst.entries if e.get("national")) if lst else 0,
            # Lateness is judged against the deadline in force when the list was sent.
            "deadline_at_submission": (format_deadline(info["deadline_at_submission"])
                                       if info.get("deadline_at_submission") else ""),
            "changes": lst.changes if lst and lst.changed else None,
            "change_reason": lst.change_reason if lst else "",
        })
    return {"org": row["org"], "total": row["total"],
            "counts": [{"status": s, "label": Status(s).label, "n": n} for s, n in counts], "stages": stages}


def _pipeline(totals: dict[str, int], national: dict[str, int]) -> dict:
    """Bars for the provincial track's phases, then the national track's (two tracks side by side)."""
    groups = [{"label": label, "n": sum(totals.get(s, 0) for s in statuses),
               "statuses": "、".join(Status(s).label for s in statuses)} for label, statuses in PIPELINE]
    groups += [{"label": label, "n": sum(national.get(s, 0) for s in statuses), "national": True,
                "statuses": "、".join(NationalStatus(s).label for s in statuses)} for label, statuses in NATIONAL_PIPELINE]
    top = max([g["n"] for g in groups] + [1])
    bar_x, bar_max, row_h = 110, 430, 30
    for i, g in enumerate(groups):
        g["y"] = 8 + i * row_h
        g["text_y"] = g["y"] + 15
        g["width"] = round(bar_max * g["n"] / top, 1) if g["n"] else 0
        g["count_x"] = bar_x + g["width"] + 6
    return {"groups": groups, "bar_x": bar_x, "height": 16 + len(groups) * row_h, "width": bar_x + bar_max + 60,
            "stopped": sum(totals.get(s, 0) for s in STOPPED),
            "stopped_text": "、".join(f"{Status(s).label} {totals[s]}" for s in STOPPED if totals.get(s)),
            "total": sum(totals.values())}


@cached_page
@login_required
@require_GET
def overview(request, round_id):
    """Every recommending unit's progress against each deadline, the pipeline, the deadlines.

    The query count does not depend on the number of applications (``round_progress``)."""
    round_ = _round(request, round_id)
    now = timezone.now()
    rows = domain.round_progress(round_, now)
    totals: dict[str, int] = {}
    for row in rows:
        for status, n in row["counts"].items():
            totals[status] = totals.get(status, 0) + n
    national = domain.counts_by_status(Application.objects.filter(round=round_), field="national_status")
    cards = [_unit_card(row, now) for row in rows]
    summary = {}
    for code, kind in LIST_STAGES:
        sent = [r["stages"][code]["list"] for r in rows if r["stages"][code]["list"]]
        summary[code] = {"label": StageCode(code).label, "units": len(rows), "sent": len(sent),
                         "received": sum(1 for lst in sent if lst.received_at),
                         "missed": sum(1 for r in rows if r["stages"][code]["state"] == "missed")}
    return render(request, "reviews/province_overview.html", {
        "round": round_, "ptabs": _nav(round_, "province_overview"), "cards": cards,
        "pipeline": _pipeline(totals, national), "stages": stage_rows(round_, None, now), "summary": summary.values(),
        "awaiting_initial": totals.get(Status.FORMAL, 0),
        "can_act": province.acts_for_round(request.user, round_), "now": _local(now),
        "to_receive": sum(1 for c in cards for st in c["stages"] if st["list"] and not st["received_at"]),
    })


@login_required
@require_POST
def receive_list(request, list_id):
    lst = get_object_or_404(RecommendationList.objects.visible_to(request.user).select_related("round", "org"), pk=list_id)
    if not province.can_view(request.user, lst.round):
        raise PermissionDenied("只有组织本批次的省厅可以确认收到")
    back = f"{reverse('province_overview', args=[lst.round_id])}#unit-{lst.org.code}"
    back_on_refusal(request, back)
    domain.receive_list(actor=request.user, lst=lst, request=request)
    messages.success(request, f"已确认收到{lst.org.name}的{lst.get_kind_display()}")
    return redirect(back)


@login_required
@require_POST
def receive_lists(request, round_id):
    """Confirm receipt of the ticked lists at once, all or nothing (``domain.receive_lists``)."""
    from .views import flash_refusal

    round_ = _round(request, round_id)
    ids = [i for i in map(query_int, request.POST.getlist("lists")) if i is not None]
    try:
        done = domain.receive_lists(actor=request.user, round_=round_, list_ids=ids, request=request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise  # the error page (core.middleware): nothing on the overview to go back to
        flash_refusal(request, exc)
    else:
        messages.success(request, f"已确认收到 {len(done)} 份名单：" + "、".join(
            f"{lst.org.name}{lst.get_kind_display()}" for lst in done))
    return redirect("province_overview", round_id=round_.pk)


# --- publicity and recognition -------------------------------------------------------------------

def _parse_date(value: str, field: str, label: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(f"请按“2025-09-30”的格式填写{label}", field=field) from None


def _batches(round_: Round) -> list[PublicityBatch]:
    batches = list(PublicityBatch.objects.filter(round=round_).select_related("created_by")
                   .prefetch_related("entries__application__org", "entries__objections"))
    now = timezone.now()
    for b in batches:
        b.note = province.publicity_note(b)
        b.due = now >= province.finalizable_from(b)
        b.pending = sum(1 for e in b.entries.all() for o in e.objections.all() if o.upheld is None)
        for e in b.entries.all():
            for o in e.objections.all():
                o.late = o.received_on > b.ends_on
    return batches


def _publicity_context(request, round_: Round, error=None) -> dict:
    eligible = list(Application.objects.filter(round=round_, status=Status.INITIAL_PASSED)
                    .select_related("org", "org__recommender").order_by("org__path", "number"))
    today = timezone.localdate()
    posted = request.POST if request.method == "POST" else None
    return {
        "round": round_, "ptabs": _nav(round_, "publicity"), "eligible": eligible, "batches": _batches(round_),
        "can_act": province.acts_for_round(request.user, round_), "error": error, "posted": posted or {},
        "posted_ids": [query_int(i) for i in posted.getlist("applications") if query_int(i)] if posted else [],
        "default_title": f"{round_.year}年度{round_.province.name}中小企业特色产业集群拟认定名单公示",
        "today": today.isoformat(), "max_days": province.MAX_WORKING_DAYS,
    }


@login_required
def publicity(request, round_id):
    """Propose initial-passed applications for recognition; record and resolve objections;
    finalise a batch when its publicity is over."""
    round_ = _round(request, round_id)
    if request.method != "POST":
        return render(request, "reviews/province_publicity.html", _publicity_context(request, round_))
    action = request.POST.get("action", "")
    target = request.POST.get("target", "")
    try:
        if action == "propose":
            ids = request.POST.getlist("applications")
            days = request.POST.get("working_days", "").strip()
            if query_int(days) is None:
                raise DomainError("公示工作日应为整数，通常为 5 个工作日", field="working_days")
            batch = province.propose_recognition(
                actor=request.user, round_=round_, applications=[query_int(i) for i in ids if query_int(i)],
                starts_on=_parse_date(request.POST.get("starts_on", ""), "starts_on", "公示开始日期"),
                working_days=query_int(days), title=request.POST.get("title", ""), request=request,
            )
            text = (f"已开始公示“{batch.title}”：{batch.starts_on:%Y-%m-%d} 至 {batch.ends_on:%Y-%m-%d}"
                    f"（{batch.working_days} 个工作日），共 {batch.entries.count()} 个申报")
            messages.success(request, text + (f"。{batch.calendar_note}" if batch.calendar_note else ""))
            anchor = f"batch-{batch.pk}"
        elif action == "objection":
            entry = get_object_or_404(PublicityEntry, pk=target, batch__round=round_)
            province.record_objection(
                actor=request.user, entry=entry,
                received_on=_parse_date(request.POST.get("received_on", ""), "received_on", "收到日期"),
                submitted_by=request.POST.get("submitted_by", ""), content=request.POST.get("content", ""),
                request=request,
            )
            messages.success(request, "已登记异议；认定前须登记处理意见")
            anchor = f"entry-{entry.pk}"
        elif action == "resolve":
            objection = get_object_or_404(Objection, pk=target, entry__batch__round=round_)
            upheld = request.POST.get("upheld", "")
            if upheld not in ("yes", "no"):
                raise DomainError("请选择异议是否成立", field="upheld")
            province.resolve_objection(actor=request.user, objection=objection, upheld=upheld == "yes",
                                       resolution=request.POST.get("resolution", ""), request=request)
            messages.success(request, "已登记异议处理意见")
            anchor = f"entry-{objection.entry_id}"
        elif action == "finalize":
            batch = get_object_or_404(PublicityBatch, pk=target, round=round_)
            province.finalize_recognition(actor=request.user, batch=batch, request=request)
            outcomes = list(batch.entries.values_list("outcome", flat=True))
            messages.success(request, f"“{batch.title}”已认定：认定为省级集群 {outcomes.count(Status.RECOGNIZED)} 个，"
                                      f"未予认定 {outcomes.count(Status.NOT_RECOGNIZED)} 个")
            anchor = f"batch-{batch.pk}"
        else:
            raise DomainError("未知操作，请刷新页面后重试")
    except DomainError as exc:
        if exc.status == 403:
            raise
        error = {"action": action, "target": target, "message": exc.message, "field": exc.field}
        return render(request, "reviews/province_publicity.html", _publicity_context(request, round_, error),
                      status=exc.status)
    return redirect(f"{reverse('publicity', args=[round_.pk])}#{anchor}")


# --- national selection ------------------------------------------------------------------------

def _picks_from_post(post, candidates) -> list[dict]:
    """The ticked rows in score order, each with its rank (when typed) and reason."""
    ticked = set(post.getlist("pick"))
    picks = []
    for c in candidates:
        key = str(c.application.pk)
        if key in ticked:
            picks.append({"application": c.application.pk, "rank": post.get(f"rank_{key}", "").strip() or None,
                          "reason": post.get(f"reason_{key}", "")})
    known = {str(c.application.pk) for c in candidates}
    picks += [{"application": key, "rank": post.get(f"rank_{key}", "").strip() or None,
               "reason": post.get(f"reason_{key}", "")} for key in sorted(ticked - known)]
    return picks


def _selection_context(request, round_: Round, error=None, posted=None) -> dict:
    candidates = province.national_candidates(round_)
    picks = list(NationalPick.objects.filter(round=round_).select_related("application", "application__org")
                 .order_by("rank"))
    sent_at = next((p.sent_at for p in picks if p.sent_at), None)
    rows = []
    for c in candidates:
        key = str(c.application.pk)
        if posted is not None:
            checked = key in posted.getlist("pick")
            rank = posted.get(f"rank_{key}", "")
            reason = posted.get(f"reason_{key}", "")
        else:
            checked = c.pick is not None
            rank = str(c.pick.rank) if c.pick else ""
            reason = c.pick.override_reason if c.pick else ""
        field = (error or {}).get("field") or ""
        rows.append({"c": c, "checked": checked, "rank": rank, "reason": reason,
                     "error": error["message"] if error and field.startswith(f"picks.{key}") else ""})
    deadline = closes_at(round_, StageCode.NATIONAL_RECOMMENDATION, round_.province)
    cd_text, cd_tone = countdown(deadline)
    return {
        "round": round_, "ptabs": _nav(round_, "national_selection"), "rows": rows, "picks": picks,
        "quota": round_.national_quota, "checked": sum(1 for r in rows if r["checked"]),
        "sent_at": _local(sent_at), "deadline": format_deadline(deadline) if deadline else "未设置",
        "countdown": cd_text, "countdown_tone": cd_tone, "past": bool(deadline and timezone.now() > deadline),
        "can_act": province.acts_for_round(request.user, round_), "error": error,
        "row_error": bool(error and any(r["error"] for r in rows)),
        "scored": any(r["c"].score is not None for r in rows),
    }


@login_required
def selection(request, round_id):
    """The national candidates by expert score; choose at most the quota, with reasons for any
    change of the score order; mark the list as sent to MIIT."""
    round_ = _round(request, round_id)
    if request.method != "POST":
        return render(request, "reviews/province_selection.html", _selection_context(request, round_))
    action = request.POST.get("action", "")
    try:
        if action == "select":
            picks = _picks_from_post(request.POST, province.national_candidates(round_))
            chosen = province.select_national(actor=request.user, round_=round_, picks=picks, request=request)
            messages.success(request, f"已选定国家级推荐名单 {len(chosen)} 个（名额 {round_.national_quota} 个）"
                             if chosen else "已撤销国家级推荐名单")
        elif action == "sent":
            picks = province.mark_national_sent(actor=request.user, round_=round_, request=request)
            messages.success(request, f"已标记国家级推荐名单（{len(picks)} 个）报送工信部")
        else:
            raise DomainError("未知操作，请刷新页面后重试")
    except DomainError as exc:
        if exc.status == 403:
            raise
        error = {"action": action, "message": exc.message, "field": exc.field}
        posted = request.POST if action == "select" else None
        return render(request, "reviews/province_selection.html", _selection_context(request, round_, error, posted),
                      status=exc.status)
    return redirect("national_selection", round_id=round_.pk)


# --- spot checks ------------------------------------------------------------------------------

def _application(request, pk) -> Application:
    application = get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=pk)
    if not province.can_view(request.user, application.round):
        raise PermissionDenied("实地抽查记录只有省厅可以查看")
    return application


def _spot_context(request, application, error=None) -> dict:
    return {"application": application, **province.spot_check_context(request.user, application),
            "spot_error": error, "spot_posted": request.POST if error else {},
            "kinds": province.SPOT_CHECK_KINDS_TEXT,
            "max_mb": settings.MAX_UPLOAD_MB}


@login_required
def spot_checks(request, pk):
    """GET: the application's spot checks. POST (province administrator): add one with files."""
    application = _application(request, pk)
    if request.method == "POST":
        try:
            province.add_spot_check(
                actor=request.user, application=application,
                checked_on=_parse_date(request.POST.get("checked_on", ""), "checked_on", "抽查日期"),
                people=request.POST.get("people", ""), findings=request.POST.get("findings", ""),
                files=request.FILES.getlist("files"), request=request,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            error = {"message": exc.message, "field": exc.field}
            return render(request, "reviews/province_spot_checks.html", _spot_context(request, application, error),
                          status=exc.status)
        messages.success(request, "已登记实地抽查")
        if request.POST.get("next") == "application":
            return redirect(f"{reverse('application_detail', args=[application.pk])}#spot-checks")
        return redirect("spot_checks", pk=application.pk)
    return render(request, "reviews/province_spot_checks.html", _spot_context(request, application))


@login_required
@require_GET
def spot_check_file(request, file_id):
    file = get_object_or_404(SpotCheckFile.objects.visible_to(request.user).select_related("spot_check__application__round"),
                             pk=file_id)
    back_on_refusal(request, reverse("spot_checks", args=[file.spot_check.application_id]))
    return province.spot_check_file_response(actor=request.user, file=file)


# --- Word lists ready to publish (公示名单, 认定名单, 国家级推荐名单) ----------------------------------

@login_required
@require_GET
def publicity_docx(request, round_id, batch_id, kind):
    """A publicity batch's 公示名单 (``kind`` "publicity") or, once finalised, its 认定名单
    (``kind`` "recognition"), as Word; same readers as the publicity page."""
    from clusterdesk.core.exports import DOCX, attachment

    from . import lists_docx

    round_ = _round(request, round_id)
    batch = get_object_or_404(PublicityBatch.objects.select_related("round", "round__province"), pk=batch_id,
                              round=round_)
    if kind == "recognition":
        if batch.finalized_at is None:
            messages.error(request, f"“{batch.title}”尚未认定：公示期满并认定后才能导出认定名单")
            return redirect(reverse("publicity", args=[round_.pk]) + f"#batch-{batch.pk}")
        body, n = lists_docx.recognition_list(batch)
        name = f"{round_.year}年度省级中小企业特色产业集群认定名单.docx"
    elif kind == "publicity":
        body, n = lists_docx.publicity_list(batch)
        name = f"{batch.title}.docx"
    else:
        raise Http404("页面不存在")
    return attachment(body, name, DOCX, request=request, what=f"{kind}_list", rows=n,
                      filters={"round": round_.pk, "batch": batch.pk})


@login_required
@require_GET
def national_list_docx(request, round_id):
    """The national recommendation list as Word; same readers as the selection page."""
    from clusterdesk.core.exports import DOCX, attachment

    from . import lists_docx

    round_ = _round(request, round_id)
    body, n = lists_docx.national_list(round_)
    return attachment(body, f"{round_.year}年度推荐国家级中小企业特色产业集群名单.docx", DOCX, request=request,
                      what="national_list", rows=n, filters={"round": round_.pk})
