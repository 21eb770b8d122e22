"""The 复核申报表 (附件3) as data: its fields, the cleaning of what a county sends (the
application's validators for indicators, enterprises and the negative list), what is still
missing before submission, and the plan targets' completion, computed and never typed.

* **Completion rate of a plan target.** Two figures, both computed: 完成率 = 实际完成值 ÷ 目标值,
  and, when a base value is known, 增量完成率 = (实际完成值 − 基期值) ÷ (目标值 − 基期值) — the share
  of the planned change realised. A target is 已完成 when the achieved value reaches it (for a
  target below its base value, e.g. energy use, when the achieved value is at or below it).
* **Recognised plan targets are fixed.** Targets recorded with the cluster are copied into the
  task; the county fills only the achieved values (and a note). Only a cluster with no recorded
  targets lets the county enter them.
* **Indicator window.** The round's window (``round.window_years``), validated like an application.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from clusterdesk.applications.validation import (
    Context,
    FieldError,
    _Errors,
    _text,
    add_missing_indicators,
    clean_enterprises,
    clean_indicators,
    parse_bool,
    parse_decimal,
    parse_int,
)
from clusterdesk.rounds.models import ChecklistItem

from ..models import RereviewEvidence, RereviewTask

DATA_FIELDS = {
    "plan_targets": "发展目标完成情况",
    "indicators": "近三年主要指标",
    "quality_enterprises": "优质企业名单",
    "area_km2": "集群面积",
    "changes": "认定以来的变化情况",
    "negative_list_clear": "负面清单声明",
    "self_assessment": "自评情况",
    "aspects": "分方面复核说明",
}
ASPECT_TEXT_MAX = 5000
CHANGE_KINDS = {
    "leading_industry": "主导产业",
    "spatial_scope": "空间范围",
    "operating_body": "运营主体",
}
MAX_TARGETS = 50


def _date_text(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def level_label(cluster) -> str:
    return {"national": "国家级", "provincial": "省级"}.get(str(cluster.level), "培育库")


def batch_label(cluster) -> str:
    """The recognition batch shown on 附件3: "2022年 国家级"."""
    return f"{cluster.batch_year}年 {level_label(cluster)}" if cluster.batch_year else level_label(cluster)


def location_label(org) -> str:
    """"延边朝鲜族自治州 敦化市": the recommending unit and the county-level unit."""
    recommender = getattr(org, "recommender", None)
    if recommender is not None and recommender.pk != org.pk:
        return f"{recommender.name} {org.name}"
    return org.name


def _recognized_targets(cluster) -> list[dict]:
    """The plan targets recorded with the cluster, as rows of name/unit/baseline/target/year."""
    value = cluster.plan_targets
    if isinstance(value, dict):
        value = value.get("targets") or value.get("plan_targets") or []
    rows = []
    for raw in value if isinstance(value, list) else []:
        if not isinstance(raw, dict):
            continue
        rows.append({
            "name": str(raw.get("name") or "").strip(),
            "unit": str(raw.get("unit") or "").strip(),
            "baseline": None if raw.get("baseline") in (None, "") else str(raw.get("baseline")),
            "target": None if raw.get("target") in (None, "") else str(raw.get("target")),
            "year": raw.get("year"),
            "achieved": None,
            "note": "",
        })
    return rows


def _initial_data(cluster) -> dict:
    """What a new task starts with: the recorded targets and, from the recognised application's
    last submitted version when there is one, the quality enterprises and the area."""
    data = {
        "plan_targets": _recognized_targets(cluster),
        "indicators": [],
        "quality_enterprises": [],
        "area_km2": None,
        "changes": {key: {"changed": None, "description": ""} for key in CHANGE_KINDS},
        "negative_list_clear": None,
        "self_assessment": "",
        "aspects": {},
    }
    application = getattr(cluster, "application", None)
    if application is not None:
        version = application.versions.filter(withdrawn_at__isnull=True).order_by("-number").first()
        if version is not None:
            data["quality_enterprises"] = version.data.get("quality_enterprises") or []
            data["area_km2"] = version.data.get("area_km2")
    return data



def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class TargetRow:
    index: int
    name: str
    unit: str
    baseline: str | None
    target: str | None
    year: int | None
    achieved: str | None
    note: str
    rate: Decimal | None  # achieved / target
    progress: Decimal | None  # (achieved - baseline) / (target - baseline)
    met: bool | None

    @property
    def rate_text(self) -> str:
        return _pct(self.rate)

    @property
    def progress_text(self) -> str:
        return _pct(self.progress)

    @property
    def met_text(self) -> str:
        return "—" if self.met is None else ("已完成" if self.met else "未完成")

    def as_dict(self) -> dict:
        return {
            "name": self.name, "unit": self.unit, "baseline": self.baseline, "target": self.target,
            "year": self.year, "achieved": self.achieved, "note": self.note,
            "completion_rate": None if self.rate is None else format(self.rate.quantize(Decimal("0.0001")), "f"),
            "progress_rate": None if self.progress is None else format(self.progress.quantize(Decimal("0.0001")), "f"),
            "met": self.met,
        }


COMPLETION_FORMULA = "完成率 = 实际完成值 ÷ 目标值；增量完成率 = (实际完成值 − 基期值) ÷ (目标值 − 基期值)"


def target_rows(data: dict) -> list[TargetRow]:
    """Each plan target with its computed completion (never typed)."""
    rows = []
    for i, t in enumerate(data.get("plan_targets") or []):
        baseline, target, achieved = _dec(t.get("baseline")), _dec(t.get("target")), _dec(t.get("achieved"))
        rate = progress = met = None
        if achieved is not None and target is not None:
            if target != 0:
                rate = achieved / target
            if baseline is not None and target != baseline:
                progress = (achieved - baseline) / (target - baseline)
            met = achieved <= target if baseline is not None and target < baseline else achieved >= target
        rows.append(TargetRow(i, t.get("name") or "", t.get("unit") or "", t.get("baseline"), t.get("target"),
                              t.get("year"), t.get("achieved"), t.get("note") or "", rate, progress, met))
    return rows


def _clean_targets(value, task: RereviewTask, errors: _Errors) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add("plan_targets", "发展目标完成情况应为列表")
        return []
    if len(value) > MAX_TARGETS:
        errors.add("plan_targets", f"发展目标最多 {MAX_TARGETS} 项")
        return []
    fixed = _recognized_targets(task.cluster)
    if fixed and len(value) != len(fixed):
        errors.add("plan_targets", f"发展目标应与认定时登记的 {len(fixed)} 项一致（目标本身不能修改），只需填写实际完成值")
        return []
    out = []
    for i, raw in enumerate(value):
        where, label = f"plan_targets.{i}", f"第{i + 1}项目标的"
        if not isinstance(raw, dict):
            errors.add(where, f"第{i + 1}项目标格式不对")
            continue
        achieved = parse_decimal(raw.get("achieved"), f"{where}.achieved", label + "实际完成值", errors,
                                 minimum=None, maximum=None, unit="所填单位")
        note = _text(raw.get("note"), f"{where}.note", label + "说明", errors, 500)
        if fixed:
            out.append({**fixed[i], "achieved": achieved, "note": note})
            continue
        row = {
            "name": _text(raw.get("name"), f"{where}.name", label + "名称", errors, 100),
            "unit": _text(raw.get("unit"), f"{where}.unit", label + "单位", errors, 20),
            "baseline": parse_decimal(raw.get("baseline"), f"{where}.baseline", label + "基期值", errors,
                                      minimum=None, maximum=None, unit="所填单位"),
            "target": parse_decimal(raw.get("target"), f"{where}.target", label + "目标值", errors,
                                    minimum=None, maximum=None, unit="所填单位"),
            "year": parse_int(raw.get("year"), f"{where}.year", label + "目标年份", errors,
                              minimum=task.round.year - 5, maximum=task.round.year),
            "achieved": achieved,
            "note": note,
        }
        if not any(row[k] not in (None, "") for k in ("name", "unit", "baseline", "target", "year", "achieved")):
            continue
        for key, name in (("name", "名称"), ("unit", "单位"), ("target", "目标值")):
            if row[key] in (None, "") and not any(e.field == f"{where}.{key}" for e in errors):
                errors.add(f"{where}.{key}", f"{label}{name}不能为空")
        out.append(row)
    return out


def _clean_changes(value, errors: _Errors) -> dict:
    if value is None:
        return {key: {"changed": None, "description": ""} for key in CHANGE_KINDS}
    if not isinstance(value, dict):
        errors.add("changes", "认定以来的变化情况应按主导产业、空间范围、运营主体分别填写")
        return {}
    unknown = [k for k in value if k not in CHANGE_KINDS]
    for key in unknown:
        errors.add(f"changes.{key}", f"变化情况没有“{key}”一项（可填：{'、'.join(CHANGE_KINDS.values())}）")
    out = {}
    for key, label in CHANGE_KINDS.items():
        raw = value.get(key) or {}
        if isinstance(raw, str):  # a description alone means "changed"
            raw = {"changed": bool(raw.strip()), "description": raw}
        if not isinstance(raw, dict):
            errors.add(f"changes.{key}", f"{label}变化情况格式不对")
            continue
        changed = parse_bool(raw.get("changed"), f"changes.{key}.changed", f"{label}是否变化", errors)
        description = _text(raw.get("description"), f"changes.{key}.description", f"{label}变化说明", errors, 2000)
        out[key] = {"changed": changed, "description": description if changed else ""}
    return out


def task_aspects(task: RereviewTask) -> list[tuple[str, str]]:
    """The aspects of the criteria set the task is checked against, as ("1", "具有较强核心竞争力"), in
    order — the notice asks to re-review each aspect (逐一). The negative list, an aspect of the
    set too, is left out: 附件3 has its declaration. Without a usable set, the eight aspects of
    the national criteria."""
    from clusterdesk.applications.validation import ASPECT_TITLES
    from clusterdesk.core.errors import DomainError

    from .checks import criteria_set_for

    try:
        cset = criteria_set_for(task)
        aspects = [(str(a["number"]), str(a["title"])) for a in (cset.definition or {}).get("aspects") or []
                   if "负面清单" not in str(a["title"])]  # the negative list has its own declaration
    except (DomainError, KeyError, TypeError):
        aspects = []
    return aspects or list(ASPECT_TITLES.items())


def _clean_aspects(value, task: RereviewTask, errors: _Errors) -> dict:
    """The optional narrative per aspect: {"1": "…", …}; blank ones are dropped."""
    if value in (None, ""):
        return {}
    titles = dict(task_aspects(task))
    if not isinstance(value, dict):
        errors.add("aspects", f"分方面复核说明应为按方面编号（{'、'.join(titles)}）填写的文字")
        return {}
    out = {}
    for key, text in value.items():
        key = str(key)
        if key not in titles:
            errors.add(f"aspects.{key}", f"分方面复核说明没有第{key}方面（应为 {'、'.join(titles)}）")
            continue
        cleaned = _text(text, f"aspects.{key}", f"第{key}方面“{titles[key]}”的复核说明", errors, ASPECT_TEXT_MAX)
        if cleaned:
            out[key] = cleaned
    return out


def clean_data(data: dict, task: RereviewTask) -> tuple[dict, list[FieldError]]:
    """Clean the 附件3 fields present in ``data`` (the application's validators for indicators,
    enterprises and the negative list). Unknown fields are errors."""
    errors = _Errors()
    ctx = Context(round=task.round, org=task.org)
    out = {}
    for key, value in data.items():
        if key == "plan_targets":
            out[key] = _clean_targets(value, task, errors)
        elif key == "indicators":
            out[key] = clean_indicators(value, ctx, errors)
        elif key == "quality_enterprises":
            out[key] = clean_enterprises(value, ctx, errors)
        elif key == "area_km2":
            out[key] = parse_decimal(value, "area_km2", "集群面积", errors, unit="平方公里")
        elif key == "changes":
            out[key] = _clean_changes(value, errors)
        elif key == "negative_list_clear":
            out[key] = parse_bool(value, key, "负面清单声明", errors)
        elif key == "self_assessment":
            out[key] = _text(value, key, "自评情况", errors, 10000)
        elif key == "aspects":
            out[key] = _clean_aspects(value, task, errors)
        else:
            errors.add(key, f"未知字段 {key}（可填：{'、'.join(DATA_FIELDS)}）")
    return out, list(errors)


def missing_for_submission(task: RereviewTask, data: dict | None = None) -> list[FieldError]:
    """What must still be filled in (evidence is checked separately)."""
    data = task.data if data is None else data
    missing = _Errors()
    rows = target_rows(data)
    if not rows:
        missing.add("plan_targets", "发展目标完成情况：请至少填写一项三年发展规划中的目标及其完成值")
    for row in rows:
        if row.achieved in (None, ""):
            missing.add(f"plan_targets.{row.index}.achieved", f"发展目标完成情况：请填写“{row.name}”的实际完成值")
    add_missing_indicators(missing, data.get("indicators"), task.round.window_years, "近三年主要指标")
    changes = data.get("changes") or {}
    for key, label in CHANGE_KINDS.items():
        entry = changes.get(key) or {}
        if entry.get("changed") is None:
            missing.add(f"changes.{key}.changed", f"变化情况：请说明{label}是否发生变化")
        elif entry.get("changed") and not (entry.get("description") or "").strip():
            missing.add(f"changes.{key}.description", f"变化情况：{label}发生了变化，请说明变化内容及备案情况")
    if data.get("negative_list_clear") is None:
        missing.add("negative_list_clear", "负面清单声明：请作出声明")
    if not (data.get("self_assessment") or "").strip():
        missing.add("self_assessment", "自评情况：请填写复核自评")
    return list(missing)


def checklist(task: RereviewTask) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(round_id=task.round_id).order_by("order", "id"))


def live_evidence(task: RereviewTask):
    return RereviewEvidence.objects.filter(task=task, removed_at__isnull=True).order_by("uploaded_at", "id")


def evidence_missing(task: RereviewTask) -> list[ChecklistItem]:
    present = set(live_evidence(task).values_list("item_code", flat=True))
    return [i for i in checklist(task) if i.required and i.code not in present]


def readiness_messages(task: RereviewTask) -> list[dict]:
    return [m.as_dict() for m in missing_for_submission(task)] + [
        {"field": f"evidence.{i.code}", "message": f"佐证材料：请上传“{i.title}”"} for i in evidence_missing(task)
    ]

