"""The client's address: ``REMOTE_ADDR``, or, behind trusted reverse proxies, from
``X-Forwarded-For``.

``settings.TRUSTED_PROXY_COUNT`` (environment variable of the same name, default 0) is the
number of reverse proxies of our own in front of the application. With 0 the header is ignored
(anyone can send it). With N > 0 the address is the Nth entry from the right of
``X-Forwarded-For``: each proxy of ours appends the address it received the request from, so
the entries further left were written by the client and are not trusted. A header with fewer
entries than N, or an entry that is not an IP address, falls back to ``REMOTE_ADDR``.

Used by the login lockout (django-axes ``AXES_CLIENT_IP_CALLABLE``), the login throttle and
the audit log.
"""

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request) -> str | None:
    if request is None:
        return None
    meta = getattr(request, "META", None) or {}
    remote = _valid(meta.get("REMOTE_ADDR", ""))
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count > 0:
        entries = [e for e in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if len(entries) >= count:
            found = _valid(entries[-count])
            if found is not None:
                return found
    return remote
