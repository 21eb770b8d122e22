"""Rounds: creation, deadlines, extensions. The deadline check every late-able action uses."""

import re
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from clusterdesk.audit.domain import record, snapshot
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.core.workflow import ALLOW, Verdict, forbid, require
from clusterdesk.orgs import roles
from clusterdesk.core.numbers import query_int
from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgLevel, Role

from .models import SHANGHAI, ChecklistItem, Extension, Round, RoundStatus, Stage, StageCode, UnitDeadline, end_of_day

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
    "notice_title", "notice_number", "ministry_notice_title", "ministry_notice_number",
]


def _require_province_admin(actor, round_: Round | None = None) -> None:
    require(can_manage_rounds(actor, round_))


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
    fields = validate_round_fields({"name": name, "year": year, **fields})
    _validate_deadlines(deadlines)
    round_ = Round.objects.create(province=actor.org, created_by=actor, **fields)
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
    fields = validate_round_fields(fields)
    before = {**snapshot(round_, ROUND_FIELDS), "stages": {s.code: str(s.deadline) for s in round_.stages.all()}}
    for key, value in fields.items():
        setattr(round_, key, value)
    round_.save()
    if deadlines is not None:
        merged = {s.code: s.deadline for s in round_.stages.all()} | deadlines
        _validate_deadlines(merged)
        for code, day in deadlines.items():
            Stage.objects.update_or_create(round=round_, code=code, defaults={"deadline": day})
    after = {**snapshot(round_, ROUND_FIELDS), "stages": {s.code: str(s.deadline) for s in round_.stages.all()}}
    record(action="round.updated", actor=actor, obj=round_, before=before, after=after, request=request)
    return round_


def _require_city_for_county(actor, round_: Round, org: Org, stage_code: str) -> None:
    """A city reviewer acts on the county stage of its own counties only (403 otherwise)."""
    if stage_code != StageCode.COUNTY_SUBMISSION:
        raise NotAllowed(
            f"市州只能为所辖县（市、区）批准“{StageCode.COUNTY_SUBMISSION.label}”阶段的延期；"
            "其他阶段的延期请联系省厅", field="stage_code",
        )
    if not actor.org.recommends_to_province or not Round.objects.visible_to(actor).filter(pk=round_.pk).exists():
        raise NotAllowed("只有直接向省推荐的市州审核人员可以为所辖县（市、区）批准延期")
    if org.recommender_id != actor.org_id or KIND_LEVEL.get(org.kind) != OrgLevel.COUNTY:
        raise NotAllowed(f"“{org.name}”不是本单位推荐的县级申报单位，只能为本单位所辖县（市、区）批准延期", field="org_code")


@transaction.atomic
def grant_extension(*, actor, round_: Round, stage_code: str, org: Org, closes_at: datetime, reason: str, request=None) -> Extension:
    """Give one unit more time for one stage. Only that unit benefits.

    The province grants any unit any stage. A city reviewer grants its own counties the county
    stage (县级申报提交) only, up to its own formal deadline (市州正式推荐, with its extension).
    The new time must be later than the deadline the unit has without the extension.

    Side effects: ``round.extension_granted`` audit event.
    """
    city = actor.is_authenticated and actor.role == Role.CITY_REVIEWER
    if city:
        _require_city_for_county(actor, round_, org, stage_code)
    else:
        _require_province_admin(actor, round_)
    stage = round_.stages.filter(code=stage_code).first()
    if stage is None:
        raise DomainError("本批次没有该阶段", field="stage_code")
    if not reason.strip():
        raise DomainError("请填写延期原因", field="reason")
    if timezone.is_naive(closes_at):
        closes_at = closes_at.replace(tzinfo=SHANGHAI)
    base = base_closes_at(round_, stage_code, org) or stage.closes_at
    if closes_at <= base:
        raise DomainError(f"延期时间应晚于原截止时间（{format_deadline(base)}）", field="closes_at")
    if city:
        formal = _in_force(round_, StageCode.FORMAL_SUBMISSION, actor.org)  # ``closes_at`` is shadowed here
        if formal is not None and closes_at > formal:
            raise DomainError(
                f"延期时间不能晚于本单位正式推荐的截止时间（{format_deadline(formal)}），请选择更早的日期", field="closes_at"
            )
    previous = Extension.objects.filter(round=round_, stage_code=stage_code, org=org).first()
    extension, _ = Extension.objects.update_or_create(
        round=round_, stage_code=stage_code, org=org,
        defaults={"closes_at": closes_at, "reason": reason.strip(), "granted_by": actor},
    )
    record(
        action="round.extension_granted", actor=actor, obj=round_,
        before={"stage": stage_code, "org": org.code, "closes_at": previous.closes_at.isoformat()} if previous else None,
        after={"stage": stage_code, "org": org.code, "closes_at": closes_at.isoformat(), "reason": reason.strip()},
        request=request,
    )
    return extension


def _require_city_reviewer(actor, round_: Round, org: Org) -> None:
    if not actor.is_authenticated or actor.role != Role.CITY_REVIEWER or not actor.org.recommends_to_province:
        raise NotAllowed("只有市州审核人员可以设置所辖县（市、区）的申报截止时间；省厅的阶段截止日期为默认值")
    if org.pk != actor.org_id:
        raise NotAllowed(f"只能设置本单位所辖县（市、区）的申报截止时间，不能设置“{org.name}”的", field="org_code")
    if not Round.objects.visible_to(actor).filter(pk=round_.pk).exists():
        raise NotAllowed("这是其他省份的申报批次")


@transaction.atomic
def set_county_deadline(*, actor, round_: Round, day: date, org: Org | None = None, request=None) -> UnitDeadline:
    """A city sets the county deadline (stage 0) of its counties: ``day`` 23:59:59 Beijing time.

    Not later than the city's own formal deadline (市州正式推荐, with its extension); the
    province's deadline for 县级申报提交 is the default until a city sets its own. Setting it
    again replaces it; counties with an extension keep the later of the two.

    Side effects: ``round.county_deadline_set`` audit event.
    """
    org = org or getattr(actor, "org", None)
    if org is None:
        raise NotAllowed("只有市州审核人员可以设置所辖县（市、区）的申报截止时间")
    _require_city_reviewer(actor, round_, org)
    if round_.status == RoundStatus.CLOSED:
        raise Conflict("本批次已结束，不能再修改截止时间")
    stage = round_.stages.filter(code=StageCode.COUNTY_SUBMISSION).first()
    if stage is None:
        raise Conflict(f"本批次没有“{StageCode.COUNTY_SUBMISSION.label}”阶段，请联系省厅")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise DomainError("截止日期格式不对，请按 YYYY-MM-DD 填写，如 2025-03-31", field="closes_at")
    moment = end_of_day(day)
    formal = closes_at(round_, StageCode.FORMAL_SUBMISSION, org)
    if formal is not None and moment > formal:
        raise DomainError(
            f"县级申报截止日期（{day:%Y-%m-%d}）不能晚于本单位正式推荐的截止时间（{format_deadline(formal)}），"
            "请选择更早的日期", field="closes_at",
        )
    previous = UnitDeadline.objects.filter(round=round_, org=org, stage_code=StageCode.COUNTY_SUBMISSION).first()
    deadline, _ = UnitDeadline.objects.update_or_create(
        round=round_, org=org, stage_code=StageCode.COUNTY_SUBMISSION,
        defaults={"closes_at": moment, "set_by": actor, "set_at": timezone.now()},
    )
    record(
        action="round.county_deadline_set", actor=actor, obj=round_,
        before={"org": org.code, "closes_at": (previous.closes_at if previous else stage.closes_at).isoformat(),
                "default": previous is None},
        after={"org": org.code, "stage": StageCode.COUNTY_SUBMISSION.value, "closes_at": moment.isoformat()},
        comment=f"{org.name}所辖县（市、区）申报截止时间：{format_deadline(moment)}",
        request=request,
    )
    return deadline


def format_deadline(moment: datetime) -> str:
    """The one wording of a deadline everywhere (pages, messages, e-mails, refusals):
    "2025年4月10日24时" for the end of a day (23:59:59 Beijing time, as the notices say it),
    "2025年4月10日 17:30" for an extension to another time of day."""
    local = moment.astimezone(SHANGHAI)
    day = f"{local.year}年{local.month}月{local.day}日"
    if (local.hour, local.minute, local.second) == (23, 59, 59):
        return f"{day}24时"
    return f"{day} {local:%H:%M}" + (f":{local:%S}" if local.second else "")


def base_closes_at(round_: Round, stage_code: str, org: Org | None) -> datetime | None:
    """When ``stage_code`` closes for ``org`` without an extension of its own: the deadline its
    recommending unit set for it (the county deadline a city sets), else the stage deadline."""
    if org is not None and org.recommender_id:
        own = UnitDeadline.objects.filter(round=round_, stage_code=stage_code, org_id=org.recommender_id).first()
        if own is not None:
            return own.closes_at
    stage = Stage.objects.filter(round=round_, code=stage_code).first()
    return stage.closes_at if stage else None


def closes_at(round_: Round, stage_code: str, org: Org | None) -> datetime | None:
    """When ``stage_code`` closes for ``org``: its own extension if granted, else the deadline its
    recommending unit set (a city's county deadline), else the stage deadline.

    An extension never shortens: if the deadline it extended is later moved past it, the later
    one holds.
    """
    base = base_closes_at(round_, stage_code, org)
    if org is not None:
        extension = Extension.objects.filter(round=round_, stage_code=stage_code, org=org).first()
        if extension is not None:
            return max(extension.closes_at, base) if base is not None else extension.closes_at
    return base


_in_force = closes_at


def resolve_many(round_: Round, stage_code: str, orgs) -> dict[int, tuple[datetime | None, bool]]:
    """``closes_at`` for many units at once (three queries): {org id: (closes at, extended)}.

    ``extended`` is true when the unit's own extension is what holds.
    """
    orgs = list(orgs)
    stage = Stage.objects.filter(round=round_, code=stage_code).first()
    default = stage.closes_at if stage else None
    own = {d.org_id: d.closes_at for d in UnitDeadline.objects.filter(
        round=round_, stage_code=stage_code, org_id__in={o.recommender_id for o in orgs if o.recommender_id})}
    extensions = {e.org_id: e.closes_at for e in Extension.objects.filter(
        round=round_, stage_code=stage_code, org__in=orgs)}
    found = {}
    for org in orgs:
        base = own.get(org.recommender_id, default)
        ext = extensions.get(org.pk)
        if ext is not None and (base is None or ext >= base):
            found[org.pk] = (ext, True)
        else:
            found[org.pk] = (base, False)
    return found


def closes_at_many(stage_code: str, pairs) -> dict[tuple[int, int], datetime | None]:
    """``closes_at`` for many (round, unit) pairs at once, in three queries whatever the number of
    rounds and units: {(round id, org id): closes at}. Same rule as ``closes_at``."""
    pairs = list(pairs)
    round_ids = {r.pk for r, _ in pairs}
    stages = {s.round_id: s.closes_at for s in Stage.objects.filter(round_id__in=round_ids, code=stage_code)}
    own = {(d.round_id, d.org_id): d.closes_at for d in UnitDeadline.objects.filter(
        round_id__in=round_ids, stage_code=stage_code,
        org_id__in={o.recommender_id for _, o in pairs if o.recommender_id})}
    extensions = {(e.round_id, e.org_id): e.closes_at for e in Extension.objects.filter(
        round_id__in=round_ids, stage_code=stage_code, org_id__in={o.pk for _, o in pairs})}
    found = {}
    for round_, org in pairs:
        base = own.get((round_.pk, org.recommender_id), stages.get(round_.pk))
        ext = extensions.get((round_.pk, org.pk))
        found[round_.pk, org.pk] = max(ext, base) if ext is not None and base is not None else (ext or base)
    return found


def county_units(city: Org):
    """The county-level units a recommending unit reviews (its counties, districts and zones)."""
    kinds = [k for k, level in KIND_LEVEL.items() if level == OrgLevel.COUNTY]
    return Org.objects.filter(recommender=city, kind__in=kinds).order_by("path")


def county_deadline_rows(round_: Round, city: Org) -> list[dict]:
    """The city's counties with the county deadline in force for each and its extension, if any."""
    units = list(county_units(city))
    resolved = resolve_many(round_, StageCode.COUNTY_SUBMISSION, units)
    extensions = {e.org_id: e for e in Extension.objects.filter(
        round=round_, stage_code=StageCode.COUNTY_SUBMISSION, org__in=units).select_related("granted_by")}
    rows = []
    for unit in units:
        moment, extended = resolved[unit.pk]
        ext = extensions.get(unit.pk)
        rows.append({"org": unit, "closes_at": moment, "closes_at_text": format_deadline(moment) if moment else "未设置",
                     "extended": extended, "extension": ext,
                     "extension_text": format_deadline(ext.closes_at) if ext else ""})
    return rows


def check_open(round_: Round, stage_code: str, org: Org | None, now: datetime | None = None,
               late: str = "逾期不予受理") -> None:
    """Refuse an action after the deadline: "已超过截止时间（…），逾期不予受理" (``late`` says what
    lateness means for this action)."""
    deadline = closes_at(round_, stage_code, org)
    if deadline is None:
        raise Conflict(f"本批次尚未设置“{StageCode(stage_code).label}”阶段的截止时间，请联系省厅")
    if (now or timezone.now()) > deadline:
        raise Conflict(f"已超过截止时间（{format_deadline(deadline)}），{late}")


# --- Round settings, the evidence checklist, and helpers the pages and the API share -----------

CRITERIA_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def can_manage_rounds(actor, round_: Round | None = None) -> Verdict:
    """May ``actor`` create or change rounds (of ``round_``'s province)?"""
    if not roles.is_province_manager(actor):
        return forbid("只有省厅管理员可以管理申报批次")
    if round_ is not None and round_.province_id != actor.org_id:
        return forbid("这是其他省份的申报批次")
    return ALLOW


def validate_round_fields(fields: dict) -> dict:
    """Check the settings of a round a page or the API sends; returns them cleaned.

    Only the keys present are checked, so it serves both creation and a partial update.
    """
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from .models import RoundStatus

    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise DomainError("批次名称不能为空，请填写，如“2025年度中小企业特色产业集群申报推荐”", field="name")
        if len(cleaned["name"]) > 100:
            raise DomainError("批次名称最多 100 个字，请缩短", field="name")
    if "year" in cleaned:
        if not isinstance(cleaned["year"], int) or not 2000 <= cleaned["year"] <= 2100:
            raise DomainError("年度应为四位年份，如 2025", field="year")
    if "status" in cleaned and cleaned["status"] not in RoundStatus.values:
        choices = "、".join(f"{c.value}（{c.label}）" for c in RoundStatus)
        raise DomainError(f"状态“{cleaned['status']}”无效，可选：{choices}", field="status")
    if "national_quota" in cleaned:
        quota = cleaned["national_quota"]
        if not isinstance(quota, int) or not 0 <= quota <= 999:
            raise DomainError("国家级推荐名额应为 0–999 的整数，如 8", field="national_quota")
    if "city_quota" in cleaned and cleaned["city_quota"] is not None:
        quota = cleaned["city_quota"]
        if not isinstance(quota, int) or not 1 <= quota <= 999:
            raise DomainError("每个市州推荐名额应为 1–999 的整数；不限名额请留空", field="city_quota")
    for key in ("city_quota_needs_county", "one_per_niche"):
        if key in cleaned and not isinstance(cleaned[key], bool):
            raise DomainError("应为是或否（true/false）", field=key)
    if "criteria_sets" in cleaned:
        cleaned["criteria_sets"] = _clean_criteria_sets(cleaned["criteria_sets"])
    limits = {"contact_office": ("组织处室", 100), "contact_name": ("联系人", 50), "contact_phone": ("联系电话", 50)}
    for key, (label, limit) in limits.items():
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip()
            if len(cleaned[key]) > limit:
                raise DomainError(f"{label}最多 {limit} 个字，请缩短", field=key)
    if "contact_email" in cleaned:
        cleaned["contact_email"] = (cleaned["contact_email"] or "").strip()
        if cleaned["contact_email"]:
            try:
                validate_email(cleaned["contact_email"])
            except ValidationError:
                raise DomainError("电子邮箱格式不对，请填写如 zxqyc@example.gov.cn 的地址，或留空", field="contact_email") from None
    if "notice" in cleaned:
        cleaned["notice"] = (cleaned["notice"] or "").strip()
    from clusterdesk.orgs.letterhead import clean_doc_number

    for key, label in (("notice_title", "省厅通知标题"), ("ministry_notice_title", "工信部通知标题")):
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip().strip("《》")
            if len(cleaned[key]) > 200:
                raise DomainError(f"{label}最多 200 个字，请缩短", field=key)
    for key, label in (("notice_number", "省厅通知文号"), ("ministry_notice_number", "工信部通知文号")):
        if key in cleaned:
            cleaned[key] = clean_doc_number(cleaned[key], key, label)
    return cleaned


def _clean_criteria_sets(value) -> list[dict]:
    if not isinstance(value, list):
        raise DomainError("适用认定标准应为列表，每项含 code 和 version", field="criteria_sets")
    cleaned, seen = [], set()
    for i, entry in enumerate(value):
        code = entry.get("code") if isinstance(entry, dict) else None
        version = entry.get("version") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not CRITERIA_CODE_RE.match(code.strip()):
            raise DomainError(
                f"第{i + 1}项的标准代码“{code}”格式不对：应为字母、数字和 - . _，如 national-2022",
                field="criteria_sets",
            )
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise DomainError(f"标准“{code}”的版本应为正整数，如 1", field="criteria_sets")
        code = code.strip()
        if code in seen:
            raise DomainError(f"标准“{code}”重复列出，每个标准只能选一个版本", field="criteria_sets")
        seen.add(code)
        cleaned.append({"code": code, "version": version})
    return cleaned


def parse_criteria_sets(text: str) -> list[dict]:
    """``"national-2022@1, jilin-provincial-2024@1"`` → ``[{"code": ..., "version": ...}, ...]``."""
    entries = []
    for token in re.split(r"[,，;；、\s]+", text or ""):
        if not token:
            continue
        code, sep, version = token.rpartition("@")
        if not sep or not code or query_int(version) is None:
            raise DomainError(
                f"“{token}”格式不对：每项写成 标准代码@版本，如 national-2022@1，多项用逗号分隔",
                field="criteria_sets",
            )
        entries.append({"code": code, "version": query_int(version)})
    return _clean_criteria_sets(entries)


def format_criteria_sets(value) -> str:
    return ", ".join(f"{c['code']}@{c['version']}" for c in value or [] if isinstance(c, dict))


def whole_second(moment: datetime) -> datetime:
    """A time given to the second (as people give it) covers that whole second, like a deadline's 23:59:59."""
    return moment.replace(microsecond=999999) if moment.microsecond == 0 else moment


def extensions_visible_to(user):
    """Extensions of units ``user`` may see (province staff: all)."""
    return Extension.objects.filter(org__in=Org.objects.visible_to(user))


CHECKLIST_FIELDS = ["code", "title", "description", "required", "allowed_types", "order"]


@transaction.atomic
def save_checklist_item(
    *, actor, round_: Round, code: str, title: str, required: bool, allowed_types: list[str], order: int,
    description: str = "", request=None,
) -> ChecklistItem:
    """Add a line to the round's evidence checklist, or change the line with that code.

    Side effects: ``round.checklist_changed`` audit event.
    """
    from .models import ALL_FILE_KINDS, FileKind

    _require_province_admin(actor, round_)
    code = (code or "").strip()
    title = (title or "").strip()
    if not code:
        raise DomainError("请填写材料编号，如 E13", field="code")
    if len(code) > 32 or not re.match(r"^[A-Za-z0-9._-]+$", code):
        raise DomainError("材料编号只能用字母、数字和 - . _，最多 32 位，如 E13", field="code")
    if not title:
        raise DomainError("请填写材料名称", field="title")
    if len(title) > 200:
        raise DomainError("材料名称最多 200 个字，请缩短", field="title")
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 999:
        raise DomainError("顺序应为 0–999 的整数，数字小的排在前面", field="order")
    if not isinstance(allowed_types, (list, tuple)) or not allowed_types:
        raise DomainError("请至少选择一种允许的文件类型", field="allowed_types")
    kinds = [str(k).strip().lower() for k in allowed_types]
    unknown = [k for k in kinds if k not in ALL_FILE_KINDS]
    if unknown:
        raise DomainError(
            f"未知文件类型：{'、'.join(unknown)}；可选：{'、'.join(ALL_FILE_KINDS)}", field="allowed_types"
        )
    kinds = [k for k in ALL_FILE_KINDS if k in kinds]  # canonical order, no repeats
    existing = ChecklistItem.objects.filter(round=round_, code=code).first()
    before = snapshot(existing, CHECKLIST_FIELDS) if existing else None
    values = {"title": title, "description": (description or "").strip(), "required": bool(required),
              "allowed_types": kinds, "order": order}
    item, _ = ChecklistItem.objects.update_or_create(round=round_, code=code, defaults=values)
    labels = "、".join(FileKind(k).label for k in kinds)
    record(
        action="round.checklist_changed", actor=actor, obj=round_, before=before,
        after=snapshot(item, CHECKLIST_FIELDS), comment=f"{'修改' if existing else '新增'} {code} {title}（{labels}）",
        request=request,
    )
    return item


@transaction.atomic
def remove_checklist_item(*, actor, round_: Round, code: str, request=None) -> None:
    """Take a line off the checklist; refused while an application still holds files for it.

    Side effects: ``round.checklist_changed`` audit event.
    """
    from clusterdesk.applications.models import EvidenceFile

    _require_province_admin(actor, round_)
    item = ChecklistItem.objects.filter(round=round_, code=(code or "").strip()).first()
    if item is None:
        raise DomainError(f"佐证材料清单中没有编号为“{code}”的材料，请刷新页面后重试", field="code", status=404)
    in_use = (
        EvidenceFile.objects.filter(application__round=round_, item_code=item.code, removed_at__isnull=True)
        .values("application").distinct().count()
    )
    if in_use:
        raise Conflict(
            f"已有 {in_use} 份申报上传了“{item.title}”的材料，不能删除；如不再需要，可改为非必须", field="code"
        )
    before = snapshot(item, CHECKLIST_FIELDS)
    item.delete()
    record(action="round.checklist_changed", actor=actor, obj=round_, before=before, after=None,
           comment=f"删除 {before['code']} {before['title']}", request=request)
