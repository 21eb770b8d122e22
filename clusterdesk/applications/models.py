"""The application (附件1): its sections, evidence files and submitted versions.

The form data lives in one row per section (JSON keyed by the API field names), each with
its own version counter: two tabs saving the same section conflict, different sections
never overwrite each other, and a save is one UPDATE whatever the number of enterprises.
"""

from django.conf import settings
from django.db import models

from clusterdesk.orgs.models import Org
from clusterdesk.rounds.models import Round


class Status(models.TextChoices):
    """The application's provincial track (申报 → 市州 → 省厅初审 → 公示 → 认定). The transitions
    are declared in ``clusterdesk/reviews/workflow.py`` (``PROVINCIAL``)."""

    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交市州"
    RETURNED = "returned", "退回修改"
    CITY_REJECTED = "city_rejected", "市州不予推荐"
    RECOMMENDED = "recommended", "市州拟推荐"
    FORMAL = "formal", "市州正式推荐"
    INITIAL_PASSED = "initial_passed", "省厅初审通过"
    INITIAL_FAILED = "initial_failed", "省厅初审未通过"
    PUBLICITY = "publicity", "拟认定公示中"
    RECOGNIZED = "recognized", "认定为省级集群"
    NOT_RECOGNIZED = "not_recognized", "未予认定"


class NationalStatus(models.TextChoices):
    """The national track, run side by side with the provincial one (同步推荐). The transitions
    are declared in ``clusterdesk/reviews/workflow.py`` (``NATIONAL``)."""

    NONE = "none", "—"
    CANDIDATE = "candidate", "国家级候选"
    SELECTED = "selected", "拟推荐国家级"
    SENT = "sent", "已推荐至工信部"
    RECOGNIZED = "recognized", "获认定国家级集群"
    NOT_RECOGNIZED = "not_recognized", "未获国家级认定"




class SectionKey(models.TextChoices):
    BASIC = "basic", "基本情况"
    CONTACTS = "contacts", "联系人"
    INDICATORS = "indicators", "主要指标"
    ENTERPRISES = "enterprises", "优质企业"
    ASPECTS = "aspects", "发展情况"
    DECLARATION = "declaration", "负面清单声明"
    PLAN = "plan", "三年发展规划"


# Which API body fields each section holds.
SECTION_FIELDS: dict[str, list[str]] = {
    SectionKey.BASIC: [
        "name", "covered_org_codes", "coordination_note", "leading_industry_code", "niche", "area_km2",
        "operating_body", "sub_cluster_code",
    ],
    SectionKey.CONTACTS: ["contacts"],
    SectionKey.INDICATORS: ["indicators", "sme_count"],
    SectionKey.ENTERPRISES: ["quality_enterprises"],
    SectionKey.ASPECTS: ["aspects", "core_competitiveness", "sme_cultivation"],
    SectionKey.DECLARATION: ["negative_list_clear"],
    SectionKey.PLAN: ["plan_targets"],
}
FIELD_SECTION = {field: key for key, fields in SECTION_FIELDS.items() for field in fields}


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Applications of units in the user's scope; experts see only what is assigned to them
        while scoring is open (``experts.scoping.expert_q``)."""
        from clusterdesk.orgs.models import Role
        from clusterdesk.orgs.scoping import org_scope_q

        if getattr(user, "role", None) == Role.EXPERT:
            from clusterdesk.experts.scoping import expert_q

            return self.filter(expert_q(user))
        return self.filter(org_scope_q(user, via="org"))


class NumberCounter(models.Model):
    """The last sequence number given to a unit's applications in a year.

    Application numbers are ``<year>-<unit code>-<nn>``, unique across every round of the year:
    a second round in the same year continues the sequence. ``allocate_number`` locks this row
    (``select_for_update``), so two simultaneous creations never take the same number.
    """

    year = models.PositiveIntegerField()
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "org"], name="number_counter_unique")]

    def __str__(self) -> str:
        return f"{self.year}-{self.org_id}: {self.last}"


# The order of every application list: the newest year first, then the unit tree, then the number.
LIST_ORDER = ("-round_year", "org_path", "number")


class Application(models.Model):
    round = models.ForeignKey(Round, verbose_name="申报批次", on_delete=models.PROTECT, related_name="applications")
    org = models.ForeignKey(Org, verbose_name="申报单位", on_delete=models.PROTECT, related_name="applications")
    number = models.CharField("申报编号", max_length=32, unique=True)
    name = models.CharField("集群名称", max_length=100, blank=True)
    status = models.CharField("状态", max_length=32, choices=Status.choices, default=Status.DRAFT)
    national_status = models.CharField("国家级推荐状态", max_length=16, choices=NationalStatus.choices,
                                       default=NationalStatus.NONE)
    current_version = models.PositiveIntegerField("已提交版本", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    # Set by the city when it recommends: 同步推荐国家级.
    national_flag = models.BooleanField("同步推荐国家级", default=False)
    # After a return, the stage whose deadline governs the resubmission (the returning unit's).
    resubmit_stage = models.CharField(max_length=32, blank=True)
    # Incremented by every workflow transition of either track: a page acting on an older state is refused.
    state_version = models.PositiveIntegerField(default=0)
    # Copies of round.year and org.path, so the lists' order (newest year, unit path, number) is read
    # from one index instead of sorting every visible row across three tables. Kept by save(), by a
    # round's year being changed and by the org tree loader (applications/signals.py).
    round_year = models.PositiveIntegerField(default=0, editable=False)
    org_path = models.CharField(max_length=255, blank=True, editable=False)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "申报"
        verbose_name_plural = "申报"
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["round", "status"]), models.Index(fields=["round", "national_status"]),
            # A unit's applications in one state: the county's and the city's to-do counts and home
            # panels (org_id = ? / org_id IN (the city's counties) AND status = ?), read from the index alone.
            models.Index(fields=["org", "status"], name="application_org_status"),
            # The province's list and the API filtered by state across rounds (?status=submitted and
            # its COUNT): a Seq Scan of every application in bench/explain.py without it.
            models.Index(fields=["status"], name="application_status"),
            # LIST_ORDER: the province's list and its ?status filter take the first page in index order.
            models.Index(fields=["-round_year", "org_path", "number"], name="application_list_order"),
            models.Index(fields=["status", "-round_year", "org_path", "number"], name="application_status_order"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name or '（未命名）'}"

    def save(self, *args, **kwargs):
        if self.round_id and (self._state.adding or not self.round_year):
            self.round_year = self.round.year
        if self.org_id and (self._state.adding or not self.org_path):
            self.org_path = self.org.path
        super().save(*args, **kwargs)

    @property
    def editable(self) -> bool:
        """In the provincial track's "editable" group (draft, returned)."""
        from clusterdesk.reviews.service import PROVINCIAL

        return PROVINCIAL.in_group("editable", self.status)


class Section(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=16, choices=SectionKey.choices)
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "key"], name="section_unique")]


class EvidenceFileQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Evidence of the applications the user sees (``Application.objects.visible_to``)."""
        return self.filter(application__in=Application.objects.visible_to(user))


class EvidenceFile(models.Model):
    """One uploaded evidence file for one checklist item. Stored privately under a random name."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    item_code = models.CharField("清单项", max_length=32)
    original_name = models.CharField("文件名", max_length=255)
    stored_name = models.CharField(max_length=255, unique=True)
    kind = models.CharField("类型", max_length=8)
    size = models.BigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    # Computed with the SHA-256 at upload; the electronic package checks files by it (cheaper than
    # a second SHA-256). Null for files stored before it was recorded: those are checked by SHA-256.
    crc32 = models.BigIntegerField("CRC-32", null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Removing a file from a draft hides it; the bytes stay while a submitted version refers to them.
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = EvidenceFileQuerySet.as_manager()

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["item_code", "uploaded_at", "id"]


class AppendOnlyVersion(Exception):
    pass


class ApplicationVersion(models.Model):
    """An immutable snapshot made at submission: all data, evidence hashes, the time."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本")
    submitted_at = models.DateTimeField("提交时间")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField()
    evidence = models.JSONField()
    report = models.JSONField(null=True, blank=True)
    digest = models.CharField("快照摘要（SHA-256）", max_length=64)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    # 修改说明: what the county says it changed when it resubmits after a return (issue 15 §6).
    change_note = models.TextField("修改说明", blank=True, default="")

    class Meta:
        verbose_name = "申报版本"
        verbose_name_plural = "申报版本"
        ordering = ["application", "number"]
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="version_unique")]

    def save(self, *args, **kwargs):
        if self.pk is not None and set(kwargs.get("update_fields") or []) != {"withdrawn_at"}:
            raise AppendOnlyVersion("提交的版本不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyVersion("提交的版本不能删除")
