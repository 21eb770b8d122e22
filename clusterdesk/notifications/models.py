"""Notifications: in-app messages, the e-mail outbox, and the log that makes each reminder go once.

Invariants only; every change goes through ``domain.py`` (and the sending task in ``tasks.py``).
"""

from django.conf import settings
from django.db import models


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A message is its recipient's only."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)


class Message(models.Model):
    """One in-app message to one account."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="收件人", on_delete=models.CASCADE,
                                  related_name="messages")
    kind = models.CharField("类型", max_length=64)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=500, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="message_recipient_newest"),
            models.Index(fields=["recipient", "read_at"], name="message_recipient_unread"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def unread(self) -> bool:
        return self.read_at is None


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    SKIPPED = "skipped", "未发送"


class OutboundEmail(models.Model):
    """One e-mail the system sent or tried to send: the outbox the province reads."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="收件人", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to = models.CharField("收件地址", max_length=254, blank=True)
    subject = models.CharField("主题", max_length=255)
    body = models.TextField("正文")
    kind = models.CharField("类型", max_length=64)
    status = models.CharField("状态", max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    error = models.TextField("错误信息", blank=True)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    # The lease of a try: set when a worker takes the row (it stays "queued" while it is sent); a
    # row whose try started longer ago than ``tasks.lease()`` lost its worker and is taken again.
    last_attempt_at = models.DateTimeField("最近一次发送", null=True, blank=True)
    # When a failed e-mail is tried again automatically (backoff); null: no further automatic try.
    next_attempt_at = models.DateTimeField("下次自动重试", null=True, blank=True)

    class Meta:
        verbose_name = "外发邮件"
        verbose_name_plural = "外发邮件"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="outbound_status_newest")]

    def __str__(self) -> str:
        return f"{self.to or '—'} {self.subject}"


class ReminderLog(models.Model):
    """A deadline reminder that has gone out; the unique key makes each reminder go once."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "截止提醒记录"
        verbose_name_plural = "截止提醒记录"

    def __str__(self) -> str:
        return self.key


class Announcement(models.Model):
    """A notice (通知公告) from the province to every unit of the province; shown on every home
    page (the latest few) and listed at /announcements/. Province administrators write it."""

    province = models.ForeignKey("orgs.Org", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    round = models.ForeignKey("rounds.Round", verbose_name="相关批次", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField("发布时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "通知公告"
        verbose_name_plural = "通知公告"
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["province", "-published_at"], name="announcement_newest")]

    def __str__(self) -> str:
        return self.title
