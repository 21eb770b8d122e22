"""The JSON API (django-ninja). Thin: every handler calls the same domain functions as the views.

Errors are always ``{"detail": "<Chinese message>", ...}`` with a meaningful status.
"""

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from clusterdesk.core.diskfull import disk_full_response, is_disk_full
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
    parts = [str(p) for p in loc]
    if parts and parts[0] in LOC_NAMES:  # only the leading location, never a field called "file"
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "请求体"


PYDANTIC_MESSAGES = {
    "missing": "必填，不能缺少",
    "extra_forbidden": "是未知字段，请删除",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "datetime_parsing": "应为时间，格式如 2025-04-10T23:59:59+08:00",
    "datetime_from_date_parsing": "应为时间，格式如 2025-04-10T23:59:59+08:00",
    "string_too_long": "太长",
    "string_too_short": "不能为空",
    "too_long": "项目太多",
    "too_short": "项目太少",
    "greater_than_equal": "太小",
    "greater_than": "太小",
    "less_than_equal": "太大",
    "less_than": "太大",
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "union_tag_invalid": "不是允许的取值",
}


def _error_message(err: dict) -> str:
    """A Chinese message for a schema error; never pydantic's English text."""
    kind = err.get("type", "")
    message = PYDANTIC_MESSAGES.get(kind, "取值无效，请检查格式")
    ctx = err.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than") and ("ge" in ctx or "gt" in ctx):
        message = f"应不小于 {ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than") and ("le" in ctx or "lt" in ctx):
        message = f"应不大于 {ctx.get('le', ctx.get('lt'))}"
    elif kind in ("literal_error", "enum") and "expected" in ctx:
        message = f"不是允许的取值，可选：{ctx['expected']}"
    elif kind == "string_too_long" and "max_length" in ctx:
        message = f"不能超过 {ctx['max_length']} 个字"
    return message


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


@api.exception_handler(DatabaseError)
@api.exception_handler(OSError)
def on_storage_error(request, exc):
    """No space for the write: the same 507 as every page (``core/diskfull.py``); anything else
    goes on to Django's 500 as ninja's default handler would send it."""
    if is_disk_full(exc):
        return disk_full_response(request, exc)
    raise exc


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    body = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    if exc.errors:
        body["errors"] = exc.errors
    return api.create_response(request, body, status=exc.status)


from . import applications, auth, criteria, evidence, experts, orgs, rounds  # noqa: E402  (routers register on ``api``)

api.add_router("/auth", auth.router)
api.add_router("", orgs.router)
api.add_router("/rounds", rounds.router)
api.add_router("/applications", applications.router)
api.add_router("/applications", evidence.router)
api.add_router("/criteria-sets", criteria.router)
api.add_router("/experts", experts.router)

from . import reviews as _reviews  # noqa: E402

api.add_router("", _reviews.router)

from . import province as _province  # noqa: E402

api.add_router("", _province.router)

from clusterdesk.documents import api_attachment, api_package, api_summary  # noqa: E402
from clusterdesk.registry import api_registry  # noqa: E402

from . import rereview as _rereview  # noqa: E402

for _module in (api_attachment, api_summary, api_package, api_registry, _rereview):
    api.add_router("", _module.router)
