"""Home page panel for the province: per open round, the cities' lists received and awaited,
the applications waiting for the initial review, publicity batches due for recognition.

A fixed number of queries per open round, whatever the number of applications.
"""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from clusterdesk.applications.models import Application, Status
from clusterdesk.core.home import Item, Panel, panel_provider
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Org
from clusterdesk.rounds.models import Round, RoundStatus

from .models import ListKind, PublicityBatch, RecommendationList


@panel_provider
def province_review_panel(user):
    if not (roles.is_province_admin(user) or (roles.is_leader(user) and roles.at_province(user))):
        return []
    rounds = list(Round.objects.filter(province=user.org, status=RoundStatus.OPEN))
    if not rounds:
        return []
    units = Org.objects.filter(recommends_to_province=True, path__startswith=user.org.path).count()
    panels = []
    for round_ in rounds:
        url = reverse("province_overview", args=[round_.pk])
        lists = {
            row["kind"]: row for row in RecommendationList.objects.filter(round=round_).values("kind").annotate(
                sent=Count("pk"), received=Count("pk", filter=Q(received_at__isnull=False)))
        }
        items = []
        for kind, label in ((ListKind.NAME_LIST, "推荐名单"), (ListKind.FORMAL, "正式推荐")):
            row = lists.get(kind, {"sent": 0, "received": 0})
            items.append(Item(f"{label}：已报送 / 应报送单位", f"{row['sent']} / {units}", url))
            waiting = row["sent"] - row["received"]
            if waiting:
                items.append(Item(f"{label}：待确认收到", str(waiting), url, "warn"))
        awaiting = Application.objects.filter(round=round_, status=Status.FORMAL).count()
        items.append(Item("待省厅初审的申报", str(awaiting), url, "warn" if awaiting else ""))
        due = PublicityBatch.objects.filter(round=round_, finalized_at__isnull=True,
                                            ends_on__lt=timezone.localdate()).count()
        if due:
            items.append(Item("公示期满待认定的批次", str(due), reverse("publicity", args=[round_.pk]), "warn"))
        panels.append(Panel(f"{round_.name} · 省厅审核", items, order=25))
    return panels


# --- the to-do list (core/todo.py) ---------------------------------------------------------------

from clusterdesk.core.todo import Todo, todo_provider  # noqa: E402


@todo_provider
def review_todos(user):
    """A city: applications submitted to it and lists still to send (open rounds). The province:
    applications awaiting the initial review and cities' lists awaiting receipt."""
    if roles.is_city_reviewer(user):
        mine = Application.objects.filter(org__recommender=user.org_id, round__status=RoundStatus.OPEN)
        waiting = mine.filter(status=Status.SUBMITTED).count()
        # A recommended application is on no list the province has yet: its formal list is to send.
        to_send = mine.filter(status=Status.RECOMMENDED).values("round_id").distinct().count()
        return [Todo("review", "待审核的申报（市州）", waiting, reverse("review_inbox"), 10),
                Todo("send", "待报送的推荐名单（批次）", to_send, reverse("review_inbox"), 40)]
    if roles.is_province_admin(user):
        rounds = Round.objects.filter(province=user.org, status=RoundStatus.OPEN)
        waiting = Application.objects.filter(round__in=rounds, status=Status.FORMAL).count()
        to_receive = RecommendationList.objects.filter(round__in=rounds, received_at__isnull=True).count()
        return [Todo("review", "待省厅初审的申报", waiting, reverse("application_list") + "?status=formal", 10),
                Todo("receive", "待确认收到的市州名单", to_receive, reverse("review_inbox"), 45)]
    return []
