"""Home page panel for the province: each round in preparation or open, with its next deadline.

Also the countdown wording the round pages share ("还剩 N 天" / "今天截止" / "已截止").
"""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from clusterdesk.core.home import Item, Panel, panel_provider
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Role

from .domain import format_deadline
from .models import SHANGHAI, STAGE_ORDER, Round, RoundStatus

PANEL_ROLES = roles.PROVINCE_STAFF_ROLES


def countdown(moment: datetime | None, now: datetime | None = None) -> tuple[str, str]:
    """Short countdown to ``moment`` counted in Beijing calendar days, and a tone for the display."""
    if moment is None:
        return "未设置", ""
    now = now or timezone.now()
    if now > moment:
        return "已截止", "danger"
    days = (moment.astimezone(SHANGHAI).date() - now.astimezone(SHANGHAI).date()).days
    if days <= 0:
        return "今天截止", "danger"
    return f"还剩 {days} 天", "warn" if days <= 3 else "ok"


def stage_rows(round_: Round, extensions: dict | None = None, now: datetime | None = None) -> list[dict]:
    """The round's stages in procedure order, each with its deadline and countdown.

    ``extensions`` maps a stage code to the caller's own extended closing time, if any.
    """
    order = {code: i for i, code in enumerate(STAGE_ORDER)}
    rows = []
    for stage in sorted(round_.stages.all(), key=lambda s: order.get(s.code, 99)):
        moment = (extensions or {}).get(stage.code) or stage.closes_at
        text, tone = countdown(moment, now)
        rows.append({
            "code": stage.code, "label": stage.get_code_display(), "deadline": stage.deadline,
            "closes_at": moment, "closes_at_text": format_deadline(moment),
            "extended": stage.code in (extensions or {}), "countdown": text, "tone": tone, "past": text == "已截止",
        })
    return rows


def next_deadline(rows: list[dict]) -> dict | None:
    return next((r for r in rows if not r["past"]), None)


@panel_provider
def rounds_panel(user):
    if user.role not in PANEL_ROLES:
        return []
    rounds = (
        Round.objects.visible_to(user)
        .filter(status__in=[RoundStatus.DRAFT, RoundStatus.OPEN])
        .prefetch_related("stages")
    )
    panels = []
    for round_ in rounds:
        url = reverse("round_detail", args=[round_.pk])
        rows = stage_rows(round_)
        upcoming = next_deadline(rows)
        items = [Item("状态", round_.get_status_display(), url, "" if round_.status == RoundStatus.OPEN else "warn")]
        if upcoming:
            tone = upcoming["tone"] if upcoming["tone"] in ("danger", "warn") else ""
            items.append(Item(f"下一截止：{upcoming['label']}", upcoming["countdown"], url, tone))
            items.append(Item("截止时间", upcoming["closes_at_text"], url))
        elif rows:
            items.append(Item("各阶段均已截止", "", url, "warn"))
        else:
            items.append(Item("尚未设置阶段截止日期", "", url, "warn"))
        panels.append(Panel(round_.name, items, order=20))
    if not panels:
        empty = "当前没有筹备中或进行中的申报批次。"
        items = []
        if roles.is_province_manager(user):
            items = [Item("新建申报批次", "", reverse("round_create"))]
        panels.append(Panel("申报批次", items, empty=empty, order=20))
    return panels


@panel_provider
def county_deadline_panel(user):
    """A recommending unit: the deadline of its counties (stage 0), which it sets itself."""
    if user.role != Role.CITY_REVIEWER or user.org is None or not user.org.recommends_to_province:
        return []
    from .domain import closes_at
    from .models import StageCode, UnitDeadline

    panels = []
    for round_ in Round.objects.visible_to(user).filter(status=RoundStatus.OPEN):
        url = reverse("county_deadlines", args=[round_.pk])
        own = UnitDeadline.objects.filter(round=round_, org=user.org, stage_code=StageCode.COUNTY_SUBMISSION).first()
        moment = own.closes_at if own else closes_at(round_, StageCode.COUNTY_SUBMISSION, None)
        text, tone = countdown(moment)
        items = [
            Item("县级申报截止", f"{format_deadline(moment)}（{text}）" if moment else "未设置", url,
                 tone if tone in ("danger", "warn") else ""),
            Item("设置截止时间、为所辖县批准延期", "" if own else "尚未设置，按省厅默认", url, "" if own else "warn"),
        ]
        panels.append(Panel(f"{round_.name} · 县级申报", items, order=12))
    return panels
