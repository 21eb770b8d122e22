"""Input no page can store or show is refused here, once, before any view sees it.

:class:`InputGuardMiddleware` reads the decoded query string, form fields (and uploaded
files' names) and JSON request bodies of every request, page or API, and answers 400 with a
Chinese message naming the field when it finds:

- a lone surrogate (``"\\ud800"``): Python keeps it in a ``str``, but it cannot be encoded
  as UTF-8, so every page, PDF and JSON answer that shows the value would fail afterwards;
- a NUL character: PostgreSQL refuses it in text (a 500 on save);
- a JSON number that is not finite (``NaN``, ``Infinity``, ``1e999``) or an integer beyond
  64 bits (``2**70``): no field of the product holds one;
- JSON nested deeper than :data:`MAX_JSON_DEPTH` (the parser's ``RecursionError``);
- a query parameter that is a whole number beyond 64 bits (``?round=18446744073709551616``)
  or written with non-ASCII digits (``?round=²``): the database cannot compare it (400);
- a path segment of digits beyond 64 bits (``/applications/99999999999999999999/``): no
  object has that id, so the answer is the 404 the id would get.

Per-field ranges (a score of at most 100, an amount of at most 15 digits) are the fields'
own validators (``clusterdesk.core.numbers``); this guard only removes what no field accepts.
The API answers ``{"detail", "field", "errors"}`` like every API refusal; a page answers
``400.html`` with the message.
"""

from __future__ import annotations

import json
import math
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render

BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 64
INT64 = 2**63
JSON_TYPES = ("application/json",)
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
PATH_DIGITS = re.compile(r"(?<![^/])\d{19,}(?![^/])")


class Refusal(Exception):
    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def check_query_int(field: str, value: str) -> None:
    """Refuse a whole number no integer column can hold or with digits the database cannot read."""
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isdigit():  # isdigit(): also "²" and "١٢", which views take for ids
        return
    if not text.isascii() or len(digits) > 19 or abs(int(text)) >= INT64:  # int() refuses > 4300 digits
        raise Refusal(field, f"参数 {field} 应为正常大小的整数（如 12），您填写的是“{text[:30]}”，请检查地址")


def check_path(path: str) -> None:
    for match in PATH_DIGITS.finditer(path):
        if len(match.group()) > 19 or int(match.group()) >= INT64:
            raise Refusal("路径参数", "对象不存在或不在您的权限范围内", status=404)


def bad_char_message(field: str, value: str) -> str | None:
    """The refusal for text ``value`` of ``field``, or ``None`` when it is storable."""
    match = BAD_CHAR.search(value)
    if match is None:
        return None
    char = match.group()
    what = "空字符（NUL）" if char == "\x00" else f"无效字符（不成对的代理码位 U+{ord(char):04X}）"
    return f"字段 {field} 含有{what}，无法保存；请删除该字符（可重新输入或从纯文本粘贴）后再提交"


def check_text(field: str, value: str) -> None:
    message = bad_char_message(field, value)
    if message:
        raise Refusal(field, message)


def _out_of_range(field: str) -> Refusal:
    return Refusal(field, f"字段 {field} 的数值超出范围（不能是 NaN、Infinity 或位数过多的数），请填写正常大小的数字")


def check_json(data) -> None:
    """Walk a decoded JSON document without recursion; raise :class:`Refusal` at the first bad value."""
    stack = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise Refusal(path or "请求体", f"请求体嵌套层数超过 {MAX_JSON_DEPTH} 层，请检查数据结构")
        if isinstance(value, str):
            check_text(path or "请求体", value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -INT64 <= value < INT64:
                raise _out_of_range(path or "请求体")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _out_of_range(path or "请求体")
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                check_text(child, str(key))
                stack.append((child, item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{path}.{index}" if path else str(index), item, depth + 1))


def _content_type(request) -> str:
    return (request.META.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()


def inspect(request) -> None:
    check_path(request.path)
    for key, values in request.GET.lists():
        check_text(f"{key}（查询参数）", key)
        for value in values:
            check_text(f"{key}（查询参数）", value)
            check_query_int(key, value)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = _content_type(request)
    if content_type in JSON_TYPES or content_type.endswith("+json"):
        try:
            text = request.body.decode("utf-8")
        except RequestDataTooBig:
            limit = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) // 1024
            raise Refusal("请求体", f"请求体超过 {limit} KB 的上限，请减少内容后分次提交") from None
        except UnicodeDecodeError:
            raise Refusal("请求体", "请求体不是有效的 UTF-8 编码文字，请以 UTF-8 编码发送 JSON") from None
        try:
            data = json.loads(text)  # NaN and Infinity become floats, refused with their field below
        except RecursionError:
            raise Refusal("请求体", f"请求体嵌套层数太多（超过 {MAX_JSON_DEPTH} 层），请检查数据结构") from None
        except ValueError:
            return  # not JSON: the API answers its own "请求体不是有效的 JSON"
        check_json(data)
    elif request.method == "POST" and content_type in FORM_TYPES:
        for key, values in request.POST.lists():
            check_text(key, key)
            for value in values:
                check_text(key, value)
        for key, files in request.FILES.lists():
            for upload in files:
                check_text(f"{key}（文件名）", upload.name or "")


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            inspect(request)
        except Refusal as refusal:
            return refuse(request, refusal)
        return self.get_response(request)


def refuse(request, refusal: Refusal):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": refusal.message, "field": refusal.field,
             "errors": [{"field": refusal.field, "message": refusal.message}]},
            status=refusal.status, json_dumps_params={"ensure_ascii": False})
    if refusal.status == 404:
        return render(request, "404.html", status=404)
    return render(request, "400.html", {"reason": refusal.message}, status=refusal.status)
