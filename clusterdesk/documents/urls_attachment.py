"""Routes of the attachment documents: 附件1 申报表 as PDF and Word, 审核参考 as PDF."""

from django.urls import path

from . import views_attachment

urlpatterns = [
    path("applications/<int:pk>/attachment1.pdf", views_attachment.attachment1_pdf, name="attachment1_pdf"),
    path("applications/<int:pk>/attachment1.docx", views_attachment.attachment1_docx, name="attachment1_docx"),
    path("applications/<int:pk>/reference.pdf", views_attachment.reference_pdf, name="reference_pdf"),
]
