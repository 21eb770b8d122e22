"""The registry of clusters (集群名录) after recognition: entries, their history, annual
reports and change filings. Invariants only; every change goes through ``domain.py``.

- ``Cluster``: one recognised cluster (national or provincial) or one entry of a city's
  cultivation pool (培育库: ``level`` and ``status`` both ``pool`` — not recognised).
- ``ClusterEvent``: the history of an entry (registered, level raised, change approved with
  both states, report submitted, expired, extended, revoked …). Append-only by convention:
  only ``domain.py`` writes it, never updates it.
- ``AnnualReport``: a recognised cluster's report on one year's development (年度发展情况).
- ``ChangeFiling`` / ``ChangeEvidence``: a filed change of leading industry, spatial scope or
  operating body with its evidence, approved or refused by the province.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clusterdesk.orgs.models import Org


class Level(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    POOL = "pool", "培育库"


class ClusterStatus(models.TextChoices):
    POOL = "pool", "培育中"
    RECOGNIZED = "recognized", "认定有效"
    EXPIRED = "expired", "已到期"
    REVOKED = "revoked", "已撤销"


class ClusterQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries of units in the user's scope (the one scoping rule, ``orgs.scoping``)."""
        from clusterdesk.orgs.scoping import org_scope_q

        return self.filter(org_scope_q(user, via="org"))

    def recognized(self):
        return self.filter(status=ClusterStatus.RECOGNIZED)


class Cluster(models.Model):
    name = models.CharField("集群名称", max_length=100)
    org = models.ForeignKey(Org, verbose_name="所在县级单位", on_delete=models.PROTECT, related_name="clusters")
    level = models.CharField("级别", max_length=16, choices=Level.choices)
    batch_year = models.PositiveSmallIntegerField("认定批次（年度）", null=True, blank=True)
    valid_from = models.DateField("有效期起", null=True, blank=True)
    valid_until = models.DateField("有效期止", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=ClusterStatus.choices)
    application = models.ForeignKey(
        "applications.Application", verbose_name="来源申报", null=True, blank=True, on_delete=models.PROTECT,
        related_name="registry_entries",
    )
    leading_industry_code = models.CharField("主导产业代码", max_length=8, blank=True)
    operating_body = models.CharField("运营主体", max_length=200, blank=True)
    covered_org_codes = models.JSONField("涉及的其他县级单位", default=list, blank=True)
    # The application's three-year plan targets ({name, unit, baseline, target, year}), for the
    # annual reports and the re-review.
    plan_targets = models.JSONField("发展目标", default=list, blank=True)
    note = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        verbose_name = "集群名录"
        verbose_name_plural = "集群名录"
        ordering = ["org__path", "name", "id"]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="cluster_status_until"),
            models.Index(fields=["level", "status"], name="cluster_level_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["application"], condition=Q(application__isnull=False),
                                    name="cluster_one_per_application"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def validity_text(self) -> str:
        if not (self.valid_from and self.valid_until):
            return "—"
        return f"{self.valid_from:%Y-%m-%d} 至 {self.valid_until:%Y-%m-%d}"


class EventKind(models.TextChoices):
    REGISTERED = "registered", "认定登记"
    IMPORTED = "imported", "导入"
    POOL_ADDED = "pool_added", "加入培育库"
    LEVEL_CHANGED = "level_changed", "级别变更"
    REPORT_SUBMITTED = "report_submitted", "提交年度报告"
    CHANGE_FILED = "change_filed", "报备变更"
    CHANGE_APPROVED = "change_approved", "变更获准"
    CHANGE_REFUSED = "change_refused", "变更未获准"
    EXTENDED = "extended", "延长有效期"
    EXPIRED = "expired", "认定到期"
    REVOKED = "revoked", "撤销认定"


class ClusterEvent(models.Model):
    """One line of an entry's history with the state before and after."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("事项", max_length=24, choices=EventKind.choices)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    comment = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "名录记录"
        verbose_name_plural = "名录记录"
        ordering = ["-at", "-id"]


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交"


class ScopedByClusterQuerySet(models.QuerySet):
    """Rows of a cluster (``cluster_via`` is the lookup to it) in the user's scope: out of scope is a 404."""

    cluster_via = "cluster"

    def visible_to(self, user):
        from clusterdesk.orgs.scoping import org_scope_q

        return self.filter(org_scope_q(user, via=f"{self.cluster_via}__org"))


class ChangeEvidenceQuerySet(ScopedByClusterQuerySet):
    cluster_via = "filing__cluster"


class AnnualReport(models.Model):
    """A recognised cluster's report on ``year``'s development, due on ``due_on`` of the next year.

    ``data``: ``{"indicators": [row like the application's], "target_progress": [{index, name,
    unit, baseline, target, target_year, achieved, completion_rate, note}], "narrative": str}``.
    A report submitted after ``due_on`` is accepted and flagged ``late``.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField("报告年度")
    due_on = models.DateField("报送截止日")
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField("状态", max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    late = models.BooleanField("逾期提交", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedByClusterQuerySet.as_manager()

    class Meta:
        verbose_name = "年度报告"
        verbose_name_plural = "年度报告"
        ordering = ["-year", "cluster_id"]
        constraints = [models.UniqueConstraint(fields=["cluster", "year"], name="report_one_per_year")]

    def __str__(self) -> str:
        return f"{self.cluster.name} {self.year}年度报告"


class ChangeKind(models.TextChoices):
    LEADING_INDUSTRY = "leading_industry", "主导产业变更"
    SPATIAL_SCOPE = "spatial_scope", "空间范围变更"
    OPERATING_BODY = "operating_body", "运营主体变更"


class ChangeStatus(models.TextChoices):
    FILED = "filed", "待省厅审核"
    APPROVED = "approved", "已同意"
    REFUSED = "refused", "不予同意"


class ChangeFiling(models.Model):
    """A filed change (变更报备) with the cluster's state before and the state asked for."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField("变更事项", max_length=24, choices=ChangeKind.choices)
    before = models.JSONField("变更前")
    after = models.JSONField("变更后")
    reason = models.TextField("变更原因")
    status = models.CharField("状态", max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.FILED)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField("报备时间", default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.TextField("审核意见", blank=True)

    objects = ScopedByClusterQuerySet.as_manager()

    class Meta:
        verbose_name = "变更报备"
        verbose_name_plural = "变更报备"
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.cluster.name} {self.get_kind_display()}"


class ChangeEvidence(models.Model):
    """One evidence file of a change filing, stored privately under a random name."""

    filing = models.ForeignKey(ChangeFiling, on_delete=models.CASCADE, related_name="evidence")
    original_name = models.CharField("文件名", max_length=255)
    stored_name = models.CharField(max_length=255, unique=True)
    kind = models.CharField("类型", max_length=8)
    size = models.BigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)

    objects = ChangeEvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = "变更佐证材料"
        verbose_name_plural = "变更佐证材料"
        ordering = ["id"]

