from django.urls import path

from . import views

urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("read-all/", views.message_read_all, name="message_read_all"),
    path("<int:pk>/", views.message_open, name="message_open"),
    path("<int:pk>/read/", views.message_read, name="message_read"),
    path("outbox/", views.outbox, name="notification_outbox"),
    path("outbox/<int:pk>/retry/", views.outbox_retry, name="notification_retry"),
]
