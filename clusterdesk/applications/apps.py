from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "clusterdesk.applications"
    label = "applications"
    verbose_name = "申报"

    def ready(self):
        from . import home  # noqa: F401  (home page panels)
        from . import signals  # noqa: F401  (the list order's copies of round year and unit path)
