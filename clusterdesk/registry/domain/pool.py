"""A city's cultivation pool (培育库): entries that are not recognised."""

from __future__ import annotations

from django.db import transaction

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgLevel, Role

from ..models import Cluster, ClusterStatus, EventKind, Level
from .common import _event, _text, state
from .recognition import entry_summary, existing_entry


# --- the cultivation pool ---------------------------------------------------------------------

@transaction.atomic
def add_to_pool(*, actor, org: Org, name: str, note: str = "", leading_industry_code: str = "",
                request=None) -> Cluster:
    """A city (recommending unit) puts a cluster of one of its county-level units in its
    cultivation pool (培育库). Not a recognition: level and status are ``pool``. Refused when the
    cluster is already in the registry (``existing_entry``: same unit, same name or same leading
    industry code, not revoked).
    Side effects: ``ClusterEvent`` (pool_added), ``registry.pool_added``.
    """
    from clusterdesk.catalog.models import Industry

    if actor.role != Role.CITY_REVIEWER:
        raise NotAllowed("只有市（州）审核人员可以维护本地的培育库")
    if org is None:
        raise DomainError("请选择集群所在的县级单位", field="org")
    if not Org.objects.visible_to(actor).filter(pk=org.pk).exists():
        raise NotAllowed(f"单位“{org.name}”不在您的管理范围内", field="org")
    if KIND_LEVEL[org.kind] != OrgLevel.COUNTY:
        raise DomainError(f"“{org.name}”不是县级单位，集群应登记在所在的县级单位", field="org")
    name = _text(name, "name", "集群名称", limit=100)
    note = _text(note, "note", "培育说明", required=False)
    code = _text(leading_industry_code, "leading_industry_code", "主导产业代码", required=False, limit=8).upper()
    if code and not Industry.objects.filter(code=code).exists():
        raise DomainError(f"主导产业代码“{code}”不在国民经济行业分类（GB/T 4754-2017）中", field="leading_industry_code")
    existing = existing_entry(org, code, "", name=name)  # one entry per cluster, as for recognition
    if existing is not None:
        field = "name" if existing.name == name else "leading_industry_code"
        raise Conflict(f"“{org.name}”的“{existing.name}”（{entry_summary(existing)}）已登记在名录中，主导产业相同的"
                       "同一集群只登记一条；如确为另一集群，请核对集群名称和主导产业代码" if field != "name"
                       else f"“{org.name}”已有名为“{name}”的集群登记在名录中", field=field)
    cluster = Cluster.objects.create(org=org, name=name, level=Level.POOL, status=ClusterStatus.POOL, note=note,
                                     leading_industry_code=code)
    _event(cluster, actor, EventKind.POOL_ADDED, after=state(cluster), comment=note, action="registry.pool_added",
           request=request)
    return cluster
