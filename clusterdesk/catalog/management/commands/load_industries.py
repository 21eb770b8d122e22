from django.core.management.base import BaseCommand, CommandError

from clusterdesk.catalog.domain import load_industries
from clusterdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "导入国民经济行业分类（GB/T 4754-2017），CSV 列：section,section_name,code,name。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="data/gbt4754-2017-divisions.csv")

    def handle(self, *args, path, **options):
        try:
            changed = load_industries(path)
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{path}") from None
        except DomainError as exc:
            raise CommandError(f"{path}：{exc.message}；未导入") from None
        self.stdout.write(f"行业分类导入完成：变更 {changed} 条")
