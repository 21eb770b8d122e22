"""Home page panels: a county's applications and deadlines."""

from django.urls import reverse
from django.utils import timezone

from clusterdesk.core.home import Item, Panel, panel_provider
from clusterdesk.orgs.models import Role
from clusterdesk.rounds.domain import closes_at, format_deadline
from clusterdesk.rounds.models import Round, RoundStatus, StageCode

from .models import Application


def countdown(moment) -> tuple[str, str]:
    """Days left until ``moment``, and a tone for the display."""
    if moment is None:
        return "未设置截止时间", ""
    left = moment - timezone.now()
    if left.total_seconds() < 0:
        return f"已截止（{format_deadline(moment)}）", "danger"
    days = left.days
    if days == 0:
        return f"今天截止（{format_deadline(moment)}）", "danger"
    return f"还剩 {days} 天（{format_deadline(moment)}）", "warn" if days <= 3 else ""


@panel_provider
def county_panel(user):
    if user.role != Role.COUNTY_APPLICANT:
        return []
    rounds = Round.objects.visible_to(user).filter(status=RoundStatus.OPEN)
    panels = []
    for round_ in rounds:
        text, tone = countdown(closes_at(round_, StageCode.COUNTY_SUBMISSION, user.org))
        items = [Item("申报截止", text, "", tone)]
        apps = Application.objects.visible_to(user).filter(round=round_)
        for app in apps:
            items.append(Item(app.name or "（未命名的申报）", app.get_status_display(), reverse("application_detail", args=[app.pk])))
        if not apps:
            items.append(Item("尚未新建申报", "去新建", reverse("application_list"), "warn"))
        panels.append(Panel(round_.name, items, order=10))
    if not panels:
        panels.append(Panel("申报", [], empty="当前没有开放的申报批次。省厅发布申报通知后将在此显示。", order=10))
    return panels


@panel_provider
def city_panel(user):
    """A recommending unit: what waits for its review, and its list deadlines."""
    if user.role != Role.CITY_REVIEWER:
        return []
    from clusterdesk.applications.models import Status

    panels = []
    for round_ in Round.objects.visible_to(user).filter(status=RoundStatus.OPEN):
        apps = Application.objects.filter(round=round_, org__recommender=user.org)
        waiting = apps.filter(status=Status.SUBMITTED).count()
        recommended = apps.filter(status=Status.RECOMMENDED).count()
        inbox = reverse("review_inbox") + f"?round={round_.pk}"
        name_list, tone = countdown(closes_at(round_, StageCode.NAME_LIST, user.org))
        formal, tone2 = countdown(closes_at(round_, StageCode.FORMAL_SUBMISSION, user.org))
        panels.append(Panel(round_.name, [
            Item("待审核的申报", str(waiting), inbox, "warn" if waiting else ""),
            Item("拟推荐", f"{recommended}" + (f" / {round_.city_quota}" if round_.city_quota else ""),
                 reverse("city_lists", args=[round_.pk])),
            Item("推荐名单截止", name_list, "", tone),
            Item("正式推荐截止", formal, "", tone2),
        ], order=10))
    return panels


# --- the to-do list (core/todo.py) ---------------------------------------------------------------

from clusterdesk.core.todo import Todo, todo_provider  # noqa: E402


@todo_provider
def county_todos(user):
    """A county: its applications returned for changes (by the city or the province)."""
    if user.role != Role.COUNTY_APPLICANT:
        return []
    from .models import Status

    returned = Application.objects.visible_to(user).filter(status=Status.RETURNED).count()
    return [Todo("fix", "退回待修改的申报", returned, reverse("application_list") + "?status=returned", 10)]
