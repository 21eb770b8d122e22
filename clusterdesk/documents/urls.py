from django.urls import include, path

urlpatterns = [
    path("", include("clusterdesk.documents.urls_attachment")),
    path("", include("clusterdesk.documents.urls_summary")),
    path("", include("clusterdesk.documents.urls_package")),
]
