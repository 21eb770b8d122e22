"""`make run` serves through the production server (gunicorn, gthread) and Ctrl-C stops all three
processes (web server, a worker per queue, hourly reminders)."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_config_uses_threaded_workers():
    import runpy

    conf = runpy.run_path(str(ROOT / "clusterdesk" / "gunicorn_conf.py"))
    assert conf["worker_class"] == "gthread" and conf["workers"] >= 2 and conf["threads"] >= 4
    assert conf["timeout"] == 0  # package downloads stream for as long as the client needs


def test_run_script_serves_with_gunicorn_not_runserver():
    script = (ROOT / "scripts" / "run.sh").read_text()
    commands = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    assert not any("runserver" in line for line in commands)
    assert any(
        ".venv/bin/gunicorn --config clusterdesk/gunicorn_conf.py clusterdesk.wsgi:application" in line
        for line in commands
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_members(sid: int) -> list[str]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # field 6 of stat: session id
            members.append(f"{entry.name} {cmd}")
    return members


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Server", ""), response.read()


def test_run_script_serves_pages_and_static_files_and_ctrl_c_stops_everything(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(PORT=str(port), CLUSTERDESK_VAR_DIR=str(tmp_path / "var"), WEB_WORKERS="2", WEB_THREADS="2")
    log = open(tmp_path / "run.log", "wb")
    # A new session (like a terminal): SIGINT is not ignored, and every descendant can be found.
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            try:
                status, server, body = _get(f"http://127.0.0.1:{port}/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
                time.sleep(0.5)
        assert status == 200 and "登录".encode() in body
        assert "gunicorn" in server.lower()  # the production server answered, not runserver (WSGIServer)
        status, _, css = _get(f"http://127.0.0.1:{port}/static/css/app.css")
        assert status == 200 and css
        banner = (tmp_path / "run.log").read_text()
        assert "ClusterDesk 已启动" in banner and "gunicorn" in banner
        members = _session_members(proc.pid)
        assert any("manage.py worker --queue-name mail" in m for m in members) and any("gunicorn" in m for m in members)

        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=30) == 130
        time.sleep(0.5)
        assert _session_members(proc.pid) == []
    finally:
        if proc.poll() is None or _session_members(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
