"""API of the electronic package (电子材料包): start or reuse a build, its status, the download.

Same rules as the pages (``documents.package``): a city reviewer packages its formal
recommendation; the province administrator the national list (or ``?org=<code>`` a city's
formal recommendation). A round or job outside that is a 404.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from clusterdesk.api.schemas import ErrorOut
from clusterdesk.rounds.models import Round

from . import package
from .models import PackageJob

router = Router(tags=["公文与材料包"])


class PackageJobOut(Schema):
    id: int
    status: str
    status_label: str
    progress: int
    total_bytes: int
    done_bytes: int
    file_count: int
    size: int
    manifest_sha256: str
    error: str
    download_url: str


def _job(request, job_id: int) -> PackageJob:
    job = get_object_or_404(PackageJob.objects.visible_to(request.user).select_related("round", "org"), pk=job_id)
    return package.refreshed(job)  # a running job whose worker is gone shows as failed


@router.post("/rounds/{round_id}/package",
             response={200: PackageJobOut, 201: PackageJobOut, 404: ErrorOut, 409: ErrorOut})
def start_package(request, round_id: int, org: str | None = None):
    """生成电子材料包（后台任务）。已有排队或生成中的任务时直接返回该任务（200），否则新建（201）。

    市州审核人员：本单位正式推荐的材料包；省厅管理员：国家级推荐名单的材料包，或用查询参数
    org=<单位代码> 指定某个市州的正式推荐材料包。尚未正式推荐或尚未选定名单时返回 409。
    """
    round_ = get_object_or_404(Round.objects.visible_to(request.user), pk=round_id)
    unit = package.package_org(request.user, round_, org)
    if unit is None:
        raise Http404
    job, created = package.start_job(actor=request.user, round_=round_, org=unit)
    return Status(201 if created else 200, package.job_payload(job))


@router.get("/packages/{job_id}", response={200: PackageJobOut, 404: ErrorOut})
def package_status(request, job_id: int):
    """材料包任务的状态与进度（0–100）；完成后 download_url 为下载地址。"""
    return package.job_payload(_job(request, job_id))


@router.get("/packages/{job_id}/download", response={404: ErrorOut, 409: ErrorOut})
def package_download(request, job_id: int):
    """下载已生成的材料包（ZIP，Content-Disposition 中带 UTF-8 文件名，Content-Length 为准确大小）。

    未完成、已被新材料包取代，或其中文件自生成后缺失时返回 409（指明文件）；下载中发现文件内容被改动时中止传输。
    """
    return package.download(_job(request, job_id))
