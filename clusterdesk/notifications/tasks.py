"""The background task that sends one outbox e-mail (django-tasks; ``manage.py db_worker``)."""

import logging

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from .models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30  # seconds, when EMAIL_TIMEOUT is not set: a dead SMTP server must not hang the worker


@task()
def send_email(email_id: int) -> str:
    """Send one queued e-mail and record the outcome on its outbox row.

    Success: ``sent`` with the time. Any failure: ``failed`` with the error text. Each try
    counts in ``attempts``. Never raises (the outbox is the record, not the task queue).
    """
    try:
        email = OutboundEmail.objects.filter(pk=email_id).first()
        if email is None or email.status != EmailStatus.QUEUED:
            return email.status if email else "missing"
        try:
            connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT)
            send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to], connection=connection)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, none escapes
            error = f"{type(exc).__name__}: {exc}"[:500]
            OutboundEmail.objects.filter(pk=email.pk).update(
                status=EmailStatus.FAILED, error=error, attempts=F("attempts") + 1
            )
            logger.warning("notification e-mail %s to %s failed: %s", email.pk, email.to, error)
            return EmailStatus.FAILED.value
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.SENT, sent_at=timezone.now(), error="", attempts=F("attempts") + 1
        )
        return EmailStatus.SENT.value
    except Exception:  # noqa: BLE001 - e.g. the database went away; the row stays queued
        logger.exception("notification e-mail %s could not be processed", email_id)
        return "error"
