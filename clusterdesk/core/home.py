"""What is waiting for me: the home page is a list of panels per role.

Apps add panels by registering a provider with :func:`panel_provider`; each provider
receives the user and returns panels (or nothing). Providers run in registration order.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse

from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Org, Role, User

ROLE_TITLES = {
    Role.COUNTY_APPLICANT: "县级申报工作台",
    Role.CITY_REVIEWER: "市州审核工作台",
    Role.PROVINCE_ADMIN: "省厅管理工作台",
    Role.EXPERT: "专家评审工作台",
    Role.LEADER: "领导查阅",
    Role.SYSADMIN: "系统管理",
}


@dataclass
class Item:
    label: str
    value: str = ""
    url: str = ""
    tone: str = ""  # "", "warn", "danger", "ok"


@dataclass
class Panel:
    title: str
    items: list[Item] = field(default_factory=list)
    empty: str = "暂无待办事项"
    order: int = 100


_providers = []


def panel_provider(func):
    _providers.append(func)
    return func


_home_pages = []


def home_page(func):
    """Register a provider of a whole home page: ``func(request)`` answers a response for the
    users whose home is not the panels (the province leader's dashboard), else None."""
    _home_pages.append(func)
    return func


def home_page_for(request):
    for provider in _home_pages:
        response = provider(request)
        if response is not None:
            return response
    return None


def panels_for(user) -> dict:
    panels: list[Panel] = []
    for provider in _providers:
        panels.extend(provider(user) or [])
    panels.sort(key=lambda p: p.order)
    return {"title": ROLE_TITLES.get(user.role, "首页"), "panels": panels}


@panel_provider
def accounts_panel(user):
    if not (roles.is_province_manager(user) or roles.is_city_reviewer(user)):
        return []
    accounts = User.objects.visible_to(user)
    if user.role == Role.CITY_REVIEWER:
        accounts = accounts.exclude(org=user.org_id)
    counts = accounts.aggregate(
        total=Count("pk"),
        disabled=Count("pk", filter=Q(is_active=False)),
        pending=Count("pk", filter=Q(is_active=True, must_change_password=True)),
    )
    base = reverse("account_list")
    items = [Item("可管理的账号", str(counts["total"]), base)]
    if counts["pending"]:
        items.append(Item("尚未修改初始密码的账号", str(counts["pending"]), base, "warn"))
    if counts["disabled"]:
        items.append(Item("已停用的账号", str(counts["disabled"]), f"{base}?active=0"))
    return [Panel("账号管理", items, order=80)]


@panel_provider
def units_panel(user):
    if user.role == Role.EXPERT:
        return []
    orgs = Org.objects.visible_to(user)
    counts = orgs.aggregate(
        total=Count("pk"),
        recommenders=Count("pk", filter=Q(recommends_to_province=True)),
        counties=Count("pk", filter=Q(kind__in=["district", "county", "county_city", "functional_zone"])),
    )
    url = reverse("org_tree")
    items = [Item("可见单位", str(counts["total"]), url), Item("县级申报单位", str(counts["counties"]), url)]
    if user.org.kind == "province":
        items.insert(1, Item("直接向省推荐的单位", str(counts["recommenders"]), url))
    return [Panel("单位", items, order=90)]


@panel_provider
def audit_panel(user):
    from clusterdesk.audit.models import AuditEvent
    from clusterdesk.audit.vocabulary import ACTIONS

    if not roles.is_province_manager(user):
        return []
    url = reverse("audit_log")
    items = [
        Item(f"{e.at.astimezone():%m-%d %H:%M} {e.actor_username or '系统'} {ACTIONS.get(e.action, e.action)}",
             e.object_repr, f"{url}?object_type={e.object_type}&object_id={e.object_id}" if e.object_id else url,
             "danger" if e.action == "auth.locked_out" else "")
        for e in AuditEvent.objects.all()[:8]
    ]
    return [Panel("最近操作", items, empty="暂无记录", order=95)]
