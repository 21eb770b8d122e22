"""Health (issue 16 §5): ``manage.py check_health`` and ``/healthz`` report the database, free
space on the media and database volumes, the worker's heartbeat and the oldest queued task."""

import json
import shutil
from collections import namedtuple
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from clusterdesk.core import health

Usage = namedtuple("Usage", "total used free")
GB = 1024 ** 3


@pytest.fixture(autouse=True)
def world(settings, tmp_path, monkeypatch):
    """A healthy installation: plenty of space, a fresh heartbeat, an empty queue."""
    settings.WORKER_HEARTBEAT_DIR = tmp_path / "heartbeat"
    settings.HEALTH_MIN_FREE_MB = 1024
    monkeypatch.setattr(health.shutil, "disk_usage", lambda path: Usage(100 * GB, 50 * GB, 50 * GB))
    health.beat("default,mail")


def db_space():
    """The SQLite file's volume is checked; PostgreSQL's is the database server's (skipped)."""
    from django.conf import settings

    return "ok" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "skipped"


def statuses():
    return {c.name: c.status for c in health.run_checks()}


def run_command():
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("check_health", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def queued(age_minutes: float, run_after=None) -> DBTaskResult:
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path="clusterdesk.notifications.tasks.send_email",
        queue_name="default", backend_name="default", run_after=run_after or get_date_max(),
        exception_class_path="", traceback="")
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - timedelta(minutes=age_minutes))
    return task


@pytest.mark.django_db
def test_a_healthy_installation_is_200_and_exit_0():
    response = Client().get("/healthz")  # anonymous: the load balancer has no account
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "media_space": "ok", "database_space": db_space(),
                              "worker": "ok", "queue": "ok"}
    code, out, _ = run_command()
    assert code == 0 and "[正常 OK] database" in out and "全部正常" in out


@pytest.mark.django_db
def test_low_space_on_the_media_volume_is_a_problem(monkeypatch, settings):
    media = str(settings.PRIVATE_MEDIA_ROOT)

    def usage(path):
        return Usage(100 * GB, 99.5 * GB, 100 * 1024 * 1024) if str(path).startswith(media) or media.startswith(str(path)) \
            else Usage(100 * GB, 50 * GB, 50 * GB)

    monkeypatch.setattr(health.shutil, "disk_usage", usage)
    assert statuses()["media_space"] == "problem"
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["media_space"] == "problem"
    code, out, err = run_command()
    assert code == 1 and "[问题 PROBLEM] media_space" in out and "100 MB" in out and "media_space" in err


@pytest.mark.django_db
def test_low_space_on_the_sqlite_volume_is_a_problem(monkeypatch, settings, tmp_path):
    from pathlib import Path

    db_volume = health._existing(Path(str(settings.DATABASES["default"]["NAME"])).parent)

    def usage(path):  # the media root is under tmp_path; the database file elsewhere
        return Usage(100 * GB, 99.9 * GB, 0) if Path(path) == db_volume else Usage(100 * GB, 50 * GB, 50 * GB)

    monkeypatch.setattr(health.shutil, "disk_usage", usage)
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        check = health.check_database_space()
        assert check.status == "problem" and "剩余 0 MB" in check.text
        assert statuses()["media_space"] == "ok"
    else:
        assert health.check_database_space().status == "skipped"


@pytest.mark.django_db
def test_a_stale_heartbeat_or_none_is_a_problem(settings):
    path = next(settings.WORKER_HEARTBEAT_DIR.glob("worker-*.json"))
    data = json.loads(path.read_text())
    data["at"] = (timezone.now() - timedelta(minutes=6)).isoformat()
    path.write_text(json.dumps(data))
    assert statuses()["worker"] == "problem"
    assert Client().get("/healthz").status_code == 503

    data["at"] = (timezone.now() - timedelta(minutes=4)).isoformat()
    path.write_text(json.dumps(data))
    assert statuses()["worker"] == "ok"

    path.unlink()
    check = health.check_worker()
    assert check.status == "problem" and "没有后台任务进程的心跳" in check.text


@pytest.mark.django_db
def test_the_worker_writes_its_heartbeat(settings, monkeypatch):
    from clusterdesk.core.management.commands import worker

    shutil.rmtree(settings.WORKER_HEARTBEAT_DIR)
    monkeypatch.setattr(worker, "recover", lambda: (0, 0))
    monkeypatch.setattr(worker.DbWorkerCommand, "handle", lambda self, *a, **k: None)
    worker.Command().handle(queue_name="mail", sweep_interval=0)
    assert health.check_worker().status == "ok"
    assert json.loads((settings.WORKER_HEARTBEAT_DIR / "worker-mail.json").read_text())["queues"] == "mail"


@pytest.mark.django_db
def test_an_old_queued_task_is_a_problem():
    queued(5)
    assert statuses()["queue"] == "ok"
    queued(30, run_after=timezone.now() + timedelta(minutes=30))  # a retry not yet due: not late
    assert statuses()["queue"] == "ok"
    queued(11)
    check = health.check_queue()
    assert check.status == "problem" and check.text.startswith("1 个后台任务等待超过 10 分钟")
    assert Client().get("/healthz").json() == {
        "status": "problem",
        "checks": {"database": "ok", "media_space": "ok", "database_space": db_space(), "worker": "ok", "queue": "problem"}}


@pytest.mark.django_db
def test_an_unreachable_database_is_a_problem(monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server")

    with connection.execute_wrapper(refuse):
        checks = {c.name: c.status for c in health.run_checks()}
    assert checks["database"] == "problem" and checks["queue"] == "skipped"
