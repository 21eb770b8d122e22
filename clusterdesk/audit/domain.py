"""Writing audit events. Every domain function calls :func:`record` for each state change."""

from django.db import models

from .models import AuditEvent
from .vocabulary import ACTIONS


def client_ip(request) -> str | None:
    """The client's address as configured (``core/netaddr.py``: trusted proxies)."""
    from clusterdesk.core.netaddr import client_address

    return client_address(request)


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    """A JSON-safe dict of ``fields`` of ``obj`` for before/after records."""
    data = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, models.Model):
            value = str(value.pk)
        elif value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = str(value)
        data[name] = value
    return data


def record(
    *,
    action: str,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    comment: str = "",
) -> AuditEvent:
    """Append one event. ``action`` must be in the documented vocabulary."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to audit/vocabulary.py")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    org = getattr(actor, "org", None) if actor is not None else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.username if actor is not None else "",
        org_code=org.code if org is not None else "",
        org_name=org.name if org is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        ip_address=client_ip(request),
        comment=comment,
    )
