"""Routes of the re-review (复核) pages, under /registry/ (the paths they always had)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("rereview/", v.rereview_index, name="rereview_index"),
    path("rereview/start/", v.rereview_start, name="rereview_start"),
    path("rereview/rounds/<int:round_id>/", v.rereview_round, name="rereview_round"),
    path("rereview/rounds/<int:round_id>/attachment4.xlsx", v.rereview_attachment4, name="rereview_attachment4"),
    path("rereview/rounds/<int:round_id>/letter.docx", v.rereview_letter_docx, name="rereview_letter_docx"),
    path("rereview/rounds/<int:round_id>/letter.pdf", v.rereview_letter_pdf, name="rereview_letter_pdf"),
    path("rereview/tasks/<int:pk>/", v.rereview_task, name="rereview_task"),
    path("rereview/tasks/<int:pk>/edit/", v.rereview_edit, name="rereview_edit"),
    path("rereview/tasks/<int:pk>/submit/", v.rereview_submit, name="rereview_submit"),
    path("rereview/tasks/<int:pk>/evidence/", v.rereview_evidence_upload, name="rereview_evidence_upload"),
    path("rereview/tasks/<int:pk>/evidence/<int:evidence_id>/", v.rereview_evidence_download,
         name="rereview_evidence_download"),
    path("rereview/tasks/<int:pk>/evidence/<int:evidence_id>/remove/", v.rereview_evidence_remove,
         name="rereview_evidence_remove"),
    path("rereview/tasks/<int:pk>/forward/", v.rereview_forward, name="rereview_forward"),
    path("rereview/tasks/<int:pk>/decide/", v.rereview_decide, name="rereview_decide"),
    path("rereview/tasks/<int:pk>/confirm-revocation/", v.rereview_confirm, name="rereview_confirm"),
    path("rereview/tasks/<int:pk>/attachment3.pdf", v.rereview_attachment3_pdf, name="rereview_attachment3_pdf"),
    path("rereview/tasks/<int:pk>/attachment3.docx", v.rereview_attachment3_docx, name="rereview_attachment3_docx"),
]
