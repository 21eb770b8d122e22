"""Browsing the audit log (province administrators)."""

from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from clusterdesk.orgs import rules

from .models import AuditEvent
from .vocabulary import ACTIONS


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "全部")] + sorted(ACTIONS.items(), key=lambda kv: kv[0]))
    actor = forms.CharField(label="操作账号", required=False)
    org = forms.CharField(label="单位代码", required=False)
    object_type = forms.CharField(label="对象类型", required=False)
    object_id = forms.CharField(label="对象编号", required=False)
    since = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "截止日期不能早于起始日期")
        return data


def filter_events(queryset, data: dict):
    if data.get("action"):
        queryset = queryset.filter(action=data["action"])
    if data.get("actor"):
        queryset = queryset.filter(actor_username__icontains=data["actor"])
    if data.get("org"):
        queryset = queryset.filter(org_code=data["org"])
    if data.get("object_type"):
        queryset = queryset.filter(object_type=data["object_type"])
    if data.get("object_id"):
        queryset = queryset.filter(object_id=data["object_id"])
    tz = timezone.get_current_timezone()
    if data.get("since"):
        queryset = queryset.filter(at__gte=datetime.combine(data["since"], time.min, tzinfo=tz))
    if data.get("until"):
        queryset = queryset.filter(at__lte=datetime.combine(data["until"], time.max, tzinfo=tz))
    return queryset


@login_required
def audit_log(request):
    allowed, reason = rules.can_view_audit(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.visible_to(request.user)
    if form.is_valid():
        events = filter_events(events, form.cleaned_data)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    from .chain import verify

    return render(request, "audit/log.html", {"form": form, "page": page, "chain": verify()})
