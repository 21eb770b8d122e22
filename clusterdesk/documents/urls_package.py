"""Routes of the electronic package (under /documents/)."""

from django.urls import path

from . import views_package as views

urlpatterns = [
    path("rounds/<int:round_id>/package/", views.package_page, name="package_page"),
    path("rounds/<int:round_id>/package/stream/", views.package_stream, name="package_stream"),
    path("package/<int:job_id>/status/", views.package_status, name="package_status"),
    path("package/<int:job_id>/download/", views.package_download, name="package_download"),
]
