"""Placeholder: city review pages (being written)."""
from django.http import HttpResponse


def inbox(request, **kw):
    return HttpResponse(status=501)


city_lists = name_list_submit = formal_submit = letter_download = application_action = version_diff = inbox
