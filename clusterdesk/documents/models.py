"""Records of the documents app: background jobs that prepare the electronic package (电子材料包).

A prepared package is a private folder (``core/files.py``) under ``packages/`` holding its
generated documents and member list (``documents/package.py``: ``prepare``); the ZIP is
assembled from it and the stored evidence when downloaded. The job row is its only record: who
asked, how far the job is, and the ZIP's size and file count once done.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from clusterdesk.orgs.models import Org
from clusterdesk.rounds.models import Round


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class PackageJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A package is its unit's: the recommending unit's city reviewer, or the administrator of
        the round's province (who sees every unit's). Others: 404."""
        from clusterdesk.orgs import roles

        if roles.is_province_admin(user):
            return self.filter(round__province_id=user.org_id)
        if roles.is_city_reviewer(user) and user.org.recommends_to_province:
            return self.filter(org_id=user.org_id)
        return self.none()


class PackageJob(models.Model):
    """One build of the electronic package of ``org`` in ``round``.

    ``org`` is a recommending unit (its formal recommendation) or the province (its national
    list). At most one job per round and unit is queued or running at a time (a constraint),
    so a second request reuses it. ``folder`` is the prepared package's folder, relative to
    ``PRIVATE_MEDIA_ROOT``, set only when it is complete; it is cleared (and the folder removed)
    when a newer package of the same unit replaces it.
    """

    round = models.ForeignKey(Round, verbose_name="申报批次", on_delete=models.PROTECT, related_name="package_jobs")
    org = models.ForeignKey(Org, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    total_bytes = models.BigIntegerField("计划大小（字节）", default=0)
    done_bytes = models.BigIntegerField("已处理（字节）", default=0)
    file_count = models.PositiveIntegerField("文件数", default=0)
    error = models.TextField("失败原因", blank=True)
    folder = models.CharField("材料包目录", max_length=255, blank=True)
    size = models.BigIntegerField("ZIP 大小（字节）", default=0)
    # manifest.csv lists every other file with its SHA-256: its own hash fingerprints the package.
    manifest_sha256 = models.CharField("清单（manifest.csv）SHA-256", max_length=64, blank=True)
    created_at = models.DateTimeField("请求时间", auto_now_add=True)
    # Touched by every progress update: a running job that stops moving is stale (see package_jobs).
    updated_at = models.DateTimeField(auto_now=True)
    # The lease of a running job: the worker process running it (host and pid) and its last sign
    # of life, written with the progress (at least every ``tasks.HEARTBEAT_EVERY`` seconds). A
    # running job whose heartbeat is stale or whose process is gone is failed (``package.expire_interrupted``).
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = PackageJobQuerySet.as_manager()

    class Meta:
        verbose_name = "电子材料包"
        verbose_name_plural = "电子材料包"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "org"], condition=Q(status__in=["queued", "running"]),
                name="one_active_package_job",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org.name} {self.round.year} 材料包 #{self.pk}"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES
