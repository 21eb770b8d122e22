from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "clusterdesk.orgs"
    label = "orgs"
    verbose_name = "单位与账号"

    def ready(self):
        from . import signals  # noqa: F401  (login audit receivers)
