"""The review chain's state changes, derived from ``workflow.py``.

``allowed`` answers (allowed, reason) for one action; ``available`` lists the buttons a user
sees; ``perform`` is the only way an application changes state in review. The city's lists
(name list, formal recommendation) and the progress overview are here too.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from clusterdesk.applications.models import Application, Status
from clusterdesk.audit.domain import record
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.core.workflow import Button, Verdict
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Org, OrgKind, Role
from clusterdesk.rounds.domain import check_open, closes_at, format_deadline
from clusterdesk.rounds.models import Round, StageCode

from .models import ListKind, RecommendationList, ReviewComment
from .workflow import MACHINES, PROVINCIAL, machine_of

COUNTY_KINDS = {OrgKind.COUNTY, OrgKind.COUNTY_CITY}


def _formal_sent(round_: Round, org_id) -> bool:
    return RecommendationList.objects.filter(round=round_, org_id=org_id, kind=ListKind.FORMAL).exists()


def allowed(actor, application: Application, action: str, now=None) -> Verdict:
    """May ``actor`` take ``action`` on ``application`` now? A ``Verdict`` from the track's table."""
    return machine_of(action).check(actor, application, action, now)


def available(actor, application: Application) -> list[Button]:
    """The single-application actions of both tracks' current states that the actor's role
    could take, each with its verdict (a disabled button says why)."""
    return [b for m in MACHINES for b in m.buttons(actor, application)]


def who_last(application: Application) -> str:
    event = (AuditEvent.objects.filter(object_type="applications.application", object_id=str(application.pk),
                                       action__startswith="review.").order_by("-at", "-id").first())
    if event is None:
        return ""
    return f"（由 {event.org_name} {event.actor_username} 于 {timezone.localtime(event.at):%m-%d %H:%M} 处理）"


def perform(*, actor, application: Application, action: str, inputs: dict | None = None,
            expected_state_version: int | None = None, require_version: bool = False,
            request=None) -> Application:
    """Take one workflow action of either track (``workflow.PROVINCIAL`` / ``workflow.NATIONAL``).

    Refusals: 403 for the wrong role or unit, 409 for the wrong state, a closed stage, or a page
    acting on an older ``state_version`` (two reviewers at once, a double click; the API
    requires it: ``require_version``); nothing is half-done. Side effects, as the table
    declares them: ``review.<action>`` audit event with the status before and after and the
    inputs; a ``ReviewComment`` when there is a comment; the other track or the registry moved
    where the row says so; the units that must act notified.
    """
    return machine_of(action).perform(actor=actor, obj=application, action=action, inputs=inputs,
                                      expected_version=expected_state_version, require_version=require_version,
                                      request=request)


# Single-application actions the province may take on several applications at once, one note for all.
BATCH_ACTIONS = ("province_pass",)


def batch_perform(*, actor, action: str, items: list[tuple[int, int | None]], inputs: dict | None = None,
                  request=None) -> list[Application]:
    """Take ``action`` on several applications, all or nothing (``core.batch``): each one
    through the engine's ``perform`` with the ``state_version`` the page showed (``items`` are
    ``(application id, state_version)``), the same inputs (one note) for all. An application
    outside the actor's scope, out of turn or changed meanwhile refuses the whole batch, named.

    Side effects: those of ``perform`` for each application (one audit event each,
    notifications after the commit)."""
    from clusterdesk.core.batch import all_or_nothing

    if action not in BATCH_ACTIONS:
        raise DomainError("该操作不能批量办理，请逐个办理", field="action")
    label = machine_of(action).get(action).label
    ids = [pk for pk, _ in items]
    found = {a.pk: a for a in Application.objects.visible_to(actor).filter(pk__in=ids)}

    def do(item):
        pk, version = item
        application = found.get(pk)
        if application is None:
            raise DomainError("申报不存在或不在您的权限范围内", status=404)
        return perform(actor=actor, application=application, action=action, inputs=inputs,
                       expected_state_version=version, require_version=True, request=request)

    def describe(item):
        a = found.get(item[0])
        return f"{a.number} {a.name or '（未命名）'}" if a else f"申报 #{item[0]}"

    return all_or_nothing(items, do, describe, what=label, field="applications")


# --- the city's lists ----------------------------------------------------------------------

def city_applications(round_: Round, org: Org):
    """Applications a recommending unit reviews in a round (its own scope)."""
    return Application.objects.filter(round=round_, org__recommender=org)


def quota_problems(round_: Round, applications: list[Application]) -> list[str]:
    """Why a city's list breaks the round's rules, each naming the rule; empty when fine."""
    problems = []
    if round_.city_quota is not None and len(applications) > round_.city_quota:
        problems.append(f"超出本市推荐名额（{round_.city_quota}个），当前拟推荐 {len(applications)} 个")
    if round_.city_quota_needs_county and applications and not any(a.org.kind in COUNTY_KINDS for a in applications):
        problems.append("推荐名单中至少应有一个位于县或县级市（不含市辖区）的集群")
    if round_.one_per_niche:
        from clusterdesk.applications.models import Section

        niches = {s.application_id: (s.data.get("niche") or "").strip()
                  for s in Section.objects.filter(application__in=applications, key="basic")}
        seen: dict[str, str] = {}
        for app in applications:
            niche = niches.get(app.pk, "")
            if niche and niche in seen:
                problems.append(f"同一细分领域只能推荐一个：“{niche}”有 {seen[niche]} 和 {app.name}")
            seen.setdefault(niche, app.name)
    return problems


def _entries(applications: list[Application]) -> list[dict]:
    return [{"id": a.pk, "number": a.number, "name": a.name, "org": a.org.name, "org_code": a.org.code,
             "national": a.national_flag} for a in applications]


@transaction.atomic
def submit_name_list(*, actor, round_: Round, request=None) -> RecommendationList:
    """Stage 1: send the city's recommended applications to the province as its name list.

    Checked against the quota rules when sent; sending again before the deadline replaces
    the list. Side effects: ``review.name_list_submitted`` audit event, the province notified.
    """
    if not actor.is_authenticated or actor.role != Role.CITY_REVIEWER or not actor.org.recommends_to_province:
        raise NotAllowed("只有市州审核人员可以报送推荐名单")
    now = timezone.now()
    check_open(round_, StageCode.NAME_LIST, actor.org, now)
    if _formal_sent(round_, actor.org_id):
        raise Conflict("本单位已正式推荐，推荐名单不能再修改")
    apps = list(city_applications(round_, actor.org).select_for_update().filter(status=Status.RECOMMENDED)
                .select_related("org").order_by("number"))
    if not apps:
        raise DomainError("推荐名单为空：请先在待审列表中把拟推荐的申报“推荐为省级”")
    problems = quota_problems(round_, apps)
    if problems:
        raise Conflict("推荐名单不符合本批次规则：" + "；".join(problems))
    lst, _ = RecommendationList.objects.update_or_create(
        round=round_, org=actor.org, kind=ListKind.NAME_LIST,
        defaults={"entries": _entries(apps), "submitted_by": actor, "submitted_at": now, "received_at": None,
                  "deadline_at_submission": closes_at(round_, StageCode.NAME_LIST, actor.org)},
    )
    record(action="review.name_list_submitted", actor=actor, obj=lst, object_repr=f"{actor.org.name}推荐名单",
           after={"entries": lst.entries}, request=request)
    _notify_province(round_, f"{actor.org.name}报送了推荐名单", f"共 {len(apps)} 个集群。")
    return lst


def list_changes(name_list_entries: list[dict], applications: list[Application]) -> dict:
    """How a final list differs from the name list: {"added": [entry…], "dropped": [entry…]}."""
    listed = {e["id"] for e in name_list_entries}
    final = {a.pk for a in applications}
    return {"added": _entries([a for a in applications if a.pk not in listed]),
            "dropped": [e for e in name_list_entries if e["id"] not in final]}


def _names(entries: list[dict]) -> str:
    return "、".join(e.get("name") or e.get("number") or str(e["id"]) for e in entries)


def describe_changes(changes: dict) -> str:
    """“新增：…；撤下：…” for messages and pages (empty when the lists are the same)."""
    parts = []
    if changes.get("added"):
        parts.append(f"新增 {len(changes['added'])} 个：{_names(changes['added'])}")
    if changes.get("dropped"):
        parts.append(f"撤下 {len(changes['dropped'])} 个：{_names(changes['dropped'])}")
    return "；".join(parts)


@transaction.atomic
def submit_formal(*, actor, round_: Round, letter, confirm_final: bool, change_reason: str = "",
                  request=None) -> RecommendationList:
    """Stage 2: the formal recommendation — the letter uploaded, the list confirmed as final.

    The final list is the city's recommended applications now. It may differ from the name
    list (the city keeps reviewing and returning until the formal deadline): then
    ``change_reason`` is required, and the differences and the reason are stored on the list.
    The listed applications go to the province's initial review (status ``formal``).
    Side effects: ``review.formal_submitted`` audit event (with the changes), the province notified.
    """
    from clusterdesk.applications.evidence import check_upload
    from clusterdesk.core.files import store_upload

    if not actor.is_authenticated or actor.role != Role.CITY_REVIEWER or not actor.org.recommends_to_province:
        raise NotAllowed("只有市州审核人员可以正式推荐")
    now = timezone.now()
    check_open(round_, StageCode.FORMAL_SUBMISSION, actor.org, now)
    if _formal_sent(round_, actor.org_id):
        raise Conflict("本单位已正式推荐，不能重复报送")
    name_list = RecommendationList.objects.filter(round=round_, org=actor.org, kind=ListKind.NAME_LIST).first()
    if name_list is None:
        raise Conflict("请先报送推荐名单（阶段一），再正式推荐")
    if not confirm_final:
        raise DomainError("请勾选“确认名单中的申报为最终版本”", field="confirm_final")
    if letter is None:
        raise DomainError("请上传推荐文件（盖章的推荐函，PDF、OFD 或图片）", field="letter")
    apps = list(city_applications(round_, actor.org).select_for_update().filter(status=Status.RECOMMENDED)
                .select_related("org").order_by("number"))
    if not apps:
        raise DomainError("没有拟推荐的申报，无法正式推荐")
    changes = list_changes(name_list.entries, apps)
    reason = (change_reason or "").strip() if isinstance(change_reason, str) else ""
    if (changes["added"] or changes["dropped"]) and not reason:
        raise DomainError(
            f"正式推荐名单与已报送的推荐名单不一致（{describe_changes(changes)}），"
            "请在“名单变更说明”中说明变更原因后再报送", field="change_reason")
    if len(reason) > 2000:
        raise DomainError("名单变更说明不能超过 2000 字，请精简", field="change_reason")
    problems = quota_problems(round_, apps)
    if problems:
        raise Conflict("推荐名单不符合本批次规则：" + "；".join(problems))
    kind, name = check_upload(letter, ["pdf", "ofd", "jpg", "png", "docx"], field="letter", what="推荐文件",
                              allowed_text="PDF、OFD、图片或 Word 文件", fix_extension=True)
    stored, size, sha, crc = store_upload(letter, f"letters/{round_.pk}/{actor.org.code}", kind, name)
    stored_changes = changes if (changes["added"] or changes["dropped"]) else {}
    lst = RecommendationList.objects.create(
        round=round_, org=actor.org, kind=ListKind.FORMAL, entries=_entries(apps), submitted_by=actor,
        submitted_at=now, letter_name=name, letter_stored=stored, letter_kind=kind,
        letter_size=size, letter_sha256=sha, letter_crc32=crc, confirmed_final=True,
        deadline_at_submission=closes_at(round_, StageCode.FORMAL_SUBMISSION, actor.org),
        changes=stored_changes, change_reason=reason,
    )
    after = {"entries": lst.entries, "letter": name, "sha256": sha}
    if stored_changes:
        after.update({"changes": stored_changes, "change_reason": reason})
    record(action="review.formal_submitted", actor=actor, obj=lst, object_repr=f"{actor.org.name}正式推荐",
           after=after, comment=reason, request=request)
    for app in apps:
        PROVINCIAL.move(actor=actor, obj=app, action="submit_formal", request=request, check=False,
                        extra={"list": lst.pk})
    body = f"共 {len(apps)} 个集群，推荐文件：{name}。"
    if stored_changes:
        body += f"与推荐名单相比：{describe_changes(stored_changes)}。变更说明：{reason}"
    _notify_province(round_, f"{actor.org.name}已正式推荐", body)
    return lst


@transaction.atomic
def receive_list(*, actor, lst: RecommendationList, request=None) -> RecommendationList:
    """The province acknowledges a city's list. Side effects: ``review.list_received``."""
    if not roles.is_province_admin(actor, lst.round.province_id):
        raise NotAllowed("只有省厅管理员可以确认收到")
    if lst.received_at is None:
        lst.received_at = timezone.now()
        lst.save(update_fields=["received_at"])
        record(action="review.list_received", actor=actor, obj=lst, object_repr=f"{lst.org.name}{lst.get_kind_display()}",
               request=request)
    return lst


def receive_lists(*, actor, round_: Round, list_ids: list[int], request=None) -> list[RecommendationList]:
    """The province acknowledges several cities' lists at once, all or nothing (``core.batch``):
    a list of another round, or one confirmed meanwhile, refuses the batch, named.
    Side effects: ``review.list_received`` for each list."""
    from clusterdesk.core.batch import all_or_nothing

    found = {lst.pk: lst for lst in RecommendationList.objects.filter(round=round_, pk__in=list_ids)
             .select_related("round", "org")}

    def do(pk):
        lst = found.get(pk)
        if lst is None:
            raise DomainError("名单不存在或不属于本批次", status=404)
        lst = RecommendationList.objects.select_for_update().select_related("round", "org").get(pk=pk)
        if lst.received_at is not None:
            raise Conflict(f"已于{timezone.localtime(lst.received_at):%Y-%m-%d %H:%M}确认收到，无需再次确认")
        return receive_list(actor=actor, lst=lst, request=request)

    def describe(pk):
        lst = found.get(pk)
        return f"{lst.org.name}{lst.get_kind_display()}" if lst else f"名单 #{pk}"

    return all_or_nothing(list(dict.fromkeys(list_ids)), do, describe, what="确认收到", field="lists")


def _notify_province(round_: Round, title: str, body: str) -> None:
    from clusterdesk.notifications.domain import notify_province

    notify_province(round_=round_, kind="review.list", title=title, body=body)


# --- progress and history ------------------------------------------------------------------

def round_progress(round_: Round, now=None) -> list[dict]:
    """Every recommending unit's counts by status and its list deadlines (a fixed number of queries).

    A list sent is judged against the deadline in force when it was sent (stored on the list),
    not against a deadline moved afterwards; a list not sent against the deadline in force now.
    """
    from clusterdesk.rounds.domain import resolve_many

    now = now or timezone.now()
    units = list(Org.objects.filter(recommends_to_province=True, path__startswith=round_.province.path).order_by("path"))
    counts = {}
    for row in (Application.objects.filter(round=round_).values("org__recommender_id", "status")
                .annotate(n=Count("pk"))):
        counts.setdefault(row["org__recommender_id"], {})[row["status"]] = row["n"]
    lists = {(lst.org_id, lst.kind): lst for lst in RecommendationList.objects.filter(round=round_)}
    codes = ((StageCode.NAME_LIST, ListKind.NAME_LIST), (StageCode.FORMAL_SUBMISSION, ListKind.FORMAL))
    resolved = {code: resolve_many(round_, code, units) for code, _ in codes}
    result = []
    for unit in units:
        by_status = counts.get(unit.pk, {})
        row = {"org": unit, "counts": by_status, "total": sum(by_status.values()), "stages": {}}
        for code, kind in codes:
            deadline, extended = resolved[code][unit.pk]
            lst = lists.get((unit.pk, kind))
            if lst is not None:
                judged = lst.deadline_at_submission
                state = "done" if judged is None or lst.submitted_at <= judged else "late"
            elif deadline is not None and now > deadline:
                state = "missed"
            else:
                state = "open"
            row["stages"][code] = {"deadline": deadline, "list": lst, "state": state, "extended": extended,
                                   "deadline_at_submission": lst.deadline_at_submission if lst else None}
        result.append(row)
    return result


LIST_EVENTS = ("review.name_list_submitted", "review.formal_submitted", "review.list_received")
LIST_OBJECT = RecommendationList._meta.label_lower
APPLICATION_OBJECT = Application._meta.label_lower
# Shown to province-level viewers only: who scored what (architecture.md), and the on-site spot
# checks, whose records and files only the province may see (``province.can_view``).
CONFIDENTIAL_PREFIXES = ("expert.", "review.spot_check")
# Parts of a national selection's event that derive from the expert scores (province-level only).
SCORE_DERIVED = ("reason", "score")


def event_label(action: str) -> str:
    """The timeline's label of an audit action: the transition's label when the action is a
    step of a workflow table (``core.workflow.machine_for_audit``), else the vocabulary's."""
    from clusterdesk.audit.vocabulary import ACTIONS
    from clusterdesk.core.workflow import machine_for_audit

    found = machine_for_audit(action)
    return found[1].label if found else ACTIONS.get(action, action)


def sees_confidential(user) -> bool:
    """Province-level accounts (administrator, leader, system administrator of a province) see
    every event; other viewers do not see the expert review's or the spot checks' events."""
    return roles.is_province_staff(user)


def _own_entries(event: AuditEvent, application_id: int) -> list[dict]:
    entries = (event.after or {}).get("entries") or []
    return [e for e in entries if isinstance(e, dict) and e.get("id") == application_id]


def timeline(application: Application, viewer=None) -> list[AuditEvent]:
    """Every step that concerned the application, oldest first (two queries).

    The application's own events, plus the events of its recommending unit's lists in its
    round (``RecommendationList``): each sending of the name list or the formal recommendation
    whose entries held the application, and the province's receipt of a list whose latest
    sending held it. Round-level events (publicity started, national list chosen or sent) are
    already on each application through its own per-application event.

    Each event gets ``label`` (the transition's label where the action is a workflow step, else
    the vocabulary's), ``kind`` ("application" | "list") and ``subject`` (what the event was
    on: the list's name for a list event, "" otherwise); a list event's ``after["entries"]`` keeps
    only this application's entry (with ``entries_total``), as the others are other units'.
    ``viewer``: who reads; the expert review's and the spot checks' events are left out unless
    the viewer is province-level (``sees_confidential``), except an expert's own ``expert.scored``
    events for that expert; every viewer gets one "专家评审已完成" line once every assigned
    expert has submitted (issue 13 §1). ``viewer=None`` is for the system itself (everything).
    """
    from django.db.models import Q

    list_ids = [str(pk) for pk in RecommendationList.objects.filter(
        round_id=application.round_id, org_id=application.org.recommender_id).values_list("pk", flat=True)]
    query = Q(object_type=APPLICATION_OBJECT, object_id=str(application.pk))
    if list_ids:
        query |= Q(object_type=LIST_OBJECT, object_id__in=list_ids, action__in=LIST_EVENTS)
    events = AuditEvent.objects.filter(query)
    if viewer is not None and not sees_confidential(viewer):
        hidden = Q()
        for prefix in CONFIDENTIAL_PREFIXES:
            hidden |= Q(action__startswith=prefix)
        if getattr(viewer, "role", None) == Role.EXPERT:
            hidden &= ~Q(action="expert.scored", actor_id=viewer.pk)  # an expert's own scores
        events = events.exclude(hidden)
    province_level = viewer is None or sees_confidential(viewer)
    result, on_list = [], {}
    completed = None
    if viewer is not None:
        from clusterdesk.experts import service as experts

        completed = experts.review_completed_at(application.pk)
    for e in events.order_by("at", "id"):
        if completed is not None and e.at > completed:
            result.append(_review_completed(completed))
            completed = None
        if e.object_type == LIST_OBJECT:
            if e.action == "review.list_received":
                if not on_list.get(e.object_id):
                    continue
            else:
                own = _own_entries(e, application.pk)
                on_list[e.object_id] = bool(own)
                if not own:
                    continue
                # The list's other entries are other units' applications: only this one's is shown.
                e.after = {**e.after, "entries": own, "entries_total": len(e.after.get("entries") or [])}
            e.kind, e.subject = "list", e.object_repr
        else:
            e.kind, e.subject = "application", ""
            if not province_level and e.action == "review.national_selected" and isinstance(e.after, dict):
                # The reason for ranking against the expert scores tells how the experts scored.
                e.after = {k: v for k, v in e.after.items() if k not in SCORE_DERIVED}
        e.label = event_label(e.action)
        result.append(e)
    if completed is not None:
        result.append(_review_completed(completed))
    return group_autosaves(result)


AUTOSAVE = "application.section_saved"
RESUBMISSIONS = ("application.submitted", "application.resubmitted")


def group_autosaves(events: list) -> list:
    """Consecutive autosaves by one user become one line, "填报 17 次，最后 13:32" (issue 15 §7):
    the last save's event, its ``after`` replaced by ``{"saves": n, "first_at": …, "last_at": …}``
    (the fields each save changed stay in the audit log). A lone save keeps its own line. A
    submission's comment is its 修改说明 (``comment_label``)."""
    out: list = []
    run: list = []

    def flush():
        if len(run) > 1:
            last = run[-1]
            last.label = f"填报 {len(run)} 次，最后 {timezone.localtime(last.at):%H:%M}"
            last.before = None
            last.after = {"saves": len(run), "first_at": run[0].at.isoformat(), "last_at": last.at.isoformat()}
            last.saves = len(run)
            out.append(last)
        else:
            out.extend(run)
        run.clear()

    for e in events:
        e.comment_label = "修改说明" if e.action in RESUBMISSIONS and e.comment else ""
        if e.action == AUTOSAVE and (not run or run[-1].actor_id == e.actor_id):
            run.append(e)
            continue
        flush()
        if e.action == AUTOSAVE:
            run.append(e)
        else:
            out.append(e)
    flush()
    return out


def _review_completed(at) -> AuditEvent:
    """The one line of the expert review every viewer of the timeline sees (not a stored event:
    who reviewed and what they scored stay with the province)."""
    from clusterdesk.experts.service import REVIEW_COMPLETED_LABEL

    event = AuditEvent(at=at, action="expert.review_completed")
    event.kind, event.subject, event.label = "application", "", REVIEW_COMPLETED_LABEL
    return event


def inbox(actor, round_: Round | None = None):
    """What a recommending unit has to act on: its applications not in draft."""
    qs = (Application.objects.visible_to(actor).exclude(status__in=[Status.DRAFT])
          .select_related("org", "round"))
    if round_ is not None:
        qs = qs.filter(round=round_)
    return qs.order_by("status", "number")


def counts_by_status(queryset, field: str = "status") -> dict[str, int]:
    """Counts per state of one track (``status`` or ``national_status``): one query."""
    return {row[field]: row["n"] for row in queryset.values(field).annotate(n=Count("pk")).order_by()}

