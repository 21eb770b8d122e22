"""Expert review (专家评审): the scoring rubric of a round, the experts' declared conflicts,
assignments of experts to applications, and the scores.

Invariants only; every change goes through ``domain.py``. What an expert may see is
``scoping.py``; who may review what (conflicts of interest) is ``rules.py``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from clusterdesk.applications.models import Application
from clusterdesk.orgs.models import Org
from clusterdesk.rounds.models import Round


class RubricItem(models.Model):
    """One line of a round's scoring rubric: one of the eight aspects, its weight and maximum.

    An application's weighted total is ``sum(score / max_score * weight)``; the weights of a
    round add up to 100, so the total is out of 100.
    """

    round = models.ForeignKey(Round, verbose_name="申报批次", on_delete=models.CASCADE, related_name="rubric")
    aspect = models.PositiveSmallIntegerField("方面", validators=[MinValueValidator(1), MaxValueValidator(8)])
    title = models.CharField("评分项", max_length=100)
    weight = models.DecimalField("权重", max_digits=5, decimal_places=2)
    max_score = models.DecimalField("满分", max_digits=6, decimal_places=2, default=Decimal("10"))
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "评分细则"
        verbose_name_plural = "评分细则"
        ordering = ["order", "aspect"]
        constraints = [
            models.UniqueConstraint(fields=["round", "aspect"], name="rubric_aspect_unique"),
            models.CheckConstraint(condition=models.Q(aspect__gte=1, aspect__lte=8), name="rubric_aspect_range"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="rubric_weight_positive"),
            models.CheckConstraint(condition=models.Q(max_score__gt=0), name="rubric_max_positive"),
        ]

    def __str__(self) -> str:
        return f"第{self.aspect}方面 {self.title}"


class ExpertConflict(models.Model):
    """A unit whose applications an expert must not review, as the expert declared it
    (besides the automatic rule: the expert's own city or county)."""

    expert = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="专家", on_delete=models.PROTECT,
                               related_name="declared_conflicts")
    org = models.ForeignKey(Org, verbose_name="回避单位", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("回避原因")
    declared_at = models.DateTimeField("申报时间", auto_now_add=True)

    class Meta:
        verbose_name = "专家回避申报"
        verbose_name_plural = "专家回避申报"
        ordering = ["expert", "org__path"]
        constraints = [models.UniqueConstraint(fields=["expert", "org"], name="expert_conflict_unique")]

    def __str__(self) -> str:
        return f"{self.expert} 回避 {self.org}"


class ExpertAssignment(models.Model):
    """One expert reviewing one application. ``submitted_at`` is set when the expert submits
    a complete set of scores (the first submission; later changes are audited)."""

    application = models.ForeignKey(Application, verbose_name="申报", on_delete=models.PROTECT,
                                    related_name="expert_assignments")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="专家", on_delete=models.PROTECT,
                               related_name="expert_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField("分配时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    updated_at = models.DateTimeField("最后修改", null=True, blank=True)

    class Meta:
        verbose_name = "评审任务"
        verbose_name_plural = "评审任务"
        ordering = ["application__number", "expert__username"]
        constraints = [models.UniqueConstraint(fields=["application", "expert"], name="assignment_unique")]
        indexes = [models.Index(fields=["expert", "application"])]

    def __str__(self) -> str:
        return f"{self.expert} 评审 {self.application}"

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class Score(models.Model):
    """An expert's score for one rubric item, with a comment. ``value`` is empty while the
    expert has only written a comment in a draft; a submitted assignment has every value."""

    assignment = models.ForeignKey(ExpertAssignment, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(RubricItem, verbose_name="评分项", on_delete=models.PROTECT, related_name="scores")
    value = models.DecimalField("得分", max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField("评语", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "评分"
        verbose_name_plural = "评分"
        ordering = ["assignment", "item__order", "item__aspect"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "item"], name="score_unique"),
            models.CheckConstraint(condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                                   name="score_not_negative"),
        ]
