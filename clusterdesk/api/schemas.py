"""Shared API schemas."""

from ninja import Schema


class ErrorOut(Schema):
    detail: str


class OrgRef(Schema):
    code: str
    name: str
    kind: str


class OrgOut(OrgRef):
    parent_code: str | None
    recommends_to_province: bool
    kind_label: str


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    org: OrgRef


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: str | None
