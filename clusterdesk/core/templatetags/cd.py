"""Small template helpers."""

import json

from django import template

from clusterdesk.audit.vocabulary import ACTIONS

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
