"""python manage.py load_registry_seed — the clusters known before the system (domain.md section 8).

Enters 敦化市医药产业集群 (national, 2022 batch, valid 2023–2025) and the five provincial
clusters of 2025 (valid 2026–2028) from ``data/registry-seed.csv`` through the same import as
the registry page. Idempotent: entries are matched by unit and name. No indicator figures are
entered: they are not public. Needs the org tree (``load_orgs``); loads the industry catalogue
if it is empty (the leading-industry codes are checked against it).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clusterdesk.core.errors import DomainError

DEFAULT = Path(settings.BASE_DIR) / "data" / "registry-seed.csv"
INDUSTRIES = Path(settings.BASE_DIR) / "data" / "gbt4754-2017-divisions.csv"


class Command(BaseCommand):
    help = "载入集群名录的已知集群（敦化市医药产业集群及2025年5个省级集群；不含指标数据）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT))

    def handle(self, *args, path, **options):
        from clusterdesk.catalog.models import Industry
        from clusterdesk.registry.domain import import_clusters

        if not Industry.objects.exists():
            from clusterdesk.catalog.domain import load_industries

            load_industries(INDUSTRIES)
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{path}") from None
        try:
            result = import_clusters(actor=None, content=raw)
        except DomainError as exc:
            raise CommandError(f"{path}：{exc.message}") from None
        self.stdout.write(f"集群名录：新增 {len(result.created)} 个，更新 {len(result.updated)} 个，"
                          f"未变 {len(result.unchanged)} 个")
