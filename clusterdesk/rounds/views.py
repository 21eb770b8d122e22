"""Placeholder: round management pages (being written)."""
from django.http import HttpResponse


def round_list(request, pk=None):
    return HttpResponse(status=501)


round_create = round_detail = round_edit = checklist_edit = extension_grant = subcluster_list = round_list
