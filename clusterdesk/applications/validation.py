"""The one set of validators for the application form, the API and the XLSX import.

``clean_fields`` turns raw input (strings from a form, JSON from the API, cells from Excel)
into the stored form and lists what is wrong, field by field, in Chinese. A section with
any error is not saved. ``missing_for_submission`` lists what must still be filled in.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError as StdnumError

from clusterdesk.core.numbers import LIMIT as NUMBER_LIMIT, NumberError, parse_number

QUALIFICATIONS = {
    "champion": "制造业单项冠军",
    "little_giant": "专精特新“小巨人”",
    "specialized": "专精特新中小企业",
    "innovative": "创新型中小企业",
    "high_tech": "国家级高新技术企业",
}
QUALIFICATION_FIRST_YEAR = 2000  # no qualification of these kinds was awarded before
AMOUNT_FIELDS = {
    "total_output": "集群产值",
    "sme_output": "中小企业产值",
    "leading_output": "主导产业产值",
    "sme_rd_spending": "中小企业研发投入",
}
INDICATOR_FIELDS = {**AMOUNT_FIELDS, "enterprise_count": "企业数量"}
ASPECT_KEYS = ["3", "4", "5", "6", "7", "8"]
ASPECT_TITLES = {  # the published aspect titles of the criteria (工信部企业〔2022〕119号附件)
    "1": "具有较强核心竞争力",
    "2": "优质中小企业梯度培育成效显著",
    "3": "产业链供应链协作高效",
    "4": "具有较强协同创新能力",
    "5": "数字化转型效果明显",
    "6": "具有较高绿色化发展水平",
    "7": "积极参与产业开放合作",
    "8": "治理和服务能力较强",
}
MAX_AMOUNT = Decimal("100000")
MAX_ENTERPRISES = 1000
PHONE_RE = re.compile(r"^[0-9+\-（）() 转]{5,30}$")
YEARS_GAP = "years_gap"  # the indicator years are not consecutive


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = ""  # a stable name for callers that treat one kind of error specially

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


@dataclass
class Context:
    """What validation needs to know beyond the input itself."""

    round: object  # rounds.Round
    org: object  # the applicant orgs.Org


class _Errors(list):
    def add(self, field: str, message: str, code: str = "") -> None:
        self.append(FieldError(field, message, code))


def _text(value, field: str, label: str, errors: _Errors, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(field, f"{label}应为文字")
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors.add(field, f"{label}不能超过 {max_length} 个字（现为 {len(value)} 个字）")
    return value


def parse_decimal(value, field: str, label: str, errors: _Errors, *, minimum: Decimal | None = Decimal(0),
                  maximum: Decimal | None = MAX_AMOUNT, unit: str = "亿元") -> str | None:
    """A decimal amount as a string, or None when blank. Floats from Excel are taken at face value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors.add(field, f"{label}应为数字（单位：{unit}）")
        return None
    text = format(value, "f") if isinstance(value, Decimal) else str(value).strip().replace(",", "").replace("，", "")
    if isinstance(value, float):
        text = repr(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.add(field, f"{label}“{value}”不是数字，请填写数字（单位：{unit}）")
        return None
    if not number.is_finite():
        errors.add(field, f"{label}应为数字（单位：{unit}）")
        return None
    try:  # the shared bounds: no 1e999, no 400 digits, whatever the caller's own range
        parse_number(value, label=label, places=4)
    except NumberError as exc:
        errors.add(field, exc.message)
        return None
    if minimum is not None and number < minimum:
        errors.add(field, f"{label}不能为负数" if minimum == 0 else f"{label}不能小于 {minimum}")
        return None
    if maximum is not None and number > maximum:
        errors.add(field, f"{label}“{value}”过大，请确认单位是{unit}")
        return None
    if number.as_tuple().exponent < -4:
        errors.add(field, f"{label}最多保留 4 位小数")
        return None
    return format(number, "f")


def parse_int(value, field: str, label: str, errors: _Errors, *, minimum: int = 0, maximum: int = 10**7) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors.add(field, f"{label}应为整数")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(field, f"{label}“{value}”不是整数")
        return None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        errors.add(field, f"{label}应在 {minimum} 到 {maximum} 之间")
        return None
    if number != number.to_integral_value():
        errors.add(field, f"{label}应为整数")
        return None
    if not minimum <= number <= maximum:
        errors.add(field, f"{label}应在 {minimum} 到 {maximum} 之间")
        return None
    return int(number)


def parse_bool(value, field: str, label: str, errors: _Errors) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on", "是", "y"}:
        return True
    if text in {"0", "false", "no", "off", "否", "n"}:
        return False
    errors.add(field, f"{label}应为“是”或“否”")
    return None


def check_uscc(code: str) -> str | None:
    """The Chinese reason a unified social credit code is invalid, or None when valid."""
    try:
        uscc.validate(code)
    except InvalidLength:
        return "应为 18 位"
    except InvalidChecksum:
        return "校验位不正确，请对照营业执照核对"
    except (InvalidFormat, InvalidComponent):
        return "格式不正确（只含数字和大写字母，不含 I、O、Z、S、V）"
    except StdnumError:
        return "无效"
    return None


def _list(value, field: str, label: str, errors: _Errors) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(field, f"{label}应为列表")
        return []
    return value


def _row(value, field: str, label: str, errors: _Errors) -> dict | None:
    if not isinstance(value, dict):
        errors.add(field, f"{label}格式不对")
        return None
    return value


def clean_basic(data: dict, ctx: Context, errors: _Errors) -> dict:
    from clusterdesk.catalog.models import Industry, SubCluster
    from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgLevel

    out = {}
    if "name" in data:
        out["name"] = _text(data["name"], "name", "集群名称", errors, 100)
    if "coordination_note" in data:
        out["coordination_note"] = _text(data["coordination_note"], "coordination_note", "市州协调意见", errors, 2000)
    if "niche" in data:
        out["niche"] = _text(data["niche"], "niche", "细分领域", errors, 100)
    if "operating_body" in data:
        out["operating_body"] = _text(data["operating_body"], "operating_body", "运营主体", errors, 200)
    if "area_km2" in data:
        out["area_km2"] = parse_decimal(data["area_km2"], "area_km2", "集群面积", errors, unit="平方公里")
    if "leading_industry_code" in data:
        code = _text(data["leading_industry_code"], "leading_industry_code", "主导产业", errors, 8).upper()
        if code and not Industry.objects.filter(code=code).exists():
            errors.add("leading_industry_code", f"主导产业代码“{code}”不在国民经济行业分类（GB/T 4754-2017）中，请从列表中选择")
        out["leading_industry_code"] = code
    if "sub_cluster_code" in data:
        code = _text(data["sub_cluster_code"], "sub_cluster_code", "所属重点子集群", errors, 16)
        if code and not SubCluster.objects.filter(code=code).exists():
            errors.add("sub_cluster_code", f"重点子集群“{code}”不在目录中，请从列表中选择或留空")
        out["sub_cluster_code"] = code
    if "covered_org_codes" in data:
        codes = [str(c).strip() for c in _list(data["covered_org_codes"], "covered_org_codes", "涉及的其他县级单位", errors) if str(c).strip()]
        found = {o.code: o for o in Org.objects.filter(code__in=codes)}
        for code in codes:
            org = found.get(code)
            if org is None:
                errors.add("covered_org_codes", f"涉及的其他县级单位：单位代码“{code}”不存在")
            elif code == ctx.org.code:
                errors.add("covered_org_codes", "涉及的其他县级单位不应包含申报单位本身")
            elif KIND_LEVEL[org.kind] != OrgLevel.COUNTY or org.recommender_id != ctx.org.recommender_id:
                errors.add("covered_org_codes", f"涉及的其他县级单位：“{org.name}”不是本市（州）所辖的县级单位")
        if len(set(codes)) != len(codes):
            errors.add("covered_org_codes", "涉及的其他县级单位有重复")
        out["covered_org_codes"] = list(dict.fromkeys(codes))
    return out


def clean_contacts(value, ctx: Context, errors: _Errors) -> list:
    out = []
    for i, raw in enumerate(_list(value, "contacts", "联系人", errors)):
        row = _row(raw, f"contacts.{i}", f"第{i + 1}位联系人", errors)
        if row is None:
            continue
        label = f"第{i + 1}位联系人的"
        contact = {
            "name": _text(row.get("name"), f"contacts.{i}.name", label + "姓名", errors, 50),
            "title": _text(row.get("title"), f"contacts.{i}.title", label + "职务", errors, 50),
            "phone": _text(row.get("phone"), f"contacts.{i}.phone", label + "电话", errors, 30),
            "email": _text(row.get("email"), f"contacts.{i}.email", label + "电子邮箱", errors, 100),
        }
        if not any(contact.values()):
            continue
        if contact["phone"] and not PHONE_RE.match(contact["phone"]):
            errors.add(f"contacts.{i}.phone", f"{label}电话“{contact['phone']}”格式不对，请填写手机或座机号码")
        if contact["email"]:
            try:
                validate_email(contact["email"])
            except ValidationError:
                errors.add(f"contacts.{i}.email", f"{label}电子邮箱“{contact['email']}”格式不对")
        out.append(contact)
    return out


def clean_indicators(value, ctx: Context, errors: _Errors) -> list:
    allowed = [ctx.round.base_year, *ctx.round.window_years]
    rows = []
    for i, raw in enumerate(_list(value, "indicators", "主要指标", errors)):
        row = _row(raw, f"indicators.{i}", f"主要指标第{i + 1}行", errors)
        if row is None:
            continue
        year = parse_int(row.get("year"), f"indicators.{i}.year", f"主要指标第{i + 1}行的年份", errors, minimum=1990, maximum=2100)
        if year is None:
            if any(row.get(k) not in (None, "") for k in INDICATOR_FIELDS):
                errors.add(f"indicators.{i}.year", f"主要指标第{i + 1}行缺少年份")
            continue
        where = f"indicators.{year}"
        if year not in allowed:
            errors.add(f"{where}.year", f"{year}年不在本批次的指标年份内（{allowed[0]}–{allowed[-1]}年，{allowed[0]}年为可选基期）")
            continue
        clean = {"year": year}
        for key, label in AMOUNT_FIELDS.items():
            clean[key] = parse_decimal(row.get(key), f"{where}.{key}", f"{year}年{label}", errors)
        clean["enterprise_count"] = parse_int(row.get("enterprise_count"), f"{where}.enterprise_count", f"{year}年企业数量", errors)
        total = clean["total_output"]
        for key in ("sme_output", "leading_output"):
            if total is not None and clean[key] is not None and Decimal(clean[key]) > Decimal(total):
                errors.add(
                    f"{where}.{key}",
                    f"{year}年{AMOUNT_FIELDS[key]}（{clean[key]}亿元）不能大于集群产值（{total}亿元），请核对",
                )
        rows.append(clean)
    years = [r["year"] for r in rows]
    duplicates = sorted({y for y in years if years.count(y) > 1})
    for year in duplicates:
        errors.add(f"indicators.{year}.year", f"主要指标中{year}年出现了多次，每年只填一行")
    unique = sorted(set(years))
    if unique and unique != list(range(unique[0], unique[-1] + 1)):
        missing = sorted(set(range(unique[0], unique[-1] + 1)) - set(unique))
        errors.add("indicators", f"主要指标的年份应连续，缺少 {'、'.join(map(str, missing))} 年", code=YEARS_GAP)
    rows = [r for r in rows if any(r[k] is not None for k in INDICATOR_FIELDS)]
    return sorted(rows, key=lambda r: r["year"])


def clean_enterprises(value, ctx: Context, errors: _Errors) -> list:
    rows = _list(value, "quality_enterprises", "优质企业名单", errors)
    if len(rows) > MAX_ENTERPRISES:
        errors.add("quality_enterprises", f"优质企业名单最多 {MAX_ENTERPRISES} 家")
        return []
    out, seen = [], {}
    for i, raw in enumerate(rows):
        row = _row(raw, f"quality_enterprises.{i}", f"第{i + 1}家企业", errors)
        if row is None:
            continue
        where, label = f"quality_enterprises.{i}", f"第{i + 1}家企业的"
        name = _text(row.get("name"), f"{where}.name", label + "名称", errors, 100)
        code = _text(row.get("uscc"), f"{where}.uscc", label + "统一社会信用代码", errors, 30).upper().replace(" ", "")
        quals = row.get("qualifications") or []
        if isinstance(quals, str):
            quals = [q for q in re.split(r"[,，、;；\s]+", quals) if q]
        if not isinstance(quals, list):
            errors.add(f"{where}.qualifications", label + "资质应为列表")
            quals = []
        # Each qualification has its own award year (qualification_years: {code: year}); the old
        # single ``year`` is still accepted as the year of every qualification that has none.
        latest = min(ctx.round.year, date.today().year)
        year = parse_int(row.get("year"), f"{where}.year", label + "获评年份", errors,
                         minimum=QUALIFICATION_FIRST_YEAR, maximum=latest)
        raw_years = row.get("qualification_years") or {}
        if not isinstance(raw_years, dict):
            errors.add(f"{where}.qualification_years", label + "各项资质的获评年份应为“资质: 年份”的映射")
            raw_years = {}
        qual_years = {}
        for q, value in raw_years.items():
            qual_label = QUALIFICATIONS.get(q, str(q))
            qual_years[q] = parse_int(value, f"{where}.qualification_years.{q}", f"{label}“{qual_label}”获评年份",
                                      errors, minimum=QUALIFICATION_FIRST_YEAR, maximum=latest)
        in_leading = parse_bool(row.get("in_leading_industry"), f"{where}.in_leading_industry", label + "是否属于主导产业", errors)
        if not (name or code or quals or year or any(v is not None for v in qual_years.values())):
            continue
        if not name:
            errors.add(f"{where}.name", f"{label}名称不能为空")
        if not code:
            errors.add(f"{where}.uscc", f"{label}统一社会信用代码不能为空")
        else:
            reason = check_uscc(code)
            if reason:
                errors.add(f"{where}.uscc", f"{label}统一社会信用代码“{code}”{reason}")
            elif code in seen:
                errors.add(f"{where}.uscc", f"{label}统一社会信用代码与第{seen[code] + 1}家企业重复")
            seen.setdefault(code, i)
        unknown = [q for q in quals if q not in QUALIFICATIONS]
        if unknown:
            errors.add(f"{where}.qualifications", f"{label}资质“{'、'.join(map(str, unknown))}”无效，可选：{'、'.join(QUALIFICATIONS.values())}")
        elif not quals:
            errors.add(f"{where}.qualifications", f"{label}资质至少选一项")
        stray = [q for q, v in qual_years.items() if v is not None and q not in quals]
        if stray and not unknown:
            errors.add(f"{where}.qualification_years.{stray[0]}",
                       f"{label}填写了“{QUALIFICATIONS.get(stray[0], stray[0])}”的获评年份，但未勾选该资质")
        kept = [q for q in QUALIFICATIONS if q in quals]
        clean = {"name": name, "uscc": code, "qualifications": kept, "year": year, "in_leading_industry": bool(in_leading)}
        own = {q: qual_years[q] for q in kept if qual_years.get(q) is not None}
        if own:  # stored only when given: the old shape (one ``year``) stays as it was
            clean["qualification_years"] = own
        out.append(clean)
    return out


def clean_aspects(value, ctx: Context, errors: _Errors) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add("aspects", "发展情况应为按方面编号（3–8）填写的文字")
        return {}
    out = {}
    for key, text in value.items():
        key = str(key)
        if key not in ASPECT_KEYS:
            errors.add(f"aspects.{key}", f"发展情况没有第{key}方面（应为 3–8）")
            continue
        out[key] = _text(text, f"aspects.{key}", f"第{key}方面“{ASPECT_TITLES[key]}”", errors, 5000)
    return out


def clean_plan(value, ctx: Context, errors: _Errors) -> list:
    out = []
    for i, raw in enumerate(_list(value, "plan_targets", "发展目标", errors)):
        row = _row(raw, f"plan_targets.{i}", f"第{i + 1}项目标", errors)
        if row is None:
            continue
        where, label = f"plan_targets.{i}", f"第{i + 1}项目标的"
        target = {
            "name": _text(row.get("name"), f"{where}.name", label + "名称", errors, 100),
            "unit": _text(row.get("unit"), f"{where}.unit", label + "单位", errors, 20),
            "baseline": parse_decimal(row.get("baseline"), f"{where}.baseline", label + "基期值", errors, minimum=None, maximum=None, unit="所填单位"),
            "target": parse_decimal(row.get("target"), f"{where}.target", label + "目标值", errors, minimum=None, maximum=None, unit="所填单位"),
            "year": parse_int(row.get("year"), f"{where}.year", label + "目标年份", errors, minimum=ctx.round.year, maximum=ctx.round.year + 5),
        }
        if not any(v not in (None, "") for v in target.values()):
            continue
        for key, label2 in (("name", "名称"), ("unit", "单位"), ("target", "目标值"), ("year", "目标年份")):
            if target[key] in (None, "") and not any(e.field == f"{where}.{key}" for e in errors):
                errors.add(f"{where}.{key}", f"{label}{label2}不能为空")
        out.append(target)
    return out


CLEANERS = {
    "contacts": clean_contacts,
    "indicators": clean_indicators,
    "quality_enterprises": clean_enterprises,
    "aspects": clean_aspects,
    "plan_targets": clean_plan,
}
BASIC_FIELDS = {"name", "covered_org_codes", "coordination_note", "leading_industry_code", "niche", "area_km2",
                "operating_body", "sub_cluster_code"}


def clean_fields(data: dict, ctx: Context) -> tuple[dict, list[FieldError]]:
    """Clean the API fields present in ``data``; unknown fields are errors."""
    errors = _Errors()
    out = clean_basic({k: v for k, v in data.items() if k in BASIC_FIELDS}, ctx, errors)
    for key, value in data.items():
        if key in CLEANERS:
            out[key] = CLEANERS[key](value, ctx, errors)
        elif key == "negative_list_clear":
            out[key] = parse_bool(value, key, "负面清单声明", errors)
        elif key not in BASIC_FIELDS:
            errors.add(key, f"未知字段 {key}")
    return out, list(errors)


# ---------------------------------------------------------------------------
# Completeness: what submission needs
# ---------------------------------------------------------------------------

REQUIRED_BASIC = {
    "name": "集群名称",
    "leading_industry_code": "主导产业",
    "niche": "细分领域",
    "area_km2": "集群面积",
    "operating_body": "运营主体",
}


def add_missing_indicators(missing: "_Errors", indicators, years, section: str) -> None:
    """Every window year needs a row with every indicator; ``section`` opens each message
    ("主要指标" on 附件1, "近三年主要指标" on 附件3)."""
    by_year = {r["year"]: r for r in indicators or []}
    for year in years:
        row = by_year.get(year)
        if row is None:
            missing.add(f"indicators.{year}", f"{section}：请填写{year}年的指标")
            continue
        for key, label in INDICATOR_FIELDS.items():
            if row.get(key) is None:
                missing.add(f"indicators.{year}.{key}", f"{section}：请填写{year}年{label}")


def missing_for_submission(data: dict, round_) -> list[FieldError]:
    """Required fields still empty, per section (evidence is checked separately)."""
    missing = _Errors()
    for key, label in REQUIRED_BASIC.items():
        if data.get(key) in (None, ""):
            missing.add(key, f"基本情况：请填写{label}")
    if data.get("covered_org_codes") and not data.get("coordination_note"):
        missing.add("coordination_note", "基本情况：跨县集群请填写市州协调意见")
    contacts = data.get("contacts") or []
    if not any(c.get("name") and c.get("phone") for c in contacts):
        missing.add("contacts", "联系人：请至少填写一位联系人的姓名和电话")
    add_missing_indicators(missing, data.get("indicators"), round_.window_years, "主要指标")
    if not data.get("quality_enterprises"):  # every criteria set counts them: an empty list is not done
        missing.add("quality_enterprises", "优质企业：请至少填写一家优质企业（名称、信用代码和资质）")
    aspects = data.get("aspects") or {}
    for key in ASPECT_KEYS:
        if not (aspects.get(key) or "").strip():
            missing.add(f"aspects.{key}", f"发展情况：请填写第{key}方面“{ASPECT_TITLES[key]}”")
    if data.get("negative_list_clear") is None:
        missing.add("negative_list_clear", "负面清单声明：请作出声明")
    if not data.get("plan_targets"):
        missing.add("plan_targets", "三年发展规划：请至少填写一项可衡量的目标")
    return list(missing)
