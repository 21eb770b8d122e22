"""Health checks (issue 16 §5) for ``manage.py check_health`` and ``/healthz``.

Each check answers ``Check(name, status, text)``: ``status`` is ``ok``, ``problem`` or
``skipped``; ``text`` (Chinese, with the figures) is for the administrator's terminal only —
``/healthz`` shows names and statuses, nothing else.

- ``database``: ``SELECT 1``;
- ``media_space`` / ``database_space``: free space on the private media volume and on the SQLite
  file's volume against ``HEALTH_MIN_FREE_MB`` (PostgreSQL's volume is the database server's: skipped);
- ``worker``: the heartbeat ``manage.py worker`` writes every minute (``beat``), stale after
  ``HEALTH_WORKER_STALE_MINUTES``; no heartbeat at all is a problem too;
- ``queue``: the oldest task due to run (django-tasks-db, status READY) waiting longer than
  ``HEALTH_QUEUE_MAX_MINUTES``.

The worker's heartbeat is a small JSON file per worker (its queues) in ``WORKER_HEARTBEAT_DIR``
(default ``VAR_DIR/heartbeat``), so it needs no table; a worker on another host must write it to
storage the checking host sees (see ``docs/operations.md``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.utils import timezone

OK, PROBLEM, SKIPPED = "ok", "problem", "skipped"


class Check(NamedTuple):
    name: str
    status: str
    text: str


def heartbeat_dir() -> Path:
    return Path(settings.WORKER_HEARTBEAT_DIR)


def beat(queues: str) -> Path:
    """Record that the worker taking ``queues`` is alive (called at start and every sweep)."""
    folder = heartbeat_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", queues or "all")
    path = folder / f"worker-{name}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"queues": queues, "host": socket.gethostname(), "pid": os.getpid(),
                               "at": timezone.now().isoformat()}))
    os.replace(tmp, path)  # readers never see half a file
    return path


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def _existing(path: Path) -> Path:
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _space(name: str, label: str, path: Path) -> Check:
    minimum = settings.HEALTH_MIN_FREE_MB * 1024 * 1024
    try:
        free = shutil.disk_usage(_existing(path)).free
    except OSError as exc:
        return Check(name, PROBLEM, f"{label}（{path}）无法读取剩余空间：{exc}")
    status = OK if free >= minimum else PROBLEM
    return Check(name, status, f"{label}（{path}）剩余 {_mb(free)}，下限 {_mb(minimum)}")


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return Check("database", PROBLEM, f"数据库无法访问：{exc}")
    return Check("database", OK, "数据库可访问")


def check_media_space() -> Check:
    from .files import local_root

    root = local_root()
    if root is None:
        return Check("media_space", SKIPPED, "文件存放在对象存储中（CLUSTERDESK_STORAGE=s3），请在对象存储一侧监控容量")
    return _space("media_space", "文件存储卷", root)


def check_database_space() -> Check:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return Check("database_space", SKIPPED, "PostgreSQL 的数据卷在数据库服务器上，请在那里监控剩余空间")
    return _space("database_space", "数据库文件所在卷", Path(str(db["NAME"])).parent)


def check_worker() -> Check:
    stale = timedelta(minutes=settings.HEALTH_WORKER_STALE_MINUTES)
    now = timezone.now()
    beats = []
    for path in sorted(heartbeat_dir().glob("worker-*.json")) if heartbeat_dir().exists() else []:
        try:
            data = json.loads(path.read_text())
            at = datetime.fromisoformat(data["at"])
        except (OSError, ValueError, KeyError):
            at = datetime.fromtimestamp(path.stat().st_mtime, tz=dt_timezone.utc)
            data = {"queues": path.stem}
        beats.append((data.get("queues") or path.stem, at))
    if not beats:
        return Check("worker", PROBLEM, "没有后台任务进程的心跳记录：manage.py worker 是否在运行？")
    late = [(q, at) for q, at in beats if now - at > stale]
    parts = "；".join(f"队列 {q} 最近心跳 {timezone.localtime(at):%Y-%m-%d %H:%M:%S}" for q, at in beats)
    if late:
        return Check("worker", PROBLEM, f"后台任务进程超过 {settings.HEALTH_WORKER_STALE_MINUTES} 分钟没有心跳：{parts}")
    return Check("worker", OK, f"后台任务进程在运行：{parts}")


def check_queue() -> Check:
    from django.db.models import Min, Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    limit = settings.HEALTH_QUEUE_MAX_MINUTES
    cutoff = timezone.now() - timedelta(minutes=limit)
    waiting = DBTaskResult.objects.filter(status="READY").filter(
        Q(run_after=get_date_max(), enqueued_at__lt=cutoff) | Q(run_after__lt=cutoff))
    count = waiting.count()
    if not count:
        return Check("queue", OK, f"没有等待超过 {limit} 分钟的后台任务")
    oldest = waiting.aggregate(e=Min("enqueued_at"))["e"]
    return Check("queue", PROBLEM, f"{count} 个后台任务等待超过 {limit} 分钟（最早排队于 "
                                   f"{timezone.localtime(oldest):%Y-%m-%d %H:%M:%S}）")


def run_checks() -> list[Check]:
    database = check_database()
    checks = [database, check_media_space(), check_database_space(), check_worker()]
    if database.status == OK:
        try:
            checks.append(check_queue())
        except Exception as exc:  # noqa: BLE001
            checks.append(Check("queue", PROBLEM, f"无法读取任务队列：{exc}"))
    else:
        checks.append(Check("queue", SKIPPED, "数据库无法访问，未检查任务队列"))
    return checks


def healthy(checks: list[Check]) -> bool:
    return all(c.status != PROBLEM for c in checks)
