"""The notifications app's public face for other apps and management commands."""

from .tasks import QUEUE as MAIL_QUEUE
from .tasks import sweep_outbox

__all__ = ["MAIL_QUEUE", "sweep_outbox"]
