"""python manage.py load_orgs PATH.csv — load or update the org tree, all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.core.errors import DomainError
from clusterdesk.orgs.domain import load_orgs, parse_org_csv


class Command(BaseCommand):
    help = "导入单位树（CSV：code,name,kind,parent_code,recommends_to_province,longitude,latitude,note）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV 文件路径，如 data/jilin-divisions.csv")

    def handle(self, *args, path, **options):
        try:
            rows = parse_org_csv(path)
            result = load_orgs(rows)
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{path}") from None
        except DomainError as exc:
            raise CommandError(f"{path}：{exc.message}；未导入任何单位") from None
        self.stdout.write(f"单位导入完成（{path}）：{result}")
