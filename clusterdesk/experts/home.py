"""Home page panel for experts: what is waiting to be scored, and until when."""

from django.urls import reverse

from clusterdesk.core.home import Item, Panel, panel_provider
from clusterdesk.orgs.models import Role
from clusterdesk.rounds.domain import format_deadline
from clusterdesk.rounds.home import countdown


@panel_provider
def expert_panel(user):
    if user.role != Role.EXPERT:
        return []
    from .domain import scoring_closes_at_many
    from .scoping import assignments_for

    url = reverse("expert_assignments")
    by_round: dict = {}
    for a in assignments_for(user).select_related("application__round"):
        entry = by_round.setdefault(a.application.round_id, {"round": a.application.round, "open": 0, "done": 0})
        entry["done" if a.submitted else "open"] += 1
    panels = []
    closing = scoring_closes_at_many(entry["round"] for entry in by_round.values())
    for entry in by_round.values():
        moment = closing[entry["round"].pk]
        text, tone = countdown(moment)
        items = [Item("待评分", f"{entry['open']} 项", url, "warn" if entry["open"] else ""),
                 Item("已提交", f"{entry['done']} 项", url, "ok" if entry["done"] else "")]
        if moment is not None:
            items.append(Item("评审截止", f"{text}（{format_deadline(moment)}）", url,
                              tone if tone in ("warn", "danger") else ""))
        panels.append(Panel(f"专家评审：{entry['round'].name}", items, order=10))
    if not panels:
        panels.append(Panel("专家评审", [Item("申报回避单位", "", reverse("expert_conflicts"))],
                            empty="当前没有分配给您的评审任务。省厅分配后将在此显示。", order=10))
    return panels


# --- the to-do list (core/todo.py) ---------------------------------------------------------------

from clusterdesk.core.todo import Todo, todo_provider  # noqa: E402


@todo_provider
def expert_todos(user):
    if user.role != Role.EXPERT:
        return []
    from .scoping import assignments_for

    open_ = assignments_for(user).filter(submitted_at__isnull=True).count()
    return [Todo("score", "待评分的申报", open_, reverse("expert_assignments"), 10)]
