from django.apps import AppConfig


class RereviewConfig(AppConfig):
    name = "clusterdesk.rereview"
    label = "rereview"
    verbose_name = "集群复核"

    def ready(self):
        from . import views  # noqa: F401  (home page panels)
        from .domain import register_expiry_hold

        register_expiry_hold()
