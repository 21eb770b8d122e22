from django.urls import path

from . import views, views_province

urlpatterns = [
    path("", views.inbox, name="review_inbox"),
    path("batch/", views.batch_action, name="review_batch"),
    path("rounds/<int:round_id>/lists/", views.city_lists, name="city_lists"),
    path("rounds/<int:round_id>/lists/name-list/", views.name_list_submit, name="name_list_submit"),
    path("rounds/<int:round_id>/lists/formal/", views.formal_submit, name="formal_submit"),
    path("lists/<int:list_id>/letter/", views.letter_download, name="letter_download"),
    path("applications/<int:pk>/actions/<slug:action>/", views.application_action, name="application_action"),
    path("applications/<int:pk>/diff/", views.version_diff, name="version_diff"),
    # province
    path("rounds/<int:round_id>/overview/", views_province.overview, name="province_overview"),
    path("lists/<int:list_id>/receive/", views_province.receive_list, name="list_receive"),
    path("rounds/<int:round_id>/lists/receive/", views_province.receive_lists, name="lists_receive"),
    path("rounds/<int:round_id>/publicity/", views_province.publicity, name="publicity"),
    path("rounds/<int:round_id>/selection/", views_province.selection, name="national_selection"),
    path("rounds/<int:round_id>/publicity/<int:batch_id>/<slug:kind>.docx", views_province.publicity_docx,
         name="publicity_docx"),
    path("rounds/<int:round_id>/selection/list.docx", views_province.national_list_docx, name="national_list_docx"),
    path("applications/<int:pk>/spot-checks/", views_province.spot_checks, name="spot_checks"),
    path("spot-check-files/<int:file_id>/", views_province.spot_check_file, name="spot_check_file"),
]
