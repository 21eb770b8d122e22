"""Pages for the province's management of application rounds and the sub-cluster catalogue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from clusterdesk.catalog.domain import import_subclusters
from clusterdesk.catalog.models import SubCluster
from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.criteria.service import set_label

from . import domain
from .forms import ChecklistItemForm, CityExtensionForm, CountyDeadlineForm, ExtensionForm, RoundForm, SubClusterUploadForm
from .home import stage_rows
from .models import SHANGHAI, STAGE_ORDER, Extension, FileKind, Round, StageCode, UnitDeadline, end_of_day

SUBCLUSTER_EXAMPLE = "编号,名称,所属产业,备注\r\nZJQ01,长春汽车零部件子集群,汽车,示例\r\nZJQ02,敦化中成药子集群,医药健康,示例\r\n"


def _require_manager(user, round_: Round | None = None) -> None:
    allowed, reason = domain.can_manage_rounds(user, round_)
    if not allowed:
        raise PermissionDenied(reason)


def _visible_round(request, pk) -> Round:
    return get_object_or_404(Round.objects.visible_to(request.user).select_related("province"), pk=pk)


def _own_extensions(user, rounds) -> dict:
    """{round id: {stage code: closes_at}} for the caller's own unit."""
    found: dict = {}
    if user.org_id:
        for e in Extension.objects.filter(round__in=rounds, org_id=user.org_id):
            found.setdefault(e.round_id, {})[e.stage_code] = e.closes_at
    return found


def _stage_columns(rounds) -> list[tuple[str, str]]:
    """The four usual stages, plus any other stage a listed round has (专家评审, 复核申报)."""
    from .forms import FORM_STAGES, OPTIONAL_STAGES

    codes = {s.code for r in rounds for s in r.stages.all()}
    wanted = [c for c in STAGE_ORDER if c in codes or (c in FORM_STAGES and c not in OPTIONAL_STAGES)]
    return [(c, StageCode(c).label) for c in wanted]


@login_required
def round_list(request):
    rounds = list(Round.objects.visible_to(request.user).prefetch_related("stages"))
    own = _own_extensions(request.user, rounds)
    columns = _stage_columns(rounds)
    now = timezone.now()
    rows = []
    for round_ in rounds:
        by_code = {r["code"]: r for r in stage_rows(round_, own.get(round_.pk), now)}
        rows.append({"round": round_, "stages": [by_code.get(code) for code, _ in columns]})
    can_manage, _ = domain.can_manage_rounds(request.user)
    return render(request, "rounds/round_list.html", {"rows": rows, "columns": columns, "can_manage": can_manage})


@login_required
def round_create(request):
    _require_manager(request.user)
    year = timezone.localdate().year
    if request.GET.get("year", "").isdigit():
        year = int(request.GET["year"])
    form = RoundForm(request.POST or None, initial=RoundForm.initial_for(year=year))
    if request.method == "POST" and form.is_valid():
        settings = form.settings()
        try:
            settings = domain.validate_round_fields(settings)
            round_ = domain.create_round(
                actor=request.user, name=settings.pop("name"), year=settings.pop("year"),
                deadlines=form.deadlines(), request=request, **settings,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"已创建“{round_.name}”，并载入默认的佐证材料清单（12 项），可在下方修改")
            return redirect("round_detail", pk=round_.pk)
    return render(request, "rounds/round_form.html", {"form": form, "round": None})


@login_required
def round_edit(request, pk):
    round_ = _visible_round(request, pk)
    _require_manager(request.user, round_)
    form = RoundForm(request.POST or None, initial=RoundForm.initial_for(round_), selected_sets=round_.criteria_sets or [])
    if request.method == "POST" and form.is_valid():
        try:
            settings = domain.validate_round_fields(form.settings())
            domain.update_round(
                actor=request.user, round_=round_, deadlines=form.deadlines(), request=request, **settings,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, "批次设置已保存")
            return redirect("round_detail", pk=round_.pk)
    return render(request, "rounds/round_form.html", {"form": form, "round": round_})


def _extensions(user, round_: Round) -> list[Extension]:
    order = {code: i for i, code in enumerate(STAGE_ORDER)}
    found = list(domain.extensions_visible_to(user).filter(round=round_).select_related("org", "granted_by"))
    for e in found:
        e.closes_at_text = domain.format_deadline(e.closes_at)
    return sorted(found, key=lambda e: (order.get(e.stage_code, 99), e.org.path))


def _checklist_rows(round_: Round) -> list[dict]:
    return [
        {"item": item, "types": "、".join(FileKind(k).label if k in FileKind.values else k for k in item.allowed_types)}
        for item in round_.checklist.all()
    ]


@login_required
def round_detail(request, pk):
    round_ = _visible_round(request, pk)
    own = _own_extensions(request.user, [round_]).get(round_.pk)
    can_manage, _ = domain.can_manage_rounds(request.user, round_)
    return render(request, "rounds/round_detail.html", {
        "round": round_,
        "stages": stage_rows(round_, own),
        "criteria": "、".join(set_label(c["code"], c.get("version")) for c in round_.criteria_sets or []
                             if isinstance(c, dict)),
        "checklist": _checklist_rows(round_),
        "extensions": _extensions(request.user, round_),
        "unit_deadlines": _unit_deadlines(request.user, round_),
        "can_set_county_deadline": request.user.role == "city_reviewer" and request.user.org.recommends_to_province,
        "can_manage": can_manage,
    })


def _unit_deadlines(user, round_: Round) -> list[UnitDeadline]:
    """The county deadlines cities set: of the units the user sees, and for a county its own city's."""
    from django.db.models import Q

    from clusterdesk.orgs.models import Org

    mine = Q(org__in=Org.objects.visible_to(user))
    if user.org_id and user.org.recommender_id:
        mine |= Q(org_id=user.org.recommender_id)
    found = list(UnitDeadline.objects.filter(mine, round=round_).select_related("org", "set_by").order_by("org__path"))
    for d in found:
        d.closes_at_text = domain.format_deadline(d.closes_at)
    return found


@login_required
def checklist_edit(request, pk):
    round_ = _visible_round(request, pk)
    _require_manager(request.user, round_)
    editing = None
    if request.method == "POST" and request.POST.get("action") == "remove":
        back_on_refusal(request, reverse("checklist_edit", args=[round_.pk]))
        domain.remove_checklist_item(
            actor=request.user, round_=round_, code=request.POST.get("code", ""), request=request,
        )
        messages.success(request, f"已从清单中删除 {request.POST.get('code')}")
        return redirect("checklist_edit", pk=round_.pk)
    if request.method == "POST":
        form = ChecklistItemForm(request.POST)
        editing = round_.checklist.filter(code=request.POST.get("code", "").strip()).first()
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = domain.save_checklist_item(
                    actor=request.user, round_=round_, code=data["code"], title=data["title"],
                    description=data["description"], required=data["required"],
                    allowed_types=data["allowed_types"], order=data["order"], request=request,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, f"已保存 {item.code} {item.title}")
                return redirect("checklist_edit", pk=round_.pk)
    else:
        editing = round_.checklist.filter(code=request.GET.get("edit", "")).first() if request.GET.get("edit") else None
        if editing is not None:
            initial = {k: getattr(editing, k) for k in domain.CHECKLIST_FIELDS}
        else:
            last = round_.checklist.order_by("-order").first()
            initial = {"order": (last.order + 1) if last else 1, "allowed_types": ["pdf"]}
        form = ChecklistItemForm(initial=initial)
    if editing is not None:
        form.fields["code"].widget.attrs["readonly"] = True
    return render(request, "rounds/checklist_edit.html", {
        "round": round_, "checklist": _checklist_rows(round_), "form": form, "editing": editing,
    })


@login_required
def extension_grant(request, pk):
    round_ = _visible_round(request, pk)
    _require_manager(request.user, round_)
    form = ExtensionForm(request.POST or None, round_=round_, actor=request.user,
                         initial={"stage": request.GET.get("stage"), "org": request.GET.get("org")})
    if request.method == "POST" and form.is_valid():
        org = form.cleaned_data["org"]
        try:
            extension = domain.grant_extension(
                actor=request.user, round_=round_, stage_code=form.cleaned_data["stage"], org=org,
                closes_at=form.closes_at(), reason=form.cleaned_data["reason"], request=request,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                f"已批准{org.name}“{extension.get_stage_code_display()}”延期至 {domain.format_deadline(extension.closes_at)}",
            )
            return redirect("extension_grant", pk=round_.pk)
    return render(request, "rounds/extension_grant.html", {
        "round": round_, "form": form, "extensions": _extensions(request.user, round_),
    })


@login_required
def county_deadlines(request, pk):
    """A city's page for stage 0: its county deadline, its counties' deadlines and extensions."""
    from clusterdesk.orgs.models import Role

    user = request.user
    if user.role != Role.CITY_REVIEWER or not user.org.recommends_to_province:
        raise PermissionDenied("只有市州审核人员可以设置所辖县（市、区）的申报截止时间")
    round_ = _visible_round(request, pk)
    city = user.org
    action = request.POST.get("action") if request.method == "POST" else None
    own = UnitDeadline.objects.filter(round=round_, org=city, stage_code=StageCode.COUNTY_SUBMISSION).select_related("set_by").first()
    own_day = own.closes_at.astimezone(SHANGHAI).date() if own else None
    deadline_form = CountyDeadlineForm(request.POST if action == "deadline" else None, auto_id="cd_%s",
                                       initial={"day": own_day})
    extension_form = CityExtensionForm(request.POST if action == "extension" else None, auto_id="ext_%s",
                                       units=domain.county_units(city), initial={"org": request.GET.get("org")})
    if action == "deadline" and deadline_form.is_valid():
        try:
            set_ = domain.set_county_deadline(actor=user, round_=round_, day=deadline_form.cleaned_data["day"],
                                              request=request)
        except DomainError as exc:
            deadline_form.add_domain_error(exc)
        else:
            messages.success(request, f"已设置本市所辖县（市、区）申报截止时间：{domain.format_deadline(set_.closes_at)}")
            return redirect("county_deadlines", pk=round_.pk)
    if action == "extension" and extension_form.is_valid():
        org = extension_form.cleaned_data["org"]
        try:
            extension = domain.grant_extension(
                actor=user, round_=round_, stage_code=StageCode.COUNTY_SUBMISSION, org=org,
                closes_at=end_of_day(extension_form.cleaned_data["day"]), reason=extension_form.cleaned_data["reason"],
                request=request,
            )
        except DomainError as exc:
            extension_form.add_domain_error(exc)
        else:
            messages.success(request, f"已批准{org.name}延期至 {domain.format_deadline(extension.closes_at)}")
            return redirect("county_deadlines", pk=round_.pk)
    stage = round_.stages.filter(code=StageCode.COUNTY_SUBMISSION).first()
    formal = domain.closes_at(round_, StageCode.FORMAL_SUBMISSION, city)
    return render(request, "rounds/county_deadlines.html", {
        "round": round_, "city": city, "own": own,
        "own_text": domain.format_deadline(own.closes_at) if own else "",
        "default_text": domain.format_deadline(stage.closes_at) if stage else "未设置",
        "formal_text": domain.format_deadline(formal) if formal else "未设置",
        "rows": domain.county_deadline_rows(round_, city),
        "deadline_form": deadline_form, "extension_form": extension_form,
    })


@login_required
def subcluster_list(request):
    if request.GET.get("example") == "csv":
        response = HttpResponse(("\ufeff" + SUBCLUSTER_EXAMPLE).encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subclusters-example.csv"'
        return response
    can_manage, _ = domain.can_manage_rounds(request.user)
    form = None
    if can_manage or request.method == "POST":
        _require_manager(request.user)
        form = SubClusterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_subclusters(upload.read(), upload.name, actor=request.user, request=request)
        except DomainError as exc:
            form.add_error("file", f"{exc.message}。整个文件未导入，请修改后重新上传")
        else:
            messages.success(request, f"导入完成：新增 {result['created']} 个，更新 {result['updated']} 个重点子集群")
            return redirect("subcluster_list")
    return render(request, "rounds/subcluster_list.html", {
        "subclusters": SubCluster.objects.all(), "form": form, "can_manage": can_manage,
    })

