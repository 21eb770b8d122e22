from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "clusterdesk.experts"
    label = "experts"
    verbose_name = "专家评审"

    def ready(self):
        from . import home  # noqa: F401  (home page panels)
