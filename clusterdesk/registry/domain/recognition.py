"""Recognition enters a cluster in the registry or updates its one entry (the review chain
calls ``on_recognized`` / ``on_national_recognized`` through ``registry.service``).

One registry entry per cluster: the entry of a recognised application is the one of the same
application, else ``existing_entry`` — the same county-level unit and the same leading industry
code or the same niche (细分领域), among entries not revoked (recognised, expired, in the pool) —,
else (as before) a pool entry of the same unit and name. So MIIT's national recognition raises
the provincial entry, a provincial recognition never lowers a national entry in force (it only
adds a line to its history), and a later round's recognition of the same cluster renews its entry.
"""

from __future__ import annotations

from datetime import date as Date

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When

from clusterdesk.core.errors import DomainError

from .. import workflow
from ..models import Cluster, ClusterStatus, EventKind, Level
from .common import _event, _require_province_admin, state, validity


# --- recognition creates entries ----------------------------------------------------------------

def _application_facts(application) -> dict:
    """Name, leading industry, niche, operating body, covered units and plan targets as submitted."""
    from clusterdesk.applications.domain import load_data

    version = None
    if application.current_version:
        version = application.versions.filter(number=application.current_version).first()
    data = version.data if version is not None else load_data(application)
    return {
        "name": (data.get("name") or application.name or application.number)[:100],
        "leading_industry_code": data.get("leading_industry_code") or "",
        "niche": (data.get("niche") or "").strip(),
        "operating_body": (data.get("operating_body") or "")[:200],
        "covered_org_codes": list(data.get("covered_org_codes") or []),
        "plan_targets": list(data.get("plan_targets") or []),
    }


LEVEL_RANK = {Level.POOL: 0, Level.PROVINCIAL: 1, Level.NATIONAL: 2}


def existing_entry(org, leading_industry_code: str = "", niche: str = "", *, name: str = "",
                   exclude_application=None, lock: bool = False) -> Cluster | None:
    """The registry entry of the same cluster, or None. One query.

    Same county-level unit ``org``; not revoked (``CLUSTER`` group "in_registry": recognised,
    expired, pool); and the same leading industry code, or the same niche (the basic section of
    the entry's application), or — when ``name`` is given — the same name. Empty values match
    nothing. Several matches: recognised before expired before pool, national before
    provincial, then the latest batch. ``exclude_application``: leave out that application's entry.
    """
    from clusterdesk.applications.models import Section, SectionKey

    match = Q()
    code = (leading_industry_code or "").strip().upper()
    if code:
        match |= Q(leading_industry_code=code)
    niche = (niche or "").strip()
    if niche:
        # Only the basic sections of this unit's entries' applications: reading the niche out of
        # every application's JSON grew with the data (a full scan on each application page).
        match |= Q(application__in=Section.objects.filter(
            key=SectionKey.BASIC, application__registry_entries__org=org, data__niche=niche).values("application_id"))
    if name:
        match |= Q(name=name)
    if not match:
        return None
    entries = Cluster.objects.filter(match, org=org, status__in=workflow.CLUSTER.group("in_registry"))
    if exclude_application is not None:
        entries = entries.exclude(application=exclude_application)
    if lock:
        entries = entries.select_for_update()
    return (entries.select_related("org").annotate(
        _status_rank=Case(When(status=ClusterStatus.RECOGNIZED, then=Value(0)),
                          When(status=ClusterStatus.EXPIRED, then=Value(1)), default=Value(2),
                          output_field=IntegerField()),
        _level_rank=Case(When(level=Level.NATIONAL, then=Value(0)), When(level=Level.PROVINCIAL, then=Value(1)),
                         default=Value(2), output_field=IntegerField()),
    ).order_by("_status_rank", "_level_rank", "-batch_year", "-pk").first())


def entry_summary(cluster: Cluster) -> str:
    """"省级，有效期至2027年12月31日" / "国家级，已于2025年12月31日到期" / "培育库": how a warning names an entry."""
    level = cluster.get_level_display()
    if cluster.status == ClusterStatus.POOL:
        return "培育库"
    if cluster.status == ClusterStatus.EXPIRED:
        return f"{level}，已于{cluster.valid_until:%Y年%m月%d日}到期" if cluster.valid_until else f"{level}，已到期"
    return f"{level}，有效期至{cluster.valid_until:%Y年%m月%d日}" if cluster.valid_until else level


def later_round_notice(application, leading_industry_code: str, niche: str) -> str:
    """The warning for an application of a cluster already in the registry (its own entry left
    out), or "": recognising it will update that entry, not add one."""
    entry = existing_entry(application.org, leading_industry_code, niche, exclude_application=application)
    if entry is None:
        return ""
    text = (f"名录中已有{application.org.name}的“{entry.name}”（{entry_summary(entry)}）："
            "本次认定后将更新该记录，不会新增一条")
    if entry.level == Level.NATIONAL and workflow.CLUSTER.in_group("valid", entry.status):
        text += "；省级认定不会改变其国家级登记"
    return text


def _document(document_number: str, document_date) -> dict:
    """MIIT's announcement, as given: {"document_number", "document_date"} (empty ones left out)."""
    number = (document_number or "").strip()
    if len(number) > 100:
        raise DomainError("工信部认定文号不能超过 100 个字", field="document_number")
    if isinstance(document_date, Date):
        day = document_date.isoformat()
    else:
        day = (document_date or "").strip() if isinstance(document_date, str) else ""
        if day:
            try:
                day = Date.fromisoformat(day).isoformat()
            except ValueError:
                raise DomainError(f"工信部认定日期“{day}”格式不对，请按“2026-07-15”的格式填写", field="date") from None
    return {k: v for k, v in (("document_number", number), ("document_date", day)) if v}


def _document_text(document: dict) -> str:
    parts = []
    if document.get("document_number"):
        parts.append(f"工信部文号：{document['document_number']}")
    if document.get("document_date"):
        parts.append(f"认定日期：{document['document_date']}")
    return "；".join(parts)


@transaction.atomic
def register_from_application(*, application, level: str, batch_year: int, actor, request=None,
                              document_number: str = "", document_date="") -> Cluster:
    """Enter a recognised application in the registry, or update the cluster's one entry.

    ``level``: ``provincial`` (the province's recognition) or ``national`` (MIIT's). Validity
    from 1 Jan ``batch_year``+1 to 31 Dec ``batch_year``+3. The entry is found as the module
    docstring says; none found: a new entry. Found: the ``CLUSTER`` machine's ``recognize``
    step (pool → recognised, provincial → national, expired or earlier batch → renewed), with
    the application's facts. Never lowers a national entry in force: a provincial recognition
    of it adds a history line only (once per application). The same recognition twice changes
    nothing. ``document_number`` / ``document_date`` (MIIT's announcement) go into the history
    line's comment and "after". Side effects: ``ClusterEvent`` (registered / level_changed) and
    ``registry.registered``.
    """
    if level not in (Level.NATIONAL, Level.PROVINCIAL):
        raise DomainError("认定级别应为国家级或省级", field="level")
    document = _document(document_number, document_date)
    facts = _application_facts(application)
    niche = facts.pop("niche")
    cluster = (Cluster.objects.select_for_update().select_related("org").filter(application=application).first()
               or existing_entry(application.org, facts["leading_industry_code"], niche, name=facts["name"],
                                 lock=True))
    _require_province_admin(actor, cluster, "登记集群名录")
    valid_from, valid_until = validity(batch_year)
    values = {
        **facts, "level": level, "batch_year": batch_year, "valid_from": valid_from, "valid_until": valid_until,
        "application": application,
    }
    label = Level(level).label
    source = "；".join(filter(None, [f"来源申报 {application.number}", _document_text(document)]))
    if cluster is None:
        cluster = Cluster.objects.create(org=application.org, status=ClusterStatus.RECOGNIZED, **values)
        _event(cluster, actor, EventKind.REGISTERED, after={**state(cluster), **document},
               comment=f"认定为{label}集群；{source}", action="registry.registered", request=request)
        return cluster
    in_force = workflow.CLUSTER.in_group("valid", cluster.status)
    if in_force and LEVEL_RANK[cluster.level] > LEVEL_RANK[Level(level)]:
        _record_lower_recognition(cluster, application, level, batch_year, actor, source, request)
        return cluster
    if in_force and cluster.level == level and (cluster.batch_year or 0) >= batch_year:
        return cluster  # the same recognition twice (or an older one) changes nothing
    workflow.take(workflow.CLUSTER, actor=actor, obj=cluster, action="recognize", request=request,
                  extra={"values": values, "source": source, "application": application.number, **document})
    return cluster


def _record_lower_recognition(cluster, application, level, batch_year, actor, source, request) -> None:
    """A provincial recognition of a national entry in force: one history line, nothing changed."""
    if cluster.events.filter(kind=EventKind.REGISTERED, after__application=application.number,
                             after__recognized_level=level).exists():
        return
    until = f"，有效期至{cluster.valid_until:%Y年%m月%d日}" if cluster.valid_until else ""
    after = {"application": application.number, "recognized_level": level, "recognized_batch_year": batch_year}
    _event(cluster, actor, EventKind.REGISTERED, after=after,
           comment=f"{batch_year}年认定为{Level(level).label}集群；名录中本集群已是{cluster.get_level_display()}集群"
                   f"（认定有效{until}），级别和有效期不变，未新增记录；{source}",
           action="registry.registered", request=request)


def on_recognized(application, actor) -> Cluster:
    """The province recognised ``application`` (publicity finalised): a provincial entry, or the
    cluster's entry updated."""
    return register_from_application(application=application, level=Level.PROVINCIAL,
                                     batch_year=application.round.year, actor=actor)


def on_national_recognized(application, actor, document_number: str = "", date: str = "") -> Cluster:
    """MIIT recognised ``application`` as national: the cluster's entry raised to national (or a
    national entry). ``document_number`` and ``date`` (ISO) of MIIT's announcement are recorded
    in the history line when given."""
    return register_from_application(application=application, level=Level.NATIONAL,
                                     batch_year=application.round.year, actor=actor,
                                     document_number=document_number, document_date=date)
