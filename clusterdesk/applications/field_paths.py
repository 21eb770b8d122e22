"""Where a reviewer's per-field return comment points (issue 15 §6).

A comment returned with an application (``ReviewComment.field_comments``: ``{path: comment}``)
names one place of the application by a *path*:

- a basic field by its API name (``name``, ``area_km2``…) and the other single fields
  (``sme_count``, ``negative_list_clear``, the narratives ``core_competitiveness``…);
- one indicator of one year: ``indicators.2024.total_output``;
- one quality enterprise by its credit code: ``quality_enterprises.<uscc>`` (by code, not by
  position, so the comment stays on its firm when the county reorders or deletes rows);
- one development aspect: ``aspects.3``; the contacts and plan lists: ``contacts``, ``plan_targets``;
- one evidence checklist item: ``evidence.<item code>``.

Any other key (an API caller's free label such as "2024年集群产值") is kept and shown as it is,
in the banner only. ``choices`` is what the review form offers; ``notes`` turns a comment into
what the pages show, each with the ``anchor`` of the edit form's ``data-input`` it sits beside.
"""

from dataclasses import dataclass

from .diff import LABELS
from .form_extra import NARRATIVES
from .validation import ASPECT_TITLES, INDICATOR_FIELDS

SINGLE = {**LABELS, "sme_count": "集群内中小企业数量",
          **{key: f"（{number}）{title}" for key, (number, title, _hint) in NARRATIVES.items()}}
SINGLE.pop("negative_list_clear")
LISTS = {"contacts": "联系人", "plan_targets": "三年发展规划"}


@dataclass(frozen=True)
class Note:
    path: str
    label: str
    text: str
    anchor: str | None  # the edit form's data-input (None: shown in the banner only)
    evidence_item: str | None = None  # the checklist item code of an evidence comment


def _years(application) -> list[int]:
    return [application.round.base_year, *application.round.window_years]


def choices(application, data: dict, checklist) -> list[tuple[str, list[tuple[str, str]]]]:
    """The places a reviewer may comment on, grouped as the form's sections: [(group, [(path, label)])]."""
    firms = [(f"quality_enterprises.{e['uscc']}", f"{e.get('name') or e['uscc']}（{e['uscc']}）")
             for e in data.get("quality_enterprises") or [] if isinstance(e, dict) and e.get("uscc")]
    return [
        ("基本情况", [(k, v) for k, v in LABELS.items() if k != "negative_list_clear"]),
        ("主要指标", [(f"indicators.{y}.{k}", f"{y}年{label}") for y in _years(application)
                  for k, label in INDICATOR_FIELDS.items()] + [("sme_count", SINGLE["sme_count"])]),
        ("优质企业", firms),
        ("发展情况", [(k, SINGLE[k]) for k in NARRATIVES]
         + [(f"aspects.{k}", f"（{k}）{t}") for k, t in ASPECT_TITLES.items() if int(k) >= 3]),
        ("其他", [("negative_list_clear", "负面清单声明"), *LISTS.items()]),
        ("佐证材料", [(f"evidence.{c.code}", f"佐证材料「{c.title}」") for c in checklist]),
    ]


def known_paths(application, data: dict, checklist) -> dict[str, str]:
    return {path: label for _group, items in choices(application, data, checklist) for path, label in items}


def _place(path: str, data: dict, titles: dict) -> tuple[str, str | None, str | None]:
    """(label, anchor, evidence item) of one path; a free key is its own label, with no anchor."""
    head, _, rest = path.partition(".")
    if not rest:
        if path in SINGLE:
            return SINGLE[path], path, None
        if path == "negative_list_clear":
            return "负面清单声明", path, None
        if path in LISTS:
            return LISTS[path], path, None
        return path, None, None
    if head == "indicators":
        year, _, field = rest.partition(".")
        if year.isdigit() and field in INDICATOR_FIELDS:
            return f"{year}年{INDICATOR_FIELDS[field]}", f"indicators-{year}-{field}", None
    elif head == "quality_enterprises":
        for i, e in enumerate(data.get("quality_enterprises") or []):
            if isinstance(e, dict) and e.get("uscc") == rest:
                return f"优质企业：{e.get('name') or rest}（{rest}）", f"quality_enterprises-{i}-name", None
        return f"优质企业：{rest}（已不在名单中）", None, None
    elif head == "aspects" and rest in ASPECT_TITLES:
        return f"（{rest}）{ASPECT_TITLES[rest]}", f"aspects-{rest}", None
    elif head == "evidence":
        return f"佐证材料「{titles.get(rest, rest)}」", None, rest
    return path, None, None


def notes(field_comments: dict, data: dict, checklist) -> list[Note]:
    """The comment's per-field notes, each with its label and where it sits on the edit form."""
    titles = {c.code: c.title for c in checklist}
    out = []
    for path, text in (field_comments or {}).items():
        label, anchor, item = _place(str(path), data, titles)
        out.append(Note(str(path), label, str(text), anchor, item))
    return out
