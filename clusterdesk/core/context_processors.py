"""Navigation entries for the header, by role."""

from clusterdesk.orgs.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    nav = [("home", "首页"), ("org_tree", "单位")]
    if user.role in (Role.PROVINCE_ADMIN, Role.SYSADMIN, Role.CITY_REVIEWER):
        nav.append(("account_list", "账号管理"))
    if user.role in (Role.PROVINCE_ADMIN, Role.SYSADMIN):
        nav.append(("audit_log", "审计日志"))
    return {"nav": nav}
