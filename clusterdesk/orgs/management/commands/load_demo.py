"""python manage.py load_demo — demo accounts, the industry catalogue and a demo round.

Idempotent: existing demo accounts and the demo round are left as they are. Prints the
accounts. The demo round's deadlines lie ahead of the day it is first loaded so that every
step can be tried; its one draft application carries invented figures and says so.
"""

from django.core.management.base import BaseCommand, CommandError

from clusterdesk.orgs.models import Org, User

DEMO_PASSWORD = "Demo@Jilin2025"
# The demo password before the password policy of issue 13 (9 characters): a demo account still
# on it is moved to the new one, so the password printed is the one that works.
OLD_DEMO_PASSWORD = "Demo@2025"

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
    help = "载入演示账号（密码统一为 Demo@Jilin2025）。需先导入单位。"

    def handle(self, *args, **options):
        from clusterdesk.orgs.domain import create_account

        missing = [code for _, code, _, _ in DEMO_ACCOUNTS if not Org.objects.filter(code=code).exists()]
        if missing:
            raise CommandError(f"缺少演示所需单位 {', '.join(missing)}：请先运行 load_orgs data/jilin-divisions.csv")
        for username, code, role, name in DEMO_ACCOUNTS:
            existing = User.objects.filter(username=username).first()
            if existing is not None and existing.check_password(OLD_DEMO_PASSWORD):
                existing.set_password(DEMO_PASSWORD)
                existing.save(update_fields=["password"])
            if existing is None:
                create_account(
                    actor=None, username=username, org=Org.objects.get(code=code), role=role,
                    password=DEMO_PASSWORD, display_name=name, must_change_password=False,
                )
        self._demo_round()
        self.stdout.write("演示账号 / demo accounts（密码 password: %s）:" % DEMO_PASSWORD)
        for username, code, role, name in DEMO_ACCOUNTS:
            user = User.objects.select_related("org").get(username=username)
            self.stdout.write(f"  {username:<15} {user.role_label:<8} {user.org.name}")

    def _demo_round(self):
        from datetime import timedelta

        from django.utils import timezone

        from clusterdesk.applications.domain import create_application, save_fields
        from clusterdesk.catalog.domain import load_industries
        from clusterdesk.rounds.domain import create_round
        from clusterdesk.rounds.models import Round

        from clusterdesk.criteria.domain import load_shipped

        load_industries("data/gbt4754-2017-divisions.csv")
        load_shipped()
        year = timezone.localdate().year
        name = f"{year}年度中小企业特色产业集群申报推荐（演示）"
        if Round.objects.filter(name=name).exists():
            return
        today = timezone.localdate()
        admin = User.objects.get(username="jl_admin")
        round_ = create_round(
            actor=admin, name=name, year=year, status="open", city_quota=3, city_quota_needs_county=True,
            criteria_sets=[{"code": "national-2022", "version": 2}, {"code": "jilin-provincial-2024", "version": 2}],
            deadlines={
                "county_submission": today + timedelta(days=30),
                "name_list": today + timedelta(days=45),
                "formal_submission": today + timedelta(days=75),
                "national_recommendation": today + timedelta(days=120),
            },
            contact_office="省工业和信息化厅中小企业处（演示）", contact_name="联系人（演示）", contact_phone="0431-00000000",
            notice="演示批次：截止日期按载入演示数据的日期往后推算。",
        )
        dunhua = User.objects.get(username="dunhua")
        app = create_application(actor=dunhua, round_=round_)
        y = round_.window_years
        save_fields(actor=dunhua, application=app, data={
            "name": "敦化市医药产业集群",
            "leading_industry_code": "C27",
            "niche": "中成药（演示数据，数字为虚构）",
            "area_km2": "85",
            "operating_body": "敦化经济开发区管理委员会（演示）",
            "indicators": [
                {"year": y[0], "total_output": "45.0", "sme_output": "34.0", "leading_output": "36.0", "enterprise_count": 85, "sme_rd_spending": "1.1"},
                {"year": y[1], "total_output": "50.0", "sme_output": "38.0", "leading_output": "40.0", "enterprise_count": 90, "sme_rd_spending": "1.2"},
                {"year": y[2], "total_output": "56.0", "sme_output": "42.0", "leading_output": "45.0", "enterprise_count": 95, "sme_rd_spending": "1.4"},
            ],
        })
        self.stdout.write(f"演示批次 / demo round: {name}（演示申报 {app.number}，数据为虚构）")
