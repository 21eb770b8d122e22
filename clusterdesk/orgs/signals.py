"""Login, logout and lockout go to the audit log."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from clusterdesk.audit.domain import record


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record(action="auth.login", actor=user, obj=user, request=request)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(action="auth.logout", actor=user, obj=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    from clusterdesk.core.netaddr import client_address

    from .throttle import note_failure

    username = str(credentials.get("username", ""))[:150]
    record(action="auth.login_failed", object_type="orgs.user", object_repr=username, request=request)
    note_failure(client_address(request))


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record(
        action="auth.locked_out",
        object_type="orgs.user",
        object_repr=str(username or "")[:150],
        request=request,
        comment=f"来源地址 {ip_address}",
    )


@receiver(user_logged_in)
def stamp_session_refresh(sender, request, user, **kwargs):
    """A login saves the session anyway: record it as the last refresh, so the next page view
    does not write it again (``middleware.SessionRefreshMiddleware``)."""
    import time

    from .middleware import SessionRefreshMiddleware

    session = getattr(request, "session", None)
    if session is not None:
        session[SessionRefreshMiddleware.KEY] = int(time.time())
