"""Evaluating an application's data against a compiled criteria set. Pure Python, no queries.

Each rule answers one of ``pass``, ``fail``, ``warn`` (a soft rule not met), ``needs_review``
(a judgement not yet recorded) or ``missing_data``, with the actual value and its formula,
the threshold, the official wording, a Chinese explanation and the gap. Verdicts compare
exactly in Decimal (shares and growth by cross-multiplication, so 70% at the boundary is
exactly 70%); the displayed percentages are rounded only for reading.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal, localcontext

from .definition import COMPARATORS, INDICATORS, NEGATED, SYMBOLS, Compiled, Rule

PASS, FAIL, WARN, REVIEW, MISSING = "pass", "fail", "warn", "needs_review", "missing_data"
STATUS_LABELS = {PASS: "符合", FAIL: "不符合", WARN: "提示", REVIEW: "待评审判断", MISSING: "缺少数据"}
VERDICT_LABELS = {PASS: "符合认定标准", FAIL: "不符合认定标准", REVIEW: "待评审判断", MISSING: "尚未填写完整"}
QUAL_LABELS = {
    "champion": "单项冠军", "little_giant": "小巨人", "specialized": "专精特新",
    "innovative": "创新型", "high_tech": "高新技术企业",
}

_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


def compare(actual: Decimal, comparator: str, threshold: Decimal) -> bool:
    return _OPS[comparator](actual, threshold)


@dataclass
class Result:
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
    gap: str = ""
    formula: str = ""
    actual_number: float | None = None
    threshold_number: float | None = None
    judgement: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    criteria_set: dict
    verdict: str
    results: list

    def as_dict(self) -> dict:
        return {
            "criteria_set": self.criteria_set,
            "verdict": self.verdict,
            "verdict_label": VERDICT_LABELS[self.verdict],
            "results": [r.as_dict() for r in self.results],
        }


def _num(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except Exception:  # stored data was validated; anything else is treated as absent
        return None
    return number if number.is_finite() else None  # NaN/Infinity cannot be compared: absent


def _fmt(value: Decimal, places: int = 1) -> str:
    """An amount as reported: at least ``places`` decimals, never rounded (39.99 is not "40.0")."""
    if value.as_tuple().exponent < -places:  # more decimals than shown: keep the significant ones
        value = value.normalize()
        if value.as_tuple().exponent < -places:
            return format(value, "f")
    return f"{value:.{places}f}"


def _signed(value: Decimal) -> str:
    return ("+" if value >= 0 else "-") + _fmt(abs(value))


def _pct(value: Decimal) -> str:
    return _fmt(value * 100) + "%"


def _pct_places(value: Decimal, threshold: Decimal) -> int:
    """Decimals for showing a rounded rate next to its threshold: enough that a rate that is not
    the threshold does not read as the threshold (69.98% is not shown as "70.0%")."""
    places = max(1, -min(0, (threshold * 100).normalize().as_tuple().exponent))
    if value != threshold:
        while places < 4 and f"{value * 100:.{places}f}" == f"{threshold * 100:.{places}f}":
            places += 1
    return places


def _rate(value: Decimal, threshold: Decimal) -> tuple[str, str]:
    """The rate as a percentage and its gap to the threshold in percentage points."""
    places = _pct_places(value, threshold)
    gap = (value - threshold) * 100
    return f"{value * 100:.{places}f}%", f"{'+' if gap >= 0 else '-'}{abs(gap):.{places}f}个百分点"


def window_from(indicators: list[dict]) -> tuple[list[int], int]:
    """The three latest years in the data (and the base year before them), for what-if use."""
    years = sorted({int(r["year"]) for r in indicators if r.get("year") is not None})
    last = years[-1] if years else 0
    return [last - 2, last - 1, last], last - 3


class Evaluator:
    def __init__(self, compiled: Compiled):
        self.compiled = compiled

    def evaluate(self, data: dict, window_years: list[int], base_year: int, judgements: dict | None = None) -> Report:
        by_year = {}
        for row in data.get("indicators") or []:
            if row.get("year") is not None:
                by_year[int(row["year"])] = row
        ctx = _Ctx(data, by_year, window_years, base_year, judgements or {})
        results = [getattr(self, f"_{rule.kind}")(rule, ctx) for rule in self.compiled.rules]
        statuses = {(r.status, r.severity) for r in results}
        if (FAIL, "hard") in statuses:
            verdict = FAIL
        elif any(s == MISSING and sev == "hard" for s, sev in statuses):
            verdict = MISSING
        elif any(s == REVIEW for s, _ in statuses):
            verdict = REVIEW
        else:
            verdict = PASS
        info = {"code": self.compiled.code, "version": self.compiled.version, "name": self.compiled.name,
                "level": self.compiled.level, "placeholder": self.compiled.placeholder}
        return Report(info, verdict, results)

    # --- rule kinds ---------------------------------------------------------------------

    def _result(self, rule: Rule, status: str, **kw) -> Result:
        if status == FAIL and rule.severity == "soft":
            status = WARN
        threshold = kw.pop("threshold", "")
        return Result(code=rule.code, aspect=rule.aspect, aspect_title=rule.aspect_title, kind=rule.kind,
                      severity=rule.severity, status=status, comparator=rule.comparator, wording=rule.wording,
                      threshold=threshold, **kw)

    def _threshold(self, rule: Rule, ctx) -> Result:
        comp, limit = rule.comparator, rule.threshold
        if rule.field:
            label, unit = _field_label(rule)
            shown = f"{SYMBOLS[comp]} {_plain(limit)}{unit}"
            value = _num(ctx.data.get(rule.field))
            if value is None:
                return self._result(rule, MISSING, actual="—", threshold=shown, message=f"未填写{label}")
            ok = compare(value, comp, limit)
            message = f"{label}{_fmt(value, 1)}{unit}，{COMPARATORS[comp] if ok else NEGATED[comp]}{_plain(limit)}{unit}"
            return self._result(rule, PASS if ok else FAIL, actual=f"{_fmt(value, 1)}{unit}", threshold=shown,
                                message=message, gap=f"{_signed(value - limit)}{unit}", formula=label,
                                actual_number=float(value), threshold_number=float(limit))
        label, unit = INDICATORS[rule.indicator]
        unit = rule.unit or unit
        shown = f"{SYMBOLS[comp]} {_plain(limit)}{unit}"
        years = ctx.window if rule.years == "each" else ctx.window[-1:]
        values, missing = {}, []
        for year in years:
            value = _num(ctx.by_year.get(year, {}).get(rule.indicator))
            if value is None:
                missing.append(year)
            else:
                values[year] = value
        failing = [(y, v) for y, v in values.items() if not compare(v, comp, limit)]
        if missing and not failing:  # a year that fails fails the rule whatever the missing years hold
            return self._result(rule, MISSING, actual="—", threshold=shown,
                                message=f"缺少{missing[0]}年{label}，无法判断")
        worst = min(values.values()) if comp in (">=", ">") else max(values.values())
        actual = "、".join(f"{y}年{_fmt(v)}" for y, v in values.items()) + unit
        if failing:
            message = "；".join(f"{y}年{label}{_fmt(v)}{unit}，{NEGATED[comp]}{_plain(limit)}{unit}" for y, v in failing)
            if missing:
                message += f"（另缺少{'、'.join(f'{y}年' for y in missing)}{label}）"
            status = FAIL
        else:
            span = f"{years[0]}–{years[-1]}年" if len(years) > 1 else f"{years[0]}年"
            message = f"{span}{label}均{COMPARATORS[comp]}{_plain(limit)}{unit}（最{'低' if comp in ('>=', '>') else '高'}{_fmt(worst)}{unit}）"
            status = PASS
        return self._result(rule, status, actual=actual, threshold=shown, message=message,
                            gap=f"{_signed(worst - limit)}{unit}", formula=f"各年{label}",
                            actual_number=float(worst), threshold_number=float(limit))

    def _share(self, rule: Rule, ctx) -> Result:
        """One indicator over another, on the last declared year or on every year, as the set says."""
        num_label, _ = INDICATORS[rule.numerator]
        den_label, _ = INDICATORS[rule.denominator]
        each = self.compiled.share_years == "each"
        years = ctx.window if each else ctx.window[-1:]
        which = (f"按每一个申报年度（{years[0]}–{years[-1]}年）核对" if each
                 else f"按最近一个申报年度（{years[-1]}年）核对")
        shown = f"{SYMBOLS[rule.comparator]} {_pct(rule.threshold)}"
        formula = (f"各年{num_label} ÷ {den_label}" if each else f"{years[-1]}年{num_label} ÷ {den_label}")
        checked = []  # (year, num, den, ok)
        for year in years:
            row = ctx.by_year.get(year, {})
            num, den = _num(row.get(rule.numerator)), _num(row.get(rule.denominator))
            if num is None or den is None:
                return self._result(rule, MISSING, actual="—", threshold=shown, formula=formula,
                                    message=f"缺少{year}年{num_label if num is None else den_label}，无法计算占比（{which}）")
            if den == 0:
                return self._result(rule, MISSING, actual="—", threshold=shown, formula=formula,
                                    message=f"{year}年{den_label}为 0，无法计算占比（{which}）")
            checked.append((year, num, den, compare(num, rule.comparator, rule.threshold * den)))  # exact
        failing = [c for c in checked if not c[3]]
        year, num, den, ok = failing[0] if failing else min(checked, key=lambda c: c[1] / c[2])
        share = num / den
        shown_share, gap = _rate(share, rule.threshold)
        message = (f"{year}年{num_label}占比{shown_share}（{_fmt(num)}÷{_fmt(den)}），"
                   f"{COMPARATORS[rule.comparator] if ok else NEGATED[rule.comparator]}{_pct(rule.threshold)}（{which}）")
        return self._result(rule, PASS if ok else FAIL, actual=shown_share, threshold=shown, message=message,
                            gap=gap, formula=formula,
                            actual_number=float(share), threshold_number=float(rule.threshold))

    def _growth(self, rule: Rule, ctx) -> Result:
        """Compound average annual growth by the set's one method (never by what was filled in):
        ``compound_window`` over the declared years, (Y3/Y1)^(1/2) − 1; ``from_base_year`` from
        the base year, which every applicant must then give. A base year given anyway under
        ``compound_window`` is shown for information only."""
        label, _ = INDICATORS[rule.indicator]
        shown = f"{SYMBOLS[rule.comparator]} {_pct(rule.threshold)}"
        base = _num(ctx.by_year.get(ctx.base_year, {}).get(rule.indicator))
        from_base = self.compiled.growth_method == "from_base_year"
        first_year = ctx.base_year if from_base else ctx.window[0]
        last_year = ctx.window[-1]
        first = _num(ctx.by_year.get(first_year, {}).get(rule.indicator))
        last = _num(ctx.by_year.get(last_year, {}).get(rule.indicator))
        n = last_year - first_year
        formula = f"({last_year}年{label} ÷ {first_year}年{label})^(1/{n}) − 1"
        method = "按基期年计算，基期年必填" if from_base else "按申报的三个年度计算"
        note = ""
        if not from_base and base is not None and last is not None and base > 0 and last >= 0 and ctx.base_year < last_year:
            try:
                info = f"，按基期计算为{((float(last) / float(base)) ** (1.0 / (last_year - ctx.base_year)) - 1.0) * 100:.1f}%"
            except (ZeroDivisionError, OverflowError, ValueError):
                info = ""
            note = f"（另填报{ctx.base_year}年基期{label}{_fmt(base)}{info}，仅供参考，不影响判断）"
        if first is None or last is None:
            missing = first_year if first is None else last_year
            why = f"（本标准{method}）" if from_base and first is None else ""
            return self._result(rule, MISSING, actual="—", threshold=shown, formula=formula,
                                message=f"缺少{missing}年{label}，无法计算年均增速{why}")
        if first <= 0:
            return self._result(rule, MISSING, actual="—", threshold=shown, formula=formula,
                                message=f"{first_year}年{label}为 {_fmt(first)}，无法计算年均增速")
        if last < 0:  # no real root of a negative ratio
            return self._result(rule, MISSING, actual="—", threshold=shown, formula=formula,
                                message=f"{last_year}年{label}为 {_fmt(last)}，无法计算年均增速")
        if n <= 0:  # a window of one year and no base year: no interval to grow over
            return self._result(rule, MISSING, actual="—", threshold=shown, formula=formula,
                                message=f"只有{last_year}年的{label}，无法计算年均增速")
        # exact verdict: (last/first)^(1/n) - 1 <op> t  <=>  last <op> first * (1 + t)^n
        target = first * (1 + rule.threshold) ** n
        ok = compare(last, rule.comparator, target)
        if last == target:
            growth = rule.threshold  # exactly the threshold (a computed root may be off in its last digit)
        else:
            # for reading only (the verdict above is exact): a float root is ~100x cheaper than a
            # 28-digit Decimal one and its 16 digits are far more than the display needs
            try:
                growth = Decimal(repr((float(last) / float(first)) ** (1.0 / n) - 1.0))
            except (ZeroDivisionError, OverflowError):  # amounts beyond float range
                growth = Decimal("NaN")
            if not growth.is_finite():
                with localcontext() as c:
                    c.prec = 28
                    growth = (last / first) ** (Decimal(1) / Decimal(n)) - 1
        shown_growth, gap = _rate(growth, rule.threshold)
        message = (f"{first_year}–{last_year}年{label}年均增速{shown_growth}（{method}），"
                   f"{COMPARATORS[rule.comparator] if ok else NEGATED[rule.comparator]}{_pct(rule.threshold)}{note}")
        return self._result(rule, PASS if ok else FAIL, actual=shown_growth, threshold=shown, message=message,
                            gap=gap, formula=formula,
                            actual_number=float(growth), threshold_number=float(rule.threshold))

    def _enterprises(self, rule: Rule, ctx) -> Result:
        """Distinct enterprises (by credit code) with a qualification that counts: one the
        alternative names and valid at the end of the last declared year. A qualification
        awarded in year A with a validity of V years is valid to the end of year A + V − 1."""
        firms = ctx.data.get("quality_enterprises") or []
        # An empty list is not filled in yet, not a failure: a new draft reads "尚未填写完整" (neutral),
        # not a red "不符合认定标准" (issue 15 §10). A figure that is filled in and fails still fails.
        if not firms:
            threshold = "；或 ".join(f"{SYMBOLS[a.comparator]} {_plain(a.threshold)}家" for a in rule.alternatives)
            return self._result(rule, MISSING, actual="—", threshold=threshold, message="尚未填写优质企业名单")
        validity = dict(self.compiled.validity)
        last = ctx.window[-1]
        held, lapsed = [], []  # held: (firm, set of valid codes); lapsed: reasons for the report
        for firm in firms:
            years = award_years(firm)
            valid = set()
            for q in firm.get("qualifications") or []:
                year = years.get(q)
                if year is not None and year > last:
                    lapsed.append(f"{firm.get('name') or firm.get('uscc')}（{QUAL_LABELS.get(q, q)}，{year}年获评，"
                                  f"晚于{last}年底）")
                elif year is not None and q in validity and year + validity[q] - 1 < last:
                    lapsed.append(f"{firm.get('name') or firm.get('uscc')}（{QUAL_LABELS.get(q, q)}，{year}年获评，"
                                  f"有效期{validity[q]}年，至{year + validity[q] - 1}年底已失效）")
                else:
                    valid.add(q)
            held.append((firm, valid))
        parts, ok_any, best = [], False, None
        for alt in rule.alternatives:
            seen = set()
            for firm, valid in held:
                if not valid & alt.qualifications:
                    continue
                if alt.in_leading_industry and not firm.get("in_leading_industry"):
                    continue
                seen.add(firm.get("uscc") or firm.get("name"))  # one enterprise counts once
            count = Decimal(len(seen))
            ok = compare(count, alt.comparator, alt.threshold)
            ok_any = ok_any or ok
            parts.append(f"{alt.label or '、'.join(QUAL_LABELS[q] for q in sorted(alt.qualifications))}{len(seen)}家"
                         f"（要求{COMPARATORS[alt.comparator]}{_plain(alt.threshold)}家）")
            if best is None or (count - alt.threshold) > best[0]:
                best = (count - alt.threshold, count, alt.threshold)
        threshold = "；或 ".join(f"{SYMBOLS[a.comparator]} {_plain(a.threshold)}家" for a in rule.alternatives)
        message = ("满足其中一项：" if ok_any else "均未满足：") + "；".join(parts)
        if lapsed:
            message += "。未计入（资质不在有效期内）：" + "；".join(lapsed)
        formula = f"按统一社会信用代码去重计数，仅计{last}年底仍在有效期内的资质"
        return self._result(rule, PASS if ok_any else FAIL, actual="；".join(parts), threshold=threshold,
                            message=message, gap=f"{best[0]:+}家" if best else "", formula=formula,
                            actual_number=float(best[1]) if best else None,
                            threshold_number=float(best[2]) if best else None)

    def _declaration(self, rule: Rule, ctx) -> Result:
        value = ctx.data.get(rule.field)
        if value is None:
            return self._result(rule, MISSING, actual="未声明", threshold="须声明未发生", message="申报单位尚未作出负面清单声明")
        if value:
            return self._result(rule, PASS, actual="已声明未发生", threshold="须声明未发生", message="申报单位声明近三年未发生负面清单所列情形")
        return self._result(rule, FAIL, actual="声明发生过", threshold="须声明未发生", message="申报单位声明近三年发生过负面清单所列情形")

    def _judgement(self, rule: Rule, ctx) -> Result:
        judged = ctx.judgements.get(rule.code)
        if not judged:
            return self._result(rule, REVIEW, actual="—", threshold="评审判断", message="需评审人员根据佐证材料作出判断")
        ok = judged["decision"] == PASS
        who = judged.get("by", "")
        return self._result(rule, PASS if ok else FAIL, actual="评审通过" if ok else "评审不通过", threshold="评审判断",
                            message=f"{who}判断{'符合' if ok else '不符合'}：{judged.get('reason', '')}", judgement=judged)


def award_years(firm: dict) -> dict:
    """The award year of each qualification of an enterprise: ``qualification_years`` per
    qualification, else the old single ``year`` for all of them (None when neither is given)."""
    per = firm.get("qualification_years") or {}
    default = firm.get("year")
    out = {}
    for q in firm.get("qualifications") or []:
        value = per.get(q) if isinstance(per, dict) else None
        if value in (None, ""):
            value = default
        try:
            out[q] = int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            out[q] = None
    return out


@dataclass
class _Ctx:
    data: dict
    by_year: dict
    window: list
    base_year: int
    judgements: dict


def _plain(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral() else format(value.normalize(), "f")


def _field_label(rule: Rule) -> tuple[str, str]:
    from .definition import FIELDS

    label, unit = FIELDS[rule.field]
    return label, rule.unit or unit
