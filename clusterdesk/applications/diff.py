"""What changed between two versions of an application, field by field, in Chinese."""

from dataclasses import dataclass

from .validation import ASPECT_TITLES, INDICATOR_FIELDS, QUALIFICATIONS

LABELS = {
    "name": "集群名称", "covered_org_codes": "涉及的其他县级单位", "coordination_note": "市州协调意见",
    "leading_industry_code": "主导产业", "niche": "细分领域", "area_km2": "集群面积（平方公里）",
    "operating_body": "运营主体", "sub_cluster_code": "所属重点子集群", "negative_list_clear": "负面清单声明",
}


@dataclass(frozen=True)
class Change:
    section: str
    label: str
    before: str
    after: str


def _show(value) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(QUALIFICATIONS.get(v, str(v)) for v in value)
    return str(value)


def _rows(rows, key) -> dict:
    return {str(r.get(key) or i): r for i, r in enumerate(rows or [])}


def diff(old: dict, new: dict) -> list[Change]:
    changes: list[Change] = []
    for key, label in LABELS.items():
        if old.get(key) != new.get(key):
            changes.append(Change("基本情况", label, _show(old.get(key)), _show(new.get(key))))
    old_years, new_years = _rows(old.get("indicators"), "year"), _rows(new.get("indicators"), "year")
    for year in sorted(set(old_years) | set(new_years)):
        for field, label in INDICATOR_FIELDS.items():
            a, b = old_years.get(year, {}).get(field), new_years.get(year, {}).get(field)
            if a != b:
                changes.append(Change("主要指标", f"{year}年{label}", _show(a), _show(b)))
    old_firms, new_firms = _rows(old.get("quality_enterprises"), "uscc"), _rows(new.get("quality_enterprises"), "uscc")
    for code in sorted(set(old_firms) | set(new_firms)):
        a, b = old_firms.get(code), new_firms.get(code)
        if a == b:
            continue
        name = (b or a).get("name") or code
        if a is None:
            changes.append(Change("优质企业", f"新增：{name}", "（无）", _show(b.get("qualifications"))))
        elif b is None:
            changes.append(Change("优质企业", f"删除：{name}", _show(a.get("qualifications")), "（无）"))
        else:
            for field, label in (("name", "名称"), ("qualifications", "资质"), ("year", "获评年份"), ("in_leading_industry", "属于主导产业")):
                if a.get(field) != b.get(field):
                    changes.append(Change("优质企业", f"{name}：{label}", _show(a.get(field)), _show(b.get(field))))
    old_aspects, new_aspects = old.get("aspects") or {}, new.get("aspects") or {}
    for key in sorted(set(old_aspects) | set(new_aspects)):
        if old_aspects.get(key) != new_aspects.get(key):
            changes.append(Change("发展情况", f"（{key}）{ASPECT_TITLES.get(key, '')}", _show(old_aspects.get(key)), _show(new_aspects.get(key))))
    for key, section in (("contacts", "联系人"), ("plan_targets", "三年发展规划")):
        if (old.get(key) or []) != (new.get(key) or []):
            changes.append(Change(section, section, f"{len(old.get(key) or [])} 项", f"{len(new.get(key) or [])} 项（已修改）"))
    return changes


def evidence_diff(old: list[dict], new: list[dict], titles: dict | None = None) -> list[Change]:
    """Evidence added, removed or replaced, item by item and by file name (issue 15 §6).

    Files are the same when their content (SHA-256) is; within one checklist item a file gone
    and a file come are a replacement (「营业收入证明」：替换 a.pdf → b.pdf), paired in upload
    order; the rest are added or removed. The same content under another name is a renaming.
    ``titles``: the round's checklist titles by item code (the code is shown without them)."""
    titles = titles or {}
    items = list(dict.fromkeys([f["item"] for f in old or []] + [f["item"] for f in new or []]))
    changes: list[Change] = []
    for item in items:
        label = f"「{titles.get(item, item)}」"
        before = [f for f in old or [] if f["item"] == item]
        after = [f for f in new or [] if f["item"] == item]
        before_sha, after_sha = {f["sha256"]: f for f in before}, {f["sha256"]: f for f in after}
        gone = [f for f in before if f["sha256"] not in after_sha]
        come = [f for f in after if f["sha256"] not in before_sha]
        for a, b in zip(gone, come):
            changes.append(Change("佐证材料", f"{label}：替换", a["name"], b["name"]))
        for b in come[len(gone):]:
            changes.append(Change("佐证材料", f"{label}：新增", "（无）", b["name"]))
        for a in gone[len(come):]:
            changes.append(Change("佐证材料", f"{label}：删除", a["name"], "（无）"))
        for sha, a in before_sha.items():
            b = after_sha.get(sha)
            if b is not None and b["name"] != a["name"]:
                changes.append(Change("佐证材料", f"{label}：更名（内容相同）", a["name"], b["name"]))
    return changes
