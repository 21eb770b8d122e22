"""python manage.py load_demo — demo accounts (and, as features land, a demo round).

Idempotent: existing demo accounts are left as they are. Prints the accounts.
"""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.orgs.models import Org, User

DEMO_PASSWORD = "Demo@2025"

# username, org code, role, display name
DEMO_ACCOUNTS = [
    ("jl_admin", "220000", "province_admin", "省厅中小企业处（演示）"),
    ("jl_leader", "220000", "leader", "分管厅领导（演示）"),
    ("sysadmin", "220000", "sysadmin", "系统管理员（演示）"),
    ("yanbian_city", "222400", "city_reviewer", "延边州工信局（演示）"),
    ("liaoyuan_city", "220400", "city_reviewer", "辽源市工信局（演示）"),
    ("tonghua_city", "220500", "city_reviewer", "通化市工信局（演示）"),
    ("meihekou_city", "220581", "city_reviewer", "梅河口市工信局·推荐（演示）"),
    ("dunhua", "222403", "county_applicant", "敦化市工信局（演示）"),
    ("longshan", "220402", "county_applicant", "辽源市龙山区工信局（演示）"),
    ("meihekou", "220581", "county_applicant", "梅河口市工信局·申报（演示）"),
    ("ccxq", "Z220101", "county_applicant", "长春新区经发局（演示）"),
    ("expert_li", "220100", "expert", "李专家（演示）"),
]


class Command(BaseCommand):
    help = "载入演示账号（密码统一为 Demo@2025）。需先导入单位。"

    def handle(self, *args, **options):
        from clusterdesk.orgs.domain import create_account

        missing = [code for _, code, _, _ in DEMO_ACCOUNTS if not Org.objects.filter(code=code).exists()]
        if missing:
            raise CommandError(f"缺少演示所需单位 {', '.join(missing)}：请先运行 load_orgs data/jilin-divisions.csv")
        for username, code, role, name in DEMO_ACCOUNTS:
            if not User.objects.filter(username=username).exists():
                create_account(
                    actor=None, username=username, org=Org.objects.get(code=code), role=role,
                    password=DEMO_PASSWORD, display_name=name, must_change_password=False,
                )
        self.stdout.write("演示账号 / demo accounts（密码 password: %s）:" % DEMO_PASSWORD)
        for username, code, role, name in DEMO_ACCOUNTS:
            user = User.objects.select_related("org").get(username=username)
            self.stdout.write(f"  {username:<15} {user.role_label:<8} {user.org.name}")
