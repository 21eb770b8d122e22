"""Recognition enters a cluster in the registry or raises its one entry (the review chain
calls ``on_recognized`` / ``on_national_recognized`` through ``registry.service``)."""

from __future__ import annotations

from django.db import transaction

from clusterdesk.core.errors import DomainError

from ..models import Cluster, ClusterStatus, EventKind, Level
from .common import _event, _require_province_admin, state, validity


# --- recognition creates entries ----------------------------------------------------------------

def _application_facts(application) -> dict:
    """Name, leading industry, operating body, covered units and plan targets as submitted."""
    from clusterdesk.applications.domain import load_data

    version = None
    if application.current_version:
        version = application.versions.filter(number=application.current_version).first()
    data = version.data if version is not None else load_data(application)
    return {
        "name": (data.get("name") or application.name or application.number)[:100],
        "leading_industry_code": data.get("leading_industry_code") or "",
        "operating_body": (data.get("operating_body") or "")[:200],
        "covered_org_codes": list(data.get("covered_org_codes") or []),
        "plan_targets": list(data.get("plan_targets") or []),
    }


LEVEL_RANK = {Level.POOL: 0, Level.PROVINCIAL: 1, Level.NATIONAL: 2}


@transaction.atomic
def register_from_application(*, application, level: str, batch_year: int, actor, request=None) -> Cluster:
    """Enter a recognised application in the registry (or raise its entry's level).

    ``level``: ``provincial`` (the province's recognition) or ``national`` (MIIT's). Validity
    from 1 Jan ``batch_year``+1 to 31 Dec ``batch_year``+3. An entry of the same application is
    updated (provincial → national); a cultivation-pool entry of the same unit and name is
    promoted; otherwise a new entry. Calling again with the same level changes nothing.
    Side effects: ``ClusterEvent`` (registered / level_changed) and ``registry.registered``.
    """
    if level not in (Level.NATIONAL, Level.PROVINCIAL):
        raise DomainError("认定级别应为国家级或省级", field="level")
    facts = _application_facts(application)
    cluster = (Cluster.objects.select_for_update().select_related("org").filter(application=application).first()
               or Cluster.objects.select_for_update().select_related("org").filter(
                   org=application.org, name=facts["name"], status=ClusterStatus.POOL, application__isnull=True).first())
    _require_province_admin(actor, cluster, "登记集群名录")
    valid_from, valid_until = validity(batch_year)
    values = {
        **facts, "level": level, "batch_year": batch_year, "valid_from": valid_from, "valid_until": valid_until,
        "status": ClusterStatus.RECOGNIZED, "application": application,
    }
    source = f"来源申报 {application.number}"
    if cluster is None:
        cluster = Cluster.objects.create(org=application.org, **values)
        _event(cluster, actor, EventKind.REGISTERED, after=state(cluster), comment=f"认定为{Level(level).label}集群；{source}",
               action="registry.registered", request=request)
        return cluster
    if LEVEL_RANK[cluster.level] > LEVEL_RANK[Level(level)] or (
            cluster.level == level and cluster.batch_year == batch_year and cluster.status == ClusterStatus.RECOGNIZED):
        return cluster  # never lowers the level; the same recognition twice changes nothing
    before = state(cluster)
    was_pool = cluster.level == Level.POOL
    for name, value in values.items():
        if name == "plan_targets" and not value and cluster.plan_targets:
            continue
        setattr(cluster, name, value)
    cluster.save()
    kind = EventKind.REGISTERED if was_pool else EventKind.LEVEL_CHANGED
    comment = (f"培育库集群认定为{Level(level).label}集群；{source}" if was_pool
               else f"{Level(before['level']).label}集群认定为{Level(level).label}集群；{source}")
    _event(cluster, actor, kind, before=before, after=state(cluster), comment=comment, action="registry.registered",
           request=request)
    return cluster


def on_recognized(application, actor) -> Cluster:
    """The province recognised ``application`` (publicity finalised): a provincial entry."""
    return register_from_application(application=application, level=Level.PROVINCIAL,
                                     batch_year=application.round.year, actor=actor)


def on_national_recognized(application, actor, document_number: str = "", date: str = "") -> Cluster:
    """MIIT recognised ``application`` as national: a national entry (or the provincial one raised).
    ``document_number`` and ``date`` (ISO) of MIIT's announcement are recorded when given."""
    return register_from_application(application=application, level=Level.NATIONAL,
                                     batch_year=application.round.year, actor=actor)
