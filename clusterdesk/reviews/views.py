"""City review pages: the inbox, the lists (name list, formal recommendation), workflow
actions on an application, and what changed between versions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, F, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clusterdesk.core.pagecache import cached_page
from clusterdesk.applications.diff import diff, evidence_diff
from clusterdesk.applications.models import Application, ApplicationVersion, Status
from clusterdesk.core import formkeep
from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.core.files import open_private
from clusterdesk.orgs import roles
from clusterdesk.core.numbers import query_int
from clusterdesk.orgs.models import Role
from clusterdesk.rounds.domain import closes_at
from clusterdesk.rounds.models import Round, RoundStatus, StageCode

from . import domain
from .service import review_form_key
from .workflow import machine_of
from .models import ListKind, RecommendationList


def _round_for(request) -> Round | None:
    rounds = Round.objects.visible_to(request.user).exclude(status=RoundStatus.DRAFT)
    wanted = request.GET.get("round", "")
    if query_int(wanted) is not None:
        return rounds.filter(pk=query_int(wanted)).first()
    return rounds.filter(status=RoundStatus.OPEN).first() or rounds.first()


def _verdicts(applications) -> dict[int, dict]:
    """The stored criteria verdict of each application's current version (one query)."""
    versions = ApplicationVersion.objects.filter(
        application__in=applications, number=F("application__current_version")
    ).only("application_id", "report")
    found = {}
    for v in versions:
        report = v.report or {}
        first = next(iter(report.values()), None)
        if first:
            found[v.application_id] = {"verdict": first["verdict"], "label": first.get("verdict_label", first["verdict"]),
                                       "set": first["criteria_set"]["code"]}
    return found


@cached_page
@login_required
def inbox(request):
    """市州待审：a recommending unit's applications with the criteria verdict beside each."""
    user = request.user
    if user.role == Role.COUNTY_APPLICANT:
        return redirect("application_list")
    round_ = _round_for(request)
    if roles.is_province_staff(user) and round_:
        return redirect("province_overview", round_id=round_.pk)
    if user.role != Role.CITY_REVIEWER:
        raise PermissionDenied("只有市州审核人员有待审列表")
    # Paged in the database (50 a page), counts by SQL: the cost does not grow with the applications.
    # What waits for the city (submitted) comes first, so that page 1 holds it.
    listed = (domain.inbox(user, round_).order_by(
        Case(When(status=Status.SUBMITTED, then=Value(0)), default=Value(1)), "status", "number")
        if round_ else Application.objects.none())
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    applications = list(page)
    verdicts = _verdicts(applications)
    rows = [{"app": a, "verdict": verdicts.get(a.pk)} for a in applications]
    recommended = list(listed.filter(status=Status.RECOMMENDED)) if round_ else []
    deadline = closes_at(round_, StageCode.NAME_LIST, user.org) if round_ else None
    return render(request, "reviews/inbox.html", {
        "round": round_, "rows": rows, "page": page, "recommended": recommended, "deadline": deadline,
        "problems": domain.quota_problems(round_, recommended) if round_ else [],
        "waiting": listed.filter(status=Status.SUBMITTED).count() if round_ else 0,
    })


def _city_round(request, round_id) -> Round:
    if request.user.role != Role.CITY_REVIEWER or not request.user.org.recommends_to_province:
        raise PermissionDenied("只有市州审核人员可以报送推荐名单")
    return get_object_or_404(Round.objects.visible_to(request.user), pk=round_id)


@login_required
def city_lists(request, round_id):
    round_ = _city_round(request, round_id)
    org = request.user.org
    recommended = list(domain.city_applications(round_, org).filter(status=Status.RECOMMENDED).select_related("org"))
    lists = {lst.kind: lst for lst in RecommendationList.objects.filter(round=round_, org=org)}
    name_list, formal = lists.get(ListKind.NAME_LIST), lists.get(ListKind.FORMAL)
    # Before the formal recommendation: how the list as it stands differs from the name list sent.
    pending = domain.list_changes(name_list.entries, recommended) if name_list and not formal else {}
    return render(request, "reviews/city_lists.html", {
        "round": round_, "recommended": recommended, "problems": domain.quota_problems(round_, recommended),
        "name_list": name_list, "formal": formal,
        "pending_changes": pending if pending.get("added") or pending.get("dropped") else None,
        "change_reason": request.session.pop(f"change_reason:{round_.pk}", ""),
        "name_list_deadline": closes_at(round_, StageCode.NAME_LIST, org),
        "formal_deadline": closes_at(round_, StageCode.FORMAL_SUBMISSION, org),
        # What was sent, each application with its state now (both tracks): the lists do not empty
        # themselves when the applications move on (issue 15 §5).
        "name_list_apps": _sent(round_, org, name_list),
        "formal_apps": _sent(round_, org, formal),
    })


def _sent(round_, org, lst) -> list:
    """The applications of a sent list, in the list's order, as they stand now."""
    if lst is None:
        return []
    ids = [e["id"] for e in lst.entries if isinstance(e, dict) and "id" in e]
    found = {a.pk: a for a in domain.city_applications(round_, org).filter(pk__in=ids).select_related("org")}
    return [found[i] for i in ids if i in found]


@login_required
@require_POST
def name_list_submit(request, round_id):
    round_ = _city_round(request, round_id)
    back_on_refusal(request, reverse("city_lists", args=[round_id]), prefix="推荐名单未报送：")
    lst = domain.submit_name_list(actor=request.user, round_=round_, request=request)
    messages.success(request, f"推荐名单已报送省厅（{len(lst.entries)} 个集群）。截止前可以修改后重新报送。")
    return redirect("city_lists", round_id=round_id)


@login_required
@require_POST
def formal_submit(request, round_id):
    round_ = _city_round(request, round_id)
    try:
        lst = domain.submit_formal(actor=request.user, round_=round_, letter=request.FILES.get("letter"),
                                   confirm_final=request.POST.get("confirm_final") == "1",
                                   change_reason=request.POST.get("change_reason", ""), request=request)
    except DomainError as exc:
        messages.error(request, f"正式推荐未报送：{exc.message}")
        request.session[f"change_reason:{round_id}"] = request.POST.get("change_reason", "")[:2000]  # kept for the form
    else:
        messages.success(request, f"已正式推荐 {len(lst.entries)} 个集群，推荐文件“{lst.letter_name}”已报送省厅。")
    return redirect("city_lists", round_id=round_id)


@login_required
def letter_download(request, list_id):
    lst = get_object_or_404(RecommendationList.objects.visible_to(request.user).select_related("org", "round"), pk=list_id)
    user = request.user
    own = user.org_id == lst.org_id and user.role == Role.CITY_REVIEWER
    province = (roles.is_province_admin(user) or roles.is_leader(user)) and roles.at_province(user, lst.round.province_id)
    if not (own or province) or not lst.letter_stored:
        raise Http404
    try:
        handle = open_private(lst.letter_stored)
    except FileNotFoundError:
        raise Http404("推荐文件在服务器上找不到了，请联系系统管理员") from None
    return FileResponse(handle, as_attachment=True, filename=lst.letter_name)


def parse_field_comments(text: str) -> dict:
    """Lines "栏目：意见" (or "栏目: 意见") into {栏目: 意见}; other lines go under "其他"."""
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        for sep in ("：", ":"):
            if sep in line:
                field, comment = line.split(sep, 1)
                found[field.strip()] = comment.strip()
                break
        else:
            found["其他"] = (found.get("其他", "") + " " + line).strip()
    return found


def posted_field_comments(request, application) -> dict:
    """The review form's 逐项意见 rows (``fc_path``: the field chosen, ``fc_text``: the comment) as
    ``{path: comment}``; a row with a comment and no field, a field and no comment, or a field the
    application does not have is refused naming the row. Older forms' "栏目：意见" lines
    (``field_comments``) are still read."""
    from clusterdesk.applications import field_paths
    from clusterdesk.applications.domain import load_data

    found = parse_field_comments(request.POST.get("field_comments", ""))
    pairs = list(zip(request.POST.getlist("fc_path"), request.POST.getlist("fc_text")))
    if not any(p.strip() or t.strip() for p, t in pairs):
        return found
    known = field_paths.known_paths(application, load_data(application), application.round.checklist.all())
    for n, (path, text) in enumerate(pairs, 1):
        path, text = path.strip(), text.strip()
        if not path and not text:
            continue
        if not path:
            raise DomainError(f"逐项意见第 {n} 项：请选择这条意见针对的栏目", field="field_comments")
        if path not in known:
            raise DomainError(f"逐项意见第 {n} 项：所选栏目不存在，请刷新页面后重新选择", field="field_comments")
        if not text:
            raise DomainError(f"逐项意见第 {n} 项：请填写对“{known[path]}”的意见", field="field_comments")
        found[path] = f"{found[path]}；{text}" if path in found else text
    return found


@login_required
@require_POST
def application_action(request, pk, action):
    application = get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=pk)
    back_on_refusal(request, reverse("application_detail", args=[pk]) + "#review")
    machine = machine_of(action)
    transition = machine.get(action)
    # The inputs the table declares for this action, read from the form by name.
    expected = request.POST.get("state_version")
    try:
        inputs = {i.name: (posted_field_comments(request, application) if i.kind == "fields"
                           else request.POST.get(i.name, "")) for i in transition.inputs}
        domain.perform(actor=request.user, application=application, action=action, inputs=inputs,
                       expected_state_version=query_int(expected),
                       require_version=True, request=request)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        # Back to the same action box, opened, with what was typed and the reason beside the
        # input that caused it (core/formkeep.py; reviews/_review_panel.html).
        typed = {i.name: request.POST.get(i.name, "") for i in transition.inputs}
        typed["fc_rows"] = [[p, t] for p, t in zip(request.POST.getlist("fc_path"), request.POST.getlist("fc_text"))
                            if p.strip() or t.strip()]
        formkeep.keep(request, review_form_key(pk), exc, values={"action": action, **typed},
                      placed=exc.field in typed)
        return redirect(reverse("application_detail", args=[pk]) + formkeep.anchor("review"))
    application.refresh_from_db()
    messages.success(request, f"已{transition.label}：{machine.state_label(machine.state_of(application))}")
    return redirect(reverse("application_detail", args=[pk]) + "#review")


@login_required
def version_diff(request, pk):
    application = get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=pk)
    versions = {v.number: v for v in application.versions.all()}
    if len(versions) < 2:
        raise Http404
    newest = max(versions)
    to = query_int(request.GET.get("to")) or newest
    frm = query_int(request.GET.get("from")) or to - 1
    if frm not in versions or to not in versions:
        raise Http404
    old, new = versions[frm], versions[to]
    return render(request, "reviews/diff.html", {
        "application": application, "old": old, "new": new,
        "changes": diff(old.data, new.data) + evidence_diff(
            old.evidence, new.evidence, {c.code: c.title for c in application.round.checklist.all()}),
        "numbers": sorted(versions),
    })


def flash_refusal(request, exc: DomainError) -> None:
    """A refused batch: the headline, then one line per refused object (``core.batch``)."""
    if exc.errors:
        messages.error(request, exc.message.split("：", 1)[0] + "：")
        for e in exc.errors:
            messages.error(request, f"{e['object']}：{e['detail']}")
    else:
        messages.error(request, exc.message)


@login_required
@require_POST
def batch_action(request):
    """批量初审通过 from the application list: ticked ``pick`` values are ``id:state_version``;
    one note for all; all or nothing (``domain.batch_perform``)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    if not roles.is_province_admin(request.user):  # before reading anything posted
        raise PermissionDenied("只有省厅管理员可以批量办理")
    action = request.POST.get("action", "")
    items = []
    for value in request.POST.getlist("pick"):
        pk, _, version = value.partition(":")
        if pk.isdigit() and version.isdigit():
            items.append((int(pk), int(version)))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("application_list")
    try:
        done = domain.batch_perform(actor=request.user, action=action, items=items,
                                    inputs={"comment": request.POST.get("note", "")}, request=request)
    except DomainError as exc:
        if exc.status == 403 and not exc.errors:
            raise PermissionDenied(exc.message) from None
        flash_refusal(request, exc)
    else:
        messages.success(request, f"已批量办理“{machine_of(action).get(action).label}”：{len(done)} 个申报（"
                                  + "、".join(a.number for a in done) + "）")
    return redirect(target)
