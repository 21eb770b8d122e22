from django.urls import path

from . import views, views_evidence, views_xlsx

urlpatterns = [
    path("", views.application_list, name="application_list"),
    path("export.xlsx", views.application_list_xlsx, name="application_list_xlsx"),
    path("new/", views.application_create, name="application_create"),
    path("<int:pk>/", views.application_detail, name="application_detail"),
    path("<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("<int:pk>/sections/<slug:key>/", views.section_save, name="section_save"),
    path("<int:pk>/check/", views.application_check, name="application_check"),
    path("<int:pk>/evaluation/", views.application_evaluation, name="application_evaluation"),
    path("<int:pk>/judgements/", views.judgement_save, name="judgement_save"),
    path("<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path("<int:pk>/evidence/", views_evidence.evidence_page, name="evidence_page"),
    path("<int:pk>/evidence/upload/", views_evidence.evidence_upload, name="evidence_upload"),
    path("<int:pk>/evidence/<int:evidence_id>/", views_evidence.evidence_download, name="evidence_download"),
    path("<int:pk>/evidence/<int:evidence_id>/remove/", views_evidence.evidence_remove, name="evidence_remove"),
    path("<int:pk>/import/template.xlsx", views_xlsx.template_download, name="xlsx_template"),
    path("<int:pk>/import/", views_xlsx.import_upload, name="xlsx_import"),
]
