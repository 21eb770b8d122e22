"""Append-only audit events.

Nothing in the application updates or deletes an event: the model and its queryset refuse
it, and the database refuses it too (triggers installed by migration 0002; on SQLite the
delete trigger is left out because the test runner empties tables with DELETE).
"""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除")

    def bulk_create(self, *args, **kwargs):
        raise AppendOnlyError("审计事件须逐条写入（哈希链），请使用 audit.domain.record")

    def visible_to(self, user):
        """Province administrators and system administrators read the whole log."""
        from clusterdesk.orgs import roles

        if roles.is_province_manager(user):
            return self.all()
        return self.none()


class AuditEvent(models.Model):
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)  # set on insert (save)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Snapshots, so the record stays readable whatever happens to the account or unit later.
    actor_username = models.CharField("操作账号", max_length=150, blank=True)
    org_code = models.CharField("单位代码", max_length=16, blank=True, db_index=True)
    org_name = models.CharField("单位", max_length=100, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=255, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    ip_address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    comment = models.TextField("说明", blank=True)
    # The hash chain (audit/chain.py): the previous event's hash and this event's own.
    prev_hash = models.CharField("前一条哈希", max_length=64, blank=True, default="")
    hash = models.CharField("哈希", max_length=64, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("审计日志只能追加，不能修改")
        from . import chain

        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            self.prev_hash = chain.lock_head()  # the one extra query; the head moves by trigger
            self.at = timezone.now()
            self.hash = chain.digest(self, self.prev_hash)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditChainHead(models.Model):
    """One row (id 1): the newest event's hash. Writers lock it; a database trigger moves it on
    every insert into the log (migration 0003), so deleting the newest events is detected."""

    hash = models.CharField(max_length=64, blank=True, default="")
    event_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"
