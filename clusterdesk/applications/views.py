"""Placeholder: application pages (being written)."""
from django.http import HttpResponse


def application_list(request, pk=None, **kw):
    return HttpResponse(status=501)


application_create = application_detail = application_edit = section_save = application_check = application_list
application_submit = application_withdraw = version_detail = application_list
