"""python manage.py verify_audit — check the audit log's hash chain (audit/chain.py).

Prints OK with the number of events, or the first broken link (event id, expected vs stored
hash) and exits with status 1.
"""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.audit.chain import verify


class Command(BaseCommand):
    help = "校验审计日志哈希链：完整时输出 OK 和条数；否则输出第一处断裂并以非零状态退出"

    def handle(self, *args, **options):
        state = verify()
        if state.ok:
            self.stdout.write(f"OK：审计日志哈希链完整，共 {state.count} 条")
            return
        self.stderr.write(f"审计日志哈希链断裂：{state.label}")
        self.stderr.write(f"  期望：{state.expected or '（空）'}")
        self.stderr.write(f"  保存：{state.stored or '（空）'}")
        raise CommandError(f"审计日志哈希链自第 {state.broken_at} 条（事件编号 {state.event_id}）起断裂")
