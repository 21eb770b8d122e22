"""Pages of the electronic package (电子材料包): start a build, watch it, download it.

A city reviewer packages its formal recommendation; the province administrator packages the
national list (or, with ``?org=<code>``, one city's formal recommendation). Anything else —
another city's round or job, another role — is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal
from clusterdesk.rounds.models import Round

from . import package
from .models import ACTIVE_STATUSES, PackageJob

RECENT_JOBS = 10


def _round_and_org(request, round_id):
    round_ = get_object_or_404(Round.objects.visible_to(request.user), pk=round_id)
    org = package.package_org(request.user, round_, request.GET.get("org") or request.POST.get("org"))
    if org is None:
        raise Http404("材料包不存在或不在您的权限范围内")
    return round_, org


def _page_url(round_, org, user) -> str:
    url = reverse("package_page", args=[round_.pk])
    return f"{url}?org={org.code}" if org.pk != user.org_id else url


def _job(request, job_id) -> PackageJob:
    job = get_object_or_404(PackageJob.objects.visible_to(request.user).select_related("round", "org"), pk=job_id)
    return package.refreshed(job)  # a running job whose worker is gone shows as failed


def _cities_with_formal_lists(round_):
    from clusterdesk.reviews.models import ListKind, RecommendationList

    return [lst.org for lst in RecommendationList.objects.filter(round=round_, kind=ListKind.FORMAL)
            .select_related("org").order_by("org__code")]


@login_required
def package_page(request, round_id):
    """GET: the unit's package jobs with progress and downloads. POST: start (or reuse) a build."""
    round_, org = _round_and_org(request, round_id)
    if request.method == "POST":
        back_on_refusal(request, _page_url(round_, org, request.user), prefix="材料包未生成：")
        job, created = package.start_job(actor=request.user, round_=round_, org=org)
        if not created:
            messages.info(request, "材料包正在生成中，请等待完成（没有重复生成）。")
        elif job.status == "failed":
            messages.error(request, f"材料包生成失败：{job.error}")
        elif job.status == "done":
            messages.success(request, "材料包已生成，可以下载。")
        else:
            messages.success(request, "已开始生成材料包，完成后此页面会出现下载链接。")
        return redirect(_page_url(round_, org, request.user))

    plan_error = None
    entries = []
    try:
        entries = package.plan(round_, org)
    except DomainError as exc:
        plan_error = exc.message
    planned = package.planned_size(entries)
    package.expire_interrupted(PackageJob.objects.filter(round=round_, org=org))
    jobs = list(PackageJob.objects.filter(round=round_, org=org).select_related("requested_by")[:RECENT_JOBS])
    applications = sum(1 for e in entries if e.arcname.endswith("/" + package.ATTACHMENT_PDF))
    return render(request, "documents/package.html", {
        "round": round_, "org": org, "is_province": package.is_province(org),
        "jobs": jobs, "active": next((j for j in jobs if j.active), None),
        "plan_error": plan_error, "file_total": len(entries), "application_count": applications,
        "planned_size": planned, "can_stream": bool(entries) and planned <= package.stream_limit_bytes(),
        "stream_limit_mb": package.stream_limit_bytes() // (1024 * 1024),
        "download_name": package.download_name(round_, org),
        "org_query": f"?org={org.code}" if org.pk != request.user.org_id else "",
        "cities": _cities_with_formal_lists(round_) if package.is_province(request.user.org) else [],
    })


@login_required
@require_GET
def package_status(request, job_id):
    """One row of the page's 生成记录, polled by htmx every 2 seconds while the job runs (the row
    of a finished job has no trigger, so polling stops). When nothing of the unit runs any more
    the page's start button is relabelled out of band. Without htmx: back to the page."""
    job = _job(request, job_id)
    if not request.htmx:
        return redirect(_page_url(job.round, job.org, request.user))
    siblings = PackageJob.objects.filter(round=job.round, org=job.org)
    start_label = ""
    if not job.active and not siblings.filter(status__in=ACTIVE_STATUSES).exclude(pk=job.pk).exists():
        start_label = "生成材料包"
    return render(request, "documents/_package_job.html", {
        "job": job, "latest": not siblings.filter(pk__gt=job.pk).exists(), "start_label": start_label,
        "org_query": f"?org={job.org.code}" if job.org_id != request.user.org_id else "",
    })


@login_required
@require_GET
def package_download(request, job_id):
    job = _job(request, job_id)
    back_on_refusal(request, _page_url(job.round, job.org, request.user))
    return package.download(job)


@login_required
@require_GET
def package_stream(request, round_id):
    """A small package straight from storage into the response, without a background job."""
    round_, org = _round_and_org(request, round_id)
    back_on_refusal(request, _page_url(round_, org, request.user), prefix="材料包未生成：")
    entries = package.plan(round_, org)
    limit = package.stream_limit_bytes()
    if package.planned_size(entries) > limit:
        raise DomainError(f"材料包超过 {limit // (1024 * 1024)} MB，不能直接下载：请点击“生成材料包”在后台生成后下载",
                          status=409)
    return package.stream(entries, package.download_name(round_, org),
                          title=package.download_name(round_, org).removesuffix(".zip"))
