"""The one set of role predicates.

Every "is this account a …" question of the product is answered here, once; apps compose
these into their ``rules.py`` verdicts instead of keeping their own role tuples. Each
predicate answers ``False`` for an anonymous, inactive or unit-less account.

``province``: pass a round's province (an ``Org`` or its id) to also require that the
account sits at *that* province (the one running the round); omit it to accept any
province-level unit.
"""

from __future__ import annotations

from .models import OrgKind, Role

# Province-level accounts: the administrator acts; the leader and the system administrator read.
PROVINCE_STAFF_ROLES = (Role.PROVINCE_ADMIN, Role.LEADER, Role.SYSADMIN)
# Accounts that administer the system at the province (criteria sets, rounds, audit, outbox).
PROVINCE_MANAGER_ROLES = (Role.PROVINCE_ADMIN, Role.SYSADMIN)

__all__ = [
    "PROVINCE_MANAGER_ROLES", "PROVINCE_STAFF_ROLES", "active", "is_city_reviewer", "is_county_applicant",
    "is_expert", "is_leader", "is_province_admin", "is_province_manager", "is_province_staff", "is_sysadmin",
    "at_province",
]


def active(user, *roles: str) -> bool:
    """An authenticated, active account with a unit (and, when given, one of ``roles``)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or not user.org_id:
        return False
    return not roles or user.role in roles


def at_province(user, province=None) -> bool:
    """The account sits at a province-level unit (that ``province`` when given)."""
    if not active(user) or user.org.kind != OrgKind.PROVINCE:
        return False
    if province is None:
        return True
    return user.org_id == getattr(province, "pk", province)


def is_province_staff(user, province=None) -> bool:
    """Province administrator, leader or system administrator at the province."""
    return active(user, *PROVINCE_STAFF_ROLES) and at_province(user, province)


def is_province_manager(user, province=None) -> bool:
    """Province administrator or system administrator at the province."""
    return active(user, *PROVINCE_MANAGER_ROLES) and at_province(user, province)


def is_province_admin(user, province=None) -> bool:
    """The province administrator (the one who acts for the province)."""
    return active(user, Role.PROVINCE_ADMIN) and at_province(user, province)


def is_sysadmin(user) -> bool:
    return active(user, Role.SYSADMIN)


def is_leader(user) -> bool:
    """A leader account, at whatever level (province, city or county) it sits."""
    return active(user, Role.LEADER)


def is_city_reviewer(user) -> bool:
    return active(user, Role.CITY_REVIEWER)


def is_county_applicant(user) -> bool:
    return active(user, Role.COUNTY_APPLICANT)


def is_expert(user) -> bool:
    return active(user, Role.EXPERT)
