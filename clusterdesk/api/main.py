"""The JSON API (django-ninja). Thin: every handler calls the same domain functions as the views.

Errors are always ``{"detail": "<Chinese message>", ...}`` with a meaningful status.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from clusterdesk.core.errors import DomainError

from .security import AUTH

api = NinjaAPI(
    title="中小企业特色产业集群申报推荐管理系统 API",
    version="1",
    description="所有接口返回 JSON；错误为 {\"detail\": \"中文说明\"}。",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

LOC_NAMES = {"body": "请求体", "query": "查询参数", "path": "路径参数", "form": "表单", "file": "文件"}


def _field_path(loc) -> str:
    parts = [str(p) for p in loc if p not in LOC_NAMES and p != "payload"]
    return ".".join(parts) or "请求体"


def _error_message(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "必填，不能缺少"
    if kind in ("string_type", "int_type", "int_parsing", "decimal_parsing", "bool_parsing", "list_type", "dict_type"):
        return "类型不对，请检查格式"
    if kind == "extra_forbidden":
        return "是未知字段，请删除"
    return err.get("msg", "无效")


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = [{"field": _field_path(e.get("loc", [])), "message": _error_message(e)} for e in exc.errors]
    detail = "；".join(f"字段 {e['field']} {e['message']}" for e in errors) or "请求数据有误"
    return api.create_response(request, {"detail": f"请求数据有误：{detail}", "errors": errors}, status=400)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return api.create_response(request, {"detail": "未登录或令牌无效：请先通过 /api/v1/auth/token 获取令牌"}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    message = exc.message
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "请求体不是有效的 JSON，请检查格式（引号、逗号、括号）"
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "对象不存在或不在您的权限范围内"}, status=404)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "您没有权限执行此操作"}, status=403)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    body = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    if exc.errors:
        body["errors"] = exc.errors
    return api.create_response(request, body, status=exc.status)


from . import applications, auth, evidence, orgs, rounds  # noqa: E402  (routers register on ``api``)

api.add_router("/auth", auth.router)
api.add_router("", orgs.router)
api.add_router("/rounds", rounds.router)
api.add_router("/applications", applications.router)
api.add_router("/applications", evidence.router)
