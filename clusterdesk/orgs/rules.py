"""Permission predicates for units and accounts.

Each answers a ``core.workflow.Verdict`` (allowed, Chinese reason, kind) so the UI and the API can
say in Chinese why not; roles come from ``orgs/roles.py``.
"""

from clusterdesk.core.workflow import ALLOW, Verdict, forbid, invalid

from . import roles
from .models import KIND_LEVEL, Org, OrgLevel, Role

# Which unit levels each role fits.
ROLE_LEVELS: dict[str, set[str]] = {
    Role.COUNTY_APPLICANT: {OrgLevel.COUNTY},
    Role.CITY_REVIEWER: {OrgLevel.CITY, OrgLevel.COUNTY},  # county level only when it recommends directly
    Role.PROVINCE_ADMIN: {OrgLevel.PROVINCE},
    Role.SYSADMIN: {OrgLevel.PROVINCE},
    Role.EXPERT: {OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY},
    Role.LEADER: {OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY},
}

# Roles a city reviewer may give to accounts of its own counties.
CITY_ASSIGNABLE_ROLES = {Role.COUNTY_APPLICANT, Role.LEADER}


def role_fits_org(role: str, org: Org) -> Verdict:
    """Does ``role`` fit a unit of ``org``'s level? A misfit is bad input (400, field ``role``)."""
    if role not in Role.values:
        return invalid(f"未知角色：{role}（可选：{'、'.join(Role.values)}）", field="role")
    label = Role(role).label
    level = KIND_LEVEL[org.kind]
    if level not in ROLE_LEVELS[role]:
        return invalid(f"角色“{label}”不适用于{org.get_kind_display()}“{org.name}”", field="role")
    if role == Role.CITY_REVIEWER and not org.recommends_to_province:
        return invalid(f"“{org.name}”不直接向省推荐，不能设置“{label}”账号", field="role")
    return ALLOW


def can_manage_accounts(actor) -> Verdict:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return forbid("请先登录")
    if roles.is_province_manager(actor) or roles.is_city_reviewer(actor):
        return ALLOW
    return forbid("只有省厅管理员和市州审核人员可以管理账号")


def can_manage_account_in(actor, org: Org, role: str | None = None) -> Verdict:
    """May ``actor`` create or change an account of ``org`` (with ``role``)?

    Province administrators manage every unit; a city reviewer manages the accounts of
    its own counties (not its own unit's), giving them applicant or leader roles.
    """
    verdict = can_manage_accounts(actor)
    if not verdict:
        return verdict
    if not Org.objects.visible_to(actor).filter(pk=org.pk).exists():
        return forbid(f"单位“{org.name}”不在您的管理范围内")
    if actor.role == Role.CITY_REVIEWER:
        if org.pk == actor.org_id:
            return forbid("本单位的账号由省厅管理员管理")
        if role is not None and role not in CITY_ASSIGNABLE_ROLES:
            labels = "、".join(Role(r).label for r in CITY_ASSIGNABLE_ROLES)
            return forbid(f"市州只能为所辖县区设置以下角色：{labels}")
    return ALLOW


def can_view_audit(actor) -> Verdict:
    if roles.is_province_manager(actor):
        return ALLOW
    return forbid("只有省厅管理员可以查看审计日志")
