from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "clusterdesk.registry"
    label = "registry"
    verbose_name = "集群名录"

    def ready(self):
        from . import home  # noqa: F401  (home page panels of the registry)
        from . import workflow  # noqa: F401  (the registry's machines join core.workflow.MACHINES)
