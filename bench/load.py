"""Load benchmark: ClusterDesk's key pages and API lists under concurrent load, against the
framework floor (a bare Django app with one JSON view) served the same way in the same run.

How to run (from the project root):

    .venv/bin/python bench/load.py                                   # N=1,000 and 20,000, SQLite
    .venv/bin/python bench/load.py --applications 1000,5000 --seconds 5
    .venv/bin/python bench/load.py --db postgres --applications 1000,5000 --seconds 5

For each N in --applications: a data directory under --workdir (reused when it already holds that
seed on SQLite; PostgreSQL uses a throwaway cluster like scripts/test.sh, so it seeds every time)
is migrated and filled with `load_orgs`, `load_demo` (the demo accounts; their password is read from load_demo.DEMO_PASSWORD) and
`manage.py seed_scale --applications N --audit-per-application K`. Then the project's production
server starts exactly as `make run` starts it (gunicorn, clusterdesk/gunicorn_conf.py: 2 gthread
workers × 8 threads, the same settings), the same server again with the page cache off
(CLUSTERDESK_PAGE_CACHE=0, so every request draws its page), and the floor app (bench/floor_app.py)
with the same gunicorn settings on another port. The script logs in as each role through the login form (pages) or takes an API token
(API lists, as API clients do) and drives each page with C keep-alive connections (client processes × threads, http.client) for S
seconds, then prints requests/s, p50, p95, errors and the ratio of requests/s to the floor's, for
each page as served (page cache on: the same person asks the same page again with nothing changed,
so every request after the first is a hit) and as drawn (cache off). Before the load, with the servers of every N running side by side, it times each page's single
request on every N as drawn (cache off), interleaved (median of 7 after two warm-up rounds, one
connection per N), and prints the ratio largest N / smallest N.

Targets (issue 14): HTML pages ≥ 0.12 of the floor's requests/s, API lists ≥ 0.25; the
single-request time at the largest N within 1.25× the smallest. Exit status 0 when the servers
ran (targets missed are reported, not fatal), 1 when a server does not start (its log tail is
printed) or a page answers with errors.

The client shares the machine with the servers (2 cores here): the floor's figure includes the
client's cost too, which is why only ratios measured in the same run are compared.
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def _demo_password() -> str:
    """The demo accounts' password, read from its one definition (load_demo.DEMO_PASSWORD) without
    setting Django up in the client."""
    import ast
    source = (ROOT / "clusterdesk" / "orgs" / "management" / "commands" / "load_demo.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DEMO_PASSWORD" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("DEMO_PASSWORD not found in clusterdesk/orgs/management/commands/load_demo.py")


PASSWORD = _demo_password()

# (label, role's username, path, kind). {round} / {app} are filled after seeding.
PAGES = [
    ("home province", "jl_admin", "/", "html"),
    ("home city", "yanbian_city", "/", "html"),
    ("home county", "dunhua", "/", "html"),
    ("home expert", "expert_li", "/", "html"),
    ("applications", "jl_admin", "/applications/", "html"),
    ("applications ?status", "jl_admin", "/applications/?status=submitted", "html"),
    ("applications county", "dunhua", "/applications/", "html"),
    ("city inbox /reviews/", "yanbian_city", "/reviews/", "html"),
    ("province overview", "jl_admin", "/reviews/rounds/{round}/overview/", "html"),
    ("expert list /experts/", "expert_li", "/experts/", "html"),
    ("registry list", "jl_admin", "/registry/", "html"),
    ("registry dashboard", "jl_admin", "/registry/dashboard/", "html"),
    ("audit log", "jl_admin", "/audit/", "html"),
    ("application detail", "jl_admin", "/applications/{app}/", "html"),
    ("API applications", "jl_admin", "/api/v1/applications", "api"),
    ("API applications ?status", "jl_admin", "/api/v1/applications?status=submitted", "api"),
    ("API registry clusters", "jl_admin", "/api/v1/registry/clusters", "api"),
    ("API timeline", "jl_admin", "/api/v1/applications/{app}/timeline", "api"),
]
TARGET = {"html": 0.12, "api": 0.25}
GROWTH_TARGET = 1.25


class BenchError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- databases -----------------------------------------------------------------------------------

class Postgres:
    """A throwaway cluster: private socket directory, no TCP, removed on stop (as scripts/test.sh)."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)])
        if not bins or not (bins[-1] / "initdb").exists():
            raise BenchError("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="clusterdesk-bench-pg.", dir="/tmp"))
        self.started = False
        self.port = None

    def _as_pg(self, *cmd, **kw):
        if os.getuid() == 0:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
            kw.setdefault("cwd", "/")
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    def start(self) -> str:
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
        r = self._as_pg(str(self.bin / "initdb"), "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        if r.returncode:
            raise BenchError("initdb failed:\n" + r.stdout + r.stderr)
        self.port = free_port()
        r = self._as_pg(str(self.bin / "pg_ctl"), "-D", f"{self.dir}/data", "-w", "-l", f"{self.dir}/pg.log", "-o",
                        f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off "
                        f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start")
        if r.returncode:
            raise BenchError("PostgreSQL did not start:\n" + (self.dir / "pg.log").read_text(errors="replace")[-3000:])
        self.started = True
        r = subprocess.run([str(self.bin / "createdb"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres",
                            "clusterdesk"], capture_output=True, text=True)
        if r.returncode:
            raise BenchError("createdb failed: " + r.stderr)
        return f"postgres://postgres@{urllib.parse.quote(str(self.dir), safe='')}:{self.port}/clusterdesk"

    def stop(self):
        if self.started:
            self._as_pg(str(self.bin / "pg_ctl"), "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def manage(env: dict, *args: str) -> str:
    r = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{r.stdout[-2000:]}{r.stderr[-3000:]}")
    return r.stdout


def prepare(n: int, audit: int, workdir: Path, database_url: str | None) -> dict:
    """Seed (or reuse, SQLite only) a data set of n applications; the server's environment."""
    var = workdir / f"n{n}-k{audit}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(CLUSTERDESK_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="clusterdesk.settings",
               DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", LOG_LEVEL="ERROR")
    if database_url:
        env["DATABASE_URL"] = database_url
        env["DATABASE_CONN_MAX_AGE"] = env.get("DATABASE_CONN_MAX_AGE", "60")  # docs/operations.md
    marker = var / "seeded.json"
    if not database_url and marker.exists():
        print(f"  reusing the seed in {var}")
        manage(env, "migrate", "--noinput", "-v0")  # the code may have new migrations (indexes)
        manage(env, "collectstatic", "--noinput", "-v0")
        return env
    if not database_url and var.exists():
        shutil.rmtree(var)
    var.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "load_orgs", "data/jilin-divisions.csv")
    manage(env, "load_demo")
    out = manage(env, "seed_scale", "--applications", str(n), "--audit-per-application", str(audit))
    print("  " + out.strip().splitlines()[-1])
    print(f"  set up in {time.monotonic() - started:.0f} s")
    if not database_url:
        marker.write_text(json.dumps({"applications": n, "audit": audit}))
    return env


# --- servers -------------------------------------------------------------------------------------

class Server:
    def __init__(self, name: str, app: str, env: dict, log: Path):
        self.name, self.port, self.log = name, free_port(), log
        env = {**env, "PORT": str(self.port)}
        self.logfile = open(log, "wb")
        self.proc = subprocess.Popen([GUNICORN, "--config", "clusterdesk/gunicorn_conf.py", app], cwd=ROOT, env=env,
                                     stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, path: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path)
                if conn.getresponse().status < 500:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        tail = self.log.read_text(errors="replace").splitlines()[-30:]
        raise BenchError(f"{self.name} server did not start on port {self.port}; log tail:\n" + "\n".join(tail))

    def stop(self):
        if self.logfile.closed:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logfile.close()


def login(port: int, username: str) -> dict:
    """Log in through the form, as a browser does; returns the request headers (Cookie)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    body = response.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    conn.request("POST", "/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}",
        "Referer": f"http://127.0.0.1:{port}/login/"})
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie", "") or "")
    if response.status != 302 or not session:
        raise BenchError(f"login as {username} failed ({response.status})")
    return {"Cookie": f"csrftoken={cookie}; sessionid={session.group(1)}"}


def api_token(port: int, username: str) -> dict:
    """An API token, as an API client gets one (POST /api/v1/auth/token); returns the request headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/v1/auth/token", body=json.dumps({"username": username, "password": PASSWORD}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise BenchError(f"API token for {username} failed ({response.status}): {body[:200]!r}")
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def credentials(port: int, pages: list) -> dict:
    """(user, kind) → request headers: pages sign in through the login form, API lists with a token."""
    return {(user, kind): (api_token if kind == "api" else login)(port, user)
            for user, kind in {(u, k) for _, u, _, k in pages}}


# --- load ----------------------------------------------------------------------------------------

def _client_process(port, path, auth, threads, seconds, start_at, queue):
    latencies, errors = [], 0
    lock = threading.Lock()

    def worker():
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = dict(auth)
        mine, bad = [], 0
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while True:
            t0 = time.perf_counter()
            if time.time() >= end:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
            if ok:
                mine.append(time.perf_counter() - t0)
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((latencies, errors))


def drive(port: int, path: str, auth: dict, connections: int, seconds: float, processes: int) -> dict:
    queue = mp.Queue()
    start_at = time.time() + 0.5
    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    procs = [mp.Process(target=_client_process, args=(port, path, auth, n, seconds, start_at, queue)) for n in per if n]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    if not latencies:
        return {"rps": 0.0, "p50": float("nan"), "p95": float("nan"), "errors": errors}
    return {"rps": len(latencies) / seconds, "p50": latencies[len(latencies) // 2] * 1000,
            "p95": latencies[int(len(latencies) * 0.95)] * 1000, "errors": errors}


def one_request(conn: http.client.HTTPConnection, path: str, auth: dict) -> float:
    t0 = time.perf_counter()
    conn.request("GET", path, headers=auth)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise BenchError(f"{path}: HTTP {response.status}")
    return (time.perf_counter() - t0) * 1000


def single_times(stages: list, repeat: int = 7) -> dict:
    """Each page's single-request time (median of ``repeat``) on every data set, drawn each time
    (the server with the page cache off: a cached answer would hide what the page costs), the
    servers running side by side and the requests interleaved (N1 page, N2 page, N1 page, …), so a
    change in the machine's load hits every N alike."""
    conns = {id(st): http.client.HTTPConnection("127.0.0.1", st.drawn.port, timeout=120) for st in stages}
    times = {(id(st), label): [] for st in stages for label, *_ in st.pages}
    for rep in range(repeat + 2):  # two warm-up rounds (both workers)
        for index in range(len(stages[0].pages)):
            for st in stages:
                label, user, path, kind = st.pages[index]
                try:
                    ms = one_request(conns[id(st)], path, st.drawn_auth[user, kind])
                except (http.client.RemoteDisconnected, ConnectionError):
                    # Idle past gunicorn's keep-alive (5 s) while the other N answered: reconnect.
                    conns[id(st)].close()
                    conns[id(st)] = http.client.HTTPConnection("127.0.0.1", st.drawn.port, timeout=120)
                    ms = one_request(conns[id(st)], path, st.drawn_auth[user, kind])
                if rep >= 2:
                    times[id(st), label].append(ms)
    return {(id(st), label): statistics.median(v) for (st_id, label), v in times.items()
            for st in stages if id(st) == st_id}


def ids(env: dict) -> dict:
    code = ("import django,json;django.setup();"
            "from clusterdesk.rounds.models import Round;from clusterdesk.applications.models import Application;"
            "r=Round.objects.filter(name__endswith='（规模测试）').order_by('-year').first();"
            "a=Application.objects.filter(number__startswith='SCALE-').exclude(status='draft').order_by('pk').first();"
            "print(json.dumps({'round':r.pk,'app':a.pk}))")
    r = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode:
        raise BenchError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


class Stage:
    """One data set of N applications with its servers running (and its PostgreSQL cluster)."""

    def __init__(self, n: int, args, workdir: Path):
        self.n, self.pg, self.servers = n, (Postgres() if args.db == "postgres" else None), []
        try:
            self._start(args, workdir)
        except BaseException:
            self.stop()  # nothing left running when a server does not start
            raise

    def _start(self, args, workdir: Path):
        n = self.n
        url = self.pg.start() if self.pg else None
        print(f"\n== N = {n:,} applications ({args.db}) ==", flush=True)
        env = prepare(n, args.audit_per_application, workdir, url)
        fill = ids(env)
        self.pages = [(label, user, path.format(**fill), kind) for label, user, path, kind in PAGES]
        self.app = Server("clusterdesk", "clusterdesk.wsgi:application", env, workdir / f"server-{n}.log")
        self.servers.append(self.app)
        # The same server with the page cache off: every request draws its page (what a page costs,
        # and what the first view after any change costs).
        self.drawn = Server("clusterdesk (page cache off)", "clusterdesk.wsgi:application",
                            {**env, "CLUSTERDESK_PAGE_CACHE": "0"}, workdir / f"server-drawn-{n}.log")
        self.servers.append(self.drawn)
        self.floor = Server("floor", "bench.floor_app:application", env, workdir / f"floor-{n}.log")
        self.servers.append(self.floor)
        self.app.wait_ready("/login/")
        self.drawn.wait_ready("/login/")
        self.floor.wait_ready("/")
        self.auth = credentials(self.app.port, self.pages)
        self.drawn_auth = credentials(self.drawn.port, self.pages)

    def warm_up(self):
        """One request per page on the served server, as the drawn one had in single_times: a
        process's first views do one-off work (the audit page's full chain walk, template loading)."""
        for _label, user, path, kind in self.pages:
            for _ in range(6):  # a new connection each: the kernel hands them to both workers
                conn = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=300)
                one_request(conn, path, self.auth[user, kind])
                conn.close()

    def load(self, args) -> dict:
        self.warm_up()
        print(f"\n== under load: N = {self.n:,}, {args.connections} connections, {args.seconds:g} s each ==")
        print("  served: as `make run` serves (page cache on; every request after a page's first is a hit)")
        print("  drawn:  the same server with CLUSTERDESK_PAGE_CACHE=0 (every request draws its page)")
        results = {}
        floor_res = drive(self.floor.port, "/", {}, args.connections, args.seconds, args.client_processes)
        results["floor"] = floor_res
        print(f"  {'page':<26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} {'ratio':>6} {'target':<16}"
              f" {'drawn req/s':>11} {'p95 ms':>8} {'ratio':>6}")
        print(f"  {'floor (bare Django)':<26} {floor_res['rps']:8.0f} {floor_res['p50']:8.1f} "
              f"{floor_res['p95']:8.1f} {floor_res['errors']:6d} {1:6.3f}")
        for label, user, path, kind in self.pages:
            res = drive(self.app.port, path, self.auth[user, kind], args.connections, args.seconds,
                        args.client_processes)
            drawn = drive(self.drawn.port, path, self.drawn_auth[user, kind], args.connections, args.seconds,
                          args.client_processes)
            ratio = res["rps"] / floor_res["rps"] if floor_res["rps"] else 0
            drawn_ratio = drawn["rps"] / floor_res["rps"] if floor_res["rps"] else 0
            res.update(ratio=ratio, kind=kind, drawn=drawn, drawn_ratio=drawn_ratio)
            res["errors"] += drawn["errors"]
            results[label] = res
            ok = "ok" if ratio >= TARGET[kind] else f"MISSED (≥ {TARGET[kind]})"
            print(f"  {label:<26} {res['rps']:8.1f} {res['p50']:8.1f} {res['p95']:8.1f} {res['errors']:6d} "
                  f"{ratio:6.3f} {ok:<16} {drawn['rps']:11.1f} {drawn['p95']:8.1f} {drawn_ratio:6.3f}", flush=True)
        return results

    def stop(self):
        for s in self.servers:
            s.stop()
        if self.pg:
            self.pg.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", default="1000,20000", help="comma-separated N values (default 1000,20000)")
    parser.add_argument("--audit-per-application", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--load-at", choices=["all", "last"], default="all",
                        help="drive the load at every N (all) or only at the largest (last)")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "clusterdesk-bench-load"),
                        help="where the seeded SQLite data sets are kept for reuse")
    args = parser.parse_args()
    ns = sorted(int(x.replace("_", "")) for x in args.applications.split(","))
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    stages, loads = [], {}
    try:
        for n in ns:
            stages.append(Stage(n, args, workdir))
        single = single_times(stages)
        for i, st in enumerate(stages):
            if args.load_at == "all" or i == len(stages) - 1:
                loads[st.n] = st.load(args)
    except BenchError as exc:
        print(f"\nbench/load.py: {exc}", file=sys.stderr)
        return 1
    finally:
        for st in stages:
            st.stop()
    print(f"\n== single-request time (median of 7, interleaved across N, ms), {args.db} ==")
    print(f"  {'page':<26} " + " ".join(f"{f'N={n:,}':>10}" for n in ns) + f" {'ratio':>6} target ≤ {GROWTH_TARGET}")
    for label, *_ in PAGES:
        times = [single[id(st), label] for st in stages]
        ratio = times[-1] / times[0]
        print(f"  {label:<26} " + " ".join(f"{t:10.1f}" for t in times) +
              f" {ratio:6.2f} {'ok' if ratio <= GROWTH_TARGET else 'MISSED'}")
    errors = sum(r.get("errors", 0) for res in loads.values() for r in res.values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
