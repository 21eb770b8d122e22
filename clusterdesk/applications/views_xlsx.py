"""Placeholder: XLSX template and import (being written)."""
from django.http import HttpResponse


def template_download(request, pk):
    return HttpResponse(status=501)


import_upload = template_download
