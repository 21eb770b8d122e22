"""Send the deadline reminders that are due (run every hour by scripts/run.sh or cron)."""

from django.core.management.base import BaseCommand

from clusterdesk.notifications.reminders import send_deadline_reminders
from clusterdesk.notifications.tasks import sweep_outbox
from clusterdesk.registry.domain import send_report_reminders


class Command(BaseCommand):
    help = "发送到期的截止提醒（截止前 3 天和截止当天，各一次；可重复运行）"

    def handle(self, *args, **options):
        count = send_deadline_reminders()
        count += send_report_reminders()  # annual reports of recognised clusters (registry)
        self.stdout.write(f"已发送 {count} 条截止提醒")
        swept = sweep_outbox()  # e-mail whose hand-over to the worker was lost, and retries due
        if swept:
            self.stdout.write(f"已将 {swept} 封待发送或待重试的邮件重新交给后台任务")
