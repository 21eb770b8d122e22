"""Enumerating the routes (URL conf and OpenAPI) and sending a request to one of them."""

import hashlib
import re

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import PDF

API_PREFIX = "api/v1/"
# Tables whose rows change on any request, whoever sends it (sessions, token use, lockout records).
VOLATILE = {"django_session", "api_apitoken", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def page_routes() -> dict[str, str]:
    """Every named page of the URL conf (the API's own patterns are taken from its OpenAPI):
    {name: pattern}."""

    def walk(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.name

    routes = {}
    for pattern, name in walk(get_resolver()):
        if pattern.startswith(API_PREFIX):
            continue
        assert name, f"unnamed route {pattern!r}: name it so the authorization matrix can classify it"
        routes[name] = pattern
    return routes


def api_routes(schema: dict) -> dict[str, dict]:
    """{"METHOD /api/v1/path": operation} for every operation of the OpenAPI schema."""
    return {f"{method.upper()} {path}": op for path, methods in schema["paths"].items() for method, op in methods.items()}


def fill(pattern: str, values: dict) -> str:
    """A URL from a Django or OpenAPI pattern and the values of its parameters."""
    def one(match):
        name = match.group(1).split(":")[-1]
        return str(values[name])

    path = re.sub(r"<([^>]+)>", one, pattern)
    return re.sub(r"\{([^}]+)\}", one, path)


def _example(schema: dict, defs: dict, depth: int = 0):
    """A minimal valid value of a JSON schema: required properties only, simplest values."""
    if "$ref" in schema:
        return _example(defs[schema["$ref"].split("/")[-1]], defs, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(options[0], defs, depth + 1)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _example(props[k], defs, depth + 1) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if schema.get("format") == "date":
        return "2025-07-01"
    if schema.get("format") == "date-time":
        return "2025-07-01T10:00:00+08:00"
    return "x"


def api_body(op: dict, schema: dict):
    """(content_type, body) for an operation: a minimal valid body, so that the request reaches
    the permission check instead of stopping at the schema."""
    body = op.get("requestBody")
    if not body:
        return None, None
    defs = schema.get("components", {}).get("schemas", {})
    if "application/json" in body["content"]:
        return "application/json", _example(body["content"]["application/json"]["schema"], defs)
    form = _example(body["content"]["multipart/form-data"]["schema"], defs)
    props = _resolve(body["content"]["multipart/form-data"]["schema"], defs).get("properties", {})
    from django.core.files.uploadedfile import SimpleUploadedFile

    for name, prop in props.items():
        if prop.get("format") == "binary" or prop.get("items", {}).get("format") == "binary":
            form[name] = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    return "multipart", form


def _resolve(schema, defs):
    return defs[schema["$ref"].split("/")[-1]] if "$ref" in schema else schema


def database_fingerprint() -> str:
    """One digest of every row of every table (but the volatile ones): any write changes it."""
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.db_table):
        if model._meta.db_table in VOLATILE or not model._meta.managed:
            continue
        digest.update(model._meta.db_table.encode())
        for row in model._base_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


class WriteRecorder:
    """Records the SQL writes (INSERT, UPDATE, DELETE) to non-volatile tables while installed as
    ``connection.execute_wrapper``; ``who`` names the request being sent."""

    WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)

    def __init__(self):
        self.who = None
        self.writes: dict = {}

    def __call__(self, execute, sql, params, many, context):
        match = self.WRITE.match(sql)
        if match and match.group(2) not in VOLATILE:
            self.writes.setdefault(self.who, set()).add(f"{match.group(1).split()[0].upper()} {match.group(2)}")
        return execute(sql, params, many, context)
