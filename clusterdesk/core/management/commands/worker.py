"""``manage.py worker``: the background worker (django-tasks-db's ``db_worker``) with recovery.

At start it releases what a dead worker left behind — package jobs whose heartbeat is stale or
whose process is gone are failed (the user may start a new package at once), e-mail whose task
was lost or whose retry is due is queued again — and it repeats that every ``--sweep-interval``
seconds while it runs, writing its heartbeat for ``check_health`` each time; the ``default``
queue's worker also removes files left by crashes once an hour (``core/cleanup.py``). By default
it takes both queues: ``default`` (packages, …) and ``mail``.
Run one worker per queue (``--queue-name default`` and ``--queue-name mail``) so a mail server
that never answers cannot hold up packages; ``scripts/run.sh`` does.
"""

import logging
import threading
import time

from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger("clusterdesk.worker")


def recover() -> tuple[int, int]:
    """Fail the package jobs of dead workers and hand lost e-mail to the queue again."""
    from clusterdesk.documents.service import fail_interrupted_jobs
    from clusterdesk.notifications.service import sweep_outbox

    jobs = fail_interrupted_jobs(reason="worker")
    mails = sweep_outbox()
    if jobs or mails:
        logger.warning("worker recovery: %s interrupted package job(s) failed, %s e-mail(s) queued again", jobs, mails)
    return jobs, mails


def _beat(queues: str) -> None:
    from clusterdesk.core.health import beat

    try:
        beat(queues)
    except OSError:
        logger.exception("worker heartbeat not written")


CLEANUP_EVERY = 3600.0  # seconds between runs of the crash-leftover cleanup


def cleans_files(queues: str) -> bool:
    """Only the worker of the default queue cleans up (a mail-only worker does not)."""
    return not queues or "default" in [q.strip() for q in queues.split(",")]


def _cleanup() -> None:
    from clusterdesk.core.cleanup import cleanup

    result = cleanup()
    if result.removed:
        logger.warning("cleanup: %s orphaned upload(s) and %s upload temporary file(s) removed",
                       len(result.orphans), len(result.temporaries))


def _sweeper(interval: float, stop: threading.Event, queues: str = "") -> None:
    last_cleanup = time.monotonic() - CLEANUP_EVERY  # the first sweep cleans up
    while not stop.wait(interval):
        _beat(queues)
        try:
            close_old_connections()
            recover()
            if cleans_files(queues) and time.monotonic() - last_cleanup >= CLEANUP_EVERY:
                last_cleanup = time.monotonic()
                _cleanup()
        except Exception:  # noqa: BLE001 - the next round tries again
            logger.exception("worker recovery failed")
        finally:
            connection.close()


class Command(DbWorkerCommand):
    help = "后台任务进程：启动时及运行中每分钟处理中断的材料包任务和待发送邮件，然后执行队列中的任务"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="default,mail")
        parser.add_argument("--sweep-interval", type=float, default=60.0,
                            help="seconds between recovery sweeps while running (0: only at start)")

    def handle(self, *args, sweep_interval: float = 60.0, **options):
        queues = options.get("queue_name") or ""
        _beat(queues)
        jobs, mails = recover()
        self.stdout.write(f"启动恢复：{jobs} 个中断的材料包任务已标为失败，{mails} 封邮件已重新排队")
        stop = threading.Event()
        if sweep_interval and not options.get("batch"):
            threading.Thread(target=_sweeper, args=(sweep_interval, stop, queues), daemon=True, name="recovery").start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
