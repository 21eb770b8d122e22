"""Token issue and revocation. The login lockout applies here as on the login page."""

from django.contrib.auth import authenticate
from django.utils import timezone
from ninja import Router, Status

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.orgs.auth import LOCKOUT_MESSAGE, MUST_CHANGE_PASSWORD_MESSAGE

from .models import ApiToken
from .schemas import ErrorOut, TokenIn, TokenOut

router = Router(tags=["认证"])


@router.post("/token", auth=None, response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut})
def issue_token(request, payload: TokenIn):
    """用户名和密码换取接口令牌。同一账号连续 5 次失败后锁定 15 分钟；使用临时密码的账号须先修改密码（403）。"""
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise DomainError(LOCKOUT_MESSAGE, status=429)
    if user is None:
        raise DomainError("用户名或密码错误，请检查后重试", field="password", status=401)
    if user.must_change_password:
        raise NotAllowed(MUST_CHANGE_PASSWORD_MESSAGE, field="password")
    token, raw = ApiToken.issue(user)
    record(action="auth.token_issued", actor=user, obj=token, object_repr=f"令牌 {token.prefix}…", request=request)
    return {"token": raw, "expires_at": token.expires_at.isoformat() if token.expires_at else None}


@router.post("/token/revoke", response={204: None, 400: ErrorOut})
def revoke_token(request):
    """吊销当前请求所用的令牌。"""
    token = getattr(request, "api_token", None)
    if token is None:
        raise DomainError("当前请求未使用接口令牌（Authorization: Bearer …），无可吊销的令牌")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record(action="auth.token_revoked", actor=request.user, obj=token, object_repr=f"令牌 {token.prefix}…", request=request)
    return Status(204, None)
