"""Properties of the criteria engine over random application data (hypothesis).

Random indicator rows (amounts with 2 decimals around the national thresholds, some absent),
random enterprise lists (repeated codes included), random declarations and judgements. The
engine's statuses are checked against a small reference written with exact fractions, and the
verdict rules are checked on their own.
"""

import operator
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterdesk.criteria.engine import Evaluator, compare
from tests.conftest import make_uscc
from tests.criteria.test_engine import JUDGEMENT_CODES, NATIONAL, STATUSES

WINDOW = [2022, 2023, 2024]
BASE = 2021
EVALUATOR = Evaluator(NATIONAL)
HARD = {r.code for r in NATIONAL.rules if r.severity == "hard"}
QUALIFICATIONS = ["champion", "little_giant", "specialized", "innovative", "high_tech"]

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- strategies -----------------------------------------------------------------------------

def two_places(low: str, high: str):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2)


# outputs around 40亿元 (and the exact boundary values now and then)
outputs = st.one_of(
    two_places("0", "120"),
    st.sampled_from([Decimal(v) for v in ("40", "39.99", "40.01", "0", "100", "133.1", "121")]),
)


@st.composite
def part_of(draw, total):
    """An SME or leading-industry amount: often exactly at, or a cent either side of, 70%."""
    if total is None or draw(st.booleans()):
        return draw(st.one_of(st.none(), two_places("0", "120")))
    at = (total * Decimal("0.7")).quantize(Decimal("0.01"))
    below = max(at - Decimal("0.01"), Decimal(0))
    return draw(st.sampled_from([at, at + Decimal("0.01"), below, total * Decimal("0.7")]))


@st.composite
def indicator_rows(draw):
    rows = []
    first = None
    for year in (BASE, *WINDOW):
        if draw(st.integers(0, 7)) == 0:
            continue  # the whole year is absent
        total = draw(st.one_of(st.none(), outputs)) if draw(st.integers(0, 5)) == 0 else draw(outputs)
        if year == WINDOW[-1] and first is not None and draw(st.integers(0, 3)) == 0:
            # growth exactly at 10% a year (or a cent above) from the first year present
            n = WINDOW[-1] - first[0]
            total = first[1] * Decimal("1.1") ** n + draw(st.sampled_from([Decimal(0), Decimal("0.01")]))
        if first is None and total is not None:
            first = (year, total)
        row = {"year": year, "total_output": None if total is None else str(total)}
        for key in ("sme_output", "leading_output"):
            part = draw(part_of(total))
            row[key] = None if part is None else str(part)
        rows.append(row)
    return draw(st.permutations(rows))


enterprises = st.lists(
    st.builds(
        lambda n, quals, leading: {"name": f"企业{n}", "uscc": make_uscc(n), "qualifications": quals,
                                   "year": 2023, "in_leading_industry": leading},
        st.integers(0, 13),
        st.lists(st.sampled_from(QUALIFICATIONS), min_size=1, max_size=3, unique=True),
        st.booleans(),
    ),
    max_size=20,
)

any_judgements = st.dictionaries(
    st.sampled_from(JUDGEMENT_CODES),
    st.builds(lambda d: {"decision": d, "reason": "理由", "by": "评审人"}, st.sampled_from(["pass", "fail"])),
)

areas = st.one_of(st.none(), two_places("90", "110").map(str), st.sampled_from(["100", "100.01"]))

random_applications = st.fixed_dictionaries({
    "indicators": indicator_rows(),
    "quality_enterprises": enterprises,
    "negative_list_clear": st.sampled_from([True, False, None]),
    "area_km2": areas,
})


@st.composite
def good_rows(draw):
    """Rows that pass every numeric rule, then at most one amount moved to a boundary or blanked."""
    base = draw(two_places("30", "40"))
    totals = {2021: base, 2022: draw(two_places("40", "120")), 2023: draw(two_places("40", "120")),
              2024: draw(two_places("60", "120"))}
    rows = {y: {"year": y, "total_output": str(t), "sme_output": str(t * Decimal("0.8")),
                "leading_output": str(t * Decimal("0.75"))} for y, t in totals.items()}
    key = draw(st.sampled_from(["none", "total_output", "sme_output", "leading_output", "growth"]))
    year = draw(st.sampled_from([2021, *WINDOW]))
    if key == "growth":
        rows[2024]["total_output"] = str(base * Decimal("1.331") + draw(st.sampled_from([Decimal(0), Decimal("0.01")])))
    elif key == "total_output":
        rows[year][key] = draw(st.sampled_from([None, "40", "39.99", "40.01"]))
    elif key != "none":
        rows[year][key] = draw(st.sampled_from([None, str(totals[year] * Decimal("0.7")),
                                                str(totals[year] * Decimal("0.7") - Decimal("0.01"))]))
    return draw(st.permutations(list(rows.values())))


good_applications = st.fixed_dictionaries({
    "indicators": good_rows(),
    "quality_enterprises": st.integers(0, 3).flatmap(lambda k: enterprises if k == 0 else st.just(
        [{"name": "小巨人", "uscc": make_uscc(99), "qualifications": ["little_giant"], "year": 2023,
          "in_leading_industry": True}])),
    "negative_list_clear": st.sampled_from([True, True, True, True, False, None]),
    "area_km2": areas,
})

applications = st.one_of(random_applications, good_applications, good_applications)  # 2 in 3 nearly good

# judgements: any subset, or (often) all of them pass, or all pass but one
judgement_sets = st.one_of(
    any_judgements,
    st.just({code: {"decision": "pass", "reason": "理由", "by": "评审人"} for code in JUDGEMENT_CODES}),
    st.sampled_from(JUDGEMENT_CODES).flatmap(lambda left_out: st.sampled_from(["fail", None]).map(
        lambda d: {code: {"decision": "pass" if code != left_out else d, "reason": "理由", "by": "评审人"}
                   for code in JUDGEMENT_CODES if code != left_out or d})),
)


# --- an independent reference with exact fractions ------------------------------------------

def _f(value):
    return None if value in (None, "") else Fraction(Decimal(str(value)))


def reference(data: dict, judgements: dict) -> tuple[dict, str]:
    by_year = {r["year"]: r for r in data["indicators"]}

    def amount(year, key):
        return _f(by_year.get(year, {}).get(key))

    out = {}
    values = [amount(y, "total_output") for y in WINDOW]
    if any(v is not None and v < 40 for v in values):
        out["output_each_year"] = "fail"
    elif None in values:
        out["output_each_year"] = "missing_data"
    else:
        out["output_each_year"] = "pass"

    total = amount(2024, "total_output")
    for code, key, op in (("sme_share", "sme_output", operator.ge), ("leading_share", "leading_output", operator.gt)):
        part = amount(2024, key)
        if part is None or total is None or total == 0:
            out[code] = "missing_data"
        else:
            out[code] = "pass" if op(part / total, Fraction(7, 10)) else "fail"

    first, n = amount(2022, "total_output"), 2  # national-2022: the three declared years, whatever the base year
    if first is None or total is None or first <= 0 or total < 0:
        out["growth"] = "missing_data"
    else:
        out["growth"] = "pass" if total / first > Fraction(11, 10) ** n else "fail"

    area = _f(data["area_km2"])
    out["area"] = "missing_data" if area is None else ("pass" if area <= 100 else "warn")

    firms = data["quality_enterprises"]
    giants = {f["uscc"] for f in firms
              if {"champion", "little_giant"} & set(f["qualifications"]) and f["in_leading_industry"]}
    others = {f["uscc"] for f in firms if {"specialized", "innovative", "high_tech"} & set(f["qualifications"])}
    out["quality_firms"] = ("missing_data" if not firms else
                            "pass" if len(giants) >= 1 or len(others) >= 10 else "fail")

    out["negative_list"] = {True: "pass", False: "fail", None: "missing_data"}[data["negative_list_clear"]]
    for code in JUDGEMENT_CODES:
        out[code] = judgements[code]["decision"] if code in judgements else "needs_review"

    hard = [s for c, s in out.items() if c in HARD]
    if "fail" in hard:
        verdict = "fail"
    elif "missing_data" in hard:
        verdict = "missing_data"
    elif "needs_review" in out.values():
        verdict = "needs_review"
    else:
        verdict = "pass"
    return out, verdict


def run(data, judgements):
    return EVALUATOR.evaluate(data, window_years=WINDOW, base_year=BASE, judgements=judgements)


# --- properties -----------------------------------------------------------------------------

@SETTINGS
@given(applications, judgement_sets)
def test_report_invariants_hold_for_any_data(data, judgements):
    report = run(data, judgements)  # no rule raises
    assert [r.code for r in report.results] == [r.code for r in NATIONAL.rules]
    for r in report.results:
        assert r.status in STATUSES, r
        assert r.message, r
        assert r.status != "warn" or r.severity == "soft", r
    # the verdict is fail whenever (and only when) a hard rule fails
    hard_fail = any(r.status == "fail" and r.severity == "hard" for r in report.results)
    assert (report.verdict == "fail") == hard_fail
    # never pass while a judgement is pending; pass only when every hard rule passes
    if any(r.status == "needs_review" for r in report.results):
        assert report.verdict != "pass"
    if report.verdict == "pass":
        assert all(r.status == "pass" for r in report.results if r.severity == "hard")
    assert report.as_dict()["verdict"] == report.verdict


@SETTINGS
@given(applications, judgement_sets)
def test_statuses_and_verdict_match_an_exact_reference(data, judgements):
    report = run(data, judgements)
    expected, verdict = reference(data, judgements)
    assert {r.code: r.status for r in report.results} == expected
    assert report.verdict == verdict


COMPARATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
finite = st.decimals(allow_nan=False, allow_infinity=False)


@SETTINGS
@given(finite, finite, st.sampled_from(sorted(COMPARATORS)))
def test_compare_matches_exact_comparison(x, t, comparator):
    assert compare(x, comparator, t) == COMPARATORS[comparator](Fraction(x), Fraction(t))


@SETTINGS
@given(finite, st.sampled_from(sorted(COMPARATORS)))
def test_compare_at_the_boundary_includes_only_non_strict(t, comparator):
    sign, digits, exponent = t.as_tuple()
    for same in (Decimal(str(t)), Decimal((sign, (*digits, 0), exponent - 1))):  # 40 and 40.0: the same number
        assert compare(same, comparator, t) is (comparator in (">=", "<="))


@SETTINGS
@given(two_places("0.01", "100000"))
def test_share_at_exactly_70_percent_meets_70_percent_or_more_but_not_above_70(total):
    part = total * Decimal("0.7")  # exact: 70% of the amount, even with 3 decimals
    data = {"indicators": [{"year": 2024, "total_output": str(total), "sme_output": str(part),
                            "leading_output": str(part)}]}
    results = {r.code: r.status for r in run(data, {}).results}
    assert results["sme_share"] == "pass"
    assert results["leading_share"] == "fail"


@SETTINGS
@given(two_places("0.01", "10000"), st.booleans())
def test_growth_at_exactly_10_percent_is_not_above_10_percent(first, with_base):
    last = first * Decimal("1.1") ** 2  # exact
    rows = [{"year": 2022, "total_output": str(first)}, {"year": 2024, "total_output": str(last)}]
    if with_base:  # a base year that would make growth pass from it changes nothing under national-2022
        rows.append({"year": 2021, "total_output": str(first / 2)})
    status = next(r for r in run({"indicators": rows}, {}).results if r.code == "growth").status
    assert status == "fail"
    rows[1]["total_output"] = str(last + Decimal("0.0001"))
    status = next(r for r in run({"indicators": rows}, {}).results if r.code == "growth").status
    assert status == "pass"
