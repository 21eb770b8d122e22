"""Criteria engine throughput: 10,000 applications against the national 2022 criteria.

How to run (from the project root; a few seconds, no database, no Django setup):

    .venv/bin/python bench/criteria_eval.py

Target: evaluating the whole batch of 10,000 applications takes less than 2 seconds
(0.2 ms an application). The script exits 1 when the engine batch takes 2 seconds or more.

What it does: builds 10,000 varied application data dicts in memory with a fixed random seed
(3-4 indicator years with amounts around the thresholds and now and then a blank, 0-30
quality enterprises with valid unified social credit codes, some listed twice, an area and a
negative-list declaration, random reviewer judgements), compiles data/criteria/national-2022.v2.yaml
once with definition.parse_text + compile_definition and evaluates every application with
engine.Evaluator -- as the app does: one compile, no query per rule. The time is the best of 3
runs (time.perf_counter).

The baseline, measured in the same run, is a plain-Python function doing the same 7
numeric/declaration checks (output each year, SME share, leading share, growth, area, quality
firms, negative list) with floats and no explanations. The script prints the total seconds
and microseconds per application of both and the ratio engine / baseline: the price of exact
Decimal verdicts, Chinese explanations, gaps and formulas. It also counts the applications
where the float baseline disagrees with the engine on a rule: those are values exactly at a
boundary, which floats get wrong (e.g. 10% growth computed as 10.000000000000009%).
This is a benchmark, not a test: pytest only collects tests/.
"""

import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stdnum.cn import uscc  # noqa: E402

from clusterdesk.criteria.definition import compile_definition, parse_text  # noqa: E402
from clusterdesk.criteria.engine import Evaluator  # noqa: E402

APPLICATIONS = 10_000
RUNS = 3
LIMIT_SECONDS = 2.0
SEED = 20250601
WINDOW = [2022, 2023, 2024]
BASE = 2021
JUDGEMENT_CODES = ["pillar_industry", "niche_leadership", "supply_chain", "innovation", "digital", "green",
                   "opening_up", "governance"]
QUALIFICATIONS = ["champion", "little_giant", "specialized", "innovative", "high_tech"]


# --- data ----------------------------------------------------------------------------------

def make_uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100), distinct for each ``n``."""
    body = f"91222403MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def amount(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.2f}"


def application(rng: random.Random, codes: list[str]) -> tuple[dict, dict]:
    years = ([BASE] if rng.random() < 0.6 else []) + WINDOW  # 3 or 4 years
    indicators = []
    total = Decimal(amount(rng, 25, 60))
    for year in years:
        total = (total * Decimal(rng.uniform(0.95, 1.25))).quantize(Decimal("0.01"))  # a trend, some years down
        row = {"year": year, "total_output": str(total),
               "sme_output": str((total * Decimal(rng.uniform(0.65, 0.9))).quantize(Decimal("0.01"))),
               "leading_output": str((total * Decimal(rng.uniform(0.65, 0.95))).quantize(Decimal("0.01"))),
               "enterprise_count": rng.randint(30, 300), "sme_rd_spending": amount(rng, 0.1, 3)}
        if rng.random() < 0.05:
            row["total_output"] = None  # a blank now and then
        if rng.random() < 0.03:
            row["sme_output"] = str((total * Decimal("0.7")).quantize(Decimal("0.01")))  # at the boundary
        indicators.append(row)
    rng.shuffle(indicators)
    firms = []
    for _ in range(rng.randint(0, 30)):
        n = rng.randrange(len(codes))
        firms.append({"name": f"示例企业{n}有限公司", "uscc": codes[n],
                      "qualifications": rng.sample(QUALIFICATIONS, rng.choice((1, 1, 1, 2))),
                      "year": rng.choice(WINDOW), "in_leading_industry": rng.random() < 0.7})
    data = {
        "name": "示例产业集群", "leading_industry_code": "C27", "niche": "中成药",
        "area_km2": amount(rng, 20, 130) if rng.random() < 0.95 else None,
        "indicators": indicators, "quality_enterprises": firms,
        "negative_list_clear": rng.choice((True, True, True, True, False, None)),
    }
    judged = {code: {"decision": "pass" if rng.random() < 0.97 else "fail", "reason": "佐证材料", "by": "评审人"}
              for code in JUDGEMENT_CODES if rng.random() < 0.7}
    return data, judged


def build() -> list[tuple[dict, dict]]:
    rng = random.Random(SEED)
    codes = [make_uscc(n) for n in range(2000)]
    return [application(rng, codes) for _ in range(APPLICATIONS)]


# --- the baseline: the same arithmetic with floats, no explanations -------------------------

def _f(value):
    return None if value in (None, "") else float(value)


def baseline(data: dict) -> dict:
    by_year = {r["year"]: r for r in data["indicators"]}
    out = {}
    totals = [_f(by_year.get(y, {}).get("total_output")) for y in WINDOW]
    known = [t for t in totals if t is not None]
    out["output_each_year"] = False if any(t < 40 for t in known) else (None if None in totals else True)
    last = by_year.get(WINDOW[-1], {})
    total, sme, lead = _f(last.get("total_output")), _f(last.get("sme_output")), _f(last.get("leading_output"))
    out["sme_share"] = None if total in (None, 0) or sme is None else sme / total >= 0.70
    out["leading_share"] = None if total in (None, 0) or lead is None else lead / total > 0.70
    first, n = _f(by_year.get(WINDOW[0], {}).get("total_output")), 2  # the declared years, base year or not
    out["growth"] = (None if first is None or total is None or first <= 0 or total < 0
                     else (total / first) ** (1 / n) - 1 > 0.10)
    area = _f(data.get("area_km2"))
    out["area"] = None if area is None else area <= 100
    # a qualification counts while valid at the end of the last declared year (three years)
    firms = [f for f in data.get("quality_enterprises") or []
             if f.get("year") is None or WINDOW[-1] - 2 <= f["year"] <= WINDOW[-1]]
    giants = {f["uscc"] for f in firms
              if f["in_leading_industry"] and {"champion", "little_giant"} & set(f["qualifications"])}
    others = {f["uscc"] for f in firms
              if {"specialized", "little_giant", "innovative", "high_tech"} & set(f["qualifications"])}
    out["quality_firms"] = len(giants) >= 1 or len(others) >= 10
    declared = data.get("negative_list_clear")
    out["negative_list"] = None if declared is None else bool(declared)
    return out


# --- timing ---------------------------------------------------------------------------------

def best_of(runs: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    started = time.perf_counter()
    batch = build()
    built = time.perf_counter() - started
    text = (ROOT / "data" / "criteria" / "national-2022.v2.yaml").read_text(encoding="utf-8")
    evaluator = Evaluator(compile_definition(parse_text(text)))

    def run_engine():
        return [evaluator.evaluate(data, WINDOW, BASE, judged) for data, judged in batch]

    def run_baseline():
        return [baseline(data) for data, _ in batch]

    engine_s, reports = best_of(RUNS, run_engine)
    base_s, plain = best_of(RUNS, run_baseline)

    verdicts = Counter(r.verdict for r in reports)
    disagree = Counter()
    for report, simple in zip(reports, plain):
        for r in report.results:
            if r.code in simple:
                engine_says = {"pass": True, "fail": False, "warn": False}.get(r.status)
                if engine_says != simple[r.code]:
                    disagree[r.code] += 1

    n = len(batch)
    print(f"criteria engine benchmark: {n} applications, national-2022, best of {RUNS} (data built in {built:.2f} s)")
    print(f"  engine:   {engine_s:.3f} s total, {engine_s / n * 1e6:.1f} µs per application")
    print(f"  baseline: {base_s:.3f} s total, {base_s / n * 1e6:.1f} µs per application (floats, no explanations)")
    print(f"  ratio engine/baseline: {engine_s / base_s:.1f}x")
    print(f"  verdicts: {dict(sorted(verdicts.items()))}")
    print(f"  float baseline disagrees with the exact engine on: {dict(disagree) or 'nothing'}")
    if engine_s >= LIMIT_SECONDS:
        print(f"FAIL: the engine batch took {engine_s:.3f} s, the target is under {LIMIT_SECONDS:.0f} s")
        return 1
    print(f"OK: under the {LIMIT_SECONDS:.0f} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
