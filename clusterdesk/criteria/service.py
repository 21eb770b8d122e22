"""The criteria app's public face: what other apps may call.

Other apps import from here, never from ``domain``, ``engine`` or ``definition`` directly.
"""

from .definition import DEFAULT_GROWTH_METHOD
from .domain import (
    can_judge, evaluate_application, evaluate_data, get_set, record_judgement, round_sets, snapshot_reports,
)
from .engine import STATUS_LABELS
from .models import CriteriaSet


def round_growth_method(round_) -> str:
    """The growth method the round's figures are shown with on forms and documents.

    Each set is evaluated with its own method; the figures a clerk sees (the form's computed
    growth, 附件1, 附件2) follow the round's first set, so they agree with its verdict.
    """
    for code, version in round_sets(round_):
        cset = CriteriaSet.objects.filter(code=code, **({"version": version} if version else {})).order_by(
            "-version").first()
        if cset is not None:
            return (cset.definition or {}).get("growth_method", DEFAULT_GROWTH_METHOD)
    return DEFAULT_GROWTH_METHOD


def set_label(code: str, version: int | None) -> str:
    """The Chinese name of one set version (its name and 第N版), for a round's {code, version} entry."""
    query = CriteriaSet.objects.filter(code=code, **({"version": version} if version else {})).order_by("-version")
    cset = query.first()
    if cset is None:
        return f"未找到的认定标准（第{version}版）" if version else "未找到的认定标准"
    return cset.display_name


def set_choices(selected=()) -> list[tuple[str, str]]:
    """("code@version", Chinese name) of every active set version, and of the ``selected`` ones
    (a round keeps a set that was retired after it was chosen): the round form's checkboxes."""
    from django.db.models import Q

    from .models import SetStatus

    q = Q(status=SetStatus.ACTIVE)
    for entry in selected:
        q |= Q(code=entry["code"], version=entry["version"])
    rows = CriteriaSet.objects.filter(q).order_by("level", "code", "version")
    return [(f"{c.code}@{c.version}", c.display_name + ("" if c.status == SetStatus.ACTIVE else
                                                         f"（{c.get_status_display()}）")) for c in rows]


__all__ = [
    "STATUS_LABELS", "CriteriaSet", "set_choices", "set_label", "can_judge", "evaluate_application", "evaluate_data", "get_set",
    "record_judgement", "round_growth_method", "round_sets", "snapshot_reports",
]
