"""Deadline reminders: three days before a unit's deadline and on the day, to those who have
not yet acted. ``manage.py send_reminders`` runs this every hour (``scripts/run.sh``).

Days are Beijing calendar days: the "3 days" reminder belongs to the days 1–3 before the
deadline date (it goes on the first run in that window — normally the third day before —
so a round opened late or an extension granted late still gets one), the "on the day"
reminder to the deadline date itself until the deadline passes. Nothing is sent after the
deadline. Each reminder is logged in ``ReminderLog`` under a key naming the round, stage,
unit (or expert), the deadline date and which reminder, so running again sends nothing
new, and a unit whose deadline is extended is reminded of its new deadline.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from clusterdesk.applications.models import Application, Status
from clusterdesk.orgs.models import Org
from clusterdesk.reviews.service import PROVINCIAL
from clusterdesk.rounds.domain import closes_at, format_deadline
from clusterdesk.rounds.models import SHANGHAI, Round, RoundStatus, StageCode

from .domain import city_accounts, county_accounts, notify_users, safe_reverse
from .models import ReminderLog


REMIND_DAYS = 3
STAGES = (StageCode.COUNTY_SUBMISSION, StageCode.NAME_LIST, StageCode.FORMAL_SUBMISSION, StageCode.EXPERT_REVIEW,
          StageCode.REREVIEW_SUBMISSION)


@dataclass
class Target:
    """Someone who has to act before a deadline."""

    round: Round
    stage: str
    who: str  # part of the log key: "county:<org id>", "city:<org id>", "expert:<user id>"
    users: list
    deadline: datetime
    action: str  # what to do, Chinese: "提交申报"
    url: str = ""
    detail: str = ""


def which_reminder(deadline: datetime, now: datetime) -> tuple[str, int] | None:
    """("3d", days left) in the 1–3 days before the deadline date, ("0d", 0) on the day, else None."""
    if deadline is None or now > deadline:
        return None
    days = (deadline.astimezone(SHANGHAI).date() - now.astimezone(SHANGHAI).date()).days
    if days == 0:
        return "0d", 0
    if 1 <= days <= REMIND_DAYS:
        return "3d", days
    return None


def send_deadline_reminders(now: datetime | None = None) -> int:
    """Send the reminders due now; returns how many reminders (unit or expert, not accounts) went out."""
    now = now or timezone.now()
    sent = 0
    for round_ in Round.objects.filter(status=RoundStatus.OPEN).select_related("province").order_by("pk"):
        stages = set(round_.stages.values_list("code", flat=True))
        for target in _targets(round_, stages):
            sent += _remind(target, now)
    return sent


def _targets(round_: Round, stages: set[str]):
    from clusterdesk.applications.domain import editing_stage

    # Counties: applications still to be submitted (drafts; returned ones by the stage governing resubmission).
    pending: dict[tuple[int, str], list[Application]] = {}
    orgs: dict[int, Org] = {}
    for app in (Application.objects.filter(round=round_, status__in=PROVINCIAL.group("editable"))
                .select_related("org").order_by("number")):
        stage = editing_stage(app)
        if stage not in stages:
            continue
        pending.setdefault((app.org_id, stage, app.status == Status.RETURNED), []).append(app)
        orgs[app.org_id] = app.org
    for (org_id, stage, returned), apps in pending.items():
        org = orgs[org_id]
        deadline = closes_at(round_, stage, org)
        if deadline is None:
            continue
        names = "、".join(f"{a.name or '（未命名）'}（{a.number}）" for a in apps)
        url = (safe_reverse("application_detail", args=[apps[0].pk]) if len(apps) == 1
               else safe_reverse("application_list"))
        who = f"county:{org_id}:returned" if returned else f"county:{org_id}"  # one reminder of each kind
        yield Target(round_, stage, who, list(county_accounts(org)), deadline,
                     "修改并重新提交申报" if returned else "提交申报", url,
                     f"尚未提交的申报：{names}。")

    from clusterdesk.reviews.models import ListKind, RecommendationList

    lists = set(RecommendationList.objects.filter(round=round_).values_list("org_id", "kind"))
    city_url = safe_reverse("city_lists", args=[round_.pk])

    # Recommending units with applications waiting to go on the name list.
    if StageCode.NAME_LIST in stages:
        unit_ids = set(Application.objects.filter(round=round_, status__in=PROVINCIAL.group("city_reviewable"))
                       .values_list("org__recommender_id", flat=True))
        for unit in Org.objects.filter(pk__in=unit_ids - {None}).order_by("path"):
            if (unit.pk, ListKind.NAME_LIST) in lists:
                continue
            deadline = closes_at(round_, StageCode.NAME_LIST, unit)
            yield Target(round_, StageCode.NAME_LIST, f"city:{unit.pk}", list(city_accounts(unit.pk)), deadline,
                         "审核申报并报送推荐名单", city_url)

    # Units with a name list and no formal recommendation yet.
    if StageCode.FORMAL_SUBMISSION in stages:
        named = {org_id for org_id, kind in lists if kind == ListKind.NAME_LIST}
        formal = {org_id for org_id, kind in lists if kind == ListKind.FORMAL}
        for unit in Org.objects.filter(pk__in=named - formal).order_by("path"):
            deadline = closes_at(round_, StageCode.FORMAL_SUBMISSION, unit)
            yield Target(round_, StageCode.FORMAL_SUBMISSION, f"city:{unit.pk}", list(city_accounts(unit.pk)),
                         deadline, "上传推荐文件并正式推荐", city_url)

    if StageCode.EXPERT_REVIEW in stages:
        yield from _expert_targets(round_)

    if StageCode.REREVIEW_SUBMISSION in stages:
        yield from _rereview_targets(round_)


def _rereview_targets(round_: Round):
    """Counties whose re-review (复核) task in the round is still a draft."""
    from django.urls import reverse

    from clusterdesk.rereview.service import drafts_to_remind

    for task in drafts_to_remind(round_):
        deadline = closes_at(round_, StageCode.REREVIEW_SUBMISSION, task.org)
        yield Target(round_, StageCode.REREVIEW_SUBMISSION, f"rereview:{task.pk}", list(county_accounts(task.org)),
                     deadline, f"填写并提交“{task.cluster.name}”的复核申报", reverse("rereview_task", args=[task.pk]))


def _expert_targets(round_: Round):
    """Experts with an assignment in the round not yet submitted."""
    from clusterdesk.experts.models import ExpertAssignment

    rows = list(ExpertAssignment.objects.filter(application__round=round_, submitted_at__isnull=True)
                .select_related("expert").order_by("expert_id"))
    deadline = closes_at(round_, StageCode.EXPERT_REVIEW, None)
    by_expert: dict[int, list] = {}
    for row in rows:
        by_expert.setdefault(row.expert_id, []).append(row)
    for expert_id, assignments in by_expert.items():
        expert = assignments[0].expert
        url = safe_reverse("expert_assignments") or safe_reverse("home")
        yield Target(round_, StageCode.EXPERT_REVIEW, f"expert:{expert_id}", [expert], deadline,
                     "完成评审并提交评审意见", url, f"尚未提交的评审：{len(assignments)} 份。")


def _remind(target: Target, now: datetime) -> int:
    due = which_reminder(target.deadline, now)
    if due is None or not target.users:
        return 0
    which, days = due
    local_deadline = target.deadline.astimezone(SHANGHAI)
    key = f"{target.round.pk}:{target.stage}:{target.who}:{local_deadline:%Y%m%d}:{which}"
    label = StageCode(target.stage).label
    when = format_deadline(target.deadline)
    if which == "0d":
        title = f"今天是“{label}”的截止日"
        body = f"{target.round.name}：今天是“{label}”的截止日（{when}），请在截止前{target.action}，逾期不予受理。"
    else:
        title = f"距“{label}”截止还有 {days} 天"
        body = f"{target.round.name}：距“{label}”截止还有 {days} 天（{when}），请尽快{target.action}。"
    if target.detail:
        body = f"{body}\n{target.detail}"
    try:
        with transaction.atomic():
            _, created = ReminderLog.objects.get_or_create(key=key)
            if not created:
                return 0
            notify_users(users=target.users, kind=f"reminder.{target.stage}", title=title, body=body, url=target.url)
    except IntegrityError:  # another run logged it at the same moment
        return 0
    return 1
