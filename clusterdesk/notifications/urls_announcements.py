from django.urls import path

from . import views_announcements as v

urlpatterns = [
    path("", v.announcement_list, name="announcement_list"),
    path("new/", v.announcement_new, name="announcement_new"),
    path("<int:pk>/", v.announcement_detail, name="announcement_detail"),
    path("<int:pk>/edit/", v.announcement_edit, name="announcement_edit"),
]
