"""Pages of the application (附件1): list, the multi-section form with autosave, the
read-only views of the application and its submitted versions, submit and withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clusterdesk.core.pagecache import cached_page
from clusterdesk.catalog.models import Industry
from clusterdesk.core import formkeep
from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.core.numbers import query_int
from clusterdesk.rounds.domain import closes_at, closes_at_many
from clusterdesk.rounds.models import Round, RoundStatus, StageCode

from . import domain, rules
from .computed import compute_for_round, percent
from .forms import input_name, section_from_post
from .home import countdown
from .models import LIST_ORDER, Application, NationalStatus, SectionKey, Status
from .pages import narratives, page_context, report_context
from .validation import ASPECT_TITLES, INDICATOR_FIELDS, QUALIFICATIONS


def can_read_reference(user) -> bool:
    """Whether the page offers the reviewers' 审核参考 (``documents.reference.can_read``)."""
    from clusterdesk.documents.reference import can_read

    return can_read(user)[0]


def _visible(request, pk) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=pk)


def _listed(request):
    """The application list's rows for this user and the page's filters: the one queryset the
    page and its Excel export share. Answers (queryset, filters)."""
    applications = Application.objects.visible_to(request.user).select_related("round", "org")
    status = request.GET.get("status", "")
    if status in Status.values:
        applications = applications.filter(status=status)
    national = request.GET.get("national", "")
    if national in NationalStatus.values:
        applications = applications.filter(national_status=national)
    round_id = request.GET.get("round", "")
    if query_int(round_id) is not None:
        applications = applications.filter(round_id=query_int(round_id))
    filters = {"status": status, "national": national, "round": round_id}
    return applications.order_by(*LIST_ORDER), filters


EXPORT_HEADERS = ["申报编号", "集群名称", "申报单位", "推荐单位", "批次", "年度", "状态", "国家级推荐", "提交时间",
                  "最近修改"]


@login_required
def application_list_xlsx(request):
    """导出Excel: the rows of the list page as the user sees them, with its current filters."""
    from clusterdesk.core.exports import XLSX, attachment, stamp, xlsx_bytes

    applications, filters = _listed(request)
    rows = [[a.number, a.name, a.org.name, a.org.recommender.name if a.org.recommender_id else a.org.name,
             a.round.name, a.round.year, a.get_status_display(),
             a.get_national_status_display() if a.national_status != NationalStatus.NONE else "",
             a.submitted_at, a.updated_at]
            for a in applications.select_related("org__recommender")]
    body = xlsx_bytes("申报列表", EXPORT_HEADERS, rows, widths=[18, 30, 20, 20, 30, 8, 14, 14, 18, 18])
    return attachment(body, f"申报列表_{stamp()}.xlsx", XLSX, request=request, what="applications", rows=len(rows),
                      filters=filters)


@cached_page
@login_required
def application_list(request):
    applications, filters = _listed(request)
    status, national, round_id = filters["status"], filters["national"], filters["round"]
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    open_rounds = []
    if rules.can_create(request.user):
        org = request.user.org
        opened = list(Round.objects.visible_to(request.user).filter(status=RoundStatus.OPEN))
        closing = closes_at_many(StageCode.COUNTY_SUBMISSION, [(round_, org) for round_ in opened])  # 3 queries
        for round_ in opened:
            text, tone = countdown(closing[round_.pk, org.pk])
            open_rounds.append({"round": round_, "countdown": text, "tone": tone})
    # The deadlines of the page's editable rows: three queries, not one per row.
    deadlines = closes_at_many(StageCode.COUNTY_SUBMISSION, [(app.round, app.org) for app in page if app.editable])
    rows = []
    for app in page:
        text, tone = countdown(deadlines.get((app.round_id, app.org_id))) if app.editable else ("", "")
        rows.append({"app": app, "countdown": text, "tone": tone})
    from clusterdesk.orgs.models import Role

    rounds = list(Round.objects.visible_to(request.user))
    export_round = query_int(round_id) if query_int(round_id) is not None else (rounds[0].pk if rounds else None)
    return render(request, "applications/list.html", {
        "page": page, "rows": rows, "open_rounds": open_rounds, "statuses": Status.choices, "status": status,
        "national_statuses": [c for c in NationalStatus.choices if c[0] != NationalStatus.NONE], "national": national,
        "rounds": rounds, "round_id": round_id, "export_round": export_round,
        "can_export": request.user.role in (Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.LEADER, Role.SYSADMIN),
        # 批量初审: the province's administrators tick applications awaiting the initial review.
        "batch": request.user.role == Role.PROVINCE_ADMIN and any(r["app"].status == Status.FORMAL for r in rows),
    })


@login_required
@require_POST
def application_create(request):
    chosen = query_int(request.POST.get("round", ""))
    if chosen is None:
        messages.error(request, "申报批次：请先选择本次申报的批次，再点“新建申报”")
        return redirect("application_list")
    round_ = get_object_or_404(Round.objects.visible_to(request.user), pk=chosen)
    back_on_refusal(request, reverse("application_list"))
    application = domain.create_application(actor=request.user, round_=round_, request=request)
    messages.success(request, f"已新建申报 {application.number}，请逐项填写；内容会自动保存")
    return redirect("application_edit", pk=application.pk)


@login_required
def application_edit(request, pk):
    application = _visible(request, pk)
    if not rules.can_edit(request.user, application):
        return redirect("application_detail", pk=pk)
    from .views_xlsx import import_form_key

    context = page_context(application, request.user)
    context["import_error"] = formkeep.take(request, import_form_key(pk))  # a refused Excel import
    return render(request, "applications/edit.html", context)


def _progress(application: Application) -> dict:
    ready = domain.readiness(application)
    return {"sections": ready.complete_sections, "missing": ready.messages(), "ready": ready.ready}


def _computed(application: Application) -> dict:
    data = domain.load_data(application)
    figures = compute_for_round(data.get("indicators") or [], application.round)
    return {
        "years": {str(f.year): {"sme_share": percent(f.sme_share), "leading_share": percent(f.leading_share)} for f in figures.years},
        "growth": percent(figures.growth),
        "growth_note": figures.growth_note,
    }


@login_required
@require_POST
def section_save(request, pk, key):
    """Save one section. JSON for the page's autosave; a redirect for a plain form post."""
    application = _visible(request, pk)
    if key not in SectionKey.values:
        raise Http404
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    version = request.POST.get("_version")
    data = section_from_post(key, request.POST, application.round)
    try:
        versions = domain.save_fields(
            actor=request.user, application=application, data=data,
            expected_versions={key: version} if version not in (None, "") else None, request=request,
        )
    except DomainError as exc:
        if not wants_json:
            messages.error(request, exc.message)
            return redirect(reverse("application_edit", args=[pk]) + f"#{key}")
        errors = [{"field": e["field"], "input": input_name(e["field"]), "message": e["message"]} for e in exc.errors]
        if not errors and exc.field:
            errors = [{"field": exc.field, "input": input_name(exc.field), "message": exc.message}]
        return JsonResponse({"ok": False, "detail": exc.message, "errors": errors, "conflict": exc.status == 409}, status=exc.status)
    application.refresh_from_db()
    if not wants_json:
        messages.success(request, f"“{SectionKey(key).label}”已保存")
        return redirect(reverse("application_edit", args=[pk]) + f"#{key}")
    return JsonResponse({
        "ok": True,
        "version": versions.get(key),
        "saved_at": timezone.localtime().strftime("%H:%M:%S"),
        "progress": _progress(application),
        "computed": _computed(application),
    })


@cached_page
@login_required
def application_detail(request, pk):
    from clusterdesk.reviews.service import review_form_key

    application = _visible(request, pk)
    context = page_context(application, request.user)
    context.update({
        "versions_list": application.versions.select_related("submitted_by").order_by("-number"),
        "can_submit": rules.can_submit(request.user, application),
        "can_withdraw": rules.can_withdraw(request.user, application),
        "evidence": domain.evidence_manifest(application),
        "checklist": {c.code: c for c in application.round.checklist.all()},
        "rc": report_context(request, application, context["data"]),
        # the reviewers' (and everyone's once the county can no longer submit) sight of the warning
        "registry_panel": bool(context["registry_notice"]) and not (application.editable and context["editable"]),
        "can_read_reference": can_read_reference(request.user),
        # the 修改说明 typed before a refused submission (read only when there is one: no session write per view)
        "submit_kept": formkeep.take(request, _submit_form_key(pk)),  # a refused submission's 修改说明
        **review_context(request.user, application, context["data"]),
        "kept": formkeep.take(request, review_form_key(application.pk)),  # a refused review action
    })
    # The refusal goes into its action box when that box is still offered, else atop the panel.
    kept_action = (context["kept"] or {}).get("values", {}).get("action")
    context["kept_in_box"] = any(b.allowed and b.transition.action == kept_action for b in context["buttons"])
    return render(request, "applications/detail.html", context)


def review_context(user, application: Application, data: dict | None = None) -> dict:
    """The review part of the page: workflow buttons, comments, timeline, spot checks."""
    from clusterdesk.reviews import domain as reviews
    from clusterdesk.reviews.province import spot_check_context

    from . import field_paths

    buttons = reviews.available(user, application)
    comments = list(application.review_comments.all())
    checklist = list(application.round.checklist.all())
    data = data if data is not None else domain.load_data(application)
    for c in comments:  # each per-field comment with the label of the field it concerns
        c.notes = field_paths.notes(c.field_comments, data, checklist)
    wants_fields = any(i.kind == "fields" for b in buttons if b.allowed for i in b.transition.inputs)
    current = application.versions.filter(number=application.current_version).first() if application.current_version else None
    return {
        "buttons": buttons,
        "current_version": current,
        "field_choices": field_paths.choices(application, data, checklist) if wants_fields else [],
        "comments": comments,
        "timeline": reviews.timeline(application, viewer=user),
        **spot_check_context(user, application),
    }


@login_required
def application_check(request, pk):
    application = _visible(request, pk)
    return JsonResponse(_progress(application))


def _submit_form_key(pk) -> str:
    """The ``core.formkeep`` key of application ``pk``'s submit form (its 修改说明)."""
    return f"submit-{pk}"


@login_required
@require_POST
def application_submit(request, pk):
    application = _visible(request, pk)
    back_on_refusal(request, reverse("application_detail", args=[pk]))  # the reasons follow as warnings
    note = request.POST.get("change_note", "")
    if note.strip():  # kept for the form in case the submission is refused (its reasons: back_on_refusal)
        formkeep.keep(request, _submit_form_key(pk), values={"change_note": note[:2000]})
    version = domain.submit(actor=request.user, application=application, request=request, change_note=note)
    if note.strip():
        formkeep.take(request, _submit_form_key(pk))
    messages.success(request, f"已提交市（州）审核（第 {version.number} 版，{timezone.localtime(version.submitted_at):%Y-%m-%d %H:%M:%S}）。提交后不能修改；市州处理前可以撤回。")
    return redirect("application_detail", pk=pk)


@login_required
@require_POST
def application_withdraw(request, pk):
    application = _visible(request, pk)
    back_on_refusal(request, reverse("application_detail", args=[pk]))
    domain.withdraw(actor=request.user, application=application, request=request)
    messages.success(request, "已撤回，可以继续修改后重新提交。已提交的版本仍可查看。")
    return redirect("application_detail", pk=pk)


@login_required
def version_detail(request, pk, number):
    application = _visible(request, pk)
    version = get_object_or_404(application.versions.select_related("submitted_by"), number=number)
    figures = compute_for_round(version.data.get("indicators") or [], application.round)
    industry = Industry.objects.filter(code=version.data.get("leading_industry_code") or "").first()
    by_year = {r["year"]: r for r in version.data.get("indicators") or []}
    shares = {f.year: f for f in figures.years}
    rows = [
        {"year": y, "values": by_year.get(y, {}), "sme_share": percent(shares[y].sme_share) if y in shares else "",
         "leading_share": percent(shares[y].leading_share) if y in shares else ""}
        for y in [application.round.base_year, *application.round.window_years] if y in by_year
    ]
    checklist = {c.code: c for c in application.round.checklist.all()}
    return render(request, "applications/version.html", {
        "application": application, "version": version, "data": version.data, "industry": industry,
        "indicator_rows": rows, "indicator_fields": INDICATOR_FIELDS, "growth": percent(figures.growth),
        "qualifications": QUALIFICATIONS, "aspect_titles": {k: v for k, v in ASPECT_TITLES.items() if int(k) >= 3},
        "narratives": narratives(version.data), "checklist": checklist,
        "can_read_reference": can_read_reference(request.user),
    })


@login_required
def application_evaluation(request, pk):
    """The criteria report as a page fragment (the form refreshes it after each save)."""
    application = _visible(request, pk)
    return render(request, "applications/_report.html", {"rc": report_context(request, application), "application": application})


@login_required
@require_POST
def judgement_save(request, pk):
    from clusterdesk.criteria.domain import record_judgement

    application = _visible(request, pk)
    code = request.POST.get("criteria", "")
    back = reverse("application_detail", args=[pk]) + f"?criteria={code}#criteria"
    back_on_refusal(request, back, prefix="评审判断未保存：")
    record_judgement(actor=request.user, application=application, set_code=code,
                     rule_code=request.POST.get("rule", ""), decision=request.POST.get("decision", ""),
                     reason=request.POST.get("reason", ""), request=request)
    messages.success(request, "评审判断已保存")
    return redirect(back)
