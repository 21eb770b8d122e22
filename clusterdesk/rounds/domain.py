"""Rounds: creation, deadlines, extensions. The deadline check every late-able action uses."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from clusterdesk.audit.domain import record, snapshot
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.orgs.models import Org, Role

from .models import SHANGHAI, ChecklistItem, Extension, Round, Stage, StageCode

DOCS = ["pdf", "jpg", "png", "ofd"]

# 附件5 佐证材料清单 (reconstructed, "for reference only"): code, title, required, allowed types.
DEFAULT_CHECKLIST = [
    ("E01", "统计部门出具的集群产值证明", True, DOCS),
    ("E02", "优质中小企业名单及证书（单项冠军、小巨人、专精特新、创新型、高新技术企业）", True, DOCS + ["xlsx"]),
    ("E03", "中小企业研发投入证明", False, DOCS + ["xlsx"]),
    ("E04", "创新平台证书", False, DOCS),
    ("E05", "主导或参与制定的标准、专利", False, DOCS),
    ("E06", "数字化转型证明材料", False, DOCS + ["docx"]),
    ("E07", "绿色工厂认定、能耗数据", False, DOCS + ["xlsx"]),
    ("E08", "出口及开放合作证明", False, DOCS),
    ("E09", "集群运营主体成立文件", True, DOCS),
    ("E10", "公共服务平台证书", False, DOCS),
    ("E11", "信用承诺书（负面清单）", True, DOCS),
    ("E12", "集群三年发展规划", True, DOCS + ["docx"]),
]

ROUND_FIELDS = [
    "name", "year", "status", "criteria_sets", "national_quota", "city_quota", "city_quota_needs_county",
    "one_per_niche", "contact_office", "contact_name", "contact_phone", "contact_email", "notice",
]


def _require_province_admin(actor, round_: Round | None = None) -> None:
    if not actor.is_authenticated or actor.role not in (Role.PROVINCE_ADMIN, Role.SYSADMIN):
        raise NotAllowed("只有省厅管理员可以管理申报批次")
    if round_ is not None and round_.province_id != actor.org_id:
        raise NotAllowed("这是其他省份的申报批次")


def _validate_deadlines(deadlines: dict[str, date]) -> None:
    unknown = set(deadlines) - set(StageCode.values)
    if unknown:
        raise DomainError(f"未知阶段：{'、'.join(sorted(unknown))}", field="stages")
    ordered = [(c, deadlines[c]) for c in StageCode.values if c in deadlines and c != StageCode.REREVIEW_SUBMISSION]
    for (c1, d1), (c2, d2) in zip(ordered, ordered[1:]):
        if d2 < d1:
            raise DomainError(
                f"“{StageCode(c2).label}”的截止日期（{d2:%Y-%m-%d}）不能早于“{StageCode(c1).label}”（{d1:%Y-%m-%d}）",
                field=f"stages.{c2}",
            )


@transaction.atomic
def create_round(*, actor, name: str, year: int, deadlines: dict[str, date], request=None, **fields) -> Round:
    """Create a round with its stages and the default evidence checklist.

    Side effects: ``round.created`` audit event.
    """
    _require_province_admin(actor)
    if not name.strip():
        raise DomainError("批次名称不能为空", field="name")
    if not 2000 <= int(year) <= 2100:
        raise DomainError("年度应为四位年份，如 2025", field="year")
    _validate_deadlines(deadlines)
    round_ = Round.objects.create(name=name.strip(), year=year, province=actor.org, created_by=actor, **fields)
    Stage.objects.bulk_create([Stage(round=round_, code=c, deadline=d) for c, d in deadlines.items()])
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(round=round_, code=code, title=title, required=required, allowed_types=types, order=i)
            for i, (code, title, required, types) in enumerate(DEFAULT_CHECKLIST, 1)
        ]
    )
    record(action="round.created", actor=actor, obj=round_, after={**snapshot(round_, ROUND_FIELDS), "stages": {c: str(d) for c, d in deadlines.items()}}, request=request)
    return round_


@transaction.atomic
def update_round(*, actor, round_: Round, deadlines: dict[str, date] | None = None, request=None, **fields) -> Round:
    """Change a round's settings and/or stage deadlines. Side effects: ``round.updated``."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    _require_province_admin(actor, round_)
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise DomainError(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    before = {**snapshot(round_, ROUND_FIELDS), "stages": {s.code: str(s.deadline) for s in round_.stages.all()}}
    for key, value in fields.items():
        setattr(round_, key, value)
    if "name" in fields and not round_.name.strip():
        raise DomainError("批次名称不能为空", field="name")
    round_.save()
    if deadlines is not None:
        merged = {s.code: s.deadline for s in round_.stages.all()} | deadlines
        _validate_deadlines(merged)
        for code, day in deadlines.items():
            Stage.objects.update_or_create(round=round_, code=code, defaults={"deadline": day})
    after = {**snapshot(round_, ROUND_FIELDS), "stages": {s.code: str(s.deadline) for s in round_.stages.all()}}
    record(action="round.updated", actor=actor, obj=round_, before=before, after=after, request=request)
    return round_


@transaction.atomic
def grant_extension(*, actor, round_: Round, stage_code: str, org: Org, closes_at: datetime, reason: str, request=None) -> Extension:
    """Give one unit more time for one stage. Only that unit benefits.

    Side effects: ``round.extension_granted`` audit event.
    """
    _require_province_admin(actor, round_)
    stage = round_.stages.filter(code=stage_code).first()
    if stage is None:
        raise DomainError("本批次没有该阶段", field="stage_code")
    if not reason.strip():
        raise DomainError("请填写延期原因", field="reason")
    if timezone.is_naive(closes_at):
        closes_at = closes_at.replace(tzinfo=SHANGHAI)
    if closes_at <= stage.closes_at:
        raise DomainError(f"延期时间应晚于原截止时间（{format_deadline(stage.closes_at)}）", field="closes_at")
    extension, _ = Extension.objects.update_or_create(
        round=round_, stage_code=stage_code, org=org,
        defaults={"closes_at": closes_at, "reason": reason.strip(), "granted_by": actor},
    )
    record(
        action="round.extension_granted", actor=actor, obj=round_,
        after={"stage": stage_code, "org": org.code, "closes_at": closes_at.isoformat(), "reason": reason.strip()},
        request=request,
    )
    return extension


def format_deadline(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"


def closes_at(round_: Round, stage_code: str, org: Org | None) -> datetime | None:
    """When ``stage_code`` closes for ``org``: its own extension if granted, else the stage deadline."""
    if org is not None:
        extension = Extension.objects.filter(round=round_, stage_code=stage_code, org=org).first()
        if extension is not None:
            return extension.closes_at
    stage = Stage.objects.filter(round=round_, code=stage_code).first()
    return stage.closes_at if stage else None


def check_open(round_: Round, stage_code: str, org: Org | None, now: datetime | None = None) -> None:
    """Refuse an action after the deadline: "已超过截止时间（…），逾期不予受理"."""
    deadline = closes_at(round_, stage_code, org)
    if deadline is None:
        raise Conflict(f"本批次尚未设置“{StageCode(stage_code).label}”阶段的截止时间，请联系省厅")
    if (now or timezone.now()) > deadline:
        raise Conflict(f"已超过截止时间（{format_deadline(deadline)}），逾期不予受理")
