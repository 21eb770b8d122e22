"""Permission predicates for notifications, each answering ``(allowed, reason)``."""

from clusterdesk.orgs.models import OrgKind, Role

OUTBOX_ROLES = (Role.PROVINCE_ADMIN, Role.SYSADMIN)


def can_view_outbox(user) -> tuple[bool, str]:
    """The outbox (what e-mail was sent and what failed) is for the province's administrators."""
    if not user.is_authenticated or not user.is_active:
        return False, "请先登录"
    if user.role not in OUTBOX_ROLES or user.org_id is None or user.org.kind != OrgKind.PROVINCE:
        return False, "只有省厅管理员和系统管理员可以查看邮件发送记录"
    return True, ""


def can_publish_announcement(user) -> tuple[bool, str]:
    """Announcements (通知公告) are written by the province's administrators."""
    if not user.is_authenticated or not user.is_active:
        return False, "请先登录"
    if user.role != Role.PROVINCE_ADMIN or user.org_id is None or user.org.kind != OrgKind.PROVINCE:
        return False, "只有省厅管理员可以发布和修改通知公告"
    return True, ""
