"""Pages for criteria sets: everyone logged in reads them; the province administrator exports,
edits (an active version becomes a new draft), activates/retires and imports them."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.orgs import roles

from . import domain
from .definition import DECLARATION_FIELDS, FIELDS, INDICATORS, RULE_KINDS, SEVERITIES, SYMBOLS
from .engine import QUAL_LABELS
from .forms import PERCENT_KINDS, CriteriaEditForm, CriteriaImportForm, plain
from .models import CriteriaSet, SetStatus

MANAGE_REFUSED = "只有省厅管理员（或系统管理员）可以管理认定标准；如需修改，请联系省厅中小企业处"
SEVERITY_SHORT = {"hard": "必须满足", "soft": "一般要求"}
STATUS_ACTIONS = {
    SetStatus.ACTIVE: ("启用", "已启用第{version}版。新建或修改申报批次时可选用该版本"),
    SetStatus.RETIRED: ("停用", "已停用第{version}版。已引用该版本的批次和已提交的评审结果不受影响"),
}


def can_manage(user) -> bool:
    return roles.is_province_manager(user)


def _require_manager(user) -> None:
    if not can_manage(user):
        raise PermissionDenied(MANAGE_REFUSED)


def _get(code: str, version: int) -> CriteriaSet:
    return get_object_or_404(CriteriaSet.objects.select_related("created_by"), code=code, version=version)


# --- presenting rules ----------------------------------------------------------------------

def _percent(value) -> str:
    return f"{plain(Decimal(str(value)) * 100)}%"


def _condition(comparator: str, threshold, percent: bool) -> str:
    return f"{SYMBOLS[comparator]} {_percent(threshold) if percent else plain(Decimal(str(threshold)))}"


def describe_rule(rule: dict) -> dict:
    """A rule as the detail page shows it: what is measured, the condition, the unit."""
    kind = rule["kind"]
    out = {
        "code": rule["code"], "kind": kind, "kind_label": RULE_KINDS.get(kind, kind), "wording": rule["wording"],
        "severity": rule.get("severity", "hard"), "severity_label": SEVERITY_SHORT.get(rule.get("severity", "hard"), ""),
        "severity_help": SEVERITIES.get(rule.get("severity", "hard"), ""),
        "measure": "", "condition": "", "unit": "", "alternatives": [],
    }
    if kind == "threshold":
        if rule.get("field"):
            label, unit = FIELDS.get(rule["field"], (rule["field"], ""))
            out["measure"] = label
        else:
            label, unit = INDICATORS.get(rule["indicator"], (rule["indicator"], ""))
            out["measure"] = f"{label}（{'近3年每一年' if rule.get('years', 'each') == 'each' else '最近一年'}）"
        out["condition"] = _condition(rule["comparator"], rule["threshold"], False)
        out["unit"] = rule.get("unit") or unit
    elif kind == "share":
        num = INDICATORS.get(rule["numerator"], (rule["numerator"],))[0]
        den = INDICATORS.get(rule["denominator"], (rule["denominator"],))[0]
        out["measure"] = f"最近一年{num} ÷ {den}"
        out["condition"] = _condition(rule["comparator"], rule["threshold"], True)
        out["unit"] = "百分比"
    elif kind == "growth":
        out["measure"] = f"近3年{INDICATORS.get(rule['indicator'], (rule['indicator'],))[0]}年均增速"
        out["condition"] = _condition(rule["comparator"], rule["threshold"], True)
        out["unit"] = "百分比"
    elif kind == "enterprises":
        out["measure"] = "优质企业家数（按统一社会信用代码去重）"
        out["condition"] = "满足任一可选条件"
        out["unit"] = "家"
        for alt in rule.get("alternatives", []):
            quals = "、".join(QUAL_LABELS.get(q, q) for q in alt["qualifications"])
            out["alternatives"].append({
                "label": alt.get("label") or quals,
                "qualifications": quals,
                "leading": bool(alt.get("in_leading_industry")),
                "condition": f"{_condition(alt['comparator'], alt['threshold'], False)}家",
            })
    elif kind == "declaration":
        out["measure"] = DECLARATION_FIELDS.get(rule.get("field"), rule.get("field", ""))
        out["condition"] = "须声明未发生"
    else:
        out["measure"] = "评审人员根据佐证材料判断"
        out["condition"] = "评审判断"
    return out


def describe_aspects(cset: CriteriaSet) -> list[dict]:
    return [
        {"number": a["number"], "title": a["title"], "rules": [describe_rule(r) for r in a["rules"]]}
        for a in cset.definition["aspects"]
    ]


# --- pages ---------------------------------------------------------------------------------

@login_required
def criteria_list(request):
    groups: dict[str, list[CriteriaSet]] = {}
    for cset in CriteriaSet.objects.select_related("created_by").order_by("code", "-version"):
        groups.setdefault(cset.code, []).append(cset)
    return render(request, "criteria/list.html", {
        "groups": [{"code": code, "versions": versions, "latest": versions[0]} for code, versions in groups.items()],
        "can_manage": can_manage(request.user),
    })


@login_required
def criteria_detail(request, code, version):
    cset = _get(code, version)
    versions = list(CriteriaSet.objects.filter(code=code).order_by("-version").only("code", "version", "status", "placeholder"))
    return render(request, "criteria/detail.html", {
        "cset": cset, "aspects": describe_aspects(cset), "versions": versions, "can_manage": can_manage(request.user),
        "rule_count": sum(len(a["rules"]) for a in cset.definition["aspects"]),
        "settings": describe_settings(cset),
    })


def describe_settings(cset: CriteriaSet) -> dict:
    """The set-wide settings in Chinese: growth method, share years, qualification validity."""
    from .definition import DEFAULT_GROWTH_METHOD, DEFAULT_SHARE_YEARS, GROWTH_METHODS, SHARE_YEARS
    from .engine import QUAL_LABELS

    d = cset.definition
    validity = {k: v for k, v in (d.get("validity") or {}).items() if k != "__line__"}
    return {
        "growth": GROWTH_METHODS[d.get("growth_method", DEFAULT_GROWTH_METHOD)],
        "shares": SHARE_YEARS[d.get("share_years", DEFAULT_SHARE_YEARS)],
        "validity": "、".join(f"{QUAL_LABELS.get(k, k)}{v}年" for k, v in validity.items()) or "未规定（不过期）",
    }


@login_required
def criteria_export(request, code, version):
    cset = _get(code, version)
    response = HttpResponse(domain.export_text(cset).encode("utf-8"), content_type="text/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cset.code}-v{cset.version}.yaml"'
    return response


@login_required
def criteria_edit(request, code, version):
    _require_manager(request.user)
    cset = _get(code, version)
    form = CriteriaEditForm(cset, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not form.has_changes():
            messages.info(request, "没有任何修改，未生成新版本")
            return redirect("criteria_detail", code=cset.code, version=cset.version)
        try:
            target = domain.edit_set(actor=request.user, cset=cset, changes=form.changes(),
                                     placeholder=form.placeholder(), name=form.cleaned_data["name"],
                                     settings=form.settings(), request=request)
        except DomainError as exc:
            if exc.status == 403:
                raise  # the 403 page (core.middleware)
            form.add_domain_error(exc)
        else:
            if target.pk != cset.pk:
                messages.success(request, f"修改已保存为第{target.version}版（草稿），第{cset.version}版保持不变。"
                                          f"核对无误后请点击“启用此版本”，新版本启用后才会在新建批次时可选")
            else:
                messages.success(request, f"已保存第{target.version}版（草稿）的修改。核对无误后请点击“启用此版本”")
            return redirect("criteria_detail", code=target.code, version=target.version)
    return render(request, "criteria/edit.html", {
        "cset": cset, "form": form, "aspects": form.rows(), "creates_new": cset.status != SetStatus.DRAFT,
        "percent_kinds": PERCENT_KINDS,
    })


@login_required
@require_POST
def criteria_status(request, code, version):
    _require_manager(request.user)
    cset = _get(code, version)
    status = request.POST.get("status", "")
    back_on_refusal(request, reverse("criteria_detail", args=[cset.code, cset.version]))
    domain.set_status(actor=request.user, cset=cset, status=status, request=request)
    text = STATUS_ACTIONS[status][1].format(version=cset.version)
    others = list(CriteriaSet.objects.filter(code=cset.code, status=SetStatus.ACTIVE)
                  .exclude(pk=cset.pk).order_by("version").values_list("version", flat=True))
    if status == SetStatus.ACTIVE and others:
        listed = "、".join(f"第{v}版" for v in others)
        text += f"。{listed}仍处于启用状态；如不再使用，请打开该版本点击“停用此版本”"
    messages.success(request, text)
    return redirect("criteria_detail", code=cset.code, version=cset.version)


@login_required
def criteria_import(request):
    _require_manager(request.user)
    form = CriteriaImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            cset = domain.import_set(actor=request.user, text=form.cleaned_data["content"], request=request)
        except DomainError as exc:
            if exc.status == 403:
                raise  # the 403 page (core.middleware)
            form.add_domain_error(exc)
        else:
            messages.success(request, f"已导入“{cset.name}”第{cset.version}版（草稿）。请核对各项规则和阈值，"
                                      f"无误后点击“启用此版本”")
            return redirect("criteria_detail", code=cset.code, version=cset.version)
    return render(request, "criteria/import.html", {"form": form})
