"""python manage.py seed_scale --applications N --audit-per-application K — a data set at scale.

For benchmarks (bench/load.py) only: refuses a database holding real applications. See
``clusterdesk/core/scale.py`` for what it makes.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "生成规模测试数据（仅用于测试库）/ make a data set at scale (scratch databases only)"

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, required=True, help="要生成的申报份数 / applications to add")
        parser.add_argument("--audit-per-application", type=int, default=8,
                            help="每份申报的审计事件数 / audit events per application")

    def handle(self, *args, applications, audit_per_application, **options):
        from clusterdesk.core.scale import seed

        if applications < 1 or audit_per_application < 0:
            raise CommandError("--applications 须为正整数，--audit-per-application 不能为负数 / "
                               "--applications must be positive, --audit-per-application not negative")
        started = time.monotonic()
        try:
            made = seed(applications=applications, audit_per_application=audit_per_application,
                        out=lambda msg: self.stdout.write(f"  {msg}"))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        from django.db import connection

        if connection.vendor == "postgresql":
            # The state autovacuum keeps a production database in: statistics for the planner and a
            # visibility map for index-only scans (a freshly bulk-loaded table has neither). VACUUM
            # cannot run inside a transaction (a test's): statistics only, then.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        self.stdout.write(
            f"规模测试数据 / seeded in {time.monotonic() - started:.1f} s: {made.applications} applications in "
            f"{made.rounds} rounds, {made.versions} versions, {made.evidence} evidence files, "
            f"{made.audit_events} audit events, {made.clusters} registry entries, {made.reports} annual reports")
