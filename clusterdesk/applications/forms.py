"""Turning the form page's POST data into the API shape that ``validation`` checks.

Input names follow the field paths of the validators with "-" for ".":
``name``, ``indicators-2023-total_output``, ``quality_enterprises-0-uscc``, ``aspects-3``…
Rows are renumbered 0..n-1 by the page before saving, so an error path such as
``quality_enterprises.3.uscc`` names the fourth row on the page.
"""

import re

from .models import SECTION_FIELDS, SectionKey
from .validation import INDICATOR_FIELDS

ROW_FIELDS = {
    "contacts": ["name", "title", "phone", "email"],
    "quality_enterprises": ["name", "uscc", "qualifications", "year", "in_leading_industry"],
    "plan_targets": ["name", "unit", "baseline", "target", "year"],
}
ROW_RE = re.compile(r"^(?P<list>contacts|quality_enterprises|plan_targets)-(?P<index>\d+)-(?P<field>\w+)$")


def _rows(post, list_name: str) -> list[dict]:
    rows: dict[int, dict] = {}
    for key in post:
        match = ROW_RE.match(key)
        field = match["field"] if match else ""
        if list_name == "quality_enterprises" and field.startswith("qy_"):
            # the award year typed next to one qualification: quality_enterprises-0-qy_little_giant
            row = rows.setdefault(int(match["index"]), {})
            if (post.get(key) or "").strip():
                row.setdefault("qualification_years", {})[field[3:]] = post.get(key)
            continue
        if not match or match["list"] != list_name or field not in ROW_FIELDS[list_name]:
            continue
        row = rows.setdefault(int(match["index"]), {})
        if match["field"] == "qualifications":
            row["qualifications"] = post.getlist(key)
        elif match["field"] == "in_leading_industry":
            row["in_leading_industry"] = post.get(key) in ("1", "on", "true")
        else:
            row[match["field"]] = post.get(key)
    return [rows[i] for i in sorted(rows)]


def section_from_post(key: str, post, round_) -> dict:
    """The API-shaped data of one section from a POST."""
    if key == SectionKey.BASIC:
        data = {f: post.get(f, "") for f in SECTION_FIELDS[key] if f != "covered_org_codes"}
        data["covered_org_codes"] = [c for c in post.getlist("covered_org_codes") if c]
        return data
    if key == SectionKey.CONTACTS:
        return {"contacts": _rows(post, "contacts")}
    if key == SectionKey.INDICATORS:
        rows = []
        for year in [round_.base_year, *round_.window_years]:
            row = {"year": year}
            row.update({f: post.get(f"indicators-{year}-{f}", "") for f in INDICATOR_FIELDS})
            rows.append(row)
        return {"indicators": rows, "sme_count": post.get("sme_count", "")}
    if key == SectionKey.ENTERPRISES:
        return {"quality_enterprises": _rows(post, "quality_enterprises")}
    if key == SectionKey.ASPECTS:
        return {"aspects": {str(n): post.get(f"aspects-{n}", "") for n in range(3, 9)},
                "core_competitiveness": post.get("core_competitiveness", ""),
                "sme_cultivation": post.get("sme_cultivation", "")}
    if key == SectionKey.DECLARATION:
        value = post.get("negative_list_clear", "")
        return {"negative_list_clear": {"yes": True, "no": False}.get(value)}
    if key == SectionKey.PLAN:
        return {"plan_targets": _rows(post, "plan_targets")}
    raise KeyError(key)


def input_name(field_path: str) -> str:
    return field_path.replace(".", "-")
