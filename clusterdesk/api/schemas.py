"""Shared API schemas."""

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

Number = str | int | float | None


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


class IndicatorIn(Schema):
    """One year of indicators (amounts in 亿元 as decimal strings)."""

    model_config = ConfigDict(extra="forbid")
    year: int | str | None = None
    total_output: Number = None
    sme_output: Number = None
    leading_output: Number = None
    enterprise_count: Number = None
    sme_rd_spending: Number = None


class EnterpriseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    uscc: str | None = None
    qualifications: list[str] | str | None = None
    qualification_years: dict[str, int | str | None] | None = Field(
        None, description="各项资质的获评年份，如 {\"little_giant\": 2023}；未列出的资质使用 year")
    year: int | str | None = Field(None, description="获评年份（未在 qualification_years 中单独填写的资质适用）")
    in_leading_industry: bool | str | None = None


class ReportSet(Schema):
    code: str
    version: int
    name: str
    level: str
    placeholder: bool


class ReportRow(Schema):
    code: str
    aspect: int
    aspect_title: str
    kind: str
    severity: str
    status: str
    actual: str
    threshold: str
    comparator: str
    wording: str
    message: str
    gap: str
    formula: str
    judgement: dict[str, Any] | None = None


class ReportOut(Schema):
    """A criteria report: the set version, the verdict and one row per rule."""

    criteria_set: ReportSet
    verdict: str
    verdict_label: str
    results: list[ReportRow]
