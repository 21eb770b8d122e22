"""The re-review's public face for other apps (reminders, home panels, the registry's pages):
import from here, never from ``rereview.domain`` or its views."""

from .models import RereviewStatus, RereviewTask

__all__ = ["RereviewStatus", "RereviewTask"]
