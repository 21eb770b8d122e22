from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "clusterdesk.reviews"
    label = "reviews"
    verbose_name = "审核推荐"
