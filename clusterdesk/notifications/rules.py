"""Permission predicates for notifications, each answering a ``core.workflow.Verdict``."""

from clusterdesk.core.workflow import ALLOW, Verdict, forbid
from clusterdesk.orgs import roles


def can_view_outbox(user) -> Verdict:
    """The outbox (what e-mail was sent and what failed) is for the province's administrators."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return forbid("请先登录")
    if not roles.is_province_manager(user):
        return forbid("只有省厅管理员和系统管理员可以查看邮件发送记录")
    return ALLOW


def can_publish_announcement(user) -> Verdict:
    """Announcements (通知公告) are written by the province's administrators."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return forbid("请先登录")
    if not roles.is_province_admin(user):
        return forbid("只有省厅管理员可以发布和修改通知公告")
    return ALLOW
