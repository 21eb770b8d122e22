"""Sending outbox e-mail in the background (django-tasks queue "mail"; ``manage.py worker``).

Delivery is at least once and never lost:

- a row is queued (``OutboundEmail``, status ``queued``) in the transaction of the event that
  causes it; the task is handed to the worker when that commits (``domain.enqueue``);
- a try *takes* the row (``last_attempt_at``, ``attempts`` + 1) while it stays ``queued``; a
  second task for the same row finds it taken and does nothing;
- a failed try leaves ``failed`` with the error and, up to ``MAX_ATTEMPTS``, the time of the next
  automatic try (``next_attempt_at``, growing ``BACKOFF``), scheduled as a deferred task;
- ``sweep_outbox`` (at every worker start, every minute in the worker, and with the hourly
  ``send_reminders``) hands the worker again every row whose task was lost: queued and never
  tried after ``QUEUED_GRACE`` (a crash between the commit and the queuing), queued with a try
  older than the lease (a worker killed while sending), failed and due.

Mail goes on its own queue so an SMTP server that never answers (``EMAIL_TIMEOUT`` each)
holds up only mail, never packages.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from .models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30  # seconds, when EMAIL_TIMEOUT is not set: a dead SMTP server must not hang the worker
QUEUE = "mail"
MAX_ATTEMPTS = 6
BACKOFF = (60, 5 * 60, 15 * 60, 60 * 60, 4 * 60 * 60)  # seconds after the 1st, 2nd, … failed try
QUEUED_GRACE = timedelta(minutes=2)  # a queued row never tried after this lost its task


def timeout() -> int:
    return getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT


def lease() -> timedelta:
    """How long a try may take before the row counts as abandoned (its worker died)."""
    return timedelta(seconds=2 * timeout() + 60)


def backoff(attempts: int) -> timedelta | None:
    """The wait before the next automatic try after ``attempts`` tries, or None: no more."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])


def _claimable(now):
    return (Q(status=EmailStatus.QUEUED) & (Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now - lease()))
            | Q(status=EmailStatus.FAILED, next_attempt_at__lte=now))


def schedule(email_id: int, at) -> None:
    """A deferred try at ``at`` (the sweep picks the row up when the backend cannot defer)."""
    try:
        if send_email.get_backend().supports_defer:
            send_email.using(run_after=at).enqueue(email_id)
    except Exception:  # noqa: BLE001 - the sweep finds the row when it is due
        logger.exception("could not schedule the retry of e-mail %s", email_id)


@task(queue_name=QUEUE)
def send_email(email_id: int) -> str:
    """Try to send one outbox e-mail and record the outcome on its row.

    Success: ``sent`` with the time. Failure: ``failed`` with the error, and another try
    scheduled after the backoff. Never raises (the outbox is the record, not the task queue).
    """
    try:
        now = timezone.now()
        taken = OutboundEmail.objects.filter(_claimable(now), pk=email_id).update(
            status=EmailStatus.QUEUED, attempts=F("attempts") + 1, last_attempt_at=now, next_attempt_at=None)
        email = OutboundEmail.objects.filter(pk=email_id).first()
        if email is None:
            return "missing"
        if not taken:  # sent, skipped, not yet due, or another worker is sending it now
            return email.status
        try:
            connection = get_connection(timeout=timeout())
            send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to], connection=connection)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, none escapes
            error = f"{type(exc).__name__}: {exc}"[:500]
            wait = backoff(email.attempts)
            next_at = timezone.now() + wait if wait else None
            OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, error=error,
                                                             next_attempt_at=next_at)
            logger.warning("notification e-mail %s to %s failed (try %s): %s", email.pk, email.to, email.attempts,
                           error)
            if next_at:
                schedule(email.pk, next_at)
            return EmailStatus.FAILED.value
        OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, sent_at=timezone.now(), error="",
                                                         next_attempt_at=None)
        return EmailStatus.SENT.value
    except Exception:  # noqa: BLE001 - e.g. the database went away; the row stays queued for the sweep
        logger.exception("notification e-mail %s could not be processed", email_id)
        return "error"


def due_for_sweep(now=None):
    """The rows whose task was lost or that are due for an automatic retry."""
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        Q(status=EmailStatus.QUEUED, last_attempt_at__isnull=True, created_at__lt=now - QUEUED_GRACE)
        | Q(status=EmailStatus.QUEUED, last_attempt_at__lt=now - lease())
        | Q(status=EmailStatus.FAILED, next_attempt_at__lte=now)
    )


def sweep_outbox(now=None) -> int:
    """Hand the worker every row :func:`due_for_sweep`; returns how many."""
    ids = list(due_for_sweep(now).order_by("pk").values_list("pk", flat=True))
    for email_id in ids:
        try:
            send_email.enqueue(email_id)
        except Exception:  # noqa: BLE001 - the next sweep tries again
            logger.exception("could not enqueue e-mail %s", email_id)
    return len(ids)
