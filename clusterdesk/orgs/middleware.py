"""Accounts with a temporary password must set their own before doing anything else; sessions
are refreshed at most once a minute."""

import time

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PREFIXES = ("/static/", "/api/")
API_OPEN = ("/api/v1/auth/", "/api/v1/openapi.json", "/api/v1/docs")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            allowed = (reverse("password_change"), reverse("logout"))
            if request.path.startswith("/api/") and not request.path.startswith(API_OPEN):
                from .auth import MUST_CHANGE_PASSWORD_MESSAGE

                # The API with the session of such an account: refused as its tokens are (api/security.py).
                return JsonResponse({"detail": MUST_CHANGE_PASSWORD_MESSAGE}, status=403)
            if not request.path.startswith(ALLOWED_PREFIXES) and request.path not in allowed:
                return redirect("password_change")
        return self.get_response(request)


class SessionRefreshMiddleware:
    """Keeps the idle expiry without writing the session on every request.

    A session ends ``SESSION_COOKIE_AGE`` (``SESSION_IDLE_SECONDS``) after it was last saved.
    Saving it on every request (``SESSION_SAVE_EVERY_REQUEST``) made every page view a database
    write, so all page views queued on SQLite's one write lock. Instead the session is re-saved
    only when its last refresh is more than ``REFRESH_SECONDS`` old: a plain page view writes
    nothing, and an active user is logged out at most ``REFRESH_SECONDS`` earlier than the idle
    time says. Placed right after ``SessionMiddleware``, so its save happens on the way out.
    """

    KEY = "_refreshed_at"
    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = int(time.time())
        if session.modified:
            session[self.KEY] = now  # saved anyway (a login, a message): that save renews the expiry
        elif session.session_key and now - int(session.get(self.KEY, 0)) > self.REFRESH_SECONDS:
            session[self.KEY] = now  # marks it modified: SessionMiddleware saves it and renews expiry
        return response
