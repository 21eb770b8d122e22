"""``manage.py cleanup_files [--dry-run]``: remove uploads without a record and stale upload
temporaries older than ``CLEANUP_GRACE_HOURS`` (see ``core/cleanup.py``)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from clusterdesk.core.cleanup import cleanup


class Command(BaseCommand):
    help = "清理崩溃遗留的文件：没有记录的上传文件和过期的上传临时文件（超过 CLEANUP_GRACE_HOURS 小时）"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只列出将删除的文件，不删除")

    def handle(self, *args, dry_run=False, **options):
        result = cleanup(dry_run=dry_run)
        verb = "将删除" if dry_run else "已删除"
        for name in result.orphans:
            self.stdout.write(f"{verb}（无记录的上传文件）{name}")
        for path in result.temporaries:
            self.stdout.write(f"{verb}（上传临时文件）{path}")
        self.stdout.write(
            f"{'预演：' if dry_run else ''}{verb} {len(result.orphans)} 个无记录文件、{len(result.temporaries)} 个临时文件"
            f"{'' if dry_run else f'，释放 {result.freed:,} 字节'}；{result.kept_young} 个未满 "
            f"{settings.CLEANUP_GRACE_HOURS} 小时的文件未检查")
