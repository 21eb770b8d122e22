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


__all__ = [
    "STATUS_LABELS", "CriteriaSet", "can_judge", "evaluate_application", "evaluate_data", "get_set",
    "record_judgement", "round_growth_method", "round_sets", "snapshot_reports",
]
