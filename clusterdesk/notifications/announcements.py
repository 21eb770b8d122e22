"""通知公告: the province's notices to all its units.

``visible_announcements(user)`` is the one scope rule (the notices of the user's own province);
``publish`` / ``edit`` are the only writes, each audited, each refused unless the actor is an
administrator of that province.
"""

from django.db import transaction
from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.orgs.models import Org

from .models import Announcement
from .rules import can_publish_announcement

__all__ = ["edit", "latest_for", "publish", "visible_announcements"]

TITLE_MAX = 200
BODY_MAX = 20000


def _province_code(user) -> str:
    return user.org.path.strip("/").split("/")[0] if user.org_id and user.org.path else ""


def visible_announcements(user):
    """Every unit of a province (and its experts) sees the province's notices."""
    if not user.is_authenticated or not user.is_active or not user.org_id:
        return Announcement.objects.none()
    return Announcement.objects.filter(province__code=_province_code(user)).select_related("round", "by")


def latest_for(user, n: int = 5) -> list[Announcement]:
    return list(visible_announcements(user)[:n])


def _clean(title: str, body: str, round_id, actor):
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        raise DomainError("标题：请填写公告标题", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(f"标题：不超过{TITLE_MAX}个字，请缩短", field="title")
    if not body:
        raise DomainError("正文：请填写公告正文", field="body")
    if len(body) > BODY_MAX:
        raise DomainError(f"正文：不超过{BODY_MAX}个字，请精简或分为多条公告", field="body")
    round_ = None
    if round_id:
        from clusterdesk.rounds.models import Round

        round_ = Round.objects.visible_to(actor).filter(pk=round_id).first()
        if round_ is None:
            raise DomainError("相关批次：所选批次不存在，请重新选择或留空", field="round")
    return title, body, round_


def _require(actor):
    ok, reason = can_publish_announcement(actor)
    if not ok:
        raise NotAllowed(reason)


@transaction.atomic
def publish(*, actor, title: str, body: str, round_id=None, request=None) -> Announcement:
    """Publish a notice to every unit of the actor's province. Side effect: an audit event."""
    _require(actor)
    title, body, round_ = _clean(title, body, round_id, actor)
    province = Org.objects.get(code=_province_code(actor))
    item = Announcement.objects.create(province=province, title=title, body=body, round=round_,
                                       published_at=timezone.now(), by=actor)
    record(action="announcement.published", actor=actor, obj=item, after={"title": title}, request=request)
    return item


@transaction.atomic
def edit(*, actor, announcement: Announcement, title: str, body: str, round_id=None, request=None) -> Announcement:
    """Correct a notice (its publication time stays). Side effect: an audit event with before/after."""
    _require(actor)
    if announcement.province.code != _province_code(actor):
        raise DomainError("通知公告不存在或不在您的权限范围内", status=404)
    title, body, round_ = _clean(title, body, round_id, actor)
    before = {"title": announcement.title, "body": announcement.body}
    announcement.title, announcement.body, announcement.round = title, body, round_
    announcement.save()
    record(action="announcement.edited", actor=actor, obj=announcement, before=before,
           after={"title": title, "body": body}, request=request)
    return announcement
