"""The framework floor for bench/load.py: a bare Django project with one JSON view.

Served by the same gunicorn settings as ClusterDesk (clusterdesk/gunicorn_conf.py):
    .venv/bin/gunicorn --config clusterdesk/gunicorn_conf.py bench.floor_app:application
No database, no sessions, no middleware: what any Django page costs at least on this machine.
"""

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-floor-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_TZ=True,
    )

import django  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def floor(request):
    return JsonResponse({"ok": True, "page": "floor"})


urlpatterns = [path("", floor), path("floor/", floor)]

django.setup()
application = get_wsgi_application()
