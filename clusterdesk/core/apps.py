from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clusterdesk.core"
    label = "core"
    verbose_name = "公共"
