from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "clusterdesk.reviews"
    label = "reviews"
    verbose_name = "审核推荐"

    def ready(self):
        from . import home  # noqa: F401  (registers the province's home panel)
