"""Criteria sets: loading, importing, editing (new versions), activation, evaluation, judgements."""

from pathlib import Path

from django.db import transaction
from django.db.models import Max

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.orgs import roles

from .definition import COMPARATORS, SEVERITIES, CriteriaFileError, check_definition, compile_definition, dump_text, load_text
from .engine import Evaluator, Report, window_from
from .models import CriteriaSet, Decision, Judgement, SetStatus

SHIPPED_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "criteria"

_cache: dict[tuple, Evaluator] = {}


def evaluator_for(cset: CriteriaSet) -> Evaluator:
    """A compiled evaluator; active and retired versions never change, so they are cached."""
    if cset.status == SetStatus.DRAFT:
        return Evaluator(compile_definition(cset.definition, cset.version))
    key = (cset.code, cset.version)
    if key not in _cache:
        _cache[key] = Evaluator(compile_definition(cset.definition, cset.version))
    return _cache[key]


def _require_admin(actor) -> None:
    if not roles.is_province_manager(actor):
        raise NotAllowed("只有省厅管理员可以管理认定标准")


def _as_domain_error(exc: CriteriaFileError) -> DomainError:
    return DomainError(f"标准文件有误，未导入：{exc}", field=exc.field or "file",
                       errors=[{"field": exc.field or f"line {exc.line}", "message": exc.reason}])


def _definition_fields(definition: dict) -> dict:
    return {
        "name": definition["name"], "level": definition["level"],
        "placeholder": bool(definition.get("placeholder")), "source": definition.get("source", ""),
    }


@transaction.atomic
def load_shipped(paths=None) -> list[CriteriaSet]:
    """Install the shipped versions (data/criteria/*.yaml, one version a file) that are not
    installed yet, by code and version. Idempotent. An installed version is never changed: a
    changed set ships as a new file with the next version (national-2022.v2.yaml)."""
    created = []
    definitions = [check_definition(load_text(Path(path).read_text(encoding="utf-8")))
                   for path in paths or sorted(SHIPPED_DIR.glob("*.yaml"))]
    for definition in sorted(definitions, key=lambda d: (d["code"], int(d.get("version", 1)))):
        version = int(definition.get("version", 1))
        if CriteriaSet.objects.filter(code=definition["code"], version=version).exists():
            continue
        created.append(CriteriaSet.objects.create(
            code=definition["code"], version=version,
            status=definition.get("status", SetStatus.ACTIVE), definition=definition, **_definition_fields(definition),
        ))
    return created


def get_set(code: str, version: int | None = None) -> CriteriaSet:
    """That version, or the latest active one (else the latest). 404-style DomainError when absent."""
    sets = CriteriaSet.objects.filter(code=code)
    if version is not None:
        found = sets.filter(version=version).first()
    else:
        found = sets.filter(status=SetStatus.ACTIVE).order_by("-version").first() or sets.order_by("-version").first()
    if found is None:
        raise DomainError(f"认定标准“{code}”{f'第{version}版' if version else ''}不存在", field="criteria", status=404)
    return found


@transaction.atomic
def import_set(*, actor, text: str, request=None) -> CriteriaSet:
    """Import a readable file as the next version (a draft) of its code. Refused whole on any error.

    Side effects: ``criteria.imported`` audit event.
    """
    _require_admin(actor)
    try:
        definition = check_definition(load_text(text))
    except CriteriaFileError as exc:
        raise _as_domain_error(exc) from None
    latest = CriteriaSet.objects.filter(code=definition["code"]).aggregate(v=Max("version"))["v"] or 0
    definition["version"] = latest + 1
    definition["status"] = SetStatus.DRAFT
    cset = CriteriaSet.objects.create(code=definition["code"], version=latest + 1, status=SetStatus.DRAFT,
                                      definition=definition, created_by=actor, **_definition_fields(definition))
    record(action="criteria.imported", actor=actor, obj=cset, after={"code": cset.code, "version": cset.version}, request=request)
    return cset


def export_text(cset: CriteriaSet) -> str:
    return dump_text({**cset.definition, "version": cset.version, "status": cset.status,
                      "placeholder": cset.placeholder})


EDITABLE_RULE_FIELDS = ("threshold", "comparator", "wording", "severity")
SETTING_FIELDS = ("growth_method", "share_years", "validity")


@transaction.atomic
def edit_set(*, actor, cset: CriteriaSet, changes: dict[str, dict], placeholder: bool | None = None,
             name: str | None = None, settings: dict | None = None, request=None) -> CriteriaSet:
    """Change thresholds, comparators, wording or severity of rules. An active (or retired)
    version is never changed: the edit becomes a new draft version. Returns the edited set.

    Side effects: ``criteria.edited`` audit event with the changed rules.
    """
    _require_admin(actor)
    definition = {k: v for k, v in cset.definition.items()}
    definition["aspects"] = [{**a, "rules": [dict(r) for r in a["rules"]]} for a in cset.definition["aspects"]]
    rules = {r["code"]: r for a in definition["aspects"] for r in a["rules"]}
    before, after = {}, {}
    for code, fields in changes.items():
        rule = rules.get(code)
        if rule is None:
            raise DomainError(f"规则“{code}”不在该标准中", field=code)
        for key, value in fields.items():
            if key not in EDITABLE_RULE_FIELDS:
                raise DomainError(f"规则“{code}”的 {key} 不能在此修改（可改：阈值、比较符、表述、要求程度）", field=f"{code}.{key}")
            if key == "comparator" and value not in COMPARATORS:
                raise DomainError(f"规则“{code}”的比较符“{value}”无效，可选：{'、'.join(COMPARATORS)}", field=f"{code}.comparator")
            if key == "severity" and value not in SEVERITIES:
                raise DomainError(f"规则“{code}”的要求程度无效", field=f"{code}.severity")
            if key in ("threshold", "comparator") and rule["kind"] in ("judgement", "declaration", "enterprises"):
                raise DomainError(f"规则“{code}”没有可修改的阈值", field=f"{code}.{key}")
            if key == "wording" and not str(value).strip():
                raise DomainError(f"规则“{code}”的官方表述不能为空", field=f"{code}.wording")
            if rule.get(key) != value:
                before.setdefault(code, {})[key] = rule.get(key)
                after.setdefault(code, {})[key] = value
                rule[key] = str(value) if key == "threshold" else value
    for key, value in (settings or {}).items():  # growth_method, share_years, validity: checked below
        if key not in SETTING_FIELDS:
            raise DomainError(f"标准设置 {key} 不能在此修改（可改：{'、'.join(SETTING_FIELDS)}）", field=key)
        if definition.get(key) != value:
            before[key], after[key] = definition.get(key), value
            definition[key] = value
    if placeholder is not None and placeholder != bool(definition.get("placeholder")):
        before["placeholder"], after["placeholder"] = bool(definition.get("placeholder")), placeholder
        definition["placeholder"] = placeholder
    if name is not None and name.strip() and name.strip() != definition["name"]:
        before["name"], after["name"] = definition["name"], name.strip()
        definition["name"] = name.strip()
    if not after:
        return cset
    try:
        definition = check_definition(definition)
    except CriteriaFileError as exc:
        raise DomainError(f"修改后的标准无效：{exc.reason}", field=exc.field or None) from None
    if cset.status == SetStatus.DRAFT:
        cset.definition = definition
        for key, value in _definition_fields(definition).items():
            setattr(cset, key, value)
        cset.save()
        target = cset
    else:
        latest = CriteriaSet.objects.filter(code=cset.code).aggregate(v=Max("version"))["v"]
        definition["version"], definition["status"] = latest + 1, SetStatus.DRAFT
        target = CriteriaSet.objects.create(code=cset.code, version=latest + 1, status=SetStatus.DRAFT,
                                            definition=definition, created_by=actor, **_definition_fields(definition))
    record(action="criteria.edited", actor=actor, obj=target, before=before, after=after, request=request)
    return target


@transaction.atomic
def set_status(*, actor, cset: CriteriaSet, status: str, request=None) -> CriteriaSet:
    """Activate or retire a version. Side effects: ``criteria.status_changed`` audit event."""
    _require_admin(actor)
    if status not in (SetStatus.ACTIVE, SetStatus.RETIRED):
        raise DomainError("状态只能改为启用或停用", field="status")
    if cset.status == status:
        return cset
    before = cset.status
    cset.status = status
    cset.save(update_fields=["status"])
    record(action="criteria.status_changed", actor=actor, obj=cset, before={"status": before}, after={"status": status}, request=request)
    return cset


# --- evaluation --------------------------------------------------------------------------

def judgements_for(application, set_code: str) -> dict:
    return {
        j.rule_code: {"decision": j.decision, "reason": j.reason,
                      "by": j.judged_by.display_name or j.judged_by.username, "at": j.judged_at.isoformat()}
        for j in Judgement.objects.filter(application=application, set_code=set_code).select_related("judged_by")
    }


def evaluate_application(application, *, code: str, version: int | None = None, data: dict | None = None) -> Report:
    """The report of ``application`` (its current data unless ``data``) against a set version."""
    from clusterdesk.applications.domain import load_data

    cset = get_set(code, version)
    data = data if data is not None else load_data(application)
    round_ = application.round
    return evaluator_for(cset).evaluate(data, round_.window_years, round_.base_year, judgements_for(application, code))


def evaluate_data(*, code: str, data: dict, version: int | None = None) -> Report:
    """A what-if report for data alone (nothing stored). The window is the latest three years."""
    cset = get_set(code, version)
    window, base = window_from(data.get("indicators") or [])
    return evaluator_for(cset).evaluate(data, window, base, {})


def round_sets(round_) -> list[tuple[str, int | None]]:
    """The set versions a round names (code, version)."""
    return [(entry["code"], entry.get("version")) for entry in round_.criteria_sets or []]


def snapshot_reports(application, data: dict) -> dict:
    """The reports stored with a submission: every set version the round names."""
    reports = {}
    for code, version in round_sets(application.round):
        try:
            reports[code] = evaluate_application(application, code=code, version=version, data=data).as_dict()
        except DomainError:
            continue  # a round naming a set that is not installed: nothing to store for it
    return reports


def can_judge(actor, application) -> tuple[bool, str]:
    from clusterdesk.applications.models import Application

    if not (roles.is_city_reviewer(actor) or roles.is_province_admin(actor)):
        return False, "只有市州审核人员和省厅管理员可以作出评审判断"
    if not Application.objects.visible_to(actor).filter(pk=application.pk).exists():
        return False, "该申报不在您的审核范围内"
    if application.editable:
        return False, "申报尚未提交，不能作出评审判断"
    return True, ""


@transaction.atomic
def record_judgement(*, actor, application, set_code: str, rule_code: str, decision: str, reason: str,
                     request=None) -> Judgement:
    """A reviewer's decision on a judgement rule, with the reason (required either way).

    Side effects: ``criteria.judged`` audit event (every decision stays in the log).
    """
    from clusterdesk.applications.models import Application

    application = Application.objects.select_for_update().get(pk=application.pk)
    allowed, why = can_judge(actor, application)
    if not allowed:
        raise Conflict(why) if "尚未提交" in why else NotAllowed(why)
    cset = get_set(set_code)
    rule = next((r for a in cset.definition["aspects"] for r in a["rules"] if r["code"] == rule_code), None)
    if rule is None or rule["kind"] != "judgement":
        raise DomainError(f"“{rule_code}”不是该标准中需要评审判断的规则", field="rule")
    if decision not in Decision.values:
        raise DomainError("判断结果只能是符合（pass）或不符合（fail）", field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写判断理由（依据的佐证材料或发现的问题）", field="reason")
    previous = Judgement.objects.filter(application=application, set_code=set_code, rule_code=rule_code).first()
    judgement, _ = Judgement.objects.update_or_create(
        application=application, set_code=set_code, rule_code=rule_code,
        defaults={"decision": decision, "reason": reason, "judged_by": actor},
    )
    record(action="criteria.judged", actor=actor, obj=application,
           before={"rule": rule_code, "decision": previous.decision, "reason": previous.reason} if previous else None,
           after={"set": set_code, "rule": rule_code, "decision": decision, "reason": reason}, request=request)
    return judgement
