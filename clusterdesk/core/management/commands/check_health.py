"""``manage.py check_health``: one line per check (see ``core/health.py``); exit status 1 on a problem."""

import sys

from django.core.management.base import BaseCommand

from clusterdesk.core.health import OK, PROBLEM, healthy, run_checks

LABELS = {OK: "正常 OK", PROBLEM: "问题 PROBLEM", "skipped": "跳过 SKIPPED"}


class Command(BaseCommand):
    help = "检查系统健康：数据库、剩余空间、后台任务进程心跳、任务队列；有问题时退出码为 1"

    def handle(self, *args, **options):
        checks = run_checks()
        for check in checks:
            self.stdout.write(f"[{LABELS[check.status]}] {check.name}: {check.text}")
        if not healthy(checks):
            self.stderr.write("有问题 / problems: " + ", ".join(c.name for c in checks if c.status == PROBLEM))
            sys.exit(1)
        self.stdout.write("全部正常 / all healthy")
