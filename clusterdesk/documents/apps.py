from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "clusterdesk.documents"
    label = "documents"
    verbose_name = "公文与材料包"
