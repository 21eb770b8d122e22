"""The criteria engine against the shipped sets: boundaries, missing data, verdicts, wording.

No database: the shipped YAML is compiled once and plain application dicts are evaluated, as
the app does (one compile, no query per rule). Boundaries follow domain.md 5.3: 以上/不超过
include the number, 高于/低于 exclude it.
"""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from clusterdesk.criteria.definition import compile_definition, parse_text
from clusterdesk.criteria.engine import Evaluator, compare, window_from
from tests.conftest import complete_body, make_uscc

ROOT = Path(__file__).resolve().parent.parent.parent
NATIONAL_FILE = ROOT / "data" / "criteria" / "national-2022.yaml"
JILIN_FILE = ROOT / "data" / "criteria" / "jilin-provincial-2024.yaml"
NATIONAL = compile_definition(parse_text(NATIONAL_FILE.read_text(encoding="utf-8")))
JILIN = compile_definition(parse_text(JILIN_FILE.read_text(encoding="utf-8")))
# national-2022 with growth from the base year: the set's alternative growth method
FROM_BASE = compile_definition({**parse_text(NATIONAL_FILE.read_text(encoding="utf-8")), "growth_method": "from_base_year"})

WINDOW = [2022, 2023, 2024]
BASE = 2021
JUDGEMENT_CODES = [r.code for r in NATIONAL.rules if r.kind == "judgement"]
STATUSES = {"pass", "fail", "warn", "needs_review", "missing_data"}


# --- helpers --------------------------------------------------------------------------------

def firm(n: int, *qualifications: str, leading: bool = True) -> dict:
    return {"name": f"示例企业{n}有限公司", "uscc": make_uscc(n), "qualifications": list(qualifications),
            "year": 2023, "in_leading_industry": leading}


def body(**changes) -> dict:
    """complete_body() that passes every numeric rule of national-2022 (one little giant in the
    leading industry), with top-level ``changes`` applied."""
    data = complete_body()
    data["quality_enterprises"] = [firm(1, "little_giant")]
    data.update(changes)
    return data


def set_year(data: dict, year: int, **values) -> dict:
    """Set indicator values of ``year`` (the row is created when absent); a value None clears it."""
    row = next((r for r in data["indicators"] if r["year"] == year), None)
    if row is None:
        row = {"year": year}
        data["indicators"].append(row)
    for key, value in values.items():
        row[key] = None if value is None else str(value)
    return data


def drop_year(data: dict, year: int) -> dict:
    data["indicators"] = [r for r in data["indicators"] if r["year"] != year]
    return data


def all_pass_judgements(**overrides) -> dict:
    judged = {code: {"decision": "pass", "reason": "佐证材料充分", "by": "李审核"} for code in JUDGEMENT_CODES}
    judged.update(overrides)
    return judged


def evaluate(data: dict, judgements: dict | None = None, compiled=NATIONAL, window=None, base_year=BASE):
    return Evaluator(compiled).evaluate(data, window_years=window or WINDOW, base_year=base_year,
                                        judgements=judgements or {})


def result(report, code: str):
    return next(r for r in report.results if r.code == code)


def status(data: dict, code: str, **kw) -> str:
    return result(evaluate(data, **kw), code).status


# --- the baseline ---------------------------------------------------------------------------

def test_complete_body_passes_every_numeric_rule():
    report = evaluate(body())
    for r in report.results:
        assert r.status == ("needs_review" if r.kind == "judgement" else "pass"), (r.code, r.message)
    assert report.verdict == "needs_review"


def test_national_set_has_the_expected_rules():
    codes = [r.code for r in NATIONAL.rules]
    assert codes == ["output_each_year", "sme_share", "leading_share", "growth", "area", "pillar_industry",
                     "niche_leadership", "quality_firms", "supply_chain", "innovation", "digital", "green",
                     "opening_up", "governance", "negative_list"]
    comparators = {r.code: (r.comparator, r.threshold) for r in NATIONAL.rules if r.threshold is not None}
    assert comparators == {
        "output_each_year": (">=", Decimal("40")), "sme_share": (">=", Decimal("0.70")),
        "leading_share": (">", Decimal("0.70")), "growth": (">", Decimal("0.10")), "area": ("<=", Decimal("100")),
    }


# --- 1. boundaries of every numbered national rule ------------------------------------------

@pytest.mark.parametrize("year", WINDOW)
@pytest.mark.parametrize(("value", "expected"), [
    ("40", "pass"), ("40.00", "pass"), ("39.99", "fail"), ("40.01", "pass"), ("0", "fail"),
])
def test_output_each_year_boundary_in_one_year(year, value, expected):
    data = set_year(body(), year, total_output=value)
    assert status(data, "output_each_year") == expected


@pytest.mark.parametrize(("value", "expected"), [("40", "pass"), ("39.99", "fail"), ("40.01", "pass")])
def test_output_each_year_boundary_in_all_years(value, expected):
    data = body()
    for year in WINDOW:
        set_year(data, year, total_output=value)
    assert status(data, "output_each_year") == expected


def test_output_each_year_failing_year_is_named():
    data = set_year(body(), 2023, total_output="39.99")
    r = result(evaluate(data), "output_each_year")
    assert r.status == "fail"
    assert r.message == "2023年集群产值39.99亿元，低于40亿元"
    assert "2022年" not in r.message and "2024年" not in r.message


def test_output_each_year_every_failing_year_is_named():
    data = set_year(set_year(body(), 2022, total_output="30"), 2024, total_output="39.5")
    r = result(evaluate(data), "output_each_year")
    assert r.status == "fail"
    assert r.message == "2022年集群产值30.0亿元，低于40亿元；2024年集群产值39.5亿元，低于40亿元"
    assert r.gap == "-10.0亿元"  # the worst year


def test_output_each_year_ignores_the_base_year():
    data = set_year(body(), 2021, total_output="10")
    assert status(data, "output_each_year") == "pass"


def _share_data(year_total="50", **latest) -> dict:
    data = set_year(body(), 2021, total_output="30")  # growth 30 -> 50 stays above 10%
    set_year(data, 2024, total_output=year_total, sme_output="40", leading_output="40")
    return set_year(data, 2024, **latest)


@pytest.mark.parametrize(("sme", "expected"), [
    ("35", "pass"),      # exactly 70%: 以上 includes the number
    ("35.00", "pass"),
    ("34.99", "fail"),
    ("35.01", "pass"),
    ("0", "fail"),
    ("50", "pass"),
])
def test_sme_share_boundary(sme, expected):
    assert status(_share_data(sme_output=sme), "sme_share") == expected


@pytest.mark.parametrize(("leading", "expected"), [
    ("35", "fail"),      # exactly 70%: 高于 excludes the number
    ("35.00", "fail"),
    ("35.01", "pass"),
    ("34.99", "fail"),
    ("50", "pass"),
])
def test_leading_share_boundary(leading, expected):
    assert status(_share_data(leading_output=leading), "leading_share") == expected


def test_share_uses_the_latest_year_only():
    data = set_year(body(), 2023, sme_output="1", leading_output="1")
    assert status(data, "sme_share") == "pass" and status(data, "leading_share") == "pass"


def test_share_formula_names_the_year():
    r = result(evaluate(_share_data(sme_output="35")), "sme_share")
    assert r.formula == "2024年中小企业产值 ÷ 集群产值"
    assert r.actual == "70.0%" and r.threshold == "≥ 70.0%"
    assert r.message == "2024年中小企业产值占比70.0%（35.0÷50.0），不低于70.0%（按最近一个申报年度（2024年）核对）"


def _growth_data(first: str, last: str, *, with_base: bool = True) -> dict:
    data = body()
    if with_base:
        set_year(data, 2021, total_output=first)
        set_year(data, 2022, total_output="120")
    else:
        drop_year(data, 2021)
        set_year(data, 2022, total_output=first)
    set_year(data, 2023, total_output="120")
    share = Decimal(last) * Decimal("0.8")  # keeps both shares above 70%
    return set_year(data, 2024, total_output=last, sme_output=share, leading_output=share)


@pytest.mark.parametrize(("first", "last", "expected"), [
    ("100", "133.1", "fail"),    # (133.1/100)^(1/3) - 1 is exactly 10%: 高于 excludes it
    ("100", "133.11", "pass"),
    ("100", "133.09", "fail"),
    ("50", "66.55", "fail"),     # exactly 10% again
    ("50", "66.56", "pass"),
    ("100", "100", "fail"),
    ("100", "90", "fail"),
])
def test_growth_boundary_from_base_year(first, last, expected):
    r = result(evaluate(_growth_data(first, last), compiled=FROM_BASE), "growth")
    assert r.status == expected
    assert r.formula == "(2024年集群产值 ÷ 2021年集群产值)^(1/3) − 1"


@pytest.mark.parametrize(("first", "last", "expected"), [
    ("100", "121", "fail"),      # (121/100)^(1/2) - 1 is exactly 10%
    ("100", "121.01", "pass"),
    ("100", "120.99", "fail"),
])
def test_growth_boundary_without_base_year(first, last, expected):
    r = result(evaluate(_growth_data(first, last, with_base=False)), "growth")
    assert r.status == expected
    assert r.formula == "(2024年集群产值 ÷ 2022年集群产值)^(1/2) − 1"


def test_growth_without_base_amount_starts_from_first_window_year():
    data = set_year(_growth_data("100", "121", with_base=False), 2021, total_output=None)
    r = result(evaluate(data), "growth")
    assert r.status == "fail" and r.formula.endswith("^(1/2) − 1")


def test_growth_exactly_at_threshold_reads_as_the_threshold():
    r = result(evaluate(_growth_data("100", "133.1"), compiled=FROM_BASE), "growth")
    assert r.actual == "10.0%" and r.gap == "+0.0个百分点"
    assert r.message == "2021–2024年集群产值年均增速10.0%（按基期年计算，基期年必填），不高于10.0%"


@pytest.mark.parametrize(("area", "expected"), [
    ("100", "pass"), ("100.00", "pass"), ("99.99", "pass"), ("100.01", "warn"), ("500", "warn"), ("0.5", "pass"),
])
def test_area_boundary_is_soft(area, expected):
    r = result(evaluate(body(area_km2=area)), "area")
    assert r.status == expected
    assert r.severity == "soft"


def test_area_over_limit_does_not_fail_the_verdict():
    report = evaluate(body(area_km2="100.01"), all_pass_judgements())
    assert result(report, "area").status == "warn"
    assert result(report, "area").message == "集群面积100.01平方公里，超过100平方公里"
    assert report.verdict == "pass"


@pytest.mark.parametrize(("firms", "expected"), [
    pytest.param([firm(1, "little_giant")], "pass", id="one-little-giant-in-leading-industry"),
    pytest.param([firm(1, "champion")], "pass", id="one-champion-in-leading-industry"),
    pytest.param([firm(1, "little_giant", leading=False)], "fail", id="little-giant-outside-leading-industry"),
    pytest.param([firm(1, "little_giant", leading=False)] + [firm(n, "specialized") for n in range(2, 11)], "fail",
                 id="little-giant-outside-plus-9-specialised"),
    pytest.param([firm(n, "specialized") for n in range(1, 11)], "pass", id="10-specialised"),
    pytest.param([firm(n, ("specialized", "innovative", "high_tech")[n % 3]) for n in range(1, 11)], "pass",
                 id="10-mixed-specialised-innovative-high-tech"),
    pytest.param([firm(n, "high_tech", leading=False) for n in range(1, 11)], "pass",
                 id="10-high-tech-outside-leading-industry"),
    pytest.param([firm(n, "specialized") for n in range(1, 10)] + [firm(1, "innovative")], "fail",
                 id="same-uscc-listed-twice-counts-once"),
    pytest.param([firm(1, "specialized", "high_tech")] + [firm(n, "specialized") for n in range(2, 10)], "fail",
                 id="9-firms-one-with-two-qualifications"),
    pytest.param([firm(n, "specialized") for n in range(1, 10)], "fail", id="9-specialised"),
    pytest.param([], "missing_data", id="no-firms"),  # not filled in yet (issue 15 §10)
])
def test_quality_firms_alternatives(firms, expected):
    assert status(body(quality_enterprises=firms), "quality_firms") == expected


def test_quality_firms_counts_distinct_enterprises_in_the_message():
    firms = [firm(1, "specialized", "high_tech"), *(firm(n, "specialized") for n in range(2, 10)), firm(5, "innovative")]
    r = result(evaluate(body(quality_enterprises=firms)), "quality_firms")
    assert r.status == "fail"
    assert r.message.startswith("均未满足：")
    assert "专精特新中小企业、创新型中小企业或国家级高新技术企业9家（要求不低于10家）" in r.message
    assert r.gap == "-1家"


@pytest.mark.parametrize(("declared", "expected"), [(True, "pass"), (False, "fail"), (None, "missing_data")])
def test_negative_list_declaration(declared, expected):
    assert status(body(negative_list_clear=declared), "negative_list") == expected


def test_negative_list_absent_key_is_missing_data():
    data = body()
    del data["negative_list_clear"]
    assert status(data, "negative_list") == "missing_data"


# --- 2. missing data ------------------------------------------------------------------------

@pytest.mark.parametrize("year", WINDOW)
def test_output_each_year_missing_year_is_missing_data(year):
    r = result(evaluate(drop_year(body(), year)), "output_each_year")
    assert r.status == "missing_data"
    assert r.message == f"缺少{year}年集群产值，无法判断"


@pytest.mark.parametrize("blank", [None, ""])
def test_output_each_year_blank_amount_is_missing_data(blank):
    data = body()
    next(r for r in data["indicators"] if r["year"] == 2023)["total_output"] = blank
    assert status(data, "output_each_year") == "missing_data"


def test_output_each_year_known_failing_year_fails_despite_a_missing_year():
    """Every year must reach 40: one known year below it fails the rule whatever the missing year holds."""
    data = drop_year(set_year(body(), 2022, total_output="10"), 2024)
    r = result(evaluate(data), "output_each_year")
    assert r.status == "fail"
    assert r.message == "2022年集群产值10.0亿元，低于40亿元（另缺少2024年集群产值）"
    assert evaluate(data, all_pass_judgements()).verdict == "fail"


@pytest.mark.parametrize(("change", "missing"), [
    ({"sme_output": None}, "中小企业产值"),
    ({"total_output": None}, "集群产值"),
])
def test_sme_share_latest_year_missing_is_missing_data(change, missing):
    r = result(evaluate(set_year(body(), 2024, **change)), "sme_share")
    assert r.status == "missing_data"
    assert r.message == f"缺少2024年{missing}，无法计算占比（按最近一个申报年度（2024年）核对）"


@pytest.mark.parametrize("code", ["sme_share", "leading_share"])
def test_share_latest_row_absent_is_missing_data(code):
    assert status(drop_year(body(), 2024), code) == "missing_data"


@pytest.mark.parametrize("code", ["sme_share", "leading_share"])
def test_share_zero_denominator_is_missing_data(code):
    data = set_year(body(), 2024, total_output="0", sme_output="0", leading_output="0")
    r = result(evaluate(data), code)
    assert r.status == "missing_data"
    assert "为 0" in r.message


def test_growth_latest_year_missing_is_missing_data():
    r = result(evaluate(drop_year(body(), 2024)), "growth")
    assert r.status == "missing_data" and r.message == "缺少2024年集群产值，无法计算年均增速"


def test_growth_no_base_and_no_first_window_year_is_missing_data():
    r = result(evaluate(drop_year(drop_year(body(), 2021), 2022)), "growth")
    assert r.status == "missing_data" and r.message == "缺少2022年集群产值，无法计算年均增速"


@pytest.mark.parametrize("zero", ["0", "0.00"])
def test_growth_zero_base_is_missing_data(zero):
    r = result(evaluate(set_year(body(), 2021, total_output=zero), compiled=FROM_BASE), "growth")
    assert r.status == "missing_data"
    assert "2021年集群产值为 0" in r.message


def test_growth_zero_first_window_year_without_base_is_missing_data():
    data = set_year(drop_year(body(), 2021), 2022, total_output="0")
    r = result(evaluate(data), "growth")
    assert r.status == "missing_data" and "2022年集群产值为 0" in r.message


def test_growth_negative_last_year_is_missing_data_not_an_exception():
    r = result(evaluate(set_year(body(), 2024, total_output="-5")), "growth")
    assert r.status == "missing_data"


def test_growth_single_year_window_is_missing_data_not_an_exception():
    data = drop_year(body(), 2023)  # no base year amount, and the window is 2024 alone: n = 0
    r = result(evaluate(data, window=[2024], base_year=2023), "growth")
    assert r.status == "missing_data" and r.message == "只有2024年的集群产值，无法计算年均增速"


@pytest.mark.parametrize("junk", ["NaN", "Infinity", "-Infinity", "abc", "sNaN"])
def test_unusable_amount_is_missing_data_not_an_exception(junk):
    data = set_year(body(), 2024, total_output=junk)
    report = evaluate(data)
    for code in ("output_each_year", "sme_share", "leading_share", "growth"):
        assert result(report, code).status == "missing_data", code


@pytest.mark.parametrize(("first", "last"), [("1e-400", "50"), ("1", "1e400"), ("0.01", "100000")])
def test_growth_extreme_amounts_raise_nothing(first, last):
    data = set_year(set_year(body(), 2021, total_output=first), 2024, total_output=last)
    assert result(evaluate(data, compiled=FROM_BASE), "growth").status == "pass"


def test_area_missing_is_missing_data():
    r = result(evaluate(body(area_km2=None)), "area")
    assert r.status == "missing_data" and r.message == "未填写集群面积"


def test_empty_data_raises_nothing():
    report = evaluate({})
    assert {r.status for r in report.results} <= {"missing_data", "needs_review"}
    assert result(report, "quality_firms").status == "missing_data"  # no firms listed yet (issue 15 §10)
    assert report.verdict == "missing_data"


def test_data_with_only_firms_is_missing_data():
    data = {"quality_enterprises": [firm(1, "little_giant")]}
    assert evaluate(data).verdict == "missing_data"


def test_verdict_missing_data_when_a_hard_rule_lacks_data_and_none_fails():
    report = evaluate(drop_year(body(), 2023), all_pass_judgements())
    assert result(report, "output_each_year").status == "missing_data"
    assert not any(r.status == "fail" for r in report.results)
    assert report.verdict == "missing_data"


def test_verdict_missing_data_outranks_pending_judgements():
    report = evaluate(body(negative_list_clear=None))
    assert report.verdict == "missing_data"


def test_verdict_fail_outranks_missing_data():
    data = set_year(drop_year(body(), 2023), 2024, sme_output="1")
    assert evaluate(data, all_pass_judgements()).verdict == "fail"


def test_soft_rule_missing_does_not_block_the_verdict():
    # area is soft: a missing area is shown as missing_data but the verdict follows the hard rules
    assert evaluate(body(area_km2=None), all_pass_judgements()).verdict == "pass"


# --- 3. verdict -----------------------------------------------------------------------------

def test_verdict_needs_review_without_judgements():
    report = evaluate(body())
    assert report.verdict == "needs_review"
    assert [r.code for r in report.results if r.status == "needs_review"] == JUDGEMENT_CODES


@pytest.mark.parametrize("pending", JUDGEMENT_CODES)
def test_verdict_needs_review_while_one_judgement_is_pending(pending):
    judged = all_pass_judgements()
    del judged[pending]
    report = evaluate(body(), judged)
    assert report.verdict == "needs_review"
    assert result(report, pending).status == "needs_review"


def test_verdict_pass_when_every_judgement_is_pass():
    report = evaluate(body(), all_pass_judgements())
    assert report.verdict == "pass"
    r = result(report, "supply_chain")
    assert r.status == "pass" and r.judgement["by"] == "李审核"
    assert r.message == "李审核判断符合：佐证材料充分"


@pytest.mark.parametrize("failed", JUDGEMENT_CODES)
def test_verdict_fail_when_a_judgement_is_fail(failed):
    judged = all_pass_judgements(**{failed: {"decision": "fail", "reason": "缺少佐证材料", "by": "王处长"}})
    report = evaluate(body(), judged)
    assert report.verdict == "fail"
    r = result(report, failed)
    assert r.status == "fail" and r.actual == "评审不通过"
    assert r.message == "王处长判断不符合：缺少佐证材料"


def test_verdict_fail_with_a_judgement_fail_and_others_pending():
    judged = {"green": {"decision": "fail", "reason": "能耗偏高", "by": "王处长"}}
    assert evaluate(body(), judged).verdict == "fail"


@pytest.mark.parametrize(("code", "data"), [
    ("output_each_year", set_year(body(), 2022, total_output="39.99")),
    ("sme_share", _share_data(sme_output="34.99")),
    ("leading_share", _share_data(leading_output="35")),
    ("growth", _growth_data("100", "133.1")),
    ("quality_firms", body(quality_enterprises=[firm(1, "specialized")])),
    ("negative_list", body(negative_list_clear=False)),
], ids=["output_each_year", "sme_share", "leading_share", "growth", "quality_firms", "negative_list"])
def test_verdict_fail_when_a_hard_rule_fails_despite_judgements(code, data):
    report = evaluate(data, all_pass_judgements(), compiled=FROM_BASE)  # the data declare a base year
    assert result(report, code).status == "fail"
    assert [r.code for r in report.results if r.status == "fail"] == [code]
    assert report.verdict == "fail"


def test_judgements_of_unknown_rules_are_ignored():
    judged = all_pass_judgements(output_each_year={"decision": "fail", "reason": "x", "by": "y"})
    assert evaluate(body(), judged).verdict == "pass"


def test_report_criteria_set_info_and_as_dict():
    report = evaluate(body(), all_pass_judgements())
    assert report.criteria_set == {"code": "national-2022", "version": 1, "name": NATIONAL.name,
                                   "level": "national", "placeholder": False}
    as_dict = report.as_dict()
    assert as_dict["verdict_label"] == "符合认定标准"
    assert len(as_dict["results"]) == 15
    json.dumps(as_dict, ensure_ascii=False)  # stored with a submission: must be JSON


def test_evaluation_does_not_change_the_data():
    data = body()
    before = copy.deepcopy(data)
    evaluate(data, all_pass_judgements())
    assert data == before


def test_indicator_row_order_does_not_matter():
    data = body()
    shuffled = copy.deepcopy(data)
    shuffled["indicators"].reverse()
    assert evaluate(data).as_dict() == evaluate(shuffled).as_dict()


def test_window_from_the_latest_three_years():
    assert window_from(complete_body()["indicators"]) == ([2022, 2023, 2024], 2021)
    assert window_from([{"year": 2023}, {"year": 2025}]) == ([2023, 2024, 2025], 2022)


# --- the Jilin provincial set (placeholder thresholds) -----------------------------------

def _jilin_data() -> dict:
    """Passes the Jilin placeholders, fails the national thresholds."""
    data = body(quality_enterprises=[firm(n, "specialized") for n in range(1, 6)])
    drop_year(data, 2021)
    set_year(data, 2022, total_output="25", sme_output="16", leading_output="16")
    set_year(data, 2023, total_output="26", sme_output="16", leading_output="16")
    return set_year(data, 2024, total_output="28", sme_output="18", leading_output="17.5")  # 64.3%, 62.5%, 5.8%


def test_jilin_set_uses_its_own_placeholder_thresholds():
    data = _jilin_data()
    jilin = evaluate(data, all_pass_judgements(), compiled=JILIN)
    national = evaluate(data, all_pass_judgements())
    assert jilin.verdict == "pass", [(r.code, r.status, r.message) for r in jilin.results]
    assert national.verdict == "fail"
    assert {r.code for r in national.results if r.status == "fail"} == {
        "output_each_year", "sme_share", "leading_share", "growth", "quality_firms"}


def test_jilin_report_says_placeholder():
    report = evaluate(_jilin_data(), compiled=JILIN)
    assert report.criteria_set["placeholder"] is True
    assert report.criteria_set["code"] == "jilin-provincial-2024" and report.criteria_set["level"] == "provincial"
    assert report.as_dict()["criteria_set"]["placeholder"] is True


@pytest.mark.parametrize(("code", "data", "expected"), [
    ("output_each_year", lambda: set_year(_jilin_data(), 2022, total_output="20"), "pass"),
    ("output_each_year", lambda: set_year(_jilin_data(), 2022, total_output="19.99"), "fail"),
    ("sme_share", lambda: set_year(_jilin_data(), 2024, total_output="50", sme_output="30"), "pass"),
    ("sme_share", lambda: set_year(_jilin_data(), 2024, total_output="50", sme_output="29.99"), "fail"),
    ("leading_share", lambda: set_year(_jilin_data(), 2024, total_output="50", leading_output="30"), "fail"),
    ("leading_share", lambda: set_year(_jilin_data(), 2024, total_output="50", leading_output="30.01"), "pass"),
    ("growth", lambda: set_year(set_year(_jilin_data(), 2022, total_output="100"), 2024, total_output="110.25"),
     "fail"),
    ("growth", lambda: set_year(set_year(_jilin_data(), 2022, total_output="100"), 2024, total_output="110.26"),
     "pass"),
    ("quality_firms", lambda: body(quality_enterprises=[firm(n, "innovative") for n in range(1, 5)]), "fail"),
], ids=["output-20", "output-19.99", "sme-60%", "sme-59.98%", "leading-60%", "leading-60.02%", "growth-5%",
        "growth-5.005%", "4-innovative"])
def test_jilin_boundaries(code, data, expected):
    assert status(data(), code, compiled=JILIN) == expected


# --- 6. message wording ---------------------------------------------------------------------

def test_failing_output_year_message_and_gap():
    """The issue's own example."""
    r = result(evaluate(set_year(body(), 2023, total_output="38.2")), "output_each_year")
    assert r.status == "fail"
    assert r.message == "2023年集群产值38.2亿元，低于40亿元"
    assert r.gap == "-1.8亿元"
    assert r.threshold == "≥ 40亿元"
    assert r.wording == "近3年集群产值均在40亿元以上"
    assert r.actual == "2022年45.0、2023年38.2、2024年56.0亿元"
    assert r.actual_number == pytest.approx(38.2) and r.threshold_number == 40.0


def test_passing_output_message():
    r = result(evaluate(body()), "output_each_year")
    assert r.message == "2022–2024年集群产值均不低于40亿元（最低45.0亿元）"
    assert r.gap == "+5.0亿元"


@pytest.mark.parametrize(("code", "data", "shown", "gap"), [
    # amounts and rates are never rounded onto the other side of the threshold
    ("output_each_year", lambda: set_year(body(), 2023, total_output="39.99"), "39.99亿元", "-0.01亿元"),
    ("sme_share", lambda: _share_data(sme_output="34.99"), "69.98%", "-0.02个百分点"),
    ("leading_share", lambda: _share_data(leading_output="35.01"), "70.02%", "+0.02个百分点"),
    ("growth", lambda: _growth_data("100", "133.11"), "10.003%", "+0.003个百分点"),
    ("area", lambda: body(area_km2="100.01"), "100.01平方公里", "+0.01平方公里"),
], ids=["output-39.99", "sme-69.98%", "leading-70.02%", "growth-10.003%", "area-100.01"])
def test_near_boundary_values_are_not_rounded_onto_the_threshold(code, data, shown, gap):
    r = result(evaluate(data(), compiled=FROM_BASE), code)
    assert shown in r.message
    assert r.gap == gap


def test_every_result_has_wording_and_a_chinese_message():
    report = evaluate(body())
    for r in report.results:
        assert r.wording and r.message, r.code
        assert r.status in STATUSES


# --- the comparator -------------------------------------------------------------------------

@pytest.mark.parametrize(("actual", "comparator", "threshold", "expected"), [
    ("40", ">=", "40", True), ("39.99", ">=", "40", False), ("40.01", ">=", "40", True),
    ("0.70", ">", "0.7", False), ("0.7001", ">", "0.7", True), ("0.6999", ">", "0.7", False),
    ("100", "<=", "100", True), ("100.01", "<=", "100", False), ("99.99", "<=", "100", True),
    ("5", "<", "5", False), ("4.99", "<", "5", True), ("5.01", "<", "5", False),
])
def test_compare_boundaries(actual, comparator, threshold, expected):
    assert compare(Decimal(actual), comparator, Decimal(threshold)) is expected


# --- issue 12: one growth method for a round ---------------------------------------------------

def _issue_growth(with_base: bool) -> dict:
    """44 (base) → 45 → 50 → 56: 8.4% from the base year, 11.6% over the declared years."""
    data = body()
    for year, amount in ((2022, "45"), (2023, "50"), (2024, "56")):
        set_year(data, year, total_output=amount, sme_output=Decimal(amount) * Decimal("0.8"),
                 leading_output=Decimal(amount) * Decimal("0.8"))
    if with_base:
        set_year(data, 2021, total_output="44")
    else:
        drop_year(data, 2021)
    return data


def test_growth_verdict_does_not_depend_on_a_typed_base_year():
    with_base = result(evaluate(_issue_growth(True)), "growth")
    without = result(evaluate(_issue_growth(False)), "growth")
    assert with_base.status == without.status == "pass"
    assert with_base.actual == without.actual == "11.6%"
    assert with_base.formula == without.formula == "(2024年集群产值 ÷ 2022年集群产值)^(1/2) − 1"
    assert "另填报2021年基期集群产值44.0，按基期计算为8.4%，仅供参考，不影响判断" in with_base.message
    assert "基期" not in without.message.replace("按申报的三个年度计算", "")


def test_from_base_year_method_requires_the_base_year():
    r = result(evaluate(_issue_growth(False), compiled=FROM_BASE), "growth")
    assert r.status == "missing_data"
    assert r.message == "缺少2021年集群产值，无法计算年均增速（本标准按基期年计算，基期年必填）"
    assert r.formula == "(2024年集群产值 ÷ 2021年集群产值)^(1/3) − 1"
    assert result(evaluate(_issue_growth(True), compiled=FROM_BASE), "growth").status == "fail"  # 8.4%


def test_share_years_each_checks_every_declared_year():
    each = compile_definition({**parse_text(NATIONAL_FILE.read_text(encoding="utf-8")), "share_years": "each"})
    data = set_year(body(), 2023, sme_output="1")
    assert status(data, "sme_share") == "pass"  # national-2022: the last year only
    r = result(evaluate(data, compiled=each), "sme_share")
    assert r.status == "fail" and r.message.startswith("2023年中小企业产值占比")
    assert "按每一个申报年度（2022–2024年）核对" in r.message


# --- issue 12: national-2022 version 2 --------------------------------------------------------

V2_FILE = ROOT / "data" / "criteria" / "national-2022.v2.yaml"
V2 = compile_definition(parse_text(V2_FILE.read_text(encoding="utf-8")))


def qfirm(n: int, quals: dict, *, leading: bool = True) -> dict:
    """An enterprise with an award year per qualification."""
    return {"name": f"示例企业{n}有限公司", "uscc": make_uscc(n), "qualifications": list(quals),
            "qualification_years": dict(quals), "in_leading_industry": leading}


def test_v2_settings():
    assert V2.version == 2 and V2.growth_method == "compound_window" and V2.share_years == "latest"
    assert dict(V2.validity) == {q: 3 for q in ("champion", "little_giant", "specialized", "innovative", "high_tech")}


def test_v2_growth_same_verdict_with_and_without_base_year():
    assert (result(evaluate(_issue_growth(True), compiled=V2), "growth").status
            == result(evaluate(_issue_growth(False), compiled=V2), "growth").status == "pass")


def test_little_giant_outside_leading_industry_counts_toward_the_ten():
    firms = [qfirm(1, {"little_giant": 2023}, leading=False)] + [qfirm(n, {"specialized": 2023}) for n in range(2, 11)]
    r = result(evaluate(body(quality_enterprises=firms), compiled=V2), "quality_firms")
    assert r.status == "pass"
    assert "专精特新中小企业（含“小巨人”）、创新型中小企业和国家级高新技术企业10家" in r.message
    # it does not make the "≥1 in the leading industry" alternative
    assert "主导产业的制造业单项冠军企业或专精特新“小巨人”企业0家" in r.message
    # version 1 (pinned by older rounds) counts as it always did: nine
    assert result(evaluate(body(quality_enterprises=firms)), "quality_firms").status == "fail"


def test_little_giant_counted_once_though_it_holds_two_qualifications():
    firms = [qfirm(1, {"little_giant": 2023, "specialized": 2022}, leading=False)] + [
        qfirm(n, {"specialized": 2023}) for n in range(2, 10)]
    r = result(evaluate(body(quality_enterprises=firms), compiled=V2), "quality_firms")
    assert r.status == "fail" and "国家级高新技术企业9家" in r.message


def test_qualification_awarded_five_years_before_the_round_does_not_count():
    # round 2025, declared years 2022–2024: a 小巨人 of 2020 was valid to the end of 2022
    firms = [qfirm(1, {"little_giant": 2020})]
    r = result(evaluate(body(quality_enterprises=firms), compiled=V2), "quality_firms")
    assert r.status == "fail"
    assert "未计入（资质不在有效期内）：示例企业1有限公司（小巨人，2020年获评，有效期3年，至2022年底已失效）" in r.message
    assert "仅计2024年底仍在有效期内的资质" in r.formula


@pytest.mark.parametrize(("year", "expected"), [(2022, "pass"), (2021, "fail"), (2024, "pass"), (2025, "fail")])
def test_validity_boundary_award_year_plus_validity_minus_one(year, expected):
    """Valid at the end of 2024 when award_year + 3 − 1 >= 2024; one awarded after 2024 was not yet held."""
    r = result(evaluate(body(quality_enterprises=[qfirm(1, {"champion": year})]), compiled=V2), "quality_firms")
    assert r.status == expected


def test_old_single_year_is_the_year_of_every_qualification():
    old = [{"name": "老数据企业", "uscc": make_uscc(1), "qualifications": ["little_giant", "specialized"],
            "year": 2019, "in_leading_industry": True}]
    r = result(evaluate(body(quality_enterprises=old), compiled=V2), "quality_firms")
    assert r.status == "fail" and r.message.count("2019年获评") == 2
    old[0]["qualification_years"] = {"little_giant": 2023}  # one given its own year: that one counts
    assert result(evaluate(body(quality_enterprises=old), compiled=V2), "quality_firms").status == "pass"


def test_v2_has_the_two_judgement_rules_with_their_official_wording():
    rules = {r.code: r for r in V2.rules}
    assert rules["industrial_policy"].kind == "judgement" and rules["industrial_policy"].aspect == 1
    assert rules["industrial_policy"].wording == "符合国家产业政策和行业发展规划要求"
    assert rules["brand_recognition"].kind == "judgement" and rules["brand_recognition"].aspect == 1
    assert rules["brand_recognition"].wording == "有较高的集群品牌知名度"
    report = evaluate(body(), compiled=V2)
    assert result(report, "industrial_policy").status == "needs_review" and report.verdict == "needs_review"


def test_v2_aspect_titles_are_the_published_ones():
    titles = {r.aspect: r.aspect_title for r in V2.rules if r.aspect <= 8}
    assert titles == {1: "具有较强核心竞争力", 2: "优质中小企业梯度培育成效显著", 3: "产业链供应链协作高效",
                      4: "具有较强协同创新能力", 5: "数字化转型效果明显", 6: "具有较高绿色化发展水平",
                      7: "积极参与产业开放合作", 8: "治理和服务能力较强"}


JILIN_V2 = compile_definition(parse_text((ROOT / "data" / "criteria" / "jilin-provincial-2024.v2.yaml").read_text(encoding="utf-8")))


def test_jilin_v2_is_still_a_placeholder_ranks_province_wide_and_reads_rd_spending():
    assert JILIN_V2.placeholder and JILIN_V2.level == "provincial" and JILIN_V2.version == 2
    rules = {r.code: r for r in JILIN_V2.rules}
    assert "全国、全省前列" in rules["niche_leadership"].wording
    rd = rules["rd_growth"]
    assert rd.kind == "growth" and rd.indicator == "sme_rd_spending" and rd.severity == "soft"
    data = body()
    for year, amount in ((2022, "1.0"), (2023, "1.1"), (2024, "1.2")):
        set_year(data, year, sme_rd_spending=amount)
    r = result(evaluate(data, compiled=JILIN_V2), "rd_growth")
    assert r.status == "pass" and r.formula == "(2024年中小企业研发投入 ÷ 2022年中小企业研发投入)^(1/2) − 1"
    set_year(data, 2024, sme_rd_spending="1.0")
    assert result(evaluate(data, compiled=JILIN_V2), "rd_growth").status == "warn"  # soft: a warning


# --- issue 15 §10: what a clerk reads on a draft ------------------------------------------------

def test_a_new_draft_is_not_yet_complete_rather_than_failing():
    report = evaluate({"quality_enterprises": [], "indicators": []})
    assert result(report, "quality_firms").status == "missing_data"
    assert report.verdict == "missing_data"
    assert report.as_dict()["verdict_label"] == "尚未填写完整"
    # A complete form that fails a hard rule is still "不符合认定标准".
    assert evaluate(body(quality_enterprises=[firm(1, "specialized")])).verdict == "fail"
