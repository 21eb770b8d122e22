"""Expiry and what changes validity: ``expire_due`` (held while a re-review is pending),
``extend_validity``, ``revoke``; and what the dashboards read about validity (ending soon, past validity).
(Not named ``validity``: that is the function computing a batch's validity period.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import transaction

from clusterdesk.core.errors import DomainError

from .. import workflow
from ..models import Cluster
from .common import VALIDITY_YEARS, _require_province_admin, today_local

# Functions answering the ids of clusters whose expiry is held (a re-review is pending):
# ``fn(today) -> iterable of cluster ids``. The re-review registers its own.
EXPIRY_HOLDS: list[Callable[[date], object]] = []


# --- validity: expiry, extension, revocation ----------------------------------------------------

def held_ids(today: date) -> set[int]:
    ids: set[int] = set()
    for hold in EXPIRY_HOLDS:
        ids.update(int(i) for i in hold(today))
    return ids


def expire_due(*, today: date | None = None, actor=None, request=None) -> list[Cluster]:
    """Entries in force (``CLUSTER`` group "due_for_expiry") whose validity ended before ``today``
    take the ``expire`` step, unless a hold (a pending re-review) keeps them. Returns the expired
    entries. Running again changes nothing.
    Side effects: per entry ``ClusterEvent`` (expired) and ``registry.expired``.
    """
    today = today or today_local()
    _require_province_admin(actor, None, "办理集群到期")
    held = held_ids(today)
    expired = []
    with transaction.atomic():
        due = (Cluster.objects.select_for_update().select_related("org")
               .filter(status__in=workflow.CLUSTER.group("due_for_expiry"), valid_until__lt=today)
               .exclude(pk__in=held).order_by("pk"))
        for cluster in due:
            workflow.take(workflow.CLUSTER, actor=actor, obj=cluster, action="expire", request=request)
            expired.append(cluster)
    return expired


@transaction.atomic
def extend_validity(*, cluster: Cluster, years: int = VALIDITY_YEARS, actor, comment: str = "",
                    request=None) -> Cluster:
    """Extend recognition by ``years`` whole years from the current end (a passed re-review):
    the ``CLUSTER`` machine's ``extend`` step — valid_until becomes 31 Dec of (end year +
    ``years``); an expired entry is recognised again.
    Side effects: ``ClusterEvent`` (extended) and ``registry.extended``.
    """
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 10:
        raise DomainError("延长年限应为 1 到 10 年", field="years")
    return workflow.take(workflow.CLUSTER, actor=actor, obj=cluster, action="extend", inputs={"comment": comment},
                         extra={"years": years}, request=request)


@transaction.atomic
def revoke(*, cluster: Cluster, reason: str, actor, request=None) -> Cluster:
    """Revoke a recognition (failed or missed re-review, an unfiled change, a negative-list event):
    the ``CLUSTER`` machine's ``revoke`` step; a reason is required.
    Side effects: ``ClusterEvent`` (revoked) and ``registry.revoked``."""
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
    return workflow.take(workflow.CLUSTER, actor=actor, obj=cluster, action="revoke", inputs={"reason": reason},
                         request=request)


# --- reading: the dashboards ----------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def ending_soon(clusters, today: date, months: int = 12) -> list[Cluster]:
    """Entries in force whose validity ends within ``months`` from ``today``."""
    limit = add_months(today, months)
    return sorted((c for c in clusters if workflow.CLUSTER.in_group("valid", c.status) and c.valid_until
                   and today <= c.valid_until <= limit), key=lambda c: (c.valid_until, c.org.path, c.name))


def past_validity(clusters, today: date) -> list[Cluster]:
    """Entries still in force after their validity ended (awaiting re-review or expiry)."""
    return sorted((c for c in clusters if workflow.CLUSTER.in_group("due_for_expiry", c.status) and c.valid_until
                   and c.valid_until < today), key=lambda c: (c.valid_until, c.org.path, c.name))
