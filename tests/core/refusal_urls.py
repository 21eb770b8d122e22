"""Views that only refuse, to test the one place pages map DomainError (core.middleware)."""

from django.urls import include, path

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.core.middleware import back_on_refusal

ERRORS = {
    "invalid": lambda: DomainError("请填写集群名称", field="name",
                                   errors=[{"field": "name", "message": "集群名称：请填写"}]),
    "forbidden": lambda: NotAllowed("只有省厅管理员可以启用认定标准"),
    "conflict": lambda: Conflict("申报已提交，不能再修改"),
    "missing": lambda: DomainError("文件在服务器上找不到了，请联系系统管理员", status=404),
}


def refuse(request, kind):
    if request.GET.get("back"):
        back_on_refusal(request, "/somewhere/#form", prefix="未保存：")
    raise ERRORS[kind]()


urlpatterns = [
    path("refuse/<slug:kind>/", refuse),
    path("", include("clusterdesk.urls")),
]
