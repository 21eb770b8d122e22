from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.catalog.domain import import_subclusters
from clusterdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "导入重点子集群目录（CSV 或 XLSX，列：编号,名称,所属产业,备注）。"

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            result = import_subclusters(Path(path).read_bytes(), path)
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{path}") from None
        except DomainError as exc:
            raise CommandError(f"{path}：{exc.message}；未导入") from None
        self.stdout.write(f"子集群导入完成：新增 {result['created']}，更新 {result['updated']}")
