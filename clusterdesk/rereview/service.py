"""The re-review's public face for other apps (reminders, the home page, the registry): import
from here, never from ``rereview.domain``, its workflow or its views."""

from .models import RereviewStatus, RereviewTask

__all__ = ["RereviewStatus", "RereviewTask", "drafts_to_remind", "has_tasks", "pending_cluster_ids"]


def drafts_to_remind(round_):
    """Tasks of ``round_`` the county has not yet submitted before the deadline (drafts), with
    their unit and cluster: the deadline reminders' targets. A task the city returned is not
    held to the deadline, so it is not reminded of it."""
    return RereviewTask.objects.filter(round=round_, status=RereviewStatus.DRAFT).select_related("org", "cluster")


def pending_cluster_ids(today) -> list[int]:
    """Clusters under re-review (held from expiry by the registry)."""
    from .domain import pending_cluster_ids as ids

    return ids(today)


def has_tasks(user) -> bool:
    """Whether any re-review task lies in the user's scope (the top bar's 复核 entry)."""
    return RereviewTask.objects.visible_to(user).exists()
