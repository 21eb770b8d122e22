"""The XLSX template of 主要指标 and 优质企业: download it prefilled, import it back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from clusterdesk.core import formkeep
from clusterdesk.core.errors import DomainError

from . import xlsx
from .models import Application

IMPORT_EID = "xlsx-import"  # the error's element id on the edit page: #error-xlsx-import


def import_form_key(pk) -> str:
    """The ``core.formkeep`` key of the import box of application ``pk``."""
    return f"xlsx-import-{pk}"


def _visible(request, pk) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"), pk=pk)


@login_required
@require_safe
def template_download(request, pk):
    application = _visible(request, pk)
    response = HttpResponse(xlsx.build_template(application), content_type=xlsx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{application.number}-主要指标与优质企业模板.xlsx"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def import_upload(request, pk):
    application = _visible(request, pk)
    # A refused import is shown beside the import control (core/formkeep.py, _import_box.html).
    back = reverse("application_edit", args=[pk]) + formkeep.anchor(IMPORT_EID)
    upload = request.FILES.get("file")
    if upload is None:
        formkeep.keep(request, import_form_key(pk), message="请选择要导入的 Excel 文件（下载的模板填好后保存为 .xlsx），再点击“导入”")
        return redirect(back)
    if upload.size > xlsx.MAX_FILE_BYTES:
        formkeep.keep(request, import_form_key(pk), message=f"文件“{upload.name}”过大（{upload.size / 1024 / 1024:.1f} MB），模板文件不应超过 "
                                                    f"{xlsx.MAX_FILE_BYTES // 1024 // 1024} MB，请确认选择的是填好的模板")
        return redirect(back)
    try:
        counts = xlsx.import_workbook(actor=request.user, application=application, raw=upload.read(), request=request)
    except DomainError as exc:
        if exc.errors:
            formkeep.keep(request, import_form_key(pk), exc,
                          message=f"文件“{upload.name}”没有导入，系统中的内容未作任何修改。"
                                  f"有 {len(exc.errors)} 处需要修正，请在 Excel 中改正后重新导入：",
                          lines=[e["message"] for e in exc.errors])
        else:
            formkeep.keep(request, import_form_key(pk), message=f"文件“{upload.name}”没有导入：{exc.message}")
        return redirect(back)
    back = reverse("application_edit", args=[pk]) + "#indicators"
    messages.success(
        request,
        f"已从“{upload.name}”导入主要指标 {counts['years']} 个年份、优质企业 {counts['enterprises']} 家，"
        "原有的主要指标和优质企业名单已被替换。请核对后继续填写。",
    )
    return redirect(back)
