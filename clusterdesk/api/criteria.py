"""Criteria sets over JSON: list, read, import, and a what-if evaluation of indicator data.

Reading and evaluating is open to every logged-in caller (the criteria are public policy);
importing is the province administrator's (checked in ``criteria.domain``).
"""

from types import SimpleNamespace

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from clusterdesk.applications.domain import ValidationFailed
from clusterdesk.applications.validation import (
    YEARS_GAP,
    Context,
    FieldError,
    clean_enterprises,
    clean_indicators,
    parse_bool,
    parse_decimal,
    parse_int,
)
from clusterdesk.criteria import domain
from clusterdesk.criteria.definition import FIELDS, INDICATORS
from clusterdesk.criteria.models import CriteriaSet

from .schemas import EnterpriseIn, ErrorOut, IndicatorIn, Number, ReportOut, ReportRow

router = Router(tags=["认定标准"])

# --- Schemas ---------------------------------------------------------------------------------

class SetSummary(Schema):
    code: str
    version: int
    name: str
    level: str
    status: str
    placeholder: bool


class VersionRef(Schema):
    version: int
    status: str


class AlternativeOut(Schema):
    label: str
    qualifications: list[str]
    in_leading_industry: bool
    comparator: str
    threshold: str


class RuleOut(Schema):
    code: str
    kind: str
    comparator: str
    threshold: str | None
    unit: str
    severity: str
    wording: str
    indicator: str
    field: str
    years: str
    numerator: str
    denominator: str
    alternatives: list[AlternativeOut]


class AspectOut(Schema):
    number: int
    title: str
    rules: list[RuleOut]


class SetOut(SetSummary):
    source: str
    versions: list[VersionRef]
    aspects: list[AspectOut]


class ImportIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., description="标准文件的全文（YAML 或 JSON，格式同导出的文件）")


class EvaluateIn(Schema):
    """The indicator part of an application body (same field names and units); every field optional."""

    model_config = ConfigDict(extra="forbid")
    indicators: list[IndicatorIn] | None = Field(None, description="金额为亿元，以字符串表示的小数，如 \"38.2\"；按最近一年取近3年和基期")
    quality_enterprises: list[EnterpriseIn] | None = None
    area_km2: Number = Field(None, description="集群面积（平方公里）")
    negative_list_clear: bool | str | None = Field(None, description="负面清单声明：true 表示近三年未发生")


# --- Shaping ---------------------------------------------------------------------------------

def summary(cset: CriteriaSet) -> dict:
    return {"code": cset.code, "version": cset.version, "name": cset.name, "level": cset.level,
            "status": cset.status, "placeholder": cset.placeholder}


def _unit(rule: dict) -> str:
    if rule.get("unit"):
        return rule["unit"]
    if rule["kind"] == "threshold":
        source = FIELDS if rule.get("field") else INDICATORS
        return source.get(rule.get("field") or rule.get("indicator"), ("", ""))[1]
    if rule["kind"] == "enterprises":
        return "家"
    return ""


def rule_out(rule: dict) -> dict:
    kind = rule["kind"]
    return {
        "code": rule["code"],
        "kind": kind,
        "comparator": rule.get("comparator", ""),
        "threshold": str(rule["threshold"]) if rule.get("threshold") is not None else None,
        "unit": _unit(rule),
        "severity": rule.get("severity", "hard"),
        "wording": rule["wording"],
        "indicator": rule.get("indicator", ""),
        "field": rule.get("field", ""),
        "years": rule.get("years", "each") if kind == "threshold" and rule.get("indicator") else "",
        "numerator": rule.get("numerator", ""),
        "denominator": rule.get("denominator", ""),
        "alternatives": [
            {"label": a.get("label", ""), "qualifications": list(a["qualifications"]),
             "in_leading_industry": bool(a.get("in_leading_industry")), "comparator": a["comparator"],
             "threshold": str(a["threshold"])}
            for a in rule.get("alternatives", [])
        ],
    }


def set_out(cset: CriteriaSet) -> dict:
    return {
        **summary(cset),
        "source": cset.source,
        "versions": [{"version": v, "status": s}
                     for v, s in CriteriaSet.objects.filter(code=cset.code).order_by("version").values_list("version", "status")],
        "aspects": [{"number": a["number"], "title": a["title"], "rules": [rule_out(r) for r in a["rules"]]}
                    for a in cset.definition["aspects"]],
    }


class _Errors(list):
    """Collects FieldErrors the way ``applications.validation`` does."""

    def add(self, field: str, message: str, code: str = "") -> None:
        self.append(FieldError(field, message, code))


def clean_what_if(data: dict) -> dict:
    """Validate what-if data with the application's own validators.

    There is no round, so a small stand-in supplies the years: the latest indicator year is the
    last of a three-year window, the year before the window is the base year, and the "round
    year" is the year after (as for a real round). Rows older than the base year are not used by
    the evaluation and are ignored; a gap in the years is not an error here: the report shows it
    as missing data.
    """
    errors = _Errors()
    rows = [r if isinstance(r, dict) else {} for r in data.get("indicators") or []]
    scratch = _Errors()
    years = [parse_int(r.get("year"), "", "", scratch, minimum=1990, maximum=2100) for r in rows]
    known = [y for y in years if y is not None]
    latest = max(known) if known else timezone.localdate().year - 1
    round_ = SimpleNamespace(year=latest + 1, window_years=[latest - 2, latest - 1, latest], base_year=latest - 3)
    ctx = Context(round=round_, org=None)
    used = [{} if y is not None and y < round_.base_year else r for r, y in zip(rows, years)]
    out = {"indicators": clean_indicators(used, ctx, errors)}
    errors[:] = [e for e in errors if e.code != YEARS_GAP]
    out["quality_enterprises"] = clean_enterprises(data.get("quality_enterprises"), ctx, errors)
    out["area_km2"] = parse_decimal(data.get("area_km2"), "area_km2", "集群面积", errors, unit="平方公里")
    out["negative_list_clear"] = parse_bool(data.get("negative_list_clear"), "negative_list_clear", "负面清单声明", errors)
    if errors:
        raise ValidationFailed(list(errors))
    return out


def report_out(report) -> dict:
    body = report.as_dict()
    info = body["criteria_set"]
    body["criteria_set"] = {k: info[k] for k in ("code", "version", "name", "level", "placeholder")}
    keep = ReportRow.model_fields.keys()
    body["results"] = [{k: r[k] for k in keep} for r in body["results"]]
    return body


# --- Endpoints -------------------------------------------------------------------------------

@router.get("", response=list[SetSummary])
def list_sets(request):
    """全部认定标准及其各个版本（按代码、版本排序）。placeholder 为 true 表示阈值是待确认的占位值。"""
    return [summary(c) for c in CriteriaSet.objects.order_by("code", "version")]


@router.post("/import", response={201: SetSummary, 400: ErrorOut, 403: ErrorOut})
def import_set(request, payload: ImportIn):
    """导入标准文件，成为该代码的下一个版本（草稿，仅省厅管理员）。文件有误时整个不导入，detail 指出“第N行”及原因。"""
    cset = domain.import_set(actor=request.user, text=payload.text, request=request)
    return Status(201, summary(cset))


@router.get("/{code}", response={200: SetOut, 404: ErrorOut})
def get_set(request, code: str, version: int | None = None):
    """一套认定标准的一个版本（默认最新的启用版本），含各方面及其规则。占比、增速的阈值为小数（"0.70" 即 70%）。"""
    return set_out(domain.get_set(code, version))


@router.post("/{code}/evaluate", response={200: ReportOut, 400: ErrorOut, 404: ErrorOut})
def evaluate(request, code: str, payload: EvaluateIn, version: int | None = None):
    """假设测算：用给出的指标数据对照认定标准逐条判断，不保存任何数据。

    数据校验与申报表相同（金额不能为负、统一社会信用代码须有效等）；以数据中最近一年为近3年的最后一年。
    """
    cset = domain.get_set(code, version)  # an unknown set is a 404 before any data error
    data = clean_what_if(payload.model_dump(exclude_unset=True))
    return report_out(domain.evaluate_data(code=cset.code, data=data, version=cset.version))
