"""Per-address throttle of failed logins (issue 13 §3).

django-axes locks accounts (``settings.AXES_LOCKOUT_PARAMETERS``); an address is never locked,
because behind a reverse proxy every user may share it. Instead, once an address has
``LOGIN_THROTTLE_AFTER`` failed logins (page or API token, any usernames), each further attempt
from it must wait 1, 2, 4, … seconds after the previous failure (at most
``LOGIN_THROTTLE_MAX_SECONDS``); an attempt too early gets 429 with ``Retry-After`` and
"请 N 秒后再试". The count starts again after ``LOGIN_THROTTLE_RESET_SECONDS`` without a failure.
Counts live in the database (``LoginThrottle``), so every worker process sees the same.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from clusterdesk.core.netaddr import client_address

from .models import LoginThrottle

TOKEN_PATH = "/api/v1/auth/token"


def _wait(failures: int) -> int:
    over = failures - settings.LOGIN_THROTTLE_AFTER
    if over < 0:
        return 0
    return min(settings.LOGIN_THROTTLE_MAX_SECONDS, 2 ** min(over, 30))


def retry_after(address: str | None, now=None) -> int:
    """Seconds the address must still wait before its next login attempt (0: go ahead)."""
    if not address:
        return 0
    now = now or timezone.now()
    row = LoginThrottle.objects.filter(address=address).first()
    if row is None or now - row.last_failure_at > timedelta(seconds=settings.LOGIN_THROTTLE_RESET_SECONDS):
        return 0
    remaining = (row.last_failure_at + timedelta(seconds=_wait(row.failures)) - now).total_seconds()
    return max(0, math.ceil(remaining))


def note_failure(address: str | None, now=None) -> None:
    """Count one failed login from ``address``."""
    if not address:
        return
    now = now or timezone.now()
    for _ in range(2):  # a concurrent first failure may create the row between our two steps
        try:
            with transaction.atomic():
                row = LoginThrottle.objects.select_for_update().filter(address=address).first()
                if row is None:
                    LoginThrottle.objects.create(address=address, failures=1, last_failure_at=now)
                    return
                stale = now - row.last_failure_at > timedelta(seconds=settings.LOGIN_THROTTLE_RESET_SECONDS)
                row.failures = 1 if stale else row.failures + 1
                row.last_failure_at = now
                row.save(update_fields=["failures", "last_failure_at"])
                return
        except IntegrityError:
            continue


def message(seconds: int) -> str:
    return f"该来源地址登录失败次数过多，请 {seconds} 秒后再试"


class LoginThrottleMiddleware:
    """Answers 429 to a login attempt (page or API token) from an address that must still wait."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in (reverse("login"), TOKEN_PATH):
            seconds = retry_after(client_address(request))
            if seconds:
                response = self._refuse(request, seconds)
                response["Retry-After"] = str(seconds)
                return response
        return self.get_response(request)

    @staticmethod
    def _refuse(request, seconds: int):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message(seconds)}, status=429)
        from .auth import LoginForm

        return render(request, "orgs/login.html", {"form": LoginForm(request, data=None),
                                                   "lockout_message": message(seconds)}, status=429)
