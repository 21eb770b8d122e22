"""gunicorn settings shared by `make run` (scripts/run.sh), the systemd unit and bench/load.py.

gthread workers: a few processes, each with a pool of threads, so a long package download holds
one thread, not a whole process. Everything can be overridden from the environment.
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# No request timeout: electronic packages stream for as long as the client takes to receive them
# (docs/operations.md). A stuck worker is still replaced by the master's heartbeat check.
timeout = 0
# Ctrl-C / systemctl stop: in-flight requests get this long to finish.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_SECONDS", "10"))
keepalive = 5
# Logs to stderr (the terminal for `make run`, the journal under systemd).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Load the application in the master before forking: a broken settings file fails at start,
# not in every worker, and the workers share the imported code's memory.
preload_app = True
