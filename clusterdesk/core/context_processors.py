"""Navigation entries for the header, by role.

An entry is ``(url_name, label)``, or ``(url_name, label, children)`` for a small menu whose
``children`` are ``(url_name, label)`` (the top bar must not wrap at 1366 px).
"""

from django.utils.functional import SimpleLazyObject

from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    nav = [("home", "首页")]
    if user.role in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.LEADER):
        nav.append(("application_list", "申报"))
    if user.role in (Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.LEADER):
        nav.append(("review_inbox", "审核推荐"))
    if user.role in roles.PROVINCE_STAFF_ROLES:
        nav.append(("round_list", "申报批次"))
    if user.role == Role.EXPERT:
        nav.append(("expert_assignments", "评审任务"))
    if user.role == Role.PROVINCE_ADMIN:
        nav.append(("expert_admin", "专家评审"))
    if user.role not in (Role.COUNTY_APPLICANT, Role.EXPERT):
        nav.append(("criteria_list", "认定标准"))
    if user.role == Role.PROVINCE_ADMIN:
        nav.append(("cluster_registry", "集群名录", [("cluster_registry", "集群名录"), ("rereview_index", "集群复核"),
                                                    ("rereview_start", "发起复核")]))
    elif user.role in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER, Role.LEADER, Role.SYSADMIN):
        nav.append(("cluster_registry", "集群名录", [("cluster_registry", "集群名录"), ("rereview_index", "集群复核")]))
    if roles.is_province_manager(user):
        # One menu for the province's system pages, so that the top bar stays on one line at 1366 px.
        nav.append(("org_tree", "系统管理", [("org_tree", "单位"), ("account_list", "账号管理"),
                                             ("notification_outbox", "发送记录")]))
        nav.append(("audit_log", "审计日志"))
    else:
        nav.append(("org_tree", "单位"))
        if user.role == Role.CITY_REVIEWER:
            nav.append(("account_list", "账号管理"))
    # Counted only when a page shows it (the header of base.html), not for every fragment.
    from clusterdesk.notifications.domain import unread_count

    unread = SimpleLazyObject(lambda: unread_count(user))
    return {"nav": nav, "unread_messages": unread}
