"""Re-review (复核) of recognised clusters at the end of their three years.

A re-review round (a ``rounds.Round`` with a ``rereview_submission`` stage) creates one
``RereviewTask`` per cluster whose validity ends in the round's year. The county fills the
复核申报表 (附件3) in ``data`` and uploads evidence; the city forwards; the province checks
each criterion (``RereviewCheck``) and passes (validity extended) or fails the task. A failed
task, or one not submitted by the deadline (``missed``), puts the cluster on the revocation
list until the province confirms the revocation.

Invariants only: every change goes through ``rereview.domain`` (the state machine is
``rereview.workflow``). The tables keep the names they had when re-review lived in the registry
app (``registry_rereviewtask`` …): ``migrations/0001`` only moves the models' state.
"""

from django.conf import settings
from django.db import models

from clusterdesk.orgs.models import Org
from clusterdesk.rounds.models import Round

__all__ = ["RereviewStatus", "RereviewTask", "RereviewEvidence", "CheckDecision", "RereviewCheck"]


class RereviewStatus(models.TextChoices):
    """The states of a task; the transitions and the state groups are ``rereview.workflow``."""

    DRAFT = "draft", "填报中"
    RETURNED = "returned", "市州退回修改"
    SUBMITTED = "submitted", "已提交市州"
    FORWARDED = "forwarded", "市州已报送省厅"
    # National clusters: the province's initial review (初审), then the report to MIIT, which decides.
    PRELIM_PASSED = "prelim_passed", "初审通过（待报部）"
    PRELIM_FAILED = "prelim_failed", "初审未通过（待报部）"
    REPORTED = "reported", "已报工信部"
    PASSED = "passed", "复核通过"
    FAILED = "failed", "复核不通过"
    MISSED = "missed", "逾期未提交"
    REVOKED = "revoked", "已撤销认定"


def _group(name: str) -> tuple:
    """A state group of the task's table (``rereview/workflow.py``), read when needed: the
    table imports these models."""
    from .workflow import MACHINE

    return MACHINE.group(name)


class RereviewTaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tasks of units in the user's scope (the one scoping rule); experts see none."""
        from clusterdesk.orgs.models import Role
        from clusterdesk.orgs.scoping import NOTHING, org_scope_q

        if getattr(user, "role", None) == Role.EXPERT:
            return self.filter(NOTHING)
        return self.filter(org_scope_q(user, via="org"))

    def revocation_list(self):
        """Provincial clusters' failed or missed tasks, awaiting the province's confirmation."""
        return self.filter(status__in=_group("revocation_list")).exclude(cluster__level="national")


class RereviewTask(models.Model):
    round = models.ForeignKey(Round, verbose_name="批次", on_delete=models.PROTECT, related_name="rereview_tasks")
    cluster = models.ForeignKey("registry.Cluster", verbose_name="集群", on_delete=models.PROTECT,
                                related_name="rereview_tasks")
    org = models.ForeignKey(Org, verbose_name="复核申报单位", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=RereviewStatus.choices, default=RereviewStatus.DRAFT)
    # 附件3: plan_targets (with achieved), indicators, quality_enterprises, area_km2, changes,
    # negative_list_clear, self_assessment. Keyed like the application's API fields.
    data = models.JSONField("复核申报表", default=dict, blank=True)
    # Incremented by every save of ``data``: a page saving an older version is refused (409).
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    missed_at = models.DateTimeField("逾期登记时间", null=True, blank=True)
    forwarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    forwarded_at = models.DateTimeField("市州报送时间", null=True, blank=True)
    city_comment = models.TextField("市州审核意见", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField("省厅复核时间", null=True, blank=True)
    decision_reason = models.TextField("复核意见 / 不通过原因", blank=True)
    spot_check_note = models.TextField("实地抽查情况", blank=True)
    # The criteria engine's report against the new data at decision time (with the province's checks).
    criteria_report = models.JSONField("认定标准核验结果", null=True, blank=True)
    extended_to = models.DateField("有效期延至", null=True, blank=True)
    revocation_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="+")
    revocation_confirmed_at = models.DateTimeField("确认撤销时间", null=True, blank=True)
    revocation_note = models.TextField("撤销说明", blank=True)
    # The city's last return to the county (shown to the county until it resubmits; every return
    # is also in the audit log).
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    returned_at = models.DateTimeField("市州退回时间", null=True, blank=True)
    return_comment = models.TextField("市州退回意见", blank=True)
    # The province's decision (both levels): True pass / 初审通过, False fail / 初审未通过.
    province_passed = models.BooleanField("省厅结论", null=True, blank=True)
    # National clusters: the report to MIIT and MIIT's outcome (which alone extends or revokes).
    reported_on = models.DateField("报送工信部日期", null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    ministry_passed = models.BooleanField("工信部复核结论", null=True, blank=True)
    ministry_document = models.CharField("工信部文件文号", max_length=100, blank=True)
    ministry_date = models.DateField("工信部结论日期", null=True, blank=True)
    ministry_note = models.TextField("工信部结论说明", blank=True)
    ministry_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    ministry_recorded_at = models.DateTimeField("录入工信部结论时间", null=True, blank=True)

    objects = RereviewTaskQuerySet.as_manager()

    class Meta:
        db_table = "registry_rereviewtask"
        verbose_name = "复核任务"
        verbose_name_plural = "复核任务"
        ordering = ["round", "org__path", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "cluster"], name="rereview_task_unique")]

    def __str__(self) -> str:
        return f"{self.cluster.name}复核（{self.round.year}年）"

    @property
    def is_national(self) -> bool:
        return str(self.cluster.level) == "national"

    @property
    def on_revocation_list(self) -> bool:
        return self.status in _group("revocation_list") and not self.is_national


class RereviewEvidenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Evidence of the tasks the user sees (``RereviewTask.objects.visible_to``)."""
        return self.filter(task__in=RereviewTask.objects.visible_to(user))


class RereviewEvidence(models.Model):
    """One evidence file of a re-review task, for one checklist item. Stored privately."""

    task = models.ForeignKey(RereviewTask, on_delete=models.CASCADE, related_name="evidence")
    item_code = models.CharField("清单项", max_length=32)
    original_name = models.CharField("文件名", max_length=255)
    stored_name = models.CharField(max_length=255, unique=True)
    kind = models.CharField("类型", max_length=8)
    size = models.BigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = RereviewEvidenceQuerySet.as_manager()

    class Meta:
        db_table = "registry_rereviewevidence"
        verbose_name = "复核佐证材料"
        verbose_name_plural = "复核佐证材料"
        ordering = ["item_code", "uploaded_at", "id"]


class CheckDecision(models.TextChoices):
    PASS = "pass", "符合"
    FAIL = "fail", "不符合"


class RereviewCheck(models.Model):
    """The province's finding on one criterion of the set used, with the engine's result beside it."""

    task = models.ForeignKey(RereviewTask, on_delete=models.CASCADE, related_name="checks")
    set_code = models.CharField("认定标准", max_length=64)
    rule_code = models.CharField("规则", max_length=64)
    engine_status = models.CharField("系统核验结果", max_length=16, blank=True)
    decision = models.CharField("核查结论", max_length=8, choices=CheckDecision.choices)
    note = models.TextField("说明", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "registry_rereviewcheck"
        verbose_name = "复核逐条核查"
        verbose_name_plural = "复核逐条核查"
        ordering = ["task", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "rule_code"], name="rereview_check_unique")]
