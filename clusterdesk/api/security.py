"""Bearer-token authentication for the API (sessions work too, for the docs page)."""

from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from clusterdesk.core.errors import NotAllowed
from clusterdesk.orgs.auth import MUST_CHANGE_PASSWORD_MESSAGE

from .models import ApiToken, hash_token


class BearerToken(HttpBearer):
    openapi_description = "POST /api/v1/auth/token 获取令牌，然后在请求头中携带 Authorization: Bearer <token>"

    def authenticate(self, request, token: str):
        found = (
            ApiToken.objects.live()
            .select_related("user", "user__org")
            .filter(key_hash=hash_token(token), user__is_active=True)
            .first()
        )
        if found is None:
            return None
        if found.user.must_change_password:  # e.g. a token issued before the password was reset
            raise NotAllowed(MUST_CHANGE_PASSWORD_MESSAGE)
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.api_token = found
        return found.user


AUTH = [BearerToken(), django_auth]
