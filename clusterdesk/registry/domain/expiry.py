"""Expiry and what changes validity: ``expire_due`` (held while a re-review is pending),
``extend_validity``, ``revoke``; and what the dashboards read about validity (ending soon, past validity).
(Not named ``validity``: that is the function computing a batch's validity period.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import transaction

from clusterdesk.core.errors import Conflict, DomainError

from ..models import Cluster, ClusterStatus, EventKind
from .common import VALIDITY_YEARS, _event, _require_province_admin, _text, state, today_local

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
    """Recognised entries whose validity ended before ``today`` become expired, unless a hold
    (a pending re-review) keeps them. Returns the expired entries. Running again changes nothing.
    Side effects: per entry ``ClusterEvent`` (expired) and ``registry.expired``.
    """
    today = today or today_local()
    _require_province_admin(actor, None, "办理集群到期")
    held = held_ids(today)
    expired = []
    with transaction.atomic():
        due = (Cluster.objects.select_for_update().select_related("org")
               .filter(status=ClusterStatus.RECOGNIZED, valid_until__lt=today).exclude(pk__in=held).order_by("pk"))
        for cluster in due:
            before = state(cluster)
            cluster.status = ClusterStatus.EXPIRED
            cluster.save(update_fields=["status"])
            _event(cluster, actor, EventKind.EXPIRED, before=before, after=state(cluster),
                   comment=f"认定有效期至{cluster.valid_until:%Y年%m月%d日}，已到期", action="registry.expired",
                   request=request)
            expired.append(cluster)
    return expired


@transaction.atomic
def extend_validity(*, cluster: Cluster, years: int = VALIDITY_YEARS, actor, comment: str = "",
                    request=None) -> Cluster:
    """Extend recognition by ``years`` whole years from the current end (a passed re-review):
    valid_until becomes 31 Dec of (end year + ``years``); an expired entry is recognised again.
    Side effects: ``ClusterEvent`` (extended) and ``registry.extended``.
    """
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
    _require_province_admin(actor, cluster, "延长认定有效期")
    if cluster.status not in (ClusterStatus.RECOGNIZED, ClusterStatus.EXPIRED) or not cluster.valid_until:
        raise Conflict(f"该集群当前状态为“{cluster.get_status_display()}”，不能延长有效期", field="cluster")
    if not isinstance(years, int) or not 1 <= years <= 10:
        raise DomainError("延长年限应为 1 到 10 年", field="years")
    before = state(cluster)
    cluster.valid_until = date(cluster.valid_until.year + years, 12, 31)
    cluster.status = ClusterStatus.RECOGNIZED
    cluster.save(update_fields=["valid_until", "status"])
    _event(cluster, actor, EventKind.EXTENDED, before=before, after=state(cluster),
           comment=comment or f"有效期延长 {years} 年，至{cluster.valid_until:%Y年%m月%d日}", action="registry.extended",
           request=request)
    return cluster


@transaction.atomic
def revoke(*, cluster: Cluster, reason: str, actor, request=None) -> Cluster:
    """Revoke a recognition (failed or missed re-review, an unfiled change, a negative-list event).
    A reason is required. Side effects: ``ClusterEvent`` (revoked) and ``registry.revoked``."""
    cluster = Cluster.objects.select_for_update().select_related("org").get(pk=cluster.pk)
    _require_province_admin(actor, cluster, "撤销集群认定")
    reason = _text(reason, "reason", "撤销原因")
    if cluster.status == ClusterStatus.REVOKED:
        raise Conflict("该集群的认定已撤销", field="cluster")
    before = state(cluster)
    cluster.status = ClusterStatus.REVOKED
    cluster.save(update_fields=["status"])
    _event(cluster, actor, EventKind.REVOKED, before=before, after=state(cluster), comment=reason,
           action="registry.revoked", request=request)
    return cluster


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
    """Recognised entries whose validity ends within ``months`` from ``today``."""
    limit = add_months(today, months)
    return sorted((c for c in clusters if c.status == ClusterStatus.RECOGNIZED and c.valid_until
                   and today <= c.valid_until <= limit), key=lambda c: (c.valid_until, c.org.path, c.name))


def past_validity(clusters, today: date) -> list[Cluster]:
    """Entries still recognised after their validity ended (awaiting re-review or expiry)."""
    return sorted((c for c in clusters if c.status == ClusterStatus.RECOGNIZED and c.valid_until
                   and c.valid_until < today), key=lambda c: (c.valid_until, c.org.path, c.name))
