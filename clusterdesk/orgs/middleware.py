"""Accounts with a temporary password must set their own before doing anything else."""

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
