from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "clusterdesk.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self):
        from . import home  # noqa: F401  (home page panel)
