"""Navigation entries for the header, by role."""

from clusterdesk.orgs.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    nav = [("home", "首页")]
    if user.role in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.LEADER):
        nav.append(("application_list", "申报"))
    if user.role in (Role.PROVINCE_ADMIN, Role.SYSADMIN, Role.LEADER):
        nav.append(("round_list", "申报批次"))
    if user.role not in (Role.COUNTY_APPLICANT, Role.EXPERT):
        nav.append(("criteria_list", "认定标准"))
    nav.append(("org_tree", "单位"))
    if user.role in (Role.PROVINCE_ADMIN, Role.SYSADMIN, Role.CITY_REVIEWER):
        nav.append(("account_list", "账号管理"))
    if user.role in (Role.PROVINCE_ADMIN, Role.SYSADMIN):
        nav.append(("audit_log", "审计日志"))
    return {"nav": nav}
