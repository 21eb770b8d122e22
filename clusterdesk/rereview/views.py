"""Pages of the re-review (复核): the province's round page (open, tasks, revocation list, 附件4),
the county's 附件3 form with evidence, the city's forward page, the province's decision page,
and the downloads of 附件3 (Word, PDF) and 附件4 (.xlsx).

Every task is fetched through ``RereviewTask.objects.visible_to`` (outside the scope: 404);
a page meant for another role is a 404 too. Substance is checked in ``rereview.domain``; which
buttons show comes from the table's verdicts (``rereview.workflow.check``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from clusterdesk.applications.evidence import CONTENT_TYPES, accept_attribute, allowed_label, human_size
from clusterdesk.applications.validation import INDICATOR_FIELDS, QUALIFICATIONS
from clusterdesk.core.errors import DomainError
from clusterdesk.core.files import open_private
from clusterdesk.core.home import Item, Panel, panel_provider
from clusterdesk.core.middleware import back_on_refusal, mark_audited
from clusterdesk.orgs import roles
from clusterdesk.core.numbers import query_int
from clusterdesk.orgs.models import OrgKind, Role
from clusterdesk.rounds.models import Round, StageCode

from . import docs
from . import domain as rr
from .models import CheckDecision, RereviewEvidence, RereviewStatus, RereviewTask
from .workflow import MACHINE, check

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BLANK_ROWS = 2


# --- lookups -----------------------------------------------------------------------------------

def _task(request, pk) -> RereviewTask:
    return get_object_or_404(
        RereviewTask.objects.visible_to(request.user).select_related(
            "round", "round__province", "org", "org__recommender", "cluster"),
        pk=pk)


def _round_for_province(request, round_id) -> Round:
    round_ = get_object_or_404(Round.objects.visible_to(request.user).select_related("province"), pk=round_id)
    if not roles.is_province_staff(request.user, round_.province_id):
        raise Http404("页面不存在")
    return round_


def _countdown(task: RereviewTask):
    from clusterdesk.applications.home import countdown
    from clusterdesk.rounds.domain import closes_at

    return countdown(closes_at(task.round, rr.STAGE, task.org))


def _error_inputs(exc: DomainError) -> set[str]:
    """The form inputs named by a refusal's field paths (plan_targets.0.achieved → t-0-achieved)."""
    names = set()
    for e in exc.errors or ([{"field": exc.field}] if exc.field else []):
        parts = str(e.get("field") or "").split(".")
        prefix = {"plan_targets": "t", "indicators": "ind", "quality_enterprises": "e", "changes": "ch"}.get(parts[0])
        if parts[0] == "aspects" and len(parts) == 2:
            names.add(f"aspects.{parts[1]}")
        elif prefix and len(parts) >= 3:
            names.add(f"{prefix}-{parts[1]}-{parts[2]}")
        elif prefix and len(parts) == 2:
            names.add(f"{prefix}-{parts[1]}")
        else:
            names.add(parts[0])
    return names


def _error_list(exc: DomainError, form_rows: dict | None = None) -> list[dict]:
    """A refusal as the autosave shows it: each error with the form input it concerns. The page
    is not re-rendered, so a row's index is the form's (blank rows skipped before saving count)."""
    found = exc.errors or ([{"field": exc.field, "message": exc.message}] if exc.field else [])
    rows = []
    for e in found:
        one = DomainError(e.get("message", ""), field=e.get("field"))
        name = sorted(_error_inputs(one) or {""})[0]
        parts = name.split("-")
        kept = (form_rows or {}).get(parts[0]) if len(parts) == 3 and parts[1].isdigit() else None
        if kept and int(parts[1]) < len(kept):
            name = f"{parts[0]}-{kept[int(parts[1])]}-{parts[2]}"
        rows.append({"field": e.get("field") or "", "input": name, "message": e.get("message") or exc.message})
    return rows


# --- home panels ---------------------------------------------------------------------------------

@panel_provider
def rereview_panel(user):
    """What waits in the re-review, and the way in: province staff always see the panel with
    集群复核 (and 发起复核 for the province admin); a county or city once it has tasks."""
    if not user.is_authenticated:
        return []
    if user.role in (Role.LEADER, Role.SYSADMIN) and roles.is_province_staff(user):
        return [Panel("集群复核", [Item("集群复核：复核批次和任务", "", reverse("rereview_index"))], order=20)]
    if user.role not in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER, Role.PROVINCE_ADMIN):
        return []
    tasks = RereviewTask.objects.visible_to(user).select_related("cluster", "round", "org")
    items = []
    if user.role == Role.COUNTY_APPLICANT:
        for task in tasks.filter(status__in=MACHINE.group("editable")):
            text, tone = _countdown(task)
            items.append(Item(f"“{task.cluster.name}”复核申报", f"{task.get_status_display()}，{text}",
                              reverse("rereview_task", args=[task.pk]), tone or "warn"))
    elif user.role == Role.CITY_REVIEWER:
        waiting = tasks.filter(status=RereviewStatus.SUBMITTED, org__recommender=user.org)
        for task in waiting:
            items.append(Item(f"“{task.cluster.name}”复核申报待报送省厅", task.org.name,
                              reverse("rereview_forward", args=[task.pk]), "warn"))
    elif user.org.kind == OrgKind.PROVINCE:
        for task in tasks.filter(status=RereviewStatus.FORWARDED):
            items.append(Item(f"“{task.cluster.name}”待复核", task.org.name, reverse("rereview_decide", args=[task.pk]), "warn"))
        to_report = tasks.filter(status__in=MACHINE.group("to_report"), cluster__level="national")
        for task in to_report:
            items.append(Item(f"“{task.cluster.name}”待报送工信部", task.get_status_display(),
                              reverse("rereview_task", args=[task.pk]), "warn"))
        for task in tasks.filter(status__in=MACHINE.group("with_ministry")):
            items.append(Item(f"“{task.cluster.name}”待录入工信部结论", task.org.name,
                              reverse("rereview_task", args=[task.pk]), ""))
        listed = tasks.revocation_list().count()
        if listed:
            items.append(Item("撤销名单待确认", str(listed), reverse("rereview_index"), "danger"))
        if roles.is_province_admin(user):
            items.append(Item("发起年度复核", "", reverse("rereview_start")))
        items.append(Item("集群复核：复核批次和任务", "", reverse("rereview_index")))
        return [Panel("集群复核", items, order=20)]
    if not items and not tasks.exists():
        return []
    items.append(Item("全部复核任务", str(tasks.count()), reverse("rereview_index")))
    return [Panel("集群复核", items, order=20)]


from clusterdesk.core.todo import Todo, todo_provider  # noqa: E402


@todo_provider
def rereview_todos(user):
    """A county: re-reviews to fill (draft or returned); a city: submitted re-reviews to forward;
    the province: forwarded re-reviews to decide. One count each."""
    tasks = RereviewTask.objects.visible_to(user)
    url = reverse("rereview_index")
    if user.role == Role.COUNTY_APPLICANT:
        return [Todo("rereview", "待填报的集群复核", tasks.filter(status__in=MACHINE.group("county_todo")).count(), url, 50)]
    if user.role == Role.CITY_REVIEWER:
        n = tasks.filter(status=RereviewStatus.SUBMITTED, org__recommender=user.org_id).count()
        return [Todo("rereview", "待审核报送的集群复核", n, url, 50)]
    if user.role == Role.PROVINCE_ADMIN and user.org.kind == OrgKind.PROVINCE:
        return [Todo("rereview", "待省厅复核的集群", tasks.filter(status=RereviewStatus.FORWARDED).count(), url, 50)]
    return []


# --- index and the province's round page -----------------------------------------------------------

@login_required
def rereview_index(request):
    """Tasks in the user's scope; for province staff the rounds with a re-review stage."""
    tasks = (RereviewTask.objects.visible_to(request.user)
             .select_related("round", "org", "org__recommender", "cluster").order_by("-round__year", "org__path"))
    rounds = []
    if roles.is_province_staff(request.user):
        rounds = list(Round.objects.visible_to(request.user).filter(stages__code=StageCode.REREVIEW_SUBMISSION).distinct())
    can_start = roles.is_province_admin(request.user)
    own_exports = []  # a county or city exports 附件4 of its own rows, per round it has tasks in
    if request.user.role in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER):
        seen = {}
        for t in tasks:
            seen.setdefault(t.round_id, t.round)
        own_exports = list(seen.values())
    return render(request, "rereview/rereview_index.html", {"tasks": tasks, "rounds": rounds, "can_start": can_start,
                                                            "own_exports": own_exports})


@login_required
def rereview_round(request, round_id):
    """Open the re-review, see every task, confirm revocations, export 附件4 (province staff)."""
    round_ = _round_for_province(request, round_id)
    can_act = rr.is_province_of(request.user, round_)  # leaders and sysadmins only look
    error = None
    if request.method == "POST":
        if not can_act:
            raise Http404("页面不存在")
        action = request.POST.get("action")
        try:
            if action == "open":
                created = rr.open_rereview(actor=request.user, round_=round_, request=request)
                messages.success(request, f"已发起复核：新建 {len(created)} 个复核任务，已通知集群所在县级单位"
                                 if created else "没有需要新建的复核任务（到期集群均已发起）")
            elif action == "confirm":
                task = get_object_or_404(RereviewTask.objects.filter(round=round_), pk=query_int(request.POST.get("task")) or 0)
                rr.confirm_revocation(actor=request.user, task=task, note=request.POST.get("note", ""), request=request)
                messages.success(request, f"已确认撤销“{task.cluster.name}”的认定")
            else:
                raise Http404("未知操作")
            return redirect("rereview_round", round_id=round_.pk)
        except DomainError as exc:
            error = {"action": action, "target": request.POST.get("task"), "message": exc.message}
    rr.mark_missed(round_=round_)  # the deadline has done its work before the lists are shown
    tasks = list(RereviewTask.objects.filter(round=round_)
                 .select_related("org", "org__recommender", "cluster", "decided_by").order_by("org__path", "pk"))
    opened = {t.cluster_id for t in tasks}
    due = [c for c in rr.due_clusters(round_) if c.pk not in opened]
    stage = round_.stages.filter(code=StageCode.REREVIEW_SUBMISSION).first()
    rows = [{"task": t, "summary": docs.summary_row(t)} for t in tasks]
    return render(request, "rereview/rereview_round.html", {
        "round": round_, "stage": stage, "rows": rows, "due": due, "can_act": can_act, "error": error,
        "revocation": [r for r in rows if r["task"].on_revocation_list],
        "to_report": [r for r in rows if r["task"].is_national and MACHINE.in_group("to_report", r["task"].status)],
        "with_ministry": [r for r in rows if MACHINE.in_group("with_ministry", r["task"].status)],
        "revoked": [r for r in rows if r["task"].status == RereviewStatus.REVOKED],
        "deadline": rr.format_deadline(stage.closes_at) if stage else "未设置",
    })


@login_required
def rereview_start(request):
    """发起复核 (province admin): the year and the re-review's own deadline; creates the round
    (or sets its deadline) and opens the tasks of the clusters due — ``domain.start_round``."""
    from clusterdesk.rounds.models import SHANGHAI
    from django.utils import timezone

    user = request.user
    if not roles.is_province_admin(user):
        raise Http404("页面不存在")
    this_year = timezone.now().astimezone(SHANGHAI).year
    source = request.POST if request.method == "POST" else request.GET
    year_text = (source.get("year") or str(this_year)).strip()
    deadline_text = (source.get("rereview_deadline") or "").strip()
    error = None
    if request.method == "POST":
        try:
            round_, created = rr.start_round(actor=user, year=year_text, deadline=deadline_text, request=request)
            messages.success(request, f"已发起{round_.year}年集群复核：新建 {len(created)} 个复核任务，已通知集群所在县级单位"
                             if created else f"{round_.year}年复核已发起，复核申报截止日期已保存（到期集群均已有复核任务）")
            return redirect("rereview_round", round_id=round_.pk)
        except DomainError as exc:
            error = exc
    year = query_int(year_text) if 2000 <= (query_int(year_text) or 0) <= 2100 else this_year
    existing = (Round.objects.filter(province=user.org, year=year, stages__code=StageCode.REREVIEW_SUBMISSION)
                .order_by("-id").first())
    if existing is not None and not deadline_text:
        deadline_text = str(existing.stages.get(code=StageCode.REREVIEW_SUBMISSION).deadline)
    return render(request, "rereview/rereview_start.html", {
        "year": year_text, "deadline": deadline_text, "error": error, "existing": existing,
        "due": list(rr.clusters_due(user.org, year)), "due_year": year, "round_name": rr.rereview_round_name(year),
    })


@login_required
def rereview_attachment4(request, round_id):
    """附件4 (.xlsx). Province staff: every task of the round. A county applicant or a city
    reviewer: the tasks of its own scope only (``RereviewTask.objects.visible_to``), signed by
    its unit; a round without a task in its scope is a 404."""
    user = request.user
    round_ = get_object_or_404(Round.objects.visible_to(user).select_related("province"), pk=round_id)
    rr.mark_missed(round_=round_)
    tasks = RereviewTask.objects.filter(round=round_)
    if roles.is_province_staff(user, round_.province_id):
        unit = round_.province
    elif user.role in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER) and user.org_id:
        unit = user.org
        tasks = tasks.filter(pk__in=RereviewTask.objects.visible_to(user).filter(round=round_).values("pk"))
        if not tasks.exists():
            raise Http404("本单位在该批次没有复核任务")
    else:
        raise Http404("页面不存在")
    tasks = list(tasks.select_related("org", "org__recommender", "cluster").order_by("org__path", "pk"))
    body = docs.attachment4_xlsx(round_, tasks, unit=unit)
    response = HttpResponse(body, content_type=docs.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, docs.attachment4_filename(round_, tasks, unit))
    response["Cache-Control"] = "private, no-store"
    return response


def _rereview_letter(request, round_id, ext: str) -> HttpResponse:
    """The province's 函 to MIIT with the initial re-review results (province staff); nothing
    decided yet goes back to the round page with the reason."""
    from clusterdesk.documents import letter

    round_ = _round_for_province(request, round_id)
    back_on_refusal(request, reverse("rereview_round", args=[round_.pk]))
    context = letter.rereview_letter_context(round_)
    if ext == "docx":
        body, content_type = letter.render_letter_docx(context), DOCX_TYPE
    else:
        body, content_type = letter.render_letter_pdf(context), "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, letter.rereview_letter_filename(round_, ext))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def rereview_letter_docx(request, round_id):
    return _rereview_letter(request, round_id, "docx")


@login_required
def rereview_letter_pdf(request, round_id):
    return _rereview_letter(request, round_id, "pdf")


# --- a task -------------------------------------------------------------------------------------

def _evidence_rows(task: RereviewTask) -> list[dict]:
    files = list(rr.live_evidence(task))
    rows = []
    for item in rr.checklist(task):
        mine = [f for f in files if f.item_code == item.code]
        for f in mine:
            f.size_text = human_size(f.size)
        rows.append({"item": item, "files": mine, "missing": item.required and not mine,
                     "allowed": allowed_label(item), "accept": accept_attribute(item)})
    return rows


def _task_context(request, task: RereviewTask) -> dict:
    user = request.user
    text, tone = _countdown(task)
    return {
        "task": task, "doc": docs.content(task), "countdown": text, "countdown_tone": tone,
        "deadline": rr.deadline_text(task),
        "can_edit": bool(rr.can_edit(user, task)),
        "can_forward": bool(check(user, task, "forward")),
        "can_return": bool(check(user, task, "return")),
        "can_decide": bool(check(user, task, rr.decision_action(task, True))),
        "can_confirm": bool(check(user, task, "confirm_revocation")),
        "can_report": bool(check(user, task, "report_to_ministry")),
        "can_ministry": bool(check(user, task, "ministry_pass")),
        "national": task.is_national,
        "is_province": roles.is_province_staff(user, task.round.province_id),
        "missing": rr.readiness_messages(task) if task.status in rr.EDITABLE else [],
        "events": _events(task),
        "evidence": _evidence_rows(task),
        "max_mb": settings.MAX_UPLOAD_MB,
    }


def _events(task: RereviewTask) -> list[dict]:
    """The task's path (both audit object types: before and after re-review became its own app)."""
    from clusterdesk.audit.vocabulary import ACTIONS

    rows = []
    for e in rr.events_of(task):
        if e.action in ("rereview.saved", "rereview.evidence_downloaded"):
            continue
        after = e.after or {}
        text = after.get("comment") or after.get("reason") or after.get("note") or ""
        if e.action == "rereview.reported_to_ministry":
            text = f"报部日期 {after.get('date', '')}（{after.get('initial', '')}）"
        elif e.action in ("rereview.ministry_passed", "rereview.ministry_failed"):
            text = f"{after.get('document_number', '')}，{after.get('date', '')}" + (f"：{after['note']}" if after.get("note") else "")
        rows.append({"at": e.at, "label": ACTIONS.get(e.action, e.action), "who": e.org_name or "系统",
                     "text": text if isinstance(text, str) else ""})
    return rows


@login_required
def rereview_task(request, pk):
    task = _task(request, pk)
    context = _task_context(request, task)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "report":
                if not rr.is_province_of(request.user, task.round):
                    raise Http404("页面不存在")
                rr.report_to_ministry(actor=request.user, task=task, date=request.POST.get("date", ""), request=request)
                messages.success(request, "已登记报送工业和信息化部")
            elif action == "ministry":
                if not rr.is_province_of(request.user, task.round):
                    raise Http404("页面不存在")
                passed = {"yes": True, "no": False}.get(request.POST.get("passed", ""))
                rr.record_ministry_outcome(actor=request.user, task=task, passed=passed,
                                           document_number=request.POST.get("document_number", ""),
                                           date=request.POST.get("date", ""), note=request.POST.get("note", ""),
                                           request=request)
                messages.success(request, "已录入工信部复核结论")
            else:
                raise Http404("未知操作")
            return redirect("rereview_task", pk=pk)
        except DomainError as exc:
            # the refusal goes beside the field of the form that was sent (core/_error_here.html)
            context.update({"error": exc, "posted": request.POST, f"{action}_error": exc})
    return render(request, "rereview/rereview_task.html", context)


# --- the county's form -------------------------------------------------------------------------

def _row_count(post, prefix: str) -> int:
    """Rows of a list in the post: the page's count, or more when rows were added in the browser
    (``t-3-name`` → 4 rows)."""
    count = query_int(post.get(f"{prefix}-count")) or 0
    for name in post:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit():
            count = max(count, int(parts[1]) + 1)
    return count


def _form_data(post, task: RereviewTask) -> dict:
    """The posted form as the domain's data (raw strings; ``save_task`` cleans them)."""
    fixed = bool(rr._recognized_targets(task.cluster))
    targets = []
    count = _row_count(post, "t")
    for i in range(min(count, rr.MAX_TARGETS)):
        if fixed:
            targets.append({"achieved": post.get(f"t-{i}-achieved", ""), "note": post.get(f"t-{i}-note", "")})
        else:
            targets.append({k: post.get(f"t-{i}-{k}", "") for k in ("name", "unit", "baseline", "target", "year", "achieved", "note")})
    indicators = []
    for year in [task.round.base_year, *task.round.window_years]:
        row = {"year": year, **{k: post.get(f"ind-{year}-{k}", "") for k in INDICATOR_FIELDS}}
        if any(str(row[k]).strip() for k in INDICATOR_FIELDS):
            indicators.append(row)
    enterprises, enterprise_rows = [], []  # the form's row index of each enterprise kept
    count = _row_count(post, "e")
    for i in range(min(count, 1000)):
        row = {"name": post.get(f"e-{i}-name", ""), "uscc": post.get(f"e-{i}-uscc", ""),
               "qualifications": post.getlist(f"e-{i}-qual"), "year": post.get(f"e-{i}-year", ""),
               "in_leading_industry": post.get(f"e-{i}-leading") == "on"}
        if row["name"].strip() or row["uscc"].strip() or row["qualifications"] or str(row["year"]).strip():
            enterprises.append(row)
            enterprise_rows.append(i)
    changes = {}
    for key in rr.CHANGE_KINDS:
        value = post.get(f"ch-{key}-changed", "")
        changes[key] = {"changed": {"yes": True, "no": False}.get(value), "description": post.get(f"ch-{key}-description", "")}
    negative = {"yes": True, "no": False}.get(post.get("negative_list_clear", ""))
    return {
        "plan_targets": targets, "indicators": indicators, "quality_enterprises": enterprises,
        "area_km2": post.get("area_km2", ""), "changes": changes, "negative_list_clear": negative,
        "self_assessment": post.get("self_assessment", ""),
        "aspects": {key: post.get(f"aspect-{key}", "") for key, _ in rr.task_aspects(task)
                    if post.get(f"aspect-{key}", "").strip()},
        "_form_rows": {"e": enterprise_rows},
    }


def _form_context(task: RereviewTask, data: dict, errors: set[str]) -> dict:
    fixed = bool(rr._recognized_targets(task.cluster))
    computed = {t.index: t for t in rr.target_rows(task.data)}
    targets = []
    for i, t in enumerate(data.get("plan_targets") or []):
        targets.append({"i": i, "v": t, "c": computed.get(i), "err": {k: f"t-{i}-{k}" in errors for k in
                                                                       ("name", "unit", "baseline", "target", "year", "achieved", "note")}})
    if not fixed:
        start = len(targets)
        targets += [{"i": start + k, "v": {}, "c": None, "err": {}} for k in range(BLANK_ROWS)]
    by_year = {}
    for row in data.get("indicators") or []:
        try:
            by_year[int(row.get("year"))] = row
        except (TypeError, ValueError):
            continue
    indicator_rows = [
        {"year": y, "optional": y == task.round.base_year,
         "cells": [{"key": k, "label": label, "value": (by_year.get(y) or {}).get(k),
                    "err": f"ind-{y}-{k}" in errors} for k, label in INDICATOR_FIELDS.items()]}
        for y in [task.round.base_year, *task.round.window_years]
    ]
    enterprises = [{"i": i, "v": e, "err": {k: f"e-{i}-{k}" in errors for k in ("name", "uscc", "qualifications", "year")}}
                   for i, e in enumerate(data.get("quality_enterprises") or [])]
    start = len(enterprises)
    enterprises += [{"i": start + k, "v": {}, "err": {}} for k in range(BLANK_ROWS)]
    changes = [{"key": k, "label": label, "v": (data.get("changes") or {}).get(k) or {},
                "err": f"ch-{k}-changed" in errors or f"ch-{k}-description" in errors}
               for k, label in rr.CHANGE_KINDS.items()]
    narratives = data.get("aspects") or {}
    aspects = [{"key": key, "title": title, "text": narratives.get(key, ""), "err": f"aspects.{key}" in errors}
               for key, title in rr.task_aspects(task)]
    return {
        "aspects": aspects,
        "fixed_targets": fixed, "targets": targets, "target_count": len(targets),
        "indicator_rows": indicator_rows, "indicator_fields": INDICATOR_FIELDS,
        "enterprises": enterprises, "enterprise_count": len(enterprises), "qualifications": QUALIFICATIONS,
        "changes": changes, "data": data, "errors_in": errors, "formula": rr.COMPLETION_FORMULA,
    }


@login_required
def rereview_edit(request, pk):
    task = _task(request, pk)
    if not rr.is_county_of(request.user, task):
        raise Http404("页面不存在")
    if not rr.can_edit(request.user, task):
        return redirect("rereview_task", pk=pk)
    data, errors, error = task.data, set(), None
    if request.method == "POST":
        # JSON for the page's autosave (js/autosave.js, as the application form); a redirect or
        # the re-rendered form for a plain post.
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        posted = _form_data(request.POST, task)
        form_rows = posted.pop("_form_rows")
        version = request.POST.get("_version", request.POST.get("version"))
        try:
            task = rr.save_task(actor=request.user, task=task, data=posted,
                                expected_version=query_int(version), request=request)
        except DomainError as exc:
            if wants_json:
                if exc.status in (403, 404):
                    raise
                return JsonResponse({"ok": False, "detail": exc.message, "errors": _error_list(exc, form_rows),
                                     "conflict": exc.status == 409}, status=exc.status)
            data, errors, error = posted, _error_inputs(exc), exc
            task.refresh_from_db()
        else:
            if wants_json:
                return JsonResponse({"ok": True, "version": task.version,
                                     "saved_at": timezone.localtime().strftime("%H:%M:%S")})
            messages.success(request, "复核申报表已保存")
            return redirect("rereview_edit", pk=pk)
    context = _task_context(request, task)
    context.update(_form_context(task, data, errors))
    context["error"] = error
    return render(request, "rereview/rereview_edit.html", context)


@login_required
@require_POST
def rereview_submit(request, pk):
    task = _task(request, pk)
    if not rr.is_county_of(request.user, task):
        raise Http404("页面不存在")
    back_on_refusal(request, reverse("rereview_task", args=[pk]))
    rr.submit_task(actor=request.user, task=task, request=request)
    messages.success(request, "复核申报已提交市（州）审核")
    return redirect("rereview_task", pk=pk)


@login_required
@require_POST
def rereview_evidence_upload(request, pk):
    task = _task(request, pk)
    if not rr.is_county_of(request.user, task):
        raise Http404("页面不存在")
    files = request.FILES.getlist("file")
    if not files:
        messages.error(request, "请先选择要上传的文件")
    for upload in files:
        try:
            rr.upload_evidence(actor=request.user, task=task, item_code=request.POST.get("item", ""), upload=upload,
                               request=request)
            messages.success(request, f"已上传“{upload.name}”")
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect(reverse("rereview_edit", args=[pk]) + "#evidence")


@login_required
@require_POST
def rereview_evidence_remove(request, pk, evidence_id):
    task = _task(request, pk)
    if not rr.is_county_of(request.user, task):
        raise Http404("页面不存在")
    evidence = get_object_or_404(RereviewEvidence, pk=evidence_id, task=task)
    back_on_refusal(request, reverse("rereview_edit", args=[pk]) + "#evidence")
    rr.remove_evidence(actor=request.user, task=task, evidence=evidence, request=request)
    messages.success(request, f"已删除“{evidence.original_name}”")
    return redirect(reverse("rereview_edit", args=[pk]) + "#evidence")


@login_required
def rereview_evidence_download(request, pk, evidence_id):
    from clusterdesk.audit.domain import record

    task = _task(request, pk)
    evidence = get_object_or_404(RereviewEvidence, pk=evidence_id, task=task, removed_at__isnull=True)
    try:
        handle = open_private(evidence.stored_name)
    except FileNotFoundError:
        raise Http404("文件在服务器上找不到了，请联系系统管理员") from None
    record(action="rereview.evidence_downloaded", actor=request.user, obj=task, request=request,
           after={"id": evidence.pk, "item": evidence.item_code, "name": evidence.original_name})
    response = FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                            content_type=CONTENT_TYPES.get(evidence.kind, "application/octet-stream"))
    response["Cache-Control"] = "private, no-store"
    return mark_audited(response)


# --- the city ------------------------------------------------------------------------------------

@login_required
def rereview_forward(request, pk):
    task = _task(request, pk)
    if not rr.is_city_of(request.user, task):
        raise Http404("页面不存在")
    error, comment = None, ""
    if request.method == "POST":
        comment = request.POST.get("comment", "")
        try:
            if request.POST.get("action") == "return":
                rr.return_task(actor=request.user, task=task, comment=comment, request=request)
                messages.success(request, "已退回县级单位修改")
            else:
                rr.forward(actor=request.user, task=task, comment=comment, request=request)
                messages.success(request, "已报送省厅复核")
            return redirect("rereview_task", pk=pk)
        except DomainError as exc:
            error = exc
    context = _task_context(request, task)
    context.update({"error": error, "comment": comment})
    return render(request, "rereview/rereview_forward.html", context)


# --- the province's decision ---------------------------------------------------------------------

def _decision_rows(task: RereviewTask, posted=None) -> tuple[dict, list[dict]]:
    from clusterdesk.criteria.engine import FAIL, PASS, WARN

    cset = rr.criteria_set_for(task)
    report = rr.evaluate_task(task, cset=cset).as_dict()
    stored = {c.rule_code: c for c in task.checks.all()}
    rows = []
    for r in report["results"]:
        if posted is not None:
            decision, note = posted.get(f"check-{r['code']}", ""), posted.get(f"note-{r['code']}", "")
        elif r["code"] in stored:
            decision, note = stored[r["code"]].decision, stored[r["code"]].note
        else:
            decision = {PASS: CheckDecision.PASS, WARN: CheckDecision.PASS, FAIL: CheckDecision.FAIL}.get(r["status"], "")
            note = ""
        rows.append({**r, "decision": decision, "note": note})
    return report, rows


@login_required
def rereview_decide(request, pk):
    task = _task(request, pk)
    if not rr.is_province_of(request.user, task.round):
        raise Http404("页面不存在")
    error, posted = None, None
    if request.method == "POST":
        posted = request.POST
        passed = {"yes": True, "no": False}.get(request.POST.get("passed", ""))
        checks = {}
        for key in request.POST:
            if key.startswith("check-") and request.POST[key]:
                code = key[len("check-"):]
                checks[code] = (request.POST[key], request.POST.get(f"note-{code}", ""))
        try:
            if passed is None:
                raise DomainError("请选择复核结论：通过或不通过", field="passed")
            rr.decide(actor=request.user, task=task, checks=checks, passed=passed,
                      reason=request.POST.get("reason", ""), spot_check_note=request.POST.get("spot_check_note", ""),
                      request=request)
            messages.success(request, {"pass": "复核结论已保存，认定有效期已延长",
                                       "fail": "复核结论已保存，该集群已列入撤销名单",
                                       "prelim_pass": "初审结论已保存：初审通过，请报送工信部",
                                       "prelim_fail": "初审结论已保存：初审未通过，请连同原因报送工信部"}[
                rr.decision_action(task, passed)])
            return redirect("rereview_task", pk=pk)
        except DomainError as exc:
            error = exc
    context = _task_context(request, task)
    try:
        report, rows = _decision_rows(task, posted)
    except DomainError as exc:
        report, rows = None, []
        error = error or exc
    context.update({
        "report": report, "rows": rows, "error": error, "posted": posted or {},
        "error_fields": {e.get("field") for e in (error.errors if error else [])} | ({error.field} if error and error.field else set()),
    })
    return render(request, "rereview/rereview_decide.html", context)


@login_required
@require_POST
def rereview_confirm(request, pk):
    task = _task(request, pk)
    if not rr.is_province_of(request.user, task.round):
        raise Http404("页面不存在")
    back_on_refusal(request, reverse("rereview_round", args=[task.round_id]))
    rr.confirm_revocation(actor=request.user, task=task, note=request.POST.get("note", ""), request=request)
    messages.success(request, f"已确认撤销“{task.cluster.name}”的认定")
    return redirect("rereview_round", round_id=task.round_id)


# --- 附件3 downloads ------------------------------------------------------------------------------

def _attachment3(request, pk, fmt: str) -> HttpResponse:
    """附件3 as the viewer files it: the county's and the city's copy is the form only (no status,
    no province decision, no checks); the province's copy adds its decision and its per-criterion
    checks on a separate page."""
    task = _task(request, pk)
    province = roles.is_province_staff(request.user, task.round.province_id)
    body = (docs.attachment3_pdf(task, province=province) if fmt == "pdf"
            else docs.attachment3_docx(task, province=province))
    response = HttpResponse(body, content_type="application/pdf" if fmt == "pdf" else DOCX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, docs.filename(task, fmt))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def rereview_attachment3_pdf(request, pk):
    return _attachment3(request, pk, "pdf")


@login_required
def rereview_attachment3_docx(request, pk):
    return _attachment3(request, pk, "docx")

