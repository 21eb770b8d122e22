"""What every part of the registry's domain (and its machines, ``registry/workflow.py``)
shares: constants, permissions, the entry's facts as JSON (``state``), its history
(``_history``: a ``ClusterEvent``; ``_event``: the same with its audit event) and the
notifications. Imports nothing of the rest of the package, so the machines can import it."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Org, Role
from clusterdesk.rounds.models import SHANGHAI, end_of_day

from ..models import ChangeKind, Cluster, ClusterEvent

VALIDITY_YEARS = 3
MAX_TEXT = 5000
NOT_FOUND = "集群不存在或不在您的权限范围内"

# The entry's field each kind of change filing changes, and its name in messages.
CHANGE_FIELDS = {
    ChangeKind.LEADING_INDUSTRY: "leading_industry_code",
    ChangeKind.SPATIAL_SCOPE: "covered_org_codes",
    ChangeKind.OPERATING_BODY: "operating_body",
}
CHANGE_LABELS = {
    "leading_industry_code": "主导产业",
    "covered_org_codes": "涉及的其他县级单位（空间范围）",
    "operating_body": "运营主体",
}


# --- small helpers ---------------------------------------------------------------------------

def today_local(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(SHANGHAI).date()


def validity(batch_year: int) -> tuple[date, date]:
    """(valid_from, valid_until) of a batch: 1 Jan of the next year to 31 Dec three years on."""
    return date(batch_year + 1, 1, 1), date(batch_year + VALIDITY_YEARS, 12, 31)


def province_of(org: Org) -> Org | None:
    code = org.path.strip("/").split("/")[0] if org.path else ""
    return Org.objects.filter(code=code).first()


# The one set of role predicates (``orgs/roles.py``), re-exported for the registry's callers.
is_province_staff = roles.is_province_staff
is_province_admin = roles.is_province_admin


def _require_province_admin(actor, cluster: Cluster | None, doing: str) -> None:
    """``actor`` None is the system (management commands, the recognition hooks' callers)."""
    if actor is None:
        return
    if not is_province_admin(actor):
        raise NotAllowed(f"只有省厅管理员可以{doing}")
    if cluster is not None and not cluster.org.path.startswith(actor.org.path):
        raise NotAllowed(f"该集群不属于本省，不能{doing}")


def visible(actor, cluster: Cluster) -> bool:
    return Cluster.objects.visible_to(actor).filter(pk=cluster.pk).exists()


def _require_visible(actor, cluster: Cluster) -> None:
    if not visible(actor, cluster):
        raise DomainError(NOT_FOUND, status=404)


def _require_county(actor, cluster: Cluster, doing: str) -> None:
    """The county applicant of the cluster's unit (or of a unit above it in the same chain)."""
    _require_visible(actor, cluster)
    if actor.role != Role.COUNTY_APPLICANT:
        raise NotAllowed(f"只有集群所在县级单位的申报账号可以{doing}")


def _text(value, field: str, label: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    if required and not text:
        raise DomainError(f"请填写{label}", field=field)
    if len(text) > limit:
        raise DomainError(f"{label}不能超过 {limit} 个字（现为 {len(text)} 个字）", field=field)
    return text


def state(cluster: Cluster) -> dict:
    """The entry's registered facts as JSON, for the history's before/after."""
    return {
        "name": cluster.name,
        "org": cluster.org.code if cluster.org_id else None,
        "level": cluster.level,
        "status": cluster.status,
        "batch_year": cluster.batch_year,
        "valid_from": cluster.valid_from.isoformat() if cluster.valid_from else None,
        "valid_until": cluster.valid_until.isoformat() if cluster.valid_until else None,
        "leading_industry_code": cluster.leading_industry_code,
        "operating_body": cluster.operating_body,
        "covered_org_codes": list(cluster.covered_org_codes or []),
    }


def is_late(due_on: date, moment: datetime) -> bool:
    """After 23:59:59 (Beijing time) of ``due_on``."""
    return moment > end_of_day(due_on)


def _history(cluster: Cluster, actor, kind: str, *, before=None, after=None, comment: str = "",
             at=None) -> ClusterEvent:
    """One line of the entry's history (a machine's step writes its own audit event)."""
    return ClusterEvent.objects.create(
        cluster=cluster, actor=actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False)
        else None, kind=kind, before=before, after=after, comment=comment, at=at or timezone.now(),
    )


def _event(cluster: Cluster, actor, kind: str, *, before=None, after=None, comment: str = "",
           action: str, request=None, at=None, audit_extra: dict | None = None) -> ClusterEvent:
    """One line of the entry's history and its audit event (with ``audit_extra`` added to "after")."""
    event = _history(cluster, actor, kind, before=before, after=after, comment=comment, at=at)
    audit_after = {**(after or {}), **audit_extra} if audit_extra else after
    record(action=action, actor=actor, obj=cluster, before=before, after=audit_after, comment=comment,
           request=request)
    return event


def _notify(users, kind: str, title: str, body: str, url: str = "") -> None:
    from clusterdesk.notifications.domain import notify_users

    notify_users(users=users, kind=kind, title=title, body=body, url=url)


def _url(name: str, *args) -> str:
    from clusterdesk.notifications.domain import safe_reverse

    return safe_reverse(name, args=list(args) or None)


def _county_users(cluster: Cluster):
    from clusterdesk.notifications.domain import county_accounts

    return county_accounts(cluster.org)


def _city_users(cluster: Cluster):
    from clusterdesk.notifications.domain import city_accounts

    return city_accounts(cluster.org.recommender_id) if cluster.org.recommender_id else []


def _province_users(cluster: Cluster):
    from clusterdesk.notifications.domain import province_accounts

    province = province_of(cluster.org)
    return province_accounts(province.pk) if province else []
