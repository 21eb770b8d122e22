from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clusterdesk.core"
    label = "core"
    verbose_name = "公共"

    def ready(self):
        from . import pagecache

        pagecache.connect_signals()
