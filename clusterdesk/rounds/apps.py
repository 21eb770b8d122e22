from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "clusterdesk.rounds"
    label = "rounds"
    verbose_name = "申报批次"

    def ready(self):
        from . import home  # noqa: F401  (home page panel)
