from django.apps import AppConfig


class CriteriaConfig(AppConfig):
    name = "clusterdesk.criteria"
    label = "criteria"
    verbose_name = "认定标准"
