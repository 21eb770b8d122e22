"""``manage.py restore SRC``: restore a backup into an empty installation, then verify it."""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.core import backup

from .verify_backup import report_or_fail


class Command(BaseCommand):
    help = "把备份恢复到空的安装中（新的数据库、空的文件目录），恢复后自动校验（verify_backup）"

    def add_arguments(self, parser):
        parser.add_argument("src", help="备份目录")

    def handle(self, *args, src, **options):
        try:
            report = backup.restore(src)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已从 {src} 恢复")
        report_or_fail(self.stdout, report, "恢复后")
