"""Criteria sets with versions, and reviewers' judgements on judgement rules."""

from django.conf import settings
from django.db import models


class SetStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "启用"
    RETIRED = "retired", "停用"


class Level(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"


class CriteriaSet(models.Model):
    """One version of a criteria set. The definition (aspects and rules) is the readable
    file's content; a version never changes once active — editing makes the next version."""

    code = models.CharField("代码", max_length=64)
    version = models.PositiveIntegerField("版本")
    name = models.CharField("名称", max_length=200)
    level = models.CharField("级别", max_length=16, choices=Level.choices)
    status = models.CharField("状态", max_length=16, choices=SetStatus.choices, default=SetStatus.DRAFT)
    placeholder = models.BooleanField("阈值待确认", default=False)
    definition = models.JSONField("定义")
    source = models.CharField("依据", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "认定标准"
        verbose_name_plural = "认定标准"
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="criteria_code_version_unique")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """What people read: "国家级中小企业特色产业集群认定标准（2022年版）第1版" (never the code)."""
        return f"{self.name}第{self.version}版"


class Decision(models.TextChoices):
    PASS = "pass", "符合"
    FAIL = "fail", "不符合"


class Judgement(models.Model):
    """A reviewer's decision on one judgement rule for one application (latest wins; the
    audit log keeps every earlier one)."""

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="judgements")
    set_code = models.CharField(max_length=64)
    rule_code = models.CharField(max_length=64)
    decision = models.CharField("判断", max_length=8, choices=Decision.choices)
    reason = models.TextField("理由")
    judged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    judged_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "set_code", "rule_code"], name="judgement_unique")]
