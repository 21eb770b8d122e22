from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "clusterdesk.catalog"
    label = "catalog"
    verbose_name = "基础目录"
