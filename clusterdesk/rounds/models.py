"""Annual rounds: stages with deadlines, per-unit extensions, quotas, the evidence checklist."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models

from clusterdesk.orgs.models import Org

SHANGHAI = ZoneInfo("Asia/Shanghai")


class StageCode(models.TextChoices):
    COUNTY_SUBMISSION = "county_submission", "县级申报提交"
    NAME_LIST = "name_list", "市州报送推荐名单"
    FORMAL_SUBMISSION = "formal_submission", "市州正式推荐"
    EXPERT_REVIEW = "expert_review", "专家评审"
    NATIONAL_RECOMMENDATION = "national_recommendation", "省厅推荐国家级"
    REREVIEW_SUBMISSION = "rereview_submission", "复核申报"


STAGE_ORDER = [c.value for c in StageCode]


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "筹备中"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class RoundQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Province staff see every round of their province; others see rounds once opened."""
        from clusterdesk.orgs import roles

        if not user.is_authenticated or not user.is_active or not user.org_id:
            return self.none()
        province_code = user.org.path.strip("/").split("/")[0]
        mine = self.filter(province__code=province_code)
        if roles.is_province_staff(user):
            return mine
        return mine.exclude(status=RoundStatus.DRAFT)


class Round(models.Model):
    name = models.CharField("批次名称", max_length=100)
    year = models.PositiveSmallIntegerField("年度")
    province = models.ForeignKey(Org, verbose_name="组织省份", on_delete=models.PROTECT, related_name="rounds")
    status = models.CharField("状态", max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    # Criteria set versions the round uses: [{"code": "national-2022", "version": 1}, ...].
    criteria_sets = models.JSONField("适用认定标准", default=list, blank=True)
    national_quota = models.PositiveSmallIntegerField("国家级推荐名额", default=8)
    city_quota = models.PositiveSmallIntegerField("每个市州推荐名额", null=True, blank=True, help_text="留空表示不限")
    city_quota_needs_county = models.BooleanField("至少一个位于县或县级市", default=False)
    one_per_niche = models.BooleanField("同一细分领域只推荐一个", default=False)
    contact_office = models.CharField("组织处室", max_length=100, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=50, blank=True)
    contact_email = models.EmailField("电子邮箱", blank=True)
    notice = models.TextField("通知要点", blank=True)
    # The notices every letter of the round cites: the province's own notice launching the round
    # and the ministry's notice it implements (e.g. 工信厅企业函〔2025〕77号).
    notice_title = models.CharField("省厅通知标题", max_length=200, blank=True, default="", db_default="")
    notice_number = models.CharField("省厅通知文号", max_length=50, blank=True, default="", db_default="")
    ministry_notice_title = models.CharField("工信部通知标题", max_length=200, blank=True, default="", db_default="")
    ministry_notice_number = models.CharField("工信部通知文号", max_length=50, blank=True, default="", db_default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = "申报批次"
        verbose_name_plural = "申报批次"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def window_years(self) -> list[int]:
        """The three indicator years an application reports (the three years before the round)."""
        return [self.year - 3, self.year - 2, self.year - 1]

    @property
    def base_year(self) -> int:
        return self.year - 4


class Stage(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="stages")
    code = models.CharField("阶段", max_length=32, choices=StageCode.choices)
    deadline = models.DateField("截止日期", help_text="当日 23:59:59（北京时间）截止")

    class Meta:
        verbose_name = "阶段"
        verbose_name_plural = "阶段"
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="stage_unique_per_round")]

    def __str__(self) -> str:
        return f"{self.get_code_display()}（{self.deadline:%Y-%m-%d}）"

    @property
    def closes_at(self) -> datetime:
        return end_of_day(self.deadline)


def end_of_day(day) -> datetime:
    """A deadline date means the whole of 23:59:59 that day in Asia/Shanghai (so 23:59:59.5 is on time)."""
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=SHANGHAI)


class Extension(models.Model):
    """A recorded extension of one stage's deadline for one unit only."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="extensions")
    stage_code = models.CharField("阶段", max_length=32, choices=StageCode.choices)
    org = models.ForeignKey(Org, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    closes_at = models.DateTimeField("延至")
    reason = models.TextField("原因")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = "延期"
        constraints = [models.UniqueConstraint(fields=["round", "stage_code", "org"], name="extension_unique")]


class UnitDeadline(models.Model):
    """A recommending unit's own deadline for one stage of its counties (stage 0, 县级申报提交:
    the notice leaves it to each city). Its counties without an extension close at this time
    instead of the province's stage deadline, which stays the default."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="unit_deadlines")
    org = models.ForeignKey(Org, verbose_name="推荐单位", on_delete=models.PROTECT, related_name="+")
    stage_code = models.CharField("阶段", max_length=32, choices=StageCode.choices)
    closes_at = models.DateTimeField("截止时间")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = "市州设定的截止时间"
        verbose_name_plural = "市州设定的截止时间"
        constraints = [models.UniqueConstraint(fields=["round", "org", "stage_code"], name="unit_deadline_unique")]


class FileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPG = "jpg", "JPG 图片"
    PNG = "png", "PNG 图片"
    DOCX = "docx", "Word（.docx）"
    XLSX = "xlsx", "Excel（.xlsx）"
    OFD = "ofd", "OFD 版式文件"


ALL_FILE_KINDS = [k.value for k in FileKind]


class ChecklistItem(models.Model):
    """One line of 附件5 (the evidence checklist) for a round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="checklist")
    code = models.CharField("编号", max_length=32)
    title = models.CharField("材料名称", max_length=200)
    description = models.TextField("说明", blank=True)
    required = models.BooleanField("必须提供", default=False)
    allowed_types = models.JSONField("允许的文件类型", default=list)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "佐证材料清单项"
        verbose_name_plural = "佐证材料清单"
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="checklist_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
