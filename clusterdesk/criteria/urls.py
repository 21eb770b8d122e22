from django.urls import path

from . import views

urlpatterns = [
    path("", views.criteria_list, name="criteria_list"),
    path("import/", views.criteria_import, name="criteria_import"),
    path("<str:code>/<int:version>/", views.criteria_detail, name="criteria_detail"),
    path("<str:code>/<int:version>/export/", views.criteria_export, name="criteria_export"),
    path("<str:code>/<int:version>/edit/", views.criteria_edit, name="criteria_edit"),
    path("<str:code>/<int:version>/status/", views.criteria_status, name="criteria_status"),
]
