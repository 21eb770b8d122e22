"""``manage.py verify_backup SRC``: check a backup (and with --installation the installed copy)."""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.core import backup


def report_or_fail(stdout, report, what: str) -> None:
    if not report.ok:
        raise CommandError(f"{what}校验未通过（{len(report.problems)} 处问题）：\n" + "\n".join(report.problems))
    stdout.write(f"{what}校验通过：{report.checked_files} 个文件、{report.checked_records} 条文件记录，数据库完整，审计日志一致")


class Command(BaseCommand):
    help = "校验备份：数据库完整性、每个文件的 SHA-256、每条文件记录都有对应文件、审计日志与清单一致"

    def add_arguments(self, parser):
        parser.add_argument("src", help="备份目录")
        parser.add_argument("--installation", action="store_true",
                            help="同时校验当前安装（恢复后的数据库和文件目录）与该备份一致")

    def handle(self, *args, src, installation, **options):
        try:
            report = backup.verify(src, installation=installation)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        report_or_fail(self.stdout, report, "备份与当前安装" if installation else "备份")
