"""Navigation entries for the header, by role.

The top bar holds a few groups (申报 / 审核 / 名录 / 复核 / 管理) so that it stays on one row at
1366 px for every role. An entry is ``(key, label, children)`` with ``children`` a list of
``(url_name, label)``: one child is drawn as a plain link (named after the child, see ``_group``), several as a
``<details>`` menu (keyboard and screen-reader usable; js/app.js closes it on Escape or outside).
"""

from django.utils.functional import SimpleLazyObject

from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Role


def _entries(user) -> list[tuple[str, str, list[tuple[str, str]]]]:
    province_staff = roles.is_province_staff(user)
    province_admin = roles.is_province_admin(user)
    nav = [("home", "首页", [("home", "首页")])]

    apply = []
    if user.role in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.LEADER):
        apply.append(("application_list", "申报列表"))
    if user.role in roles.PROVINCE_STAFF_ROLES:
        apply.append(("round_list", "申报批次"))
    if apply:
        nav.append(_group("apply", "申报", apply, alone="申报" if apply[0][0] == "application_list" else None))

    review = []
    if user.role in (Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.LEADER):
        review.append(("review_inbox", "审核推荐"))
    if user.role == Role.PROVINCE_ADMIN:
        review.append(("expert_admin", "专家评审"))
    if user.role == Role.EXPERT:
        review.append(("expert_assignments", "评审任务"))
    if review:
        nav.append(_group("review", "审核", review))

    registry = []
    if user.role != Role.EXPERT:
        registry.append(("cluster_registry", "集群名录"))
    if user.role not in (Role.COUNTY_APPLICANT, Role.EXPERT):
        registry.append(("criteria_list", "认定标准"))
    if registry:
        nav.append(_group("registry", "名录", registry))

    # 复核: province staff always; a county or city when its units have re-review tasks.
    if province_staff or (user.role in (Role.COUNTY_APPLICANT, Role.CITY_REVIEWER) and _has_rereview_tasks(user)):
        rereview = [("rereview_index", "复核任务")]
        if province_admin:
            rereview.append(("rereview_start", "发起复核"))
        nav.append(("rereview", "复核", rereview))  # one child or two: "复核" either way

    admin = [("org_tree", "单位")]
    if roles.is_province_manager(user):
        admin += [("account_list", "账号管理"), ("notification_outbox", "发送记录"), ("audit_log", "审计日志")]
    elif user.role == Role.CITY_REVIEWER:
        admin.append(("account_list", "账号管理"))
    nav.append(_group("admin", "管理", admin))
    return nav


def _group(key, label, children, alone=None):
    """A menu named ``label``; a group of one is a link named ``alone`` or after its only entry."""
    return (key, label if len(children) > 1 else alone or children[0][1], children)


def _has_rereview_tasks(user) -> bool:
    from clusterdesk.rereview.service import has_tasks

    return has_tasks(user)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    # Built (and counted) only when a page shows it (the header of base.html), not for every fragment.
    from clusterdesk.notifications.domain import unread_count

    nav = SimpleLazyObject(lambda: _entries(user))
    unread = SimpleLazyObject(lambda: unread_count(user))
    return {"nav": nav, "unread_messages": unread}
