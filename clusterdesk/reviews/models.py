"""Records of the review chain: comments, the cities' lists, spot checks, publicity batches,
objections and the national selection. State changes go through ``domain.py``."""

from django.conf import settings
from django.db import models

from clusterdesk.applications.models import Application
from clusterdesk.orgs.models import Org
from clusterdesk.rounds.models import Round


class ReviewComment(models.Model):
    """What a reviewer said with an action (return, reject, pass…), optionally per field."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="review_comments")
    version = models.PositiveIntegerField("针对版本", default=0)
    action = models.CharField("操作", max_length=32)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    org_name = models.CharField("单位", max_length=100)
    text = models.TextField("意见", blank=True)
    field_comments = models.JSONField("逐项意见", default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ListKind(models.TextChoices):
    NAME_LIST = "name_list", "推荐名单（阶段一）"
    FORMAL = "formal", "正式推荐（阶段二）"


class RecommendationListQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A recommending unit's lists: its own unit (and units above it) and the round's province."""
        from clusterdesk.orgs.scoping import org_scope_q

        return self.filter(org_scope_q(user, via="org"), round__in=Round.objects.visible_to(user))


class RecommendationList(models.Model):
    """A city's list as sent to the province. Sending again before the deadline replaces it."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="recommendation_lists")
    org = models.ForeignKey(Org, verbose_name="推荐单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=16, choices=ListKind.choices)
    entries = models.JSONField("名单", default=list)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("报送时间")
    received_at = models.DateTimeField("省厅确认收到", null=True, blank=True)
    letter_name = models.CharField("推荐文件", max_length=255, blank=True)
    letter_stored = models.CharField(max_length=255, blank=True)
    letter_kind = models.CharField(max_length=8, blank=True)
    letter_size = models.BigIntegerField(default=0)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    letter_crc32 = models.BigIntegerField(null=True, blank=True)  # as EvidenceFile.crc32
    confirmed_final = models.BooleanField("确认名单为最终名单", default=False)
    # The deadline in force for this unit when the list was sent: lateness is judged against it,
    # not against a deadline moved afterwards.
    deadline_at_submission = models.DateTimeField("报送时的截止时间", null=True, blank=True)
    # Formal recommendation only: how the final list differs from the name list
    # ({"added": [entry…], "dropped": [entry…]}, entries as in ``entries``) and why.
    changes = models.JSONField("与推荐名单相比的变化", default=dict, blank=True)
    change_reason = models.TextField("名单变更说明", blank=True)

    objects = RecommendationListQuerySet.as_manager()

    @property
    def changed(self) -> bool:
        return bool(self.changes.get("added") or self.changes.get("dropped"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "org", "kind"], name="one_list_per_kind")]


class ProvinceOnlyQuerySet(models.QuerySet):
    """Province-only records (spot checks and their files): the staff of the round's province
    see them; to everyone else they do not exist (404, never 403)."""

    round_via = "application__round"

    def visible_to(self, user):
        from clusterdesk.orgs import roles

        if not roles.is_province_staff(user):
            return self.none()
        return self.filter(**{f"{self.round_via}__province_id": user.org_id})


class SpotCheckFileQuerySet(ProvinceOnlyQuerySet):
    round_via = "spot_check__application__round"


class RoundScopedQuerySet(models.QuerySet):
    """Publicity records: those of the rounds the user sees (publicity is public within the province)."""

    round_via = "round"

    def visible_to(self, user):
        return self.filter(**{f"{self.round_via}__in": Round.objects.visible_to(user)})


class PublicityEntryQuerySet(RoundScopedQuerySet):
    round_via = "batch__round"


class ObjectionQuerySet(RoundScopedQuerySet):
    round_via = "entry__batch__round"


class SpotCheck(models.Model):
    """An on-site spot check (实地抽查) of an application by the province."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="spot_checks")
    checked_on = models.DateField("抽查日期")
    people = models.CharField("参加人员", max_length=255)
    findings = models.TextField("发现的情况")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProvinceOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_on", "-id"]


class SpotCheckFile(models.Model):
    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="files")
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=8)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    objects = SpotCheckFileQuerySet.as_manager()


class PublicityBatch(models.Model):
    """Provincial recognition proposed for a batch, published for a number of working days."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="publicity_batches")
    title = models.CharField("公示名称", max_length=200)
    starts_on = models.DateField("公示开始")
    working_days = models.PositiveSmallIntegerField("公示工作日", default=5)
    ends_on = models.DateField("公示结束")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finalized_at = models.DateTimeField("认定时间", null=True, blank=True)

    objects = RoundScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]


class PublicityEntry(models.Model):
    batch = models.ForeignKey(PublicityBatch, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="publicity_entries")
    outcome = models.CharField("结果", max_length=16, blank=True)  # "", recognized, not_recognized
    reason = models.TextField("理由", blank=True)

    objects = PublicityEntryQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "application"], name="publicity_entry_unique")]


class Objection(models.Model):
    """An objection received during publicity (公示异议) and how it was resolved."""

    entry = models.ForeignKey(PublicityEntry, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField("收到日期")
    submitted_by = models.CharField("异议人", max_length=100)
    content = models.TextField("异议内容")
    upheld = models.BooleanField("异议成立", null=True)
    resolution = models.TextField("处理意见", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ObjectionQuerySet.as_manager()


class NationalPick(models.Model):
    """One application on the province's national list, in rank order."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="national_picks")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="national_pick")
    rank = models.PositiveSmallIntegerField("排序")
    score = models.DecimalField("专家评分", max_digits=7, decimal_places=2, null=True, blank=True)
    override_reason = models.TextField("调整排序的理由", blank=True)
    selected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    selected_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField("报送工信部时间", null=True, blank=True)

    class Meta:
        ordering = ["round", "rank"]
