"""Placeholder: evidence pages (being written)."""
from django.http import HttpResponse


def evidence_page(request, pk):
    return HttpResponse(status=501)


evidence_upload = evidence_download = evidence_remove = evidence_page
