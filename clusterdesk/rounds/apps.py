from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "clusterdesk.rounds"
    label = "rounds"
    verbose_name = "申报批次"
