"""Notifications: who is told what, in-app and by e-mail.

``notify_users`` is the one way a notification is made: one in-app ``Message`` per active
account, and one ``OutboundEmail`` per account (status ``skipped`` when the account has no
e-mail address, so the outbox shows who could not be reached). The e-mails are handed to the
background task (``tasks.send_email``) only when the surrounding transaction commits, so a
rolled-back action sends nothing. The row itself is written in the transaction of the event,
so a crash before the hand-over loses nothing: ``tasks.sweep_outbox`` finds the row and sends it.

``notify_units`` and ``notify_province`` resolve the audiences the review chain names
(``reviews/workflow.py``: "county", "city", "province") to accounts.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.orgs.models import Org, Role, User

from .models import EmailStatus, Message, OutboundEmail
from .rules import can_view_outbox

logger = logging.getLogger(__name__)

NO_ADDRESS = "账号未登记电子邮箱"
SUBJECT_PREFIX = "【特色产业集群申报】"
SIGNATURE = "中小企业特色产业集群申报推荐管理系统（系统自动发送，请勿直接回复）"


def safe_reverse(name: str, args=None) -> str:
    """``reverse`` that answers "" for a page not (yet) installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _email_body(user, body: str, url: str) -> str:
    name = user.display_name or user.username
    lines = [f"{name}：", "", body.strip()]
    if url:
        site = getattr(settings, "SITE_URL", "").rstrip("/")
        lines += ["", f"请登录系统查看：{site}{url}" if site else f"请登录系统查看（页面地址 {url}）。"]
    lines += ["", "——", SIGNATURE]
    return "\n".join(lines)


def notify_users(*, users, kind: str, title: str, body: str, url: str = "") -> list[Message]:
    """Tell each active account in ``users`` in-app and by e-mail.

    Accounts are de-duplicated; disabled accounts are left out. An account without an
    e-mail address gets the in-app message and an outbox row marked ``skipped``. The
    e-mails are queued for the background task when the transaction commits.
    """
    seen, recipients = set(), []
    for user in users:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        recipients.append(user)
    if not recipients:
        return []
    title = title.strip()[:200]
    messages = Message.objects.bulk_create(
        [Message(recipient=u, kind=kind, title=title, body=body, url=url) for u in recipients]
    )
    queued = []
    for user in recipients:
        address = (user.email or "").strip()
        email = OutboundEmail.objects.create(
            recipient=user, to=address, subject=(SUBJECT_PREFIX + title)[:255], body=_email_body(user, body, url),
            kind=kind, status=EmailStatus.QUEUED if address else EmailStatus.SKIPPED,
            error="" if address else NO_ADDRESS,
        )
        if address:
            queued.append(email.pk)
    if queued:
        transaction.on_commit(lambda: enqueue(queued))
    return messages


def enqueue(email_ids) -> None:
    """Hand the e-mails to the background worker. A queue that cannot be reached leaves them
    ``queued`` (visible in the outbox) instead of breaking the action that caused them."""
    from .tasks import send_email

    for email_id in email_ids:
        try:
            send_email.enqueue(email_id)
        except Exception:  # noqa: BLE001 - the action already happened; the outbox shows the row
            logger.exception("could not enqueue notification e-mail %s", email_id)


# --- audiences -----------------------------------------------------------------------------

def _ancestor_paths(org: Org) -> list[str]:
    parts = [p for p in org.path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def county_accounts(org: Org):
    """The active county applicant accounts that act for ``org``: those on the unit itself, or on
    a unit above it in the same review chain (a county applying for a zone under it)."""
    return User.objects.filter(
        is_active=True, role=Role.COUNTY_APPLICANT, org__path__in=_ancestor_paths(org),
        org__recommender_id=org.recommender_id,
    )


def city_accounts(org_id):
    """The active reviewer accounts of a recommending unit."""
    return User.objects.filter(is_active=True, role=Role.CITY_REVIEWER, org_id=org_id)


def province_accounts(province_id):
    return User.objects.filter(is_active=True, role=Role.PROVINCE_ADMIN, org_id=province_id)


AUDIENCES = ("county", "city", "province")


def notify_units(*, application, audiences, kind: str, title: str, body: str) -> list[Message]:
    """Tell the units an application's action concerns.

    ``audiences``: "county" — the applicant accounts of the applying unit; "city" — the
    reviewers of its recommending unit; "province" — the administrators of the round's
    province. The message links to the application.
    """
    unknown = set(audiences) - set(AUDIENCES)
    if unknown:
        raise ValueError(f"unknown audience {sorted(unknown)!r}")
    if not audiences:
        return []
    org = application.org
    q = Q(pk__in=[])
    if "county" in audiences:
        q |= Q(pk__in=county_accounts(org).values("pk"))
    if "city" in audiences and org.recommender_id:
        q |= Q(pk__in=city_accounts(org.recommender_id).values("pk"))
    if "province" in audiences:
        q |= Q(pk__in=province_accounts(application.round.province_id).values("pk"))
    users = User.objects.filter(q).order_by("pk")
    return notify_users(users=users, kind=kind, title=title, body=body,
                        url=safe_reverse("application_detail", args=[application.pk]))


def notify_province(*, round_, kind: str, title: str, body: str) -> list[Message]:
    """Tell the administrators of the round's province (a city sent its list, …)."""
    url = safe_reverse("province_overview", args=[round_.pk]) or safe_reverse("round_detail", args=[round_.pk])
    return notify_users(users=province_accounts(round_.province_id).order_by("pk"), kind=kind, title=title,
                        body=body, url=url)


# --- reading -------------------------------------------------------------------------------

def messages_of(user):
    return Message.objects.filter(recipient=user)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Message.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user, message: Message) -> Message:
    """Mark one of the user's own messages read (again is harmless)."""
    if message.recipient_id != user.pk:
        raise DomainError("没有找到这条消息", status=404)
    if message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


def mark_all_read(user) -> int:
    """Mark every unread message of the user read; returns how many."""
    return Message.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- the outbox ----------------------------------------------------------------------------

def outbox_for(user):
    """The e-mails a province administrator may see: those to accounts of the province."""
    allowed, reason = can_view_outbox(user)
    if not allowed:
        raise NotAllowed(reason)
    return OutboundEmail.objects.filter(
        Q(recipient__org__path__startswith=user.org.path) | Q(recipient__isnull=True)
    ).select_related("recipient__org")


def retry(actor, email: OutboundEmail) -> OutboundEmail:
    """A province administrator sends an e-mail that has not been sent again, at once.

    Any row not ``sent``: a failed one, one still queued (its task may be lost), one skipped
    for want of an address (the recipient's current address is used). Refused: a sent row,
    a row a worker is sending right now, a recipient who still has no address.
    """
    from .tasks import lease

    if not outbox_for(actor).filter(pk=email.pk).exists():
        raise NotAllowed("这封邮件不在您的管理范围内")
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(of=("self",)).select_related("recipient").get(pk=email.pk)
        now = timezone.now()
        if email.status == EmailStatus.SENT:
            raise Conflict(f"这封邮件已于 {timezone.localtime(email.sent_at):%Y-%m-%d %H:%M} 发送，无需重新发送"
                           if email.sent_at else "这封邮件已发送，无需重新发送")
        if email.status == EmailStatus.QUEUED and email.last_attempt_at and now - email.last_attempt_at < lease():
            raise Conflict("这封邮件正在发送中，请稍后刷新页面查看结果")
        address = email.to
        if not address and email.recipient is not None:
            address = (email.recipient.email or "").strip()
        if not address:
            raise Conflict("收件账号仍未登记电子邮箱：请先在账号管理中为其填写电子邮箱，再重新发送")
        OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.QUEUED, to=address, error="",
                                                         last_attempt_at=None, next_attempt_at=None)
        transaction.on_commit(lambda: enqueue([email.pk]))
    email.refresh_from_db()
    return email
