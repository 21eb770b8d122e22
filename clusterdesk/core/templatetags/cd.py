"""Small template helpers."""

import json

from django import template

from clusterdesk.audit.vocabulary import ACTIONS

register = template.Library()


@register.filter
def action_label(code: str, prefix: str = "") -> str:
    """The Chinese label of an audit action (``prefix`` is prepended, e.g. "review.")."""
    return ACTIONS.get(prefix + code, code)


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@register.filter
def get(mapping, key):
    """``{{ dict|get:key }}`` with a variable key; empty string when absent."""
    if mapping is None:
        return ""
    try:
        value = mapping.get(key) if hasattr(mapping, "get") else mapping[key]
    except (KeyError, IndexError, TypeError):
        return ""
    return "" if value is None else value


@register.filter
def filesize(size) -> str:
    size = int(size or 0)
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size, 1) / 1024:.0f} KB"


@register.filter
def status_label(status: str) -> str:
    from clusterdesk.criteria.engine import STATUS_LABELS

    return STATUS_LABELS.get(status, status)


@register.filter
def deadline(moment) -> str:
    """A deadline in the one wording of the site ("2025年4月10日24时"); "" for none."""
    if not moment:
        return ""
    from clusterdesk.rounds.domain import format_deadline

    return format_deadline(moment)


def _error_field(error) -> str:
    if error is None:
        return ""
    if isinstance(error, dict):
        return str(error.get("field") or "")
    return str(getattr(error, "field", "") or "")


def _matches(field: str, names: str) -> bool:
    for name in (n.strip() for n in names.split(",")):
        if name and (field == name or (name.endswith(".") and field.startswith(name))):
            return True
    return False


@register.filter
def error_at(error, names: str):
    """The refusal when its field is one of ``names`` (comma-separated; "checks." matches a
    prefix), else None: ``{% include "core/_error_here.html" with err=error|error_at:"reason" %}``."""
    if error and _matches(_error_field(error), names):
        return error
    return None


@register.filter
def error_elsewhere(error, names: str):
    """The refusal when no control of ``names`` caused it (shown beside the form's button)."""
    if error and not _matches(_error_field(error), names):
        return error
    return None
