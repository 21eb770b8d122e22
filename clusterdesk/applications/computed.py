"""Shares and growth: computed from the reported amounts, never typed.

Average annual growth is the compound rate (last / first) ** (1 / n) - 1 by the one method of
the criteria set (domain.md 5.4): by default over the declared years, (Y3/Y1)^(1/2) − 1, whether
or not a base year was typed; ``from_base_year`` starts at the base year.
"""

from dataclasses import dataclass
from decimal import Decimal, localcontext


def _d(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def share(part, whole) -> Decimal | None:
    part, whole = _d(part), _d(whole)
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def compound_growth(first, last, intervals: int) -> Decimal | None:
    first, last = _d(first), _d(last)
    if first is None or last is None or intervals <= 0 or first <= 0 or last < 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return (last / first) ** (Decimal(1) / Decimal(intervals)) - 1


@dataclass(frozen=True)
class YearFigures:
    year: int
    sme_share: Decimal | None
    leading_share: Decimal | None


@dataclass(frozen=True)
class Computed:
    years: list[YearFigures]
    growth: Decimal | None
    growth_from: int | None
    growth_to: int | None
    growth_note: str


def compute(indicators: list[dict], window_years: list[int], base_year: int,
            method: str = "compound_window") -> Computed:
    by_year = {r["year"]: r for r in indicators}
    years = [
        YearFigures(y, share(by_year.get(y, {}).get("sme_output"), by_year.get(y, {}).get("total_output")),
                    share(by_year.get(y, {}).get("leading_output"), by_year.get(y, {}).get("total_output")))
        for y in window_years
    ]
    first_year = base_year if method == "from_base_year" else window_years[0]
    last_year = window_years[-1]
    first = by_year.get(first_year, {}).get("total_output")
    last = by_year.get(last_year, {}).get("total_output")
    growth = compound_growth(first, last, last_year - first_year)
    note = ""
    if growth is None:
        if _d(first) is None or _d(last) is None:
            note = f"缺少{first_year}年或{last_year}年集群产值，无法计算增速"
        elif _d(first) == 0:
            note = f"{first_year}年集群产值为 0，无法计算增速"
    return Computed(years, growth, first_year, last_year, note)


def compute_for_round(indicators: list[dict], round_, years: list[int] | None = None) -> Computed:
    """``compute`` with the round's own window, base year and growth method (its first set's)."""
    from clusterdesk.criteria.service import round_growth_method

    return compute(indicators, years or round_.window_years, round_.base_year, round_growth_method(round_))


def growth_formula(round_) -> str:
    """The growth formula of the round's method, with its actual years, as the form states it."""
    from clusterdesk.criteria.service import round_growth_method

    last = round_.window_years[-1]
    if round_growth_method(round_) == "from_base_year":
        first = round_.base_year
        return (f"增速 =（{last}年产值 ÷ {first}年产值）^(1/{last - first}) − 1，"
                f"从基期年（{first}年）算起，基期年产值必填。")
    first = round_.window_years[0]
    return (f"增速 =（{last}年产值 ÷ {first}年产值）^(1/{last - first}) − 1，按申报的三个年度计算；"
            f"填写的基期年（{round_.base_year}年）产值只作参考，不改变增速和认定结论。")


def percent(value: Decimal | None, places: int = 1) -> str:
    if value is None:
        return "—"
    return f"{(value * 100):.{places}f}%"
