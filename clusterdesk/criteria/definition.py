"""A criteria set as data: parsing and checking its file, compiling it for evaluation.

The file is YAML (readable by an administrator); JSON is YAML too. Parsing keeps the line of
every mapping so that a bad rule is refused whole with its line and the reason.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml

from clusterdesk.core.numbers import NumberError, parse_number

RULE_KINDS = {
    "threshold": "指标阈值",
    "share": "占比",
    "growth": "年均增速",
    "enterprises": "优质企业数量",
    "declaration": "声明",
    "judgement": "评审判断",
}
COMPARATORS = {">=": "不低于", ">": "高于", "<=": "不超过", "<": "低于"}
SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
NEGATED = {">=": "低于", ">": "不高于", "<=": "超过", "<": "不低于"}
INDICATORS = {
    "total_output": ("集群产值", "亿元"),
    "sme_output": ("中小企业产值", "亿元"),
    "leading_output": ("主导产业产值", "亿元"),
    "enterprise_count": ("企业数量", "家"),
    "sme_rd_spending": ("中小企业研发投入", "亿元"),
}
FIELDS = {"area_km2": ("集群面积", "平方公里")}
DECLARATION_FIELDS = {"negative_list_clear": "负面清单声明"}
QUALIFICATION_CODES = {"champion", "little_giant", "specialized", "innovative", "high_tech"}
LEVELS = {"national": "国家级", "provincial": "省级"}
STATUSES = {"draft": "草稿", "active": "启用", "retired": "停用"}
SEVERITIES = {"hard": "必须满足", "soft": "一般要求（不满足时提示）"}
# How a set computes average annual growth: one method for every applicant of a round.
GROWTH_METHODS = {
    "compound_window": "按申报的三个年度计算复合年均增速",
    "from_base_year": "按基期年（申报期前一年）计算复合年均增速，基期年必填",
}
DEFAULT_GROWTH_METHOD = "compound_window"
# Which years the share rules are checked on.
SHARE_YEARS = {"latest": "最近一个申报年度", "each": "每一个申报年度"}
DEFAULT_SHARE_YEARS = "latest"


class CriteriaFileError(ValueError):
    """A criteria file that cannot be used. ``line`` is 1-based (0 when unknown)."""

    def __init__(self, line: int, message: str, field: str = ""):
        super().__init__(f"第{line}行：{message}" if line else message)
        self.line = line
        self.reason = message
        self.field = field  # the offending setting when it is one (growth_method, validity.little_giant…)


# --- YAML with line numbers --------------------------------------------------------------

# A criteria file is a few hundred lines, nested five levels deep. Beyond these it is a mistake
# or an attack (a deep [[[[…]]]] made the composer recurse until RecursionError: a 500).
MAX_TEXT_CHARS = 512 * 1024
MAX_DEPTH = 32


class _LineLoader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent, index):
        # Aliases (&a / *a) could multiply a small file into a huge one: criteria files need none.
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(problem="不支持 YAML 别名（*引用）", problem_mark=event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(problem=f"嵌套层数超过 {MAX_DEPTH} 层", problem_mark=self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


_CONTEXT_MARKS = {"while scanning a simple key", "while parsing a flow sequence", "while parsing a flow mapping",
                  "while scanning a quoted scalar"}


def load_text(text: str) -> dict:
    if len(text) > MAX_TEXT_CHARS:
        raise CriteriaFileError(0, f"文件超过 {MAX_TEXT_CHARS // 1024} KB，认定标准文件不应这么大，请检查是否选错了文件")
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (SafeLoader subclass)
    except RecursionError:  # a safety net: MAX_DEPTH stops well before
        raise CriteriaFileError(0, f"文件嵌套层数太多（超过 {MAX_DEPTH} 层），请检查缩进和括号") from None
    except yaml.MarkedYAMLError as exc:
        # Where the scanner noticed the problem can be the line after the mistake (a key without
        # its colon, an unclosed bracket or quote); those contexts mark the mistaken line itself.
        mark = exc.context_mark if exc.context in _CONTEXT_MARKS and exc.context_mark else exc.problem_mark
        line = mark.line + 1 if mark else 0
        raise CriteriaFileError(line, f"文件格式错误（{exc.problem}），请检查缩进和冒号") from None
    except yaml.YAMLError:
        raise CriteriaFileError(0, "文件不是有效的 YAML/JSON") from None
    if not isinstance(data, dict):
        raise CriteriaFileError(1, "文件应以 code、name、aspects 等字段开头")
    return data


def strip_lines(value):
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


TOP_ORDER = ["code", "version", "name", "level", "status", "placeholder", "source", "growth_method", "share_years",
             "validity", "aspects"]
ASPECT_ORDER = ["number", "title", "rules"]
RULE_ORDER = ["code", "kind", "indicator", "field", "years", "numerator", "denominator", "comparator", "threshold",
              "unit", "severity", "wording", "alternatives"]
ALTERNATIVE_ORDER = ["label", "qualifications", "in_leading_industry", "comparator", "threshold"]


def _ordered(mapping: dict, order: list[str]) -> dict:
    known = {k: mapping[k] for k in order if k in mapping}
    return {**known, **{k: v for k, v in mapping.items() if k not in known}}


def canonical(definition: dict) -> dict:
    """The definition with keys in the order of the documented file format.

    PostgreSQL's jsonb does not keep key order, so an export reorders explicitly."""
    top = _ordered(strip_lines(definition), TOP_ORDER)
    top["aspects"] = [
        {**_ordered(a, ASPECT_ORDER), "rules": [
            {**_ordered(r, RULE_ORDER), **({"alternatives": [_ordered(x, ALTERNATIVE_ORDER) for x in r["alternatives"]]}
                                           if "alternatives" in r else {})}
            for r in a.get("rules", [])
        ]}
        for a in top.get("aspects", [])
    ]
    return top


def dump_text(definition: dict) -> str:
    """A readable YAML file of a definition (Chinese kept as is), keys in the documented order."""
    return yaml.safe_dump(canonical(definition), allow_unicode=True, sort_keys=False, width=120)


# --- checking ----------------------------------------------------------------------------

def _line(node, parent_line=0) -> int:
    return node.get("__line__", parent_line) if isinstance(node, dict) else parent_line


def _decimal(value, line: int, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError):
        raise CriteriaFileError(line, f"{what}“{value}”不是数字") from None
    if not number.is_finite():
        raise CriteriaFileError(line, f"{what}“{value}”不是有限的数字")
    try:  # the shared bounds: no 1e999, no 400 digits
        parse_number(number, label=what)
    except NumberError as exc:
        raise CriteriaFileError(line, exc.message) from None
    return number


def _known(value, options) -> bool:
    """``value`` is one of ``options``; a list or mapping written where a word belongs is not
    (and must be refused with its line, not raise TypeError: unhashable)."""
    return isinstance(value, str) and value in options


def _require(node: dict, key: str, line: int, what: str):
    if node.get(key) in (None, ""):
        raise CriteriaFileError(line, f"{what}缺少 {key}")
    return node[key]


def _comparator(node: dict, line: int, what: str) -> str:
    comparator = str(_require(node, "comparator", line, what)).strip()
    if comparator not in COMPARATORS:
        raise CriteriaFileError(line, f"{what}的比较符“{comparator}”无效，可选：{'、'.join(COMPARATORS)}")
    return comparator


def check_definition(data: dict) -> dict:
    """Check a whole definition; return it cleaned (without line markers) or raise."""
    top = _line(data, 1)
    for key in ("code", "name", "level"):
        _require(data, key, top, "标准")
    if not _known(data["level"], LEVELS):
        raise CriteriaFileError(top, f"level“{data['level']}”无效，可选：{'、'.join(LEVELS)}")
    if not _known(data.get("status", "draft"), STATUSES):
        raise CriteriaFileError(top, f"status“{data['status']}”无效，可选：{'、'.join(STATUSES)}")
    _check_settings(data, top)
    aspects = data.get("aspects")
    if not isinstance(aspects, list) or not aspects:
        raise CriteriaFileError(top, "标准缺少 aspects（方面）列表")
    codes: dict[str, int] = {}
    for aspect in aspects:
        if not isinstance(aspect, dict):
            raise CriteriaFileError(top, "aspects 中的每一项应包含 number、title、rules")
        aline = _line(aspect, top)
        number = _require(aspect, "number", aline, "方面")
        if not isinstance(number, int) or isinstance(number, bool):
            raise CriteriaFileError(aline, f"方面编号“{number}”应为整数")
        _require(aspect, "title", aline, f"第{number}方面")
        rules = aspect.get("rules")
        if not isinstance(rules, list) or not rules:
            raise CriteriaFileError(aline, f"第{number}方面缺少 rules（规则）列表")
        for rule in rules:
            _check_rule(rule, aline, codes)
    return strip_lines(data)


def _check_settings(data: dict, top: int) -> None:
    """The set-wide settings: growth method, years of the share rules, qualification validity."""
    method = data.get("growth_method", DEFAULT_GROWTH_METHOD)
    if not _known(method, GROWTH_METHODS):
        raise CriteriaFileError(top, f"增速计算方法 growth_method“{method}”未知，可选：{'、'.join(GROWTH_METHODS)}",
                                field="growth_method")
    years = data.get("share_years", DEFAULT_SHARE_YEARS)
    if not _known(years, SHARE_YEARS):
        raise CriteriaFileError(top, f"占比核对年度 share_years“{years}”未知，可选：{'、'.join(SHARE_YEARS)}",
                                field="share_years")
    validity = data.get("validity")
    if validity is None:
        return
    vline = _line(validity, top)
    if not isinstance(validity, dict):
        raise CriteriaFileError(top, "资质有效期 validity 应为“资质: 年数”的映射", field="validity")
    for code, value in validity.items():
        if code == "__line__":
            continue
        if not _known(code, QUALIFICATION_CODES):
            raise CriteriaFileError(vline, f"资质有效期 validity 中的资质“{code}”未知，可选：{'、'.join(sorted(QUALIFICATION_CODES))}",
                                    field=f"validity.{code}")
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise CriteriaFileError(vline, f"资质有效期 validity.{code}“{value}”应为正整数（年）", field=f"validity.{code}")


def _check_rule(rule, parent_line: int, codes: dict[str, int]) -> None:
    if not isinstance(rule, dict):
        raise CriteriaFileError(parent_line, "规则应为包含 code、kind、wording 的映射")
    line = _line(rule, parent_line)
    code = _require(rule, "code", line, "规则")
    if isinstance(code, (dict, list)):
        raise CriteriaFileError(line, "规则代码 code 应为一个词（如 sme_share）")
    code = str(code).strip()
    what = f"规则 {code} "
    if code in codes:
        raise CriteriaFileError(line, f"规则代码“{code}”与第{codes[code]}行重复")
    codes[code] = line
    kind = _require(rule, "kind", line, what)
    if not _known(kind, RULE_KINDS):
        raise CriteriaFileError(line, f"{what}的类型“{kind}”未知，可选：{'、'.join(RULE_KINDS)}")
    _require(rule, "wording", line, what + "（官方表述 wording）")
    if not _known(rule.get("severity", "hard"), SEVERITIES):
        raise CriteriaFileError(line, f"{what}的 severity“{rule['severity']}”无效，可选：hard、soft")
    if kind == "threshold":
        _comparator(rule, line, what)
        _decimal(_require(rule, "threshold", line, what), line, what + "阈值")
        if "field" in rule:
            if not _known(rule["field"], FIELDS):
                raise CriteriaFileError(line, f"{what}的字段“{rule['field']}”未知，可选：{'、'.join(FIELDS)}")
        else:
            indicator = _require(rule, "indicator", line, what)
            if not _known(indicator, INDICATORS):
                raise CriteriaFileError(line, f"{what}的指标“{indicator}”未知，可选：{'、'.join(INDICATORS)}")
            if not _known(rule.get("years", "each"), ("each", "latest")):
                raise CriteriaFileError(line, f"{what}的 years 应为 each（每一年）或 latest（最近一年）")
    elif kind == "share":
        _comparator(rule, line, what)
        _decimal(_require(rule, "threshold", line, what), line, what + "阈值")
        for key in ("numerator", "denominator"):
            indicator = _require(rule, key, line, what)
            if not _known(indicator, INDICATORS):
                raise CriteriaFileError(line, f"{what}的指标“{indicator}”未知，可选：{'、'.join(INDICATORS)}")
    elif kind == "growth":
        _comparator(rule, line, what)
        _decimal(_require(rule, "threshold", line, what), line, what + "阈值")
        indicator = _require(rule, "indicator", line, what)
        if not _known(indicator, INDICATORS):
            raise CriteriaFileError(line, f"{what}的指标“{indicator}”未知，可选：{'、'.join(INDICATORS)}")
    elif kind == "enterprises":
        alternatives = rule.get("alternatives")
        if not isinstance(alternatives, list) or not alternatives:
            raise CriteriaFileError(line, f"{what}缺少 alternatives（可选条件）列表")
        for alt in alternatives:
            aline = _line(alt, line)
            if not isinstance(alt, dict):
                raise CriteriaFileError(aline, f"{what}的可选条件应为映射")
            quals = alt.get("qualifications")
            if not isinstance(quals, list) or not quals:
                raise CriteriaFileError(aline, f"{what}的可选条件缺少 qualifications")
            unknown = [q for q in quals if not _known(q, QUALIFICATION_CODES)]
            if unknown:
                raise CriteriaFileError(aline, f"{what}的资质“{'、'.join(map(str, unknown))}”未知，可选：{'、'.join(sorted(QUALIFICATION_CODES))}")
            _comparator(alt, aline, what)
            _decimal(_require(alt, "threshold", aline, what), aline, what + "阈值")
    elif kind == "declaration":
        if not _known(rule.get("field"), DECLARATION_FIELDS):
            raise CriteriaFileError(line, f"{what}的字段“{rule.get('field')}”未知，可选：{'、'.join(DECLARATION_FIELDS)}")


def parse_text(text: str) -> dict:
    return check_definition(load_text(text))


# --- compiled form for fast evaluation ---------------------------------------------------

@dataclass(frozen=True)
class Alternative:
    label: str
    qualifications: frozenset
    in_leading_industry: bool | None
    comparator: str
    threshold: Decimal


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    aspect: int
    aspect_title: str
    wording: str
    severity: str
    comparator: str = ""
    threshold: Decimal | None = None
    indicator: str = ""
    field: str = ""
    years: str = "each"
    numerator: str = ""
    denominator: str = ""
    unit: str = ""
    alternatives: tuple = ()


@dataclass(frozen=True)
class Compiled:
    code: str
    version: int
    name: str
    level: str
    placeholder: bool
    rules: tuple = field(default_factory=tuple)
    growth_method: str = DEFAULT_GROWTH_METHOD
    share_years: str = DEFAULT_SHARE_YEARS
    validity: tuple = ()  # ((qualification, years), ...)


def compile_definition(definition: dict, version: int | None = None) -> Compiled:
    rules = []
    for aspect in definition["aspects"]:
        for r in aspect["rules"]:
            rules.append(Rule(
                code=r["code"], kind=r["kind"], aspect=aspect["number"], aspect_title=aspect["title"],
                wording=r["wording"], severity=r.get("severity", "hard"), comparator=r.get("comparator", ""),
                threshold=Decimal(str(r["threshold"])) if "threshold" in r else None,
                indicator=r.get("indicator", ""), field=r.get("field", ""), years=r.get("years", "each"),
                numerator=r.get("numerator", ""), denominator=r.get("denominator", ""), unit=r.get("unit", ""),
                alternatives=tuple(
                    Alternative(a.get("label", ""), frozenset(a["qualifications"]), a.get("in_leading_industry"),
                                a["comparator"], Decimal(str(a["threshold"])))
                    for a in r.get("alternatives", [])
                ),
            ))
    validity = tuple(sorted((k, int(v)) for k, v in (definition.get("validity") or {}).items() if k != "__line__"))
    return Compiled(definition["code"], version or definition.get("version", 1), definition["name"],
                    definition["level"], bool(definition.get("placeholder")), tuple(rules),
                    definition.get("growth_method", DEFAULT_GROWTH_METHOD),
                    definition.get("share_years", DEFAULT_SHARE_YEARS), validity)
