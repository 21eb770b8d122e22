"""Placeholder: the province's pages (being written)."""
from django.http import HttpResponse


def overview(request, round_id=None, **kw):
    return HttpResponse(status=501)


receive_list = publicity = selection = spot_checks = overview
