"""Pages of expert review.

Experts: their task list (评审任务), the scoring page of one assignment (the application
read-only, its criteria report and evidence, and the rubric form), and their declared
conflicts. Province administrators: a landing page, the rubric of a round, the assignment
page (by hand and automatic) and the results (statistics and ranking).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from clusterdesk.core.pagecache import cached_page
from clusterdesk.applications.models import Application
from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.core.numbers import query_int
from clusterdesk.orgs.models import User
from clusterdesk.rounds.domain import format_deadline
from clusterdesk.rounds.home import countdown
from clusterdesk.rounds.models import Round

from . import domain, rules
from .forms import AutoAssignForm, ConflictForm, RubricForm, ScoreForm
from .models import ExpertAssignment, ExpertConflict
from .scoping import REVIEWABLE, assignments_for


def _require(verdict: tuple[bool, str]) -> None:
    allowed, reason = verdict
    if not allowed:
        raise PermissionDenied(reason)


def _shown(moment) -> dict:
    """A scoring deadline as the pages show it."""
    text, tone = countdown(moment)
    return {"closes_at": moment, "text": format_deadline(moment) if moment else "未设置截止时间",
            "countdown": text if moment else "不设截止", "tone": tone}


def _deadline(round_: Round, cache: dict) -> dict:
    if round_.pk not in cache:
        cache[round_.pk] = _shown(domain.scoring_closes_at(round_))
    return cache[round_.pk]


# --- experts --------------------------------------------------------------------------------

@cached_page
@login_required
def assignment_list(request):
    _require(rules.can_score(request.user))
    assignments = (
        assignments_for(request.user).select_related("application__round", "application__org")
        .annotate(scored=Count("scores", filter=Q(scores__value__isnull=False)))
        .order_by("-application__round__year", "application__round_id", "application__number")
    )
    assignments = list(assignments)
    closing = domain.scoring_closes_at_many(a.application.round for a in assignments)  # one query
    deadlines = {pk: _shown(moment) for pk, moment in closing.items()}
    rows = [{"assignment": a, "deadline": deadlines[a.application.round_id]} for a in assignments]
    return render(request, "experts/assignment_list.html", {
        "rows": rows, "pending": sum(1 for r in rows if not r["assignment"].submitted),
        "conflict_count": ExpertConflict.objects.filter(expert=request.user).count(),
    })


def _score_context(request, assignment: ExpertAssignment, form: ScoreForm) -> dict:
    from clusterdesk.applications import domain as app_domain
    from clusterdesk.applications.service import page_context, report_context

    application = get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"),
                                    pk=assignment.application_id)
    context = page_context(application, request.user)
    context.update({
        "assignment": assignment,
        "form": form,
        "rows": form.rows(),
        "deadline": _deadline(application.round, {}),
        "evidence": app_domain.evidence_manifest(application),
        "checklist": {c.code: c for c in application.round.checklist.all()},
        "rc": report_context(request, application, context["data"]),
        "total_weight": sum(i.weight for i in form.items),
    })
    return context


@login_required
def score_page(request, pk):
    """The scoring page. GET needs the assignment in the expert's scope (404 otherwise, also
    after scoring closed); POST goes to the domain, which says why it refuses."""
    _require(rules.can_score(request.user))
    if request.method == "POST":
        assignment = get_object_or_404(ExpertAssignment.objects.select_related("application__round"),
                                       pk=pk, expert=request.user)
    else:
        assignment = get_object_or_404(assignments_for(request.user).select_related("application__round"), pk=pk)
    items = domain.rubric(assignment.application.round)
    scores = {s.item_id: s for s in assignment.scores.all()}
    form = ScoreForm(request.POST or None, items=items, scores=scores)
    status = 200
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            saved = domain.save_scores(expert=request.user, assignment=assignment, scores=form.scores(),
                                       submit=submit, request=request)
        except DomainError as exc:
            if exc.status in (403, 404, 409):
                messages.error(request, f"评分未保存：{exc.message}")
                return redirect("expert_assignments")
            form.add_domain_error(exc)
            status = exc.status
        else:
            if submit:
                messages.success(request, f"已提交对 {assignment.application.number} 的评分。评审截止前仍可修改。")
                return redirect("expert_assignments")
            messages.success(request, "评分已保存" + ("（已提交的评分已更新）" if saved.submitted else "（草稿，尚未提交）"))
            return redirect("expert_score", pk=assignment.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "experts/score.html", _score_context(request, assignment, form), status=status)


@login_required
def conflicts(request):
    _require(rules.can_score(request.user))
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conflict = domain.declare_conflict(expert=request.user, org=form.cleaned_data["org"],
                                               reason=form.cleaned_data["reason"], request=request)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"已申报回避“{conflict.org.name}”：该单位及其下属单位的申报不会分配给您")
            return redirect("expert_conflicts")
    declared = ExpertConflict.objects.filter(expert=request.user).select_related("org").order_by("declared_at")
    return render(request, "experts/conflicts.html", {"form": form, "declared": declared})


# --- province -------------------------------------------------------------------------------

def _round(request, round_id) -> Round:
    round_ = get_object_or_404(Round.objects.visible_to(request.user).select_related("province"), pk=round_id)
    _require(rules.can_manage(request.user, round_))
    return round_


@login_required
def admin_index(request):
    _require(rules.can_manage(request.user))
    rounds = list(Round.objects.visible_to(request.user).annotate(
        reviewable=Count("applications", filter=Q(applications__status__in=REVIEWABLE), distinct=True),
        assigned=Count("applications__expert_assignments", distinct=True),
        submitted=Count("applications__expert_assignments",
                        filter=Q(applications__expert_assignments__submitted_at__isnull=False), distinct=True),
    ))
    cache: dict = {}
    rows = [{"round": r, "deadline": _deadline(r, cache)} for r in rounds]
    experts = list(domain.experts_of(request.user.org))
    declared = (ExpertConflict.objects.filter(expert__in=experts).select_related("expert", "org")
                .order_by("expert__username", "org__path"))
    return render(request, "experts/admin_index.html", {"rows": rows, "experts": experts, "declared": declared})


@login_required
def rubric_edit(request, round_id):
    round_ = _round(request, round_id)
    items = domain.rubric(round_)
    form = RubricForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        try:
            domain.save_rubric(actor=request.user, round_=round_, items=form.values(), request=request)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, "评分细则已保存")
            return redirect("expert_rubric", round_id=round_.pk)
    return render(request, "experts/rubric.html", {
        "round": round_, "form": form, "rows": form.rows(), "deadline": _deadline(round_, {}),
    })


@login_required
def assignments_admin(request, round_id):
    round_ = _round(request, round_id)
    auto_form = AutoAssignForm(initial={"per_application": 3})
    if request.method == "POST":
        action = request.POST.get("action")
        back_on_refusal(request, reverse("expert_assign", args=[round_.pk]))
        if action == "auto":
            auto_form = AutoAssignForm(request.POST)
            if auto_form.is_valid():
                result = domain.auto_assign(actor=request.user, round_=round_,
                                            per_application=auto_form.cleaned_data["per_application"],
                                            request=request)
                messages.success(request, f"自动分配完成：{result.applications} 份申报，新增 {len(result.created)} 项评审任务")
                for short in result.short:
                    messages.warning(request, short.message)
                return redirect("expert_assign", round_id=round_.pk)
        elif action == "add":
            application = get_object_or_404(Application.objects.visible_to(request.user),
                                            pk=query_int(request.POST.get("application")) or 0, round=round_)
            expert_id = query_int(request.POST.get("expert") or "")
            if expert_id is None:
                raise DomainError(f"请为 {application.number} 选择一位专家", field="expert")
            expert = User.objects.filter(pk=expert_id).select_related("org").first()
            assignment = domain.assign(actor=request.user, application=application, expert=expert, request=request)
            who = assignment.expert.display_name or assignment.expert.username
            messages.success(request, f"已分配 {who} 评审 {application.number}")
            return redirect(reverse("expert_assign", args=[round_.pk]) + f"#app-{application.pk}")
        elif action == "batch":
            # 批量分配: every ticked expert to every ticked application, all or nothing.
            made = domain.assign_many(
                actor=request.user, round_=round_,
                application_ids=[i for i in map(query_int, request.POST.getlist("pick")) if i is not None],
                expert_ids=[i for i in map(query_int, request.POST.getlist("experts")) if i is not None],
                request=request)
            messages.success(request, f"批量分配完成：新增 {len(made)} 项评审任务"
                                      + ("" if made else "（所选专家均已分配，无需重复分配）"))
            return redirect("expert_assign", round_id=round_.pk)
        elif action == "remove":
            assignment = get_object_or_404(ExpertAssignment.objects.select_related("expert", "application"),
                                           pk=query_int(request.POST.get("assignment")) or 0, application__round=round_)
            domain.unassign(actor=request.user, assignment=assignment, request=request)
            who = assignment.expert.display_name or assignment.expert.username
            messages.success(request, f"已取消 {who} 对 {assignment.application.number} 的评审")
            return redirect(reverse("expert_assign", args=[round_.pk]) + f"#app-{assignment.application_id}")
        else:
            messages.error(request, "未知操作，请刷新页面后重试")
            return redirect("expert_assign", round_id=round_.pk)
    return render(request, "experts/assign.html", {
        "round": round_, "rows": domain.assignment_rows(round_), "loads": domain.expert_loads(round_),
        "auto_form": auto_form, "deadline": _deadline(round_, {}), "open": domain.scoring_open(round_),
    })


@login_required
def results_xlsx(request, round_id):
    """导出Excel: the results page's ranking (same rows, same order), each aspect's mean."""
    from clusterdesk.core.exports import XLSX, attachment, stamp, xlsx_bytes

    round_ = _round(request, round_id)
    items, results = domain.results(round_)
    headers = ["排名", "申报编号", "集群名称", "申报单位", "状态", "已提交评分", "分配专家", "平均分", "中位数",
               "离散度（标准差）", "最低分", "最高分", "回避不计入"]
    headers += [f"{i.aspect}. {i.title}（平均）" for i in items]
    rows = []
    for r in results:
        a = r.application
        rows.append([r.rank, a.number, a.name, a.org.name, a.get_status_display(), r.total.count, r.assigned,
                     r.total.mean, r.total.median, r.total.spread, r.total.min, r.total.max,
                     "；".join(f"{x.expert.display_name or x.expert.username}（{reason}）" for x, reason in r.excluded)]
                    + [s.mean for _, s in r.aspects])
    detail_headers = (["申报编号", "集群名称", "申报单位", "专家", "专家单位"]
                      + [f"{i.aspect}. {i.title}" for i in items] + ["加权总分", "提交时间", "回避（不计入）"])
    body = xlsx_bytes("评审结果与排名", headers, rows, title=f"{round_.name} 专家评审结果与排名",
                      more=[("专家评分明细", detail_headers, domain.score_rows(round_, items))])
    return attachment(body, f"{round_.name}_专家评审结果与排名_{stamp()}.xlsx", XLSX, request=request,
                      what="expert_results", rows=len(rows), filters={"round": round_.pk})


@login_required
def results_page(request, round_id):
    round_ = _round(request, round_id)
    items, results = domain.results(round_)
    return render(request, "experts/results.html", {
        "round": round_, "items": items, "results": results, "deadline": _deadline(round_, {}),
        "ranked": sum(1 for r in results if r.rank is not None),
    })
