"""``manage.py backup DEST``: a consistent backup while the system runs (see core/backup.py)."""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.core import backup


class Command(BaseCommand):
    help = "备份数据库和文件目录到 DEST（运行中也可备份）：先数据库，再文件，最后写入 manifest.json"

    def add_arguments(self, parser):
        parser.add_argument("dest", help="备份目录（不存在或为空）")

    def handle(self, *args, dest, **options):
        try:
            manifest = backup.backup(dest)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"备份完成：{dest}（数据库 {manifest['database']['size']} 字节，{len(manifest['media'])} 个文件，"
            f"{len(manifest['file_records'])} 条文件记录，审计日志 {manifest['audit']['count']} 条）")
