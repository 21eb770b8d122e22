"""Routes of the round documents: 附件2 推荐汇总表, the recommendation letter, the leader briefing."""

from django.urls import path

from . import views_summary

urlpatterns = [
    path("rounds/<int:round_id>/summary.xlsx", views_summary.summary_xlsx, name="summary_xlsx"),
    path("rounds/<int:round_id>/letter.docx", views_summary.letter_docx, name="letter_docx"),
    path("rounds/<int:round_id>/letter.pdf", views_summary.letter_pdf, name="letter_pdf"),
    path("rounds/<int:round_id>/briefing.pdf", views_summary.briefing_pdf, name="briefing_pdf"),
]
