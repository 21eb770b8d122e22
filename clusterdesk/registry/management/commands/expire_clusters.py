"""python manage.py expire_clusters — recognised clusters past their validity become expired
(unless a re-review is pending). Safe to run every day; running again changes nothing."""

from django.core.management.base import BaseCommand

from clusterdesk.registry.domain import expire_due


class Command(BaseCommand):
    help = "将认定有效期已过且无待办复核的集群标记为已到期（可重复执行）"

    def handle(self, *args, **options):
        expired = expire_due()
        self.stdout.write(f"已到期的集群：{len(expired)} 个" + "".join(f"\n  {c.name}" for c in expired))
