"""python manage.py create_account USERNAME --org CODE --role ROLE --password PW"""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.core.errors import DomainError
from clusterdesk.orgs.domain import create_account
from clusterdesk.orgs.models import Org, Role


class Command(BaseCommand):
    help = "创建账号：每个账号属于一个单位，有一个角色。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--org", required=True, help="单位代码，如 220000")
        parser.add_argument("--role", required=True, help="、".join(f"{r.value}（{r.label}）" for r in Role))
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument("--phone", default="")

    def handle(self, *args, username, org, role, password, name, phone, **options):
        unit = Org.objects.filter(code=org).first()
        if unit is None:
            raise CommandError(f"未知单位代码：{org}（请先用 load_orgs 导入单位，或检查代码）")
        try:
            user = create_account(
                actor=None, username=username, org=unit, role=role, password=password,
                display_name=name, phone=phone, must_change_password=False,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已创建账号 {user.username}：{unit.name}，{user.role_label}")
