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
from clusterdesk.orgs.models import Org, OrgKind, Role
from clusterdesk.rounds.domain import check_open, closes_at, format_deadline
from clusterdesk.rounds.models import Round, StageCode

from .models import ListKind, RecommendationList, ReviewComment
from .workflow import BY_ACTION, TRANSITIONS, Transition

ROLE_LABELS = {Role.CITY_REVIEWER: "市州审核人员", Role.PROVINCE_ADMIN: "省厅管理员"}
COUNTY_KINDS = {OrgKind.COUNTY, OrgKind.COUNTY_CITY}


def _formal_sent(round_: Round, org_id) -> bool:
    return RecommendationList.objects.filter(round=round_, org_id=org_id, kind=ListKind.FORMAL).exists()


def allowed(actor, application: Application, transition: Transition, now=None) -> tuple[bool, str]:
    """May ``actor`` take ``transition`` on ``application`` now? (allowed, Chinese reason)."""
    if not actor.is_authenticated or actor.role not in transition.roles:
        who = "、".join(ROLE_LABELS.get(r, r) for r in transition.roles)
        return False, f"只有{who}可以{transition.label}"
    if transition.actor_unit == "recommender" and actor.org_id != application.org.recommender_id:
        return False, f"只有本申报的推荐单位可以{transition.label}"
    if transition.actor_unit == "province" and (actor.org.kind != OrgKind.PROVINCE or application.round.province_id != actor.org_id):
        return False, f"只有组织本批次的省厅可以{transition.label}"
    if application.status not in transition.sources:
        return False, f"申报当前状态为“{application.get_status_display()}”，不能{transition.label}"
    if transition.actor_unit == "recommender" and _formal_sent(application.round, actor.org_id):
        return False, "本单位已正式推荐，名单已锁定，不能再修改"
    if transition.stage:
        deadline = closes_at(application.round, transition.stage, actor.org)
        if deadline is not None and (now or timezone.now()) > deadline:
            return False, f"本阶段已截止（{format_deadline(deadline)}），逾期不予受理"
    return True, ""


@dataclass
class Button:
    transition: Transition
    allowed: bool
    reason: str


def available(actor, application: Application) -> list[Button]:
    """The actions of the current state that the actor's role could take, each with its answer."""
    buttons = []
    for t in TRANSITIONS:
        if application.status in t.sources and actor.role in t.roles:
            ok, reason = allowed(actor, application, t)
            buttons.append(Button(t, ok, reason))
    return buttons


def _clean_inputs(transition: Transition, inputs: dict) -> dict:
    cleaned = {}
    for spec in transition.inputs:
        value = inputs.get(spec.name)
        if spec.kind == "bool":
            cleaned[spec.name] = value in (True, "1", "true", "on", "yes", "是")
        elif spec.kind == "fields":
            value = value or {}
            if not isinstance(value, dict):
                raise DomainError(f"{spec.label}格式不对：应为“栏目: 意见”的对应关系", field=spec.name)
            cleaned[spec.name] = {str(k): str(v).strip() for k, v in value.items() if str(v).strip()}
        else:
            text = (value or "").strip() if isinstance(value, str) else ""
            if spec.required and not text:
                raise DomainError(f"请填写{spec.label}：{transition.label}必须说明{spec.label}", field=spec.name)
            if len(text) > 5000:
                raise DomainError(f"{spec.label}不能超过 5000 字", field=spec.name)
            cleaned[spec.name] = text
    return cleaned


def _who_last(application: Application) -> str:
    event = (AuditEvent.objects.filter(object_type="applications.application", object_id=str(application.pk),
                                       action__startswith="review.").order_by("-at", "-id").first())
    if event is None:
        return ""
    return f"（由 {event.org_name} {event.actor_username} 于 {timezone.localtime(event.at):%m-%d %H:%M} 处理）"


@transaction.atomic
def perform(*, actor, application: Application, action: str, inputs: dict | None = None,
            expected_state_version: int | None = None, request=None) -> Application:
    """Take one workflow action. Refusals: 403 for the wrong role or unit, 409 for the wrong
    state, a closed stage, or a page acting on an older state (two reviewers at once, a
    double click); nothing is half-done.

    Side effects: ``review.<action>`` audit event with the status before and after and the
    input; a ReviewComment when there is a comment; notifications to those who must act.
    """
    transition = BY_ACTION.get(action)
    if transition is None:
        raise DomainError(f"未知操作：{action}", status=404)
    application = Application.objects.select_for_update().select_related("round", "org").get(pk=application.pk)
    if expected_state_version is not None and int(expected_state_version) != application.state_version:
        raise Conflict(f"该申报已被处理，当前状态为“{application.get_status_display()}”{_who_last(application)}；"
                       "您的操作未执行，请刷新页面后查看")
    ok, reason = allowed(actor, application, transition)
    if not ok:
        if reason.startswith("只有"):
            raise NotAllowed(reason)
        raise Conflict(reason)
    values = _clean_inputs(transition, inputs or {})
    before = {"status": application.status}
    application.status = transition.target
    application.state_version += 1
    update = ["status", "state_version", "updated_at"]
    if action == "city_recommend":
        application.national_flag = values.get("national", False)
        update.append("national_flag")
    if transition.target == Status.RETURNED:
        application.resubmit_stage = transition.stage or ""
        update.append("resubmit_stage")
    application.save(update_fields=update)
    if values.get("comment") or values.get("field_comments"):
        ReviewComment.objects.create(
            application=application, version=application.current_version, action=action, author=actor,
            org_name=actor.org.name, text=values.get("comment", ""), field_comments=values.get("field_comments", {}),
        )
    after = {"status": application.status, **values}
    record(action=f"review.{action}", actor=actor, obj=application, before=before, after=after, request=request,
           comment=values.get("comment", ""))
    _notify(transition, application, actor, values)
    if action == "ministry_recognized":
        from clusterdesk.registry.domain import on_national_recognized  # the registry enters the national cluster
        on_national_recognized(application, actor)
    return application


def _notify(transition: Transition, application: Application, actor, values: dict) -> None:
    try:
        from clusterdesk.notifications.domain import notify_units
    except ImportError:  # notifications not installed
        return
    title = f"{application.name or application.number}：{transition.label}"
    body = values.get("comment") or f"{actor.org.name}已{transition.label}。"
    notify_units(application=application, audiences=transition.notify, kind=f"review.{transition.action}",
                 title=title, body=body)


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
    for app in apps:
        app.status = Status.FORMAL
        app.state_version += 1
    Application.objects.bulk_update(apps, ["status", "state_version"])
    after = {"entries": lst.entries, "letter": name, "sha256": sha}
    if stored_changes:
        after.update({"changes": stored_changes, "change_reason": reason})
    record(action="review.formal_submitted", actor=actor, obj=lst, object_repr=f"{actor.org.name}正式推荐",
           after=after, comment=reason, request=request)
    for app in apps:
        record(action="review.formal_submitted", actor=actor, obj=app, before={"status": Status.RECOMMENDED},
               after={"status": Status.FORMAL}, request=request)
    body = f"共 {len(apps)} 个集群，推荐文件：{name}。"
    if stored_changes:
        body += f"与推荐名单相比：{describe_changes(stored_changes)}。变更说明：{reason}"
    _notify_province(round_, f"{actor.org.name}已正式推荐", body)
    return lst


@transaction.atomic
def receive_list(*, actor, lst: RecommendationList, request=None) -> RecommendationList:
    """The province acknowledges a city's list. Side effects: ``review.list_received``."""
    if actor.role != Role.PROVINCE_ADMIN or lst.round.province_id != actor.org_id:
        raise NotAllowed("只有省厅管理员可以确认收到")
    if lst.received_at is None:
        lst.received_at = timezone.now()
        lst.save(update_fields=["received_at"])
        record(action="review.list_received", actor=actor, obj=lst, object_repr=f"{lst.org.name}{lst.get_kind_display()}",
               request=request)
    return lst


def _notify_province(round_: Round, title: str, body: str) -> None:
    try:
        from clusterdesk.notifications.domain import notify_province
    except ImportError:
        return
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


def timeline(application: Application) -> list[AuditEvent]:
    """Everything that happened to the application, oldest first (one query)."""
    return list(AuditEvent.objects.filter(object_type="applications.application", object_id=str(application.pk))
                .order_by("at", "id"))


def inbox(actor, round_: Round | None = None):
    """What a recommending unit has to act on: its applications not in draft."""
    qs = (Application.objects.visible_to(actor).exclude(status__in=[Status.DRAFT])
          .select_related("org", "round"))
    if round_ is not None:
        qs = qs.filter(round=round_)
    return qs.order_by("status", "number")


def counts_by_status(queryset) -> dict[str, int]:
    return {row["status"]: row["n"] for row in queryset.values("status").annotate(n=Count("pk"))}

