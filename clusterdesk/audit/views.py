"""Browsing the audit log (province administrators)."""

import json
from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from clusterdesk.core.pagecache import cached_page
from clusterdesk.core.pagination import CappedPaginator
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


@cached_page
@login_required
def audit_log(request):
    allowed, reason = rules.can_view_audit(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.visible_to(request.user)
    if form.is_valid():
        events = filter_events(events, form.cleaned_data)
    # The log only grows: count at most the newest 10,000 (core.pagination.CappedPaginator).
    page = CappedPaginator(events, 50).get_page(request.GET.get("page"))
    from .chain import verify_for_page

    return render(request, "audit/log.html", {"form": form, "page": page, "chain": verify_for_page()})


@login_required
def audit_log_csv(request):
    """导出CSV (UTF-8 with BOM): the events of the log page with its current filters. Province
    administrators only (not the system administrator nor the leader who may read the page)."""
    from clusterdesk.core.exports import CSV, attachment, csv_bytes, stamp
    from clusterdesk.orgs import roles

    allowed, reason = rules.can_view_audit(request.user)
    if allowed and not roles.is_province_admin(request.user):
        allowed, reason = False, "只有省厅管理员可以导出审计日志"
    if not allowed:
        raise PermissionDenied(reason)
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.visible_to(request.user)
    filters = {}
    if form.is_valid():
        events = filter_events(events, form.cleaned_data)
        filters = {k: str(v) for k, v in form.cleaned_data.items() if v}
    elif form.is_bound:
        from django.contrib import messages
        from django.shortcuts import redirect

        messages.error(request, "筛选条件有误，未导出：请按页面上的提示修正筛选条件后再导出")
        return redirect(f"{reverse('audit_log')}?{request.GET.urlencode()}")

    def as_json(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""

    headers = ["时间", "操作", "操作代码", "操作账号", "单位代码", "单位", "对象类型", "对象编号", "对象", "说明",
               "来源地址", "变更前", "变更后"]
    rows = [[e.at, ACTIONS.get(e.action, e.action), e.action, e.actor_username, e.org_code, e.org_name,
             e.object_type, e.object_id, e.object_repr, e.comment, e.ip_address or "", as_json(e.before),
             as_json(e.after)]
            for e in events.iterator(chunk_size=2000)]
    return attachment(csv_bytes(headers, rows), f"审计日志_{stamp()}.csv", CSV, request=request, what="audit_log",
                      rows=len(rows), filters=filters)
