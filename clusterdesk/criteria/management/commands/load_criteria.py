"""python manage.py load_criteria [FILE.yaml …] — install the shipped criteria sets (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.criteria.definition import CriteriaFileError
from clusterdesk.criteria.domain import load_shipped


class Command(BaseCommand):
    help = "安装认定标准（默认 data/criteria/*.yaml）；已安装的代码不重复安装。"

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*")

    def handle(self, *args, paths, **options):
        try:
            created = load_shipped(paths or None)
        except CriteriaFileError as exc:
            raise CommandError(str(exc)) from None
        for cset in created:
            self.stdout.write(f"已安装认定标准：{cset}")
        if not created:
            self.stdout.write("认定标准已是最新，无需安装")
