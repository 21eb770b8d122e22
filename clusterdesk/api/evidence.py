"""Evidence files (附件5 佐证材料) of an application over the API.

Same domain functions as the evidence page: content sniffing, size limit, deadline and
permission checks all live in ``applications.evidence``. An application or file outside
the caller's scope is a 404.
"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status, UploadedFile

from clusterdesk.applications import evidence as ev
from clusterdesk.applications.models import Application, EvidenceFile
from clusterdesk.core.errors import DomainError

from .schemas import ErrorOut

router = Router(tags=["佐证材料"])


class EvidenceOut(Schema):
    id: int
    item: str
    name: str
    kind: str
    size: int
    sha256: str
    uploaded_at: datetime


def evidence_out(f: EvidenceFile) -> dict:
    return {
        "id": f.pk, "item": f.item_code, "name": f.original_name, "kind": f.kind, "size": f.size,
        "sha256": f.sha256, "uploaded_at": f.uploaded_at,
    }


def _application(request, application_id: int) -> Application:
    return get_object_or_404(
        Application.objects.visible_to(request.user).select_related("round", "org"), pk=application_id
    )


def _evidence(application: Application, evidence_id: int) -> EvidenceFile:
    return get_object_or_404(EvidenceFile, pk=evidence_id, application=application)


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.post("/{application_id}/evidence", response={201: EvidenceOut, **ERRORS})
def upload(request, application_id: int, item: Form[str], file: File[UploadedFile | None] = None):
    """上传一个佐证材料文件（multipart：表单字段 item 为清单项编号，如 E01；file 为文件）。

    按文件内容识别类型，须为该清单项允许的类型且扩展名一致；单个文件不超过 MAX_UPLOAD_MB。
    同名文件再次上传时两份都保留。截止时间后或已提交时返回 409。
    """
    application = _application(request, application_id)
    if file is None:
        raise DomainError("请求中没有文件：请在 multipart 表单字段 file 中附上要上传的文件", field="file")
    created = ev.upload_evidence(
        actor=request.user, application=application, item_code=item, upload=file, request=request
    )
    return Status(201, evidence_out(created))


@router.get("/{application_id}/evidence", response={200: list[EvidenceOut], 404: ErrorOut})
def list_evidence(request, application_id: int):
    """当前（未删除的）佐证材料，按清单顺序。"""
    application = _application(request, application_id)
    return [evidence_out(f) for row in ev.files_by_item(application) for f in row.files]


@router.get("/{application_id}/evidence/{evidence_id}", response={404: ErrorOut})
def download(request, application_id: int, evidence_id: int):
    """下载文件（Content-Disposition 中带 UTF-8 原文件名）。"""
    application = _application(request, application_id)
    return ev.evidence_response(
        actor=request.user, application=application, evidence=_evidence(application, evidence_id), request=request
    )


@router.delete("/{application_id}/evidence/{evidence_id}", response={204: None, **ERRORS})
def remove(request, application_id: int, evidence_id: int):
    """从草稿中删除文件（已提交版本引用的文件内容仍保留）。"""
    application = _application(request, application_id)
    ev.remove_evidence(
        actor=request.user, application=application, evidence=_evidence(application, evidence_id), request=request
    )
    return Status(204, None)
