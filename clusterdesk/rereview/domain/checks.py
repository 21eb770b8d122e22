"""The province's per-criterion check of a task: which criteria set applies, the engine's
report on the new data, and the province's findings.

* **Which criteria set.** The round's criteria sets at the level of the cluster: national clusters
  against the national set, provincial clusters against the provincial one; when the round names
  none of that level, the latest active set of that level.
* **Checks.** A rule left out of ``checks`` takes the engine's result when that result is 符合
  (or a soft 提示); every other rule needs the province's finding. A 不符合 finding, or a 符合
  finding against the engine's 不符合/缺少数据, needs a note. An overall pass is refused while any
  finding is 不符合.
"""

from __future__ import annotations

from clusterdesk.core.errors import DomainError

from ..models import CheckDecision, RereviewTask
from ..workflow import level_of


def criteria_set_for(task: RereviewTask):
    """The criteria set version the task is checked against (see the module docstring)."""
    from clusterdesk.criteria.domain import get_set, round_sets
    from clusterdesk.criteria.models import CriteriaSet, SetStatus

    level = level_of(task.cluster)
    for code, version in round_sets(task.round):
        try:
            cset = get_set(code, version)
        except DomainError:
            continue
        if cset.level == level:
            return cset
    cset = CriteriaSet.objects.filter(level=level, status=SetStatus.ACTIVE).order_by("code", "-version").first()
    if cset is None:
        label = "国家级" if level == "national" else "省级"
        raise DomainError(f"没有可用的{label}认定标准：请在批次设置中指定适用的{label}认定标准", field="criteria")
    return cset


def engine_data(data: dict) -> dict:
    """The fields of 附件3 the criteria engine reads."""
    return {
        "indicators": data.get("indicators") or [],
        "quality_enterprises": data.get("quality_enterprises") or [],
        "area_km2": data.get("area_km2"),
        "negative_list_clear": data.get("negative_list_clear"),
    }


def evaluate_task(task: RereviewTask, judgements: dict | None = None, cset=None):
    """The engine's report of the task's data against its criteria set (the round's window)."""
    from clusterdesk.criteria.domain import evaluator_for

    cset = cset or criteria_set_for(task)
    return evaluator_for(cset).evaluate(engine_data(task.data), task.round.window_years, task.round.base_year,
                                        judgements or {})


def _normalise_checks(checks) -> dict[str, tuple[str, str]]:
    out = {}
    for code, value in (checks or {}).items():
        if isinstance(value, dict):
            decision, note = value.get("decision"), value.get("note", "")
        elif isinstance(value, (list, tuple)) and value:
            decision, note = value[0], value[1] if len(value) > 1 else ""
        else:
            decision, note = value, ""
        out[str(code)] = (str(decision or "").strip(), str(note or "").strip())
    return out


def resolve_checks(report, checks) -> tuple[dict[str, tuple[str, str]], list[dict]]:
    """The province's finding for every rule of ``report`` and the errors, per the rules in the
    module docstring."""
    from clusterdesk.criteria.engine import FAIL, MISSING, PASS, STATUS_LABELS, WARN

    given = _normalise_checks(checks)
    codes = {r.code for r in report.results}
    errors = [{"field": f"checks.{c}", "message": f"规则“{c}”不在所用认定标准中"} for c in given if c not in codes]
    resolved = {}
    for r in report.results:
        label = f"第{r.aspect}方面“{r.wording}”"
        decision, note = given.get(r.code, ("", ""))
        if not decision:
            if r.status in (PASS, WARN):
                resolved[r.code] = (CheckDecision.PASS, "")
                continue
            errors.append({"field": f"checks.{r.code}",
                           "message": f"{label}：系统核验结果为“{STATUS_LABELS[r.status]}”，请作出核查结论"})
            continue
        if decision not in CheckDecision.values:
            errors.append({"field": f"checks.{r.code}", "message": f"{label}：核查结论只能是符合（pass）或不符合（fail）"})
            continue
        if len(note) > 1000:
            errors.append({"field": f"checks.{r.code}.note", "message": f"{label}：说明不能超过 1000 个字"})
        if decision == CheckDecision.FAIL and not note:
            errors.append({"field": f"checks.{r.code}.note", "message": f"{label}：判定不符合须说明理由"})
        elif decision == CheckDecision.PASS and r.status in (FAIL, MISSING) and not note:
            errors.append({"field": f"checks.{r.code}.note",
                           "message": f"{label}：系统核验结果为“{STATUS_LABELS[r.status]}”，判定符合须在说明中写明依据"})
        resolved[r.code] = (decision, note)
    return resolved, errors

