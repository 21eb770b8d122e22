"""EXPLAIN (ANALYZE, BUFFERS) of the SQL the list pages and the API list run, at scale.

How to run (from the project root):

    .venv/bin/python bench/explain.py                         # N=5,000 on a throwaway PostgreSQL cluster
    .venv/bin/python bench/explain.py --applications 20000 --top 4
    DATABASE_URL=postgres://… .venv/bin/python bench/explain.py --use-database-url   # an existing, seeded DB

Without --use-database-url it starts a throwaway PostgreSQL cluster exactly as bench/load.py and
scripts/test.sh do (private socket directory, no TCP, removed on exit), migrates it and seeds it
with `load_orgs`, `load_demo` and `manage.py seed_scale --applications N`. Then, in a child
process on that database, it requests each page below with Django's test Client (logged in as
the role that uses it), captures every SQL statement the request ran (CaptureQueriesContext),
times each one, and prints EXPLAIN (ANALYZE, BUFFERS) for the --top slowest of each page, plus a
summary line per explained statement: the top plan node, every index it uses, every Seq Scan
(with the rows it read) and the execution time. With --use-database-url it skips the cluster
and the seeding and explains against DATABASE_URL as it is (seed it first).

PostgreSQL only: SQLite's EXPLAIN QUERY PLAN has no timings or buffers.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

# (label, username, path). {round} is the newest seeded round.
PAGES = [
    ("/applications/", "jl_admin", "/applications/"),
    ("/applications/ ?status", "jl_admin", "/applications/?status=submitted"),
    ("/applications/ county", "dunhua", "/applications/"),
    ("/reviews/ city inbox", "yanbian_city", "/reviews/"),
    ("province overview", "jl_admin", "/reviews/rounds/{round}/overview/"),
    ("/registry/", "jl_admin", "/registry/"),
    ("/audit/", "jl_admin", "/audit/"),
    ("GET /api/v1/applications", "jl_admin", "/api/v1/applications"),
    ("GET /api/v1/applications ?status", "jl_admin", "/api/v1/applications?status=submitted"),
]


# --- parent: database + seed ---------------------------------------------------------------------

def parent(args) -> int:
    from load import BenchError, Postgres, prepare  # bench/load.py: the same cluster and seed

    pg = None
    try:
        if args.use_database_url:
            if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
                print("explain: --use-database-url needs DATABASE_URL=postgres://…", file=sys.stderr)
                return 2
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="clusterdesk.settings")
        else:
            pg = Postgres()
            url = pg.start()
            print(f"==> N={args.applications}: seeding a throwaway PostgreSQL cluster", flush=True)
            env = prepare(args.applications, args.audit_per_application, Path(args.workdir), url)
        env["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
        env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        env["CLUSTERDESK_PAGE_CACHE"] = "0"  # explain what drawing each page runs, not a cached answer
        child = subprocess.run([sys.executable, __file__, "--child", "--top", str(args.top)], cwd=ROOT, env=env)
        return child.returncode
    except BenchError as exc:
        print(f"explain: {exc}", file=sys.stderr)
        return 1
    finally:
        if pg is not None:
            pg.stop()


# --- child: capture and explain ------------------------------------------------------------------

def _walk(plan: dict):
    yield plan
    for sub in plan.get("Plans", []):
        yield from _walk(sub)


def summarise(plan: dict) -> dict:
    """The top node, indexes used, Seq Scans (relation, rows read) from a FORMAT JSON plan."""
    root = plan["Plan"]
    indexes, seqs = [], []
    for node in _walk(root):
        if node.get("Index Name"):
            indexes.append(f"{node['Node Type']} {node['Index Name']}")
        if node["Node Type"] == "Seq Scan":
            read = int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
                       + node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1))
            seqs.append(f"{node['Relation Name']} (~{read} rows read)")
    return {"node": root["Node Type"], "indexes": indexes, "seq_scans": seqs,
            "ms": plan.get("Execution Time", 0.0)}


def child(top: int) -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clusterdesk.orgs.models import User
    from clusterdesk.rounds.models import Round

    if connection.vendor != "postgresql":
        print("explain: PostgreSQL only (SQLite has no EXPLAIN ANALYZE)", file=sys.stderr)
        return 2
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as autovacuum keeps them in production
    newest = Round.objects.filter(name__endswith="（规模测试）").order_by("-year").first()
    fill = {"round": newest.pk if newest else 0}
    from clusterdesk.applications.models import Application

    print(f"applications in the database: {Application.objects.count()}")
    summary = []
    for label, username, path in PAGES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        url = path.format(**fill)
        client.get(url)  # warm caches (sessions, ContentTypes, templates) once
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            total = (time.perf_counter() - started) * 1000
        selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
        db_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        print(f"\n{'=' * 100}\n{label}  GET {url} as {username}: {response.status_code}, "
              f"{len(ctx.captured_queries)} queries, {total:.0f} ms in all, {db_ms:.0f} ms of it in SQL")
        timed = []
        with connection.cursor() as cursor:
            for sql in selects:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0][0]
                timed.append((plan.get("Execution Time", 0.0), sql, plan))
            timed.sort(key=lambda t: -t[0])
            for ms, sql, plan in timed[:top]:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                text = "\n".join(r[0] for r in cursor.fetchall())
                s = summarise(plan)
                short = re.sub(r"\s+", " ", sql)[:300]
                print(f"\n--- {ms:.2f} ms: {short}\n{text}")
                summary.append({"page": label, "sql": short, **s})
    print(f"\n{'=' * 100}\nSUMMARY (the {top} slowest statements of each page)")
    for row in summary:
        print(f"{row['page']:<34} {row['ms']:8.2f} ms  {row['node']:<16} "
              f"idx: {', '.join(row['indexes']) or '-'}  |  seq: {', '.join(row['seq_scans']) or '-'}")
        print(f"{'':<34} {row['sql'][:160]}")
    Path(tempfile.gettempdir(), "clusterdesk-explain.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=5000, help="N applications to seed (default 5,000)")
    parser.add_argument("--audit-per-application", type=int, default=8)
    parser.add_argument("--top", type=int, default=3, help="explain this many slowest statements per page")
    parser.add_argument("--use-database-url", action="store_true", help="explain against DATABASE_URL as it is")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "clusterdesk-bench-explain"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.top)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
