"""Background package jobs survive a dead worker: the job's lease (worker host and pid, heartbeat)
lets the status page, the API, a new request and a starting worker see that its worker is gone."""

import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from clusterdesk.documents import package
from clusterdesk.documents.models import PackageJob
from clusterdesk.documents.service import fail_interrupted_jobs

from .test_package import formal  # noqa: F401 - the fixture

INTERRUPTED = "后台任务中断，请重新生成"
ROOT = Path(__file__).resolve().parent.parent.parent


def dead_pid() -> int:
    """The pid of a process that has ended (a killed worker)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def running_job(round_, user, *, beat_ago=timedelta(seconds=1), pid=None, host=None, progress=33):
    return PackageJob.objects.create(
        round=round_, org=user.org, requested_by=user, status="running", progress=progress,
        heartbeat_at=timezone.now() - beat_ago, worker_host=host if host is not None else socket.gethostname(),
        worker_pid=pid if pid is not None else 1,  # pid 1 is always alive
    )


def test_a_job_records_its_worker_and_heartbeat(formal, accounts, round_open):  # noqa: F811
    import os

    job, created = package.start_job(actor=accounts["yanbian"], round_=round_open, org=accounts["yanbian"].org)
    assert created and job.status == "done"
    assert (job.worker_host, job.worker_pid) == (socket.gethostname(), os.getpid())
    assert job.heartbeat_at is not None and timezone.now() - job.heartbeat_at < timedelta(minutes=1)


def test_killed_worker_status_page_and_api_say_interrupted_and_a_new_package_starts_at_once(
        formal, accounts, round_open, login, api_token):  # noqa: F811
    """kill -9 of the worker: its pid is gone; the heartbeat is only seconds old."""
    dead = running_job(round_open, accounts["yanbian"], pid=dead_pid())
    client = login(accounts["yanbian"])

    row = client.get(reverse("package_status", args=[dead.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="failed"' in row and INTERRUPTED in row and "hx-trigger" not in row
    assert 'data-testid="package-retry">重新生成</button>' in row  # the newest job failed: offer a new build
    api = client.get(f"/api/v1/packages/{dead.pk}", **api_token(accounts["yanbian"])).json()
    assert (api["status"], api["error"]) == ("failed", INTERRUPTED)

    answer = client.post(f"/api/v1/rounds/{round_open.pk}/package", **api_token(accounts["yanbian"]))
    assert answer.status_code == 201 and answer.json()["id"] != dead.pk
    assert answer.json()["status"] == "done"


def test_stale_heartbeat_expires_the_job_on_the_page_and_on_a_new_request(
        formal, accounts, round_open, login, settings):  # noqa: F811
    """A worker on another machine (its pid cannot be checked) that stopped beating."""
    settings.PACKAGE_HEARTBEAT_STALE_SECONDS = 120
    stale = running_job(round_open, accounts["yanbian"], beat_ago=timedelta(seconds=121), host="other-host",
                        pid=99999)
    client = login(accounts["yanbian"])
    page = client.get(reverse("package_page", args=[round_open.pk])).content.decode()
    assert INTERRUPTED in page
    stale.refresh_from_db()
    assert stale.status == "failed" and stale.finished_at is not None

    response = client.post(reverse("package_page", args=[round_open.pk]), follow=True)
    assert "材料包已生成，可以下载。" in response.content.decode()
    assert PackageJob.objects.filter(status="done").count() == 1


def test_a_live_job_is_left_alone_and_reused(formal, accounts, round_open, settings):  # noqa: F811
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    live = running_job(round_open, accounts["yanbian"], beat_ago=timedelta(seconds=30), host="other-host", pid=1)
    job, created = package.start_job(actor=accounts["yanbian"], round_=round_open, org=accounts["yanbian"].org)
    assert (job.pk, created, job.status) == (live.pk, False, "running")
    assert package.refreshed(live).status == "running"


def test_worker_start_fails_the_jobs_of_dead_workers(formal, accounts, round_open):  # noqa: F811
    from clusterdesk.core.management.commands.worker import recover

    dead = running_job(round_open, accounts["yanbian"], pid=dead_pid())
    other = running_job(round_open, accounts["province"], beat_ago=timedelta(seconds=5), pid=1)
    partial = package.private_path(package.job_relative_dir(dead)) / f".{dead.pk}-abc.part"
    partial.mkdir(parents=True)

    assert recover() == (1, 0)
    dead.refresh_from_db()
    other.refresh_from_db()
    assert (dead.status, dead.error, other.status) == ("failed", INTERRUPTED, "running")
    assert not partial.exists()


def test_a_restored_backup_with_a_running_job_does_not_block_packaging(formal, accounts, round_open):  # noqa: F811
    """After a restore the job's worker belongs to the machine the backup came from: its pid
    here means nothing, even a live one."""
    carried = running_job(round_open, accounts["yanbian"], beat_ago=timedelta(seconds=1), pid=1)
    assert fail_interrupted_jobs(reason="restored") == 1
    carried.refresh_from_db()
    assert carried.status == "failed" and "从备份恢复" in carried.error
    job, created = package.start_job(actor=accounts["yanbian"], round_=round_open, org=accounts["yanbian"].org)
    assert created and job.status == "done"


@pytest.mark.parametrize("beat_ago, interrupted", [(timedelta(seconds=119), False), (timedelta(seconds=121), True)])
def test_is_interrupted_threshold(accounts, round_open, settings, beat_ago, interrupted):
    settings.PACKAGE_HEARTBEAT_STALE_SECONDS = 120
    job = running_job(round_open, accounts["yanbian"], beat_ago=beat_ago, host="other-host")
    assert package.is_interrupted(job) is interrupted


def subprocess_database(tmp_path):
    """Environment for another process on this test's database, and a reader of a job's status.

    SQLite's test database lives in this process's memory: the other process gets a file copy.
    PostgreSQL's is a real database: the other process uses it directly.
    """
    import os
    import sqlite3
    from urllib.parse import quote

    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clusterdesk.settings",
           "CLUSTERDESK_MEDIA_DIR": str(tmp_path / "media"), "PYTHONPATH": str(ROOT),
           "CLUSTERDESK_HEARTBEAT_DIR": str(tmp_path / "heartbeat")}
    if connection.vendor == "sqlite":
        path = tmp_path / "worker.sqlite3"
        copy = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(copy)
        copy.close()
        env["DATABASE_URL"] = f"sqlite:///{path}"

        def status(job_id):
            db = sqlite3.connect(path)
            try:
                return db.execute("SELECT status, error, worker_pid FROM documents_packagejob WHERE id = ?",
                                  (job_id,)).fetchone()
            finally:
                db.close()
    else:
        s = connection.settings_dict
        env["DATABASE_URL"] = (f"postgres://{quote(s['USER'] or '', safe='')}:{quote(s['PASSWORD'] or '', safe='')}"
                               f"@{quote(s['HOST'] or '', safe='')}:{s['PORT'] or 5432}/{s['NAME']}")

        def status(job_id):
            job = PackageJob.objects.get(pk=job_id)
            return job.status, job.error, job.worker_pid
    return env, status


VICTIM = """
import sys, time
import django
django.setup()
from clusterdesk.documents import package, tasks

def hang(*args, **kwargs):
    print("planning", flush=True)
    time.sleep(600)

package.plan = hang
tasks.build_package.call(int(sys.argv[1]))
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_package_is_recovered_when_a_worker_starts(accounts, round_open, tmp_path):
    """A real process runs the package task and is killed with SIGKILL in the middle; the next
    ``manage.py worker`` to start fails the job, and a new package may be started."""
    import sys

    job = PackageJob.objects.create(round=round_open, org=accounts["yanbian"].org, requested_by=accounts["yanbian"])
    env, status = subprocess_database(tmp_path)
    script = tmp_path / "victim.py"
    script.write_text(VICTIM)
    victim = subprocess.Popen([sys.executable, str(script), str(job.pk)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "planning", victim.stderr.read()
        assert status(job.pk)[0] == "running" and status(job.pk)[2] == victim.pid
    finally:
        victim.kill()  # kill -9 mid-task
        victim.wait()
        victim.stdout.close()
        victim.stderr.close()
    assert status(job.pk)[0] == "running"  # nothing else would ever change it

    started = subprocess.run([sys.executable, "manage.py", "worker", "--batch", "--no-startup-delay",
                              "--queue-name", "default"], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0, started.stderr
    assert "启动恢复：1 个中断的材料包任务已标为失败" in started.stdout
    assert status(job.pk)[:2] == ("failed", INTERRUPTED)
