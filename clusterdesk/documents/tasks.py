"""The background task that prepares an electronic package (django-tasks; ``manage.py db_worker``)."""

import logging
import os
import socket
import time
import uuid

from django.db.models import F
from django.utils import timezone
from django_tasks import task

from clusterdesk.core.errors import DomainError
from clusterdesk.core.files import delete_private_tree

from .models import JobStatus, PackageJob

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes (and at every whole percent at most once)
HEARTBEAT_EVERY = 5.0  # seconds: a job writes its heartbeat at least this often while bytes go by


def _progress_writer(job_id: int):
    """A ``progress(done, total)`` callback writing the job row at most twice a second."""
    last = {"at": 0.0, "percent": -1}

    def progress(done: int, total: int) -> None:
        percent = min(99, done * 100 // total) if total else 0
        now = time.monotonic()
        if now - last["at"] < PROGRESS_EVERY or (percent == last["percent"] and now - last["at"] < HEARTBEAT_EVERY):
            return
        last.update(at=now, percent=percent)
        at = timezone.now()
        PackageJob.objects.filter(pk=job_id).update(progress=percent, done_bytes=done, total_bytes=total,
                                                    updated_at=at, heartbeat_at=at)

    return progress


def _fail(job: PackageJob, message: str) -> None:
    PackageJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=message, folder="", size=0,
                                                manifest_sha256="", finished_at=timezone.now(),
                                                updated_at=timezone.now())


def _retire_older(job: PackageJob) -> None:
    """A newer package of the same unit replaces the older ones (their folders are removed)."""
    older = PackageJob.objects.filter(round_id=job.round_id, org_id=job.org_id, status=JobStatus.DONE,
                                      created_at__lte=job.created_at).exclude(pk=job.pk).exclude(folder="")
    for old in older:
        delete_private_tree(old.folder)
        PackageJob.objects.filter(pk=old.pk).update(folder="")


@task()
def build_package(job_id: int) -> str:
    """Plan, check and prepare the package of job ``job_id``; the job row records the outcome.

    Success: ``done`` with the prepared folder (``packages/<round>/<unit code>/<job>-<random>``,
    see ``package.prepare``), the ZIP's size, the file count and manifest.csv's SHA-256; older
    packages of the same unit are removed. Any failure: ``failed`` with the Chinese reason (a
    missing or changed stored file is named) and no folder at all (``package.prepare`` removes
    its partial folder). Never raises: the job row is the record.
    """
    from . import package

    now = timezone.now()
    claimed = PackageJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, updated_at=now, heartbeat_at=now, worker_host=socket.gethostname()[:255],
        worker_pid=os.getpid())
    if not claimed:
        return "skipped"
    job = PackageJob.objects.select_related("round", "org").get(pk=job_id)
    relative = f"{package.job_relative_dir(job)}/{job.pk}-{uuid.uuid4().hex[:12]}"
    try:
        entries = package.plan(job.round, job.org)
        package.check(entries)
        total = sum(e.weight for e in entries)
        PackageJob.objects.filter(pk=job.pk).update(total_bytes=total, file_count=len(entries),
                                                    heartbeat_at=timezone.now())
        result = package.prepare(entries, relative, _progress_writer(job.pk),
                                 title=package.download_name(job.round, job.org).removesuffix(".zip"))
    except DomainError as exc:
        _fail(job, exc.message)
        return JobStatus.FAILED.value
    except Exception as exc:  # noqa: BLE001 - recorded on the job, logged with the traceback
        logger.exception("package job %s failed", job.pk)
        _fail(job, f"材料包生成失败（{type(exc).__name__}: {exc}）"[:1000] + "，请联系系统管理员")
        return JobStatus.FAILED.value
    PackageJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, progress=100, done_bytes=F("total_bytes"), folder=relative, size=result.size,
        manifest_sha256=result.manifest_sha256, file_count=result.files, error="", finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    job.refresh_from_db()
    _retire_older(job)
    return JobStatus.DONE.value
