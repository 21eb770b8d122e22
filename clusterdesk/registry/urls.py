from django.urls import include, path

urlpatterns = [
    path("", include("clusterdesk.registry.urls_registry")),
]
