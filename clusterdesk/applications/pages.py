"""What the application's pages show, built once for every page that shows an application: the
form and read-only view (``page_context``), the return's notes by field (``return_notes``) and the
criteria report (``report_context``). Views of this app and of others (the expert's scoring page,
through ``applications.service``) build on these; nothing here renders or redirects."""

from clusterdesk.catalog.models import Industry, SubCluster
from clusterdesk.core.errors import DomainError
from clusterdesk.core.numbers import query_int
from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgLevel
from clusterdesk.rounds.domain import closes_at

from . import domain, rules
from .computed import compute_for_round, growth_formula, percent
from .home import countdown
from .models import Application, SectionKey, Status
from .validation import ASPECT_TITLES, INDICATOR_FIELDS, QUALIFICATIONS


def narratives(data: dict) -> list[dict]:
    """The aspect 1 and 2 narratives (``form_extra``) with their titles and hints, for the pages."""
    from .form_extra import NARRATIVES

    return [{"field": key, "number": number, "title": title, "hint": hint, "text": data.get(key) or ""}
            for key, (number, title, hint) in NARRATIVES.items()]



def page_context(application: Application, user) -> dict:
    """Everything the form and the read-only view need, in a bounded number of queries."""
    sections = list(application.sections.all())
    data = domain.load_data(application, sections)
    ready = domain.readiness(application, data)
    figures = compute_for_round(data.get("indicators") or [], application.round)
    by_year = {r["year"]: r for r in data.get("indicators") or []}
    years = [application.round.base_year, *application.round.window_years]
    shares = {f.year: f for f in figures.years}
    indicator_rows = [
        {
            "year": y, "optional": y == application.round.base_year, "values": by_year.get(y, {}),
            "sme_share": percent(shares[y].sme_share) if y in shares else "",
            "leading_share": percent(shares[y].leading_share) if y in shares else "",
        }
        for y in years
    ]
    industries = {i.code: i for i in Industry.objects.all()}
    subclusters = list(SubCluster.objects.all())
    neighbours = [
        o for o in Org.objects.filter(recommender_id=application.org.recommender_id).exclude(pk=application.org_id)
        if KIND_LEVEL[o.kind] == OrgLevel.COUNTY
    ]
    editable, reason = rules.can_edit(user, application)
    return {
        "registry_notice": domain.registry_notice(application, data),
        "application": application,
        "data": data,
        "versions": domain.section_versions(application, sections),
        "ready": ready,
        "figures": figures,
        "growth": percent(figures.growth),
        "growth_formula": growth_formula(application.round),
        "indicator_rows": indicator_rows,
        "indicator_fields": INDICATOR_FIELDS,
        "industries": industries.values(),
        "industry": industries.get(data.get("leading_industry_code") or ""),
        "subclusters": subclusters,
        "neighbours": neighbours,
        "qualifications": QUALIFICATIONS,
        "aspect_titles": {k: v for k, v in ASPECT_TITLES.items() if int(k) >= 3},
        "narratives": narratives(data),
        "sections": SectionKey.choices,
        "editable": editable,
        "not_editable_reason": reason,
        "deadline": domain.deadline_text(application),
        "countdown": countdown(closes_at(application.round, domain.editing_stage(application), application.org)),
        **return_notes(application, data),
    }


RETURN_ACTIONS = ("city_return", "province_return")


def return_notes(application: Application, data: dict) -> dict:
    """The comment of the return being answered (a returned application only): the general note
    for the banner, and its per-field notes both listed and by the edit form's ``data-input``."""
    from . import field_paths

    if application.status != Status.RETURNED:
        return {"comments": [], "return_notes": [], "field_notes": {}}
    comment = application.review_comments.filter(action__in=RETURN_ACTIONS).first()
    if comment is None:
        return {"comments": [], "return_notes": [], "field_notes": {}}
    found = field_paths.notes(comment.field_comments, data, application.round.checklist.all())
    by_anchor: dict[str, list] = {}
    for note in found:
        if note.anchor:
            by_anchor.setdefault(note.anchor, []).append(note)
    return {"comments": [comment], "return_notes": found, "field_notes": by_anchor}



def _bar(result: dict) -> dict | None:
    """Where the actual value and the threshold sit on a 0..max scale, in percent of the width."""
    actual, threshold = result.get("actual_number"), result.get("threshold_number")
    if actual is None or threshold is None:
        return None
    top = max(actual, threshold, 0) * 1.25 or 1
    return {"actual": max(min(actual / top * 100, 100), 0), "threshold": threshold / top * 100}


def report_context(request, application: Application, data: dict | None = None) -> dict:
    """The criteria report of ``application`` against the set version asked for (default:
    the first set the round names, at the version the round pins)."""
    from clusterdesk.criteria.domain import can_judge, evaluate_application, round_sets
    from clusterdesk.criteria.models import CriteriaSet

    pinned = dict(round_sets(application.round))
    code = request.GET.get("criteria") or next(iter(pinned), None)
    version = request.GET.get("version")
    version = query_int(version) or pinned.get(code)
    context = {"application": application, "report": None, "pinned": pinned,
               "choices": CriteriaSet.objects.order_by("code", "version").values("code", "version", "status", "placeholder", "name")}
    if code is None:
        return context
    try:
        report = evaluate_application(application, code=code, version=version, data=data).as_dict()
    except DomainError as exc:
        context["error"] = exc.message
        return context
    for result in report["results"]:
        result["bar"] = _bar(result)
    context.update({
        "report": report, "code": code, "version": report["criteria_set"]["version"],
        "is_pinned": pinned.get(code) == report["criteria_set"]["version"],
        "can_judge": can_judge(request.user, application)[0],
    })
    return context
