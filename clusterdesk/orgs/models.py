"""The org tree (GB/T 2260 codes) and the accounts that belong to its units.

Invariants only; every change goes through ``domain.py``.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.dispatch import Signal


class OrgKind(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市（州）"
    MANAGEMENT_COMMITTEE = "management_committee", "管委会"
    DISTRICT = "district", "市辖区"
    COUNTY = "county", "县"
    COUNTY_CITY = "county_city", "县级市"
    FUNCTIONAL_ZONE = "functional_zone", "功能区"


class OrgLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"


KIND_LEVEL = {
    OrgKind.PROVINCE: OrgLevel.PROVINCE,
    OrgKind.CITY: OrgLevel.CITY,
    OrgKind.MANAGEMENT_COMMITTEE: OrgLevel.CITY,
    OrgKind.DISTRICT: OrgLevel.COUNTY,
    OrgKind.COUNTY: OrgLevel.COUNTY,
    OrgKind.COUNTY_CITY: OrgLevel.COUNTY,
    OrgKind.FUNCTIONAL_ZONE: OrgLevel.COUNTY,
}


class Role(models.TextChoices):
    COUNTY_APPLICANT = "county_applicant", "县级申报"
    CITY_REVIEWER = "city_reviewer", "市州审核"
    PROVINCE_ADMIN = "province_admin", "省厅管理"
    EXPERT = "expert", "专家"
    LEADER = "leader", "领导"
    SYSADMIN = "sysadmin", "系统管理员"


class OrgQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The units ``user`` may see. The single scoping rule lives in ``scoping.py``."""
        from .scoping import org_scope_q

        return self.filter(org_scope_q(user))


class Org(models.Model):
    code = models.CharField("代码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=24, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    recommends_to_province = models.BooleanField("直接向省推荐", default=False)
    # Materialised path "/220000/220500/220581/": a subtree is one indexed prefix match.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    # The unit that reviews and recommends this one to the province: the nearest
    # ancestor-or-self with recommends_to_province. NULL for the province itself.
    recommender = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    note = models.TextField("备注", blank=True)
    # What the unit's letters print: its 发文机关代字 (吉工信, so a letter's number reads
    # 吉工信函〔2025〕×号) and its 签发人.
    doc_prefix = models.CharField("发文机关代字", max_length=20, blank=True, default="", db_default="")
    signer = models.CharField("签发人", max_length=20, blank=True, default="", db_default="")

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        indexes = [models.Index(fields=["recommender", "path"])]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return KIND_LEVEL[self.kind]

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Accounts whose unit ``user`` may see (experts see only themselves)."""
        from .scoping import org_scope_q

        if getattr(user, "role", None) == Role.EXPERT:
            return self.filter(pk=user.pk)
        return self.filter(org_scope_q(user, via="org"))


class AccountManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """An account: one unit, one role."""

    org = models.ForeignKey(Org, verbose_name="所属单位", on_delete=models.PROTECT, related_name="accounts", null=True)
    role = models.CharField("角色", max_length=24, choices=Role.choices)
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects = AccountManager()

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]) | Q(is_superuser=True),
                name="user_role_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.username}（{self.org.name if self.org_id else '—'}）"

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role


class LoginThrottle(models.Model):
    """Failed logins from one client address (``orgs/throttle.py``): a growing delay, never a lock."""

    address = models.GenericIPAddressField("来源地址", unique=True)
    failures = models.PositiveIntegerField("连续失败次数", default=0)
    last_failure_at = models.DateTimeField("最近一次失败")

    class Meta:
        verbose_name = "登录限速"
        verbose_name_plural = "登录限速"


# Sent by the org tree loader after units' paths changed (``orgs``: the changed units), so copies of
# a unit's path elsewhere (applications' list order) follow.
org_paths_changed = Signal()
