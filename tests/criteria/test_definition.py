"""Criteria files: the shipped sets parse, round-trip, and a bad rule is refused with its line."""

from decimal import Decimal
from pathlib import Path

import pytest

from clusterdesk.criteria.definition import (
    CriteriaFileError,
    compile_definition,
    dump_text,
    load_text,
    parse_text,
)

ROOT = Path(__file__).resolve().parent.parent.parent
CRITERIA_DIR = ROOT / "data" / "criteria"
SHIPPED = sorted(CRITERIA_DIR.glob("*.yaml"))
NATIONAL_TEXT = (CRITERIA_DIR / "national-2022.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str, start: int = 1) -> int:
    """The 1-based number of the first line at or after ``start`` that contains ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def rule_line(text: str, code: str) -> int:
    return line_of(text, f"- code: {code}")


def replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def refused(text: str) -> CriteriaFileError:
    with pytest.raises(CriteriaFileError) as caught:
        parse_text(text)
    return caught.value


# --- the shipped files ----------------------------------------------------------------------

def test_shipped_files_are_found():
    assert {p.name for p in SHIPPED} >= {"national-2022.yaml", "jilin-provincial-2024.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_file_parses_and_compiles(path):
    definition = parse_text(path.read_text(encoding="utf-8"))
    compiled = compile_definition(definition)
    assert compiled.code == path.stem.split(".v")[0]  # national-2022.v2.yaml: version 2 of national-2022
    assert compiled.version == (int(path.stem.split(".v")[1]) if ".v" in path.stem else 1)
    expected = {("national-2022", 1): 15, ("national-2022", 2): 17, ("jilin-provincial-2024", 1): 15,
                ("jilin-provincial-2024", 2): 16}[(compiled.code, compiled.version)]
    assert len({r.code for r in compiled.rules}) == len(compiled.rules) == expected
    assert {r.aspect for r in compiled.rules} == set(range(1, 10))
    for rule in compiled.rules:
        assert rule.wording
        if rule.kind in ("threshold", "share", "growth"):
            assert isinstance(rule.threshold, Decimal) and rule.comparator in (">=", ">", "<=", "<")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_file_has_no_line_markers_after_parsing(path):
    assert "__line__" not in repr(parse_text(path.read_text(encoding="utf-8")))


def test_placeholder_flags():
    national = compile_definition(parse_text(NATIONAL_TEXT))
    jilin = compile_definition(parse_text((CRITERIA_DIR / "jilin-provincial-2024.yaml").read_text(encoding="utf-8")))
    assert national.placeholder is False and national.level == "national"
    assert jilin.placeholder is True and jilin.level == "provincial"


@pytest.mark.parametrize(("code", "comparator", "threshold"), [
    # domain.md 5.3: 以上/不超过 include the number, 高于 excludes it
    ("output_each_year", ">=", "40"),
    ("sme_share", ">=", "0.70"),
    ("leading_share", ">", "0.70"),
    ("growth", ">", "0.10"),
    ("area", "<=", "100"),
])
def test_national_comparators_follow_the_boundary_convention(code, comparator, threshold):
    rule = next(r for r in compile_definition(parse_text(NATIONAL_TEXT)).rules if r.code == code)
    assert (rule.comparator, rule.threshold) == (comparator, Decimal(threshold))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_dump_then_parse_gives_the_same_definition(path):
    definition = parse_text(path.read_text(encoding="utf-8"))
    text = dump_text(definition)
    assert parse_text(text) == definition
    assert compile_definition(parse_text(text)) == compile_definition(definition)
    assert dump_text(parse_text(text)) == text  # stable
    assert "中小企业" in text  # Chinese kept as is, not \\u escapes


def test_dump_text_strips_line_markers():
    assert "__line__" not in dump_text(load_text(NATIONAL_TEXT))


def test_json_is_accepted_too():
    import json

    definition = parse_text(NATIONAL_TEXT)
    assert parse_text(json.dumps(definition, ensure_ascii=False)) == definition


# --- refused files, with the line of the bad rule -------------------------------------------

BAD_RULES = [
    # (id, old, new, code of the rule whose line is reported, words in the reason)
    ("unknown-kind", "        kind: share\n", "        kind: ratio\n", "sme_share", "ratio"),
    ("kind-as-list", "        kind: share\n", "        kind: [share]\n", "sme_share", "类型"),
    ("unknown-comparator", 'comparator: ">"\n', 'comparator: "=>"\n', "leading_share", "=>"),
    ("comparator-missing", '        comparator: ">="\n        threshold: "40"\n', '        threshold: "40"\n',
     "output_each_year", "comparator"),
    ("unknown-indicator", "numerator: leading_output", "numerator: export_output", "leading_share", "export_output"),
    ("unknown-growth-indicator", "        kind: growth\n        indicator: total_output",
     "        kind: growth\n        indicator: total_sales", "growth", "total_sales"),
    ("indicator-as-mapping", "numerator: leading_output", "numerator: {a: 1}", "leading_share", "指标"),
    ("unknown-field", "field: area_km2", "field: area_mu", "area", "area_mu"),
    ("unknown-declaration-field", "field: negative_list_clear", "field: blacklist", "negative_list", "blacklist"),
    ("threshold-not-a-number", 'threshold: "40"', 'threshold: "四十"', "output_each_year", "四十"),
    ("threshold-infinite", 'threshold: "40"', 'threshold: "Infinity"', "output_each_year", "有限"),
    ("unknown-severity", "severity: soft", "severity: gentle", "area", "gentle"),
    ("unknown-years", "years: each", "years: some", "output_each_year", "years"),
    ("wording-missing", "        wording: 近3年集群产值均在40亿元以上\n", "", "output_each_year", "wording"),
    ("code-as-mapping", "code: growth", "code: {a: 1}", "{a: 1}", "code"),
]


@pytest.mark.parametrize(("old", "new", "code", "words"), [b[1:] for b in BAD_RULES], ids=[b[0] for b in BAD_RULES])
def test_bad_rule_is_refused_with_its_line(old, new, code, words):
    text = replace_once(NATIONAL_TEXT, old, new)
    error = refused(text)
    expected = rule_line(text, code)  # where the rule starts in the bad text
    assert error.line == expected
    assert words in error.reason
    assert str(error).startswith(f"第{expected}行：")


def test_duplicate_rule_code_is_refused_at_the_second_rule():
    text = replace_once(NATIONAL_TEXT, "- code: growth\n", "- code: sme_share\n")
    first = rule_line(text, "sme_share")
    second = line_of(text, "- code: sme_share", start=first + 1)
    error = refused(text)
    assert error.line == second
    assert f"与第{first}行重复" in error.reason and "sme_share" in error.reason


def test_unknown_qualification_is_refused_at_its_alternative():
    text = replace_once(NATIONAL_TEXT, "[specialized, innovative, high_tech]", "[specialized, innovative, hi_tech]")
    error = refused(text)
    assert error.line == line_of(text, "- label: 专精特新中小企业")
    assert "hi_tech" in error.reason


def test_alternative_with_unknown_comparator_is_refused_at_its_alternative():
    old = '            qualifications: [specialized, innovative, high_tech]\n            comparator: ">="'
    text = replace_once(NATIONAL_TEXT, old, old.replace('">="', '"=>"'))
    assert refused(text).line == line_of(text, "- label: 专精特新中小企业")


YAML_ERRORS = [
    # (id, old, new, the changed line is the reported one)
    ("bad-indentation", "        numerator: sme_output", "       numerator: sme_output"),
    ("key-dedented", "        unit: 亿元", "      unit: 亿元"),
    ("tab", "        numerator: leading_output", "\tnumerator: leading_output"),
    ("missing-colon", '        denominator: total_output\n        comparator: ">"\n',
     '        denominator: total_output\n        comparator ">"\n'),
    ("unclosed-bracket", "[champion, little_giant]", "[champion, little_giant"),
]


@pytest.mark.parametrize(("old", "new"), [e[1:] for e in YAML_ERRORS], ids=[e[0] for e in YAML_ERRORS])
def test_yaml_syntax_error_is_refused_with_its_line(old, new):
    text = replace_once(NATIONAL_TEXT, old, new)
    changed = next(n for n, (a, b) in enumerate(zip(NATIONAL_TEXT.splitlines(), text.splitlines()), start=1) if a != b)
    error = refused(text)
    assert error.line == changed
    assert "文件格式错误" in error.reason


@pytest.mark.parametrize(("text", "line"), [
    ("", 1),
    ("- a\n- b\n", 1),
    ("just a sentence", 1),
])
def test_not_a_mapping_is_refused(text, line):
    assert refused(text).line == line


@pytest.mark.parametrize(("old", "new", "words", "at"), [
    # top-level errors are reported at the first line of the mapping (after the comments)
    ("level: national", "level: county", "county", "code: national-2022"),
    ("level: national", "level: [national]", "level", "code: national-2022"),
    ("status: active", "status: live", "live", "code: national-2022"),
    ("code: national-2022\n", "", "code", "version: 1"),
    ("  - number: 2\n", "  - number: two\n", "two", "- number: two"),
    ("  - number: 2\n", "  - number: true\n", "整数", "- number: true"),
], ids=["unknown-level", "level-as-list", "unknown-status", "code-missing", "aspect-number-word", "aspect-number-bool"])
def test_bad_top_level_or_aspect_is_refused(old, new, words, at):
    text = replace_once(NATIONAL_TEXT, old, new)
    error = refused(text)
    assert error.line == line_of(text, at)
    assert words in error.reason


def test_aspect_without_rules_is_refused_at_the_aspect():
    old = "    rules:\n      - code: negative_list\n"
    start = NATIONAL_TEXT.index(old)
    end = NATIONAL_TEXT.index("行为\n", start) + len("行为\n")
    text = NATIONAL_TEXT[:start] + "    rules: []\n" + NATIONAL_TEXT[end:]
    error = refused(text)
    assert error.line == line_of(text, "- number: 9")
    assert "rules" in error.reason


def test_error_is_a_value_error_with_a_reason():
    error = refused(replace_once(NATIONAL_TEXT, "        kind: share\n", "        kind: ratio\n"))
    assert isinstance(error, ValueError)
    assert error.reason in str(error)


# --- issue 12: set-wide settings are checked, the field named ---------------------------------

def _national_text() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parent.parent.parent / "data" / "criteria" / "national-2022.yaml").read_text(encoding="utf-8")


def test_unknown_growth_method_is_refused_naming_the_field():
    import pytest as _pytest

    from clusterdesk.criteria.definition import CriteriaFileError, parse_text

    text = _national_text().replace("placeholder: false\n", "placeholder: false\ngrowth_method: average_of_rates\n")
    with _pytest.raises(CriteriaFileError) as exc:
        parse_text(text)
    assert exc.value.field == "growth_method" and "growth_method“average_of_rates”未知" in str(exc.value)


import pytest as _pt  # noqa: E402


@_pt.mark.parametrize("value", ["0", "-3", "2.5", "'3'", "true", "[3]"])
def test_bad_validity_period_is_refused_naming_the_field(value):
    from clusterdesk.criteria.definition import CriteriaFileError, parse_text

    text = _national_text().replace("placeholder: false\n", f"placeholder: false\nvalidity:\n  little_giant: {value}\n")
    with _pt.raises(CriteriaFileError) as exc:
        parse_text(text)
    assert exc.value.field == "validity.little_giant" and "应为正整数（年）" in str(exc.value)


def test_validity_of_an_unknown_qualification_is_refused():
    from clusterdesk.criteria.definition import CriteriaFileError, parse_text

    text = _national_text().replace("placeholder: false\n", "placeholder: false\nvalidity:\n  gazelle: 3\n")
    with _pt.raises(CriteriaFileError) as exc:
        parse_text(text)
    assert exc.value.field == "validity.gazelle"


@_pt.mark.django_db
def test_load_shipped_installs_version_2_beside_version_1_which_stays_unchanged():
    from clusterdesk.criteria.domain import SHIPPED_DIR, evaluator_for, get_set, load_shipped
    from clusterdesk.criteria.models import CriteriaSet

    first = [p for p in sorted(SHIPPED_DIR.glob("*.yaml")) if ".v" not in p.stem]
    load_shipped(first)
    v1_definition = CriteriaSet.objects.get(code="national-2022", version=1).definition
    created = load_shipped()  # everything shipped: only what is not installed yet
    assert [(c.code, c.version) for c in created] == [("jilin-provincial-2024", 2), ("national-2022", 2)]
    assert load_shipped() == []  # idempotent
    assert CriteriaSet.objects.get(code="national-2022", version=1).definition == v1_definition
    assert get_set("national-2022", 1).version == 1  # a round pinned to version 1 keeps it
    assert get_set("national-2022").version == 2  # the latest active one otherwise
    codes = [r.code for r in evaluator_for(get_set("national-2022", 2)).compiled.rules]
    assert "industrial_policy" in codes and "brand_recognition" in codes
