from django.urls import path

from . import views

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_create, name="round_create"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("<int:pk>/checklist/", views.checklist_edit, name="checklist_edit"),
    path("<int:pk>/extensions/", views.extension_grant, name="extension_grant"),
    path("<int:pk>/county-deadlines/", views.county_deadlines, name="county_deadlines"),
    path("subclusters/", views.subcluster_list, name="subcluster_list"),
]
