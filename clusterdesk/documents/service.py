"""The documents app's public face for other apps and management commands."""

from .models import ACTIVE_STATUSES, PackageJob
from .package import INTERRUPTED, expire_interrupted, fail_job

__all__ = ["fail_interrupted_jobs", "RESTORED"]

RESTORED = "从备份恢复时该材料包仍在生成中，后台任务已中断，请重新生成"


def fail_interrupted_jobs(*, reason: str = "worker") -> int:
    """Release package jobs whose worker is gone; returns how many were failed.

    ``reason="worker"`` (a worker starting): every running job whose heartbeat is stale or whose
    process on this machine has ended. ``reason="restored"`` (after ``manage.py restore``): every
    queued or running job, since the worker that held it belongs to the installation the backup
    came from.
    """
    if reason == "restored":
        return sum(fail_job(job, RESTORED) for job in
                   PackageJob.objects.filter(status__in=ACTIVE_STATUSES).select_related("org"))
    return expire_interrupted(PackageJob.objects.all())

