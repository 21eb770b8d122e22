#!/usr/bin/env bash
# Start ClusterDesk locally: migrate, collect static files, load the Jilin
# divisions and the demo data, start the background task worker and the hourly
# reminders, then serve on http://127.0.0.1:${PORT:-8000} through gunicorn (the
# production server, settings in clusterdesk/gunicorn_conf.py) until Ctrl-C,
# which stops all three. Run `make run`, not this directly (bootstrap.sh
# prepares .venv first).
set -euo pipefail

cd "$(dirname "$0")/.."

export DJANGO_SETTINGS_MODULE=clusterdesk.settings
export DJANGO_EMAIL_BACKEND="${DJANGO_EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"
PORT="${PORT:-8000}"
PY=.venv/bin/python
VAR="${CLUSTERDESK_VAR_DIR:-var}"

if [[ ! -x "$PY" ]]; then
  echo "run: .venv is missing; use 'make run' (it runs scripts/bootstrap.sh run first)" >&2
  exit 1
fi
mkdir -p "$VAR"

"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py load_orgs data/jilin-divisions.csv
"$PY" manage.py load_demo   # prints the demo accounts
"$PY" manage.py load_registry_seed   # 敦化 (national 2022) and the five 2025 provincial clusters

# Background worker for django-tasks. A background job of a non-interactive
# shell ignores SIGINT, so Ctrl-C alone would not stop it: the trap does.
worker_pids=""
reminders_pid=""
web_pid=""
stop_worker() {
  # The web server first: gunicorn finishes in-flight requests (graceful_timeout) and stops its
  # workers; whatever is left after 15 s is killed.
  if [[ -n "$web_pid" ]] && kill -0 "$web_pid" 2>/dev/null; then
    kill -TERM "$web_pid" 2>/dev/null || true
    for _ in $(seq 150); do
      kill -0 "$web_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$web_pid" 2>/dev/null || true
    wait "$web_pid" 2>/dev/null || true
  fi
  web_pid=""
  # The hourly reminder loop first (it may start a short send_reminders run), then the worker.
  if [[ -n "$reminders_pid" ]] && kill -0 "$reminders_pid" 2>/dev/null; then
    kill -TERM "$reminders_pid" 2>/dev/null || true
    wait "$reminders_pid" 2>/dev/null || true
  fi
  reminders_pid=""
  local pid
  for pid in $worker_pids; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $worker_pids; do
    for _ in $(seq 50); do               # up to 5 s to finish the current task
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  worker_pids=""
}
trap stop_worker EXIT
trap 'stop_worker; exit 130' INT
trap 'stop_worker; exit 143' TERM

# Two workers (manage.py worker: db_worker plus recovery of dead workers' jobs and lost e-mail):
# one for packages and other work, one for e-mail, so a mail server that never answers cannot
# hold up a package.
"$PY" manage.py worker --queue-name default >>"$VAR/worker.log" 2>&1 &
worker_pids="$!"
"$PY" manage.py worker --queue-name mail >>"$VAR/worker.log" 2>&1 &
worker_pids="$worker_pids $!"

# Deadline reminders (3 days before and on the day): every hour, in the background. The
# subshell ends its own `sleep` when it is stopped, so nothing is left behind.
(
  child=""
  trap '[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    "$PY" manage.py send_reminders >>"$VAR/reminders.log" 2>&1 || echo "send_reminders failed ($(date))" >>"$VAR/reminders.log"
    "$PY" manage.py expire_clusters >>"$VAR/reminders.log" 2>&1 || echo "expire_clusters failed ($(date))" >>"$VAR/reminders.log"
    sleep 3600 &
    child=$!
    wait "$child" || true
    child=""
  done
) &
reminders_pid=$!

cat <<EOF

================================================================
  ClusterDesk 已启动 / is running

  请在浏览器中打开 / Open in your browser:
      http://127.0.0.1:${PORT}

  服务器 / Server: gunicorn (gthread, ${WEB_WORKERS:-2}×${WEB_THREADS:-8})
  后台任务日志 / Background worker log: ${VAR}/worker.log
  截止提醒日志 / Reminder log: ${VAR}/reminders.log (每小时 / hourly)
  按 Ctrl-C 停止 / Press Ctrl-C to stop.
================================================================

EOF

# The production server (gunicorn, gthread workers), as under systemd (docs/operations.md). It runs
# in the background and the shell waits for it, so the trap runs as soon as Ctrl-C arrives.
PORT="$PORT" .venv/bin/gunicorn --config clusterdesk/gunicorn_conf.py clusterdesk.wsgi:application &
web_pid=$!
wait "$web_pid"
