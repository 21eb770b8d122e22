"""Routes of the registry work (集群名录), under /registry/."""

from django.urls import path

from . import views_registry as v

urlpatterns = [
    path("", v.cluster_registry, name="cluster_registry"),
    path("export.xlsx", v.cluster_registry_xlsx, name="cluster_registry_xlsx"),
    path("import/", v.registry_import, name="registry_import"),
    path("dashboard/", v.dashboard, name="registry_dashboard"),
    path("dashboard/map.svg", v.map_svg, name="registry_map_svg"),
    path("overview/", v.leader_dashboard, name="leader_dashboard"),
    path("pool/", v.cultivation_pool, name="cultivation_pool"),
    path("<int:pk>/", v.cluster_detail, name="registry_cluster"),
    path("<int:pk>/reports/", v.report_start, name="registry_report_start"),
    path("<int:pk>/changes/new/", v.change_new, name="registry_change_new"),
    path("reports/<int:pk>/", v.report_page, name="registry_report"),
    path("changes/<int:pk>/", v.change_detail, name="registry_change"),
    path("changes/<int:pk>/evidence/<int:evidence_id>/", v.change_evidence, name="registry_change_evidence"),
]
