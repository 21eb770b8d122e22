"""``{% field_note notes "indicators" row.year key %}``: the reviewer's return comments on one
field of the edit form (``field_paths.notes``), beside the field they concern (issue 15 §6)."""

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag
def field_note(by_anchor, *parts):
    """The notes whose anchor is ``parts`` joined with "-" (the field's ``data-input``)."""
    anchor = "-".join(str(p) for p in parts)
    found = (by_anchor or {}).get(anchor) or []
    return format_html_join(
        "", '<p class="field-note" id="note-{}" data-testid="field-note" data-for="{}" role="note">'
            '<strong>审核意见（{}）：</strong>{}</p>',
        ((anchor, anchor, n.label, n.text) for n in found))
