"""The one range check of a number typed by a user, shared by every numeric input.

``Decimal("1e999")`` is finite, ``Decimal`` of 400 digits is exact, and both pass a check
such as ``value >= 0``; they fail later, when the value is quantized, divided or rendered
(``InvalidOperation`` under the default 28-digit context), and then for every viewer.
:func:`parse_number` refuses them at input: text longer than :data:`MAX_TEXT` characters,
``NaN``/``Infinity``, more than :data:`MAX_INTEGER_DIGITS` digits before the point or more
than ``places`` after it. Callers add their own bounds (``minimum``/``maximum``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_TEXT = 40
MAX_INTEGER_DIGITS = 15  # a thousand trillion: beyond any amount, count or score of the product
MAX_PLACES = 6
LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS


class NumberError(ValueError):
    """``message`` is Chinese and starts with the field's label."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_number(raw, *, label: str, minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
                 places: int = MAX_PLACES, integer: bool = False, example: str = "8.5") -> Decimal | None:
    """``raw`` (text, int, float, Decimal; blank → ``None``) as a bounded finite Decimal.

    Raises :class:`NumberError` with a Chinese message naming ``label`` when ``raw`` is not a
    number, not finite, too long, beyond ±10^15, has more than ``places`` decimals (or any,
    with ``integer``), or lies outside ``minimum``..``maximum``.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = "整数" if integer else "数字"
    if isinstance(raw, bool):
        raise NumberError(f"{label}应为{kind}，如 {example}")
    if isinstance(raw, float):
        text = repr(raw)
    elif isinstance(raw, Decimal):
        text = str(raw)  # "1E+999", not a thousand digits
    else:
        text = str(raw).strip().replace(",", "").replace("，", "")
    if len(text) > MAX_TEXT:
        raise NumberError(f"{label}太长（{len(text)} 个字符），请填写正常大小的{kind}，如 {example}")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise NumberError(f"{label}应为{kind}，如 {example}，您填写的是“{text}”") from None
    if not value.is_finite():
        raise NumberError(f"{label}应为{kind}，不能是 NaN 或无穷大")
    if abs(value) >= LIMIT:
        raise NumberError(f"{label}“{text}”超出范围（不能达到 10 的 {MAX_INTEGER_DIGITS} 次方），请检查单位和位数")
    exponent = value.as_tuple().exponent
    if integer and value != value.to_integral_value():
        raise NumberError(f"{label}应为整数，您填写的是“{text}”")
    if not integer and isinstance(exponent, int) and exponent < -places:
        raise NumberError(f"{label}最多保留 {places} 位小数，您填写的是“{text}”")
    if minimum is not None and value < minimum:
        raise NumberError(f"{label}不能小于 {minimum}，您填写的是“{text}”")
    if maximum is not None and value > maximum:
        raise NumberError(f"{label}不能大于 {maximum}，您填写的是“{text}”")
    if integer:
        return Decimal(int(value))
    return value


def parse_int(raw, *, label: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """``raw`` as a bounded int (blank → ``None``); :class:`NumberError` otherwise."""
    value = parse_number(raw, label=label, minimum=minimum, maximum=maximum, integer=True, example="3")
    return None if value is None else int(value)


def query_int(raw) -> int | None:
    """A query parameter (``?round=…``) as an id-sized positive int, or ``None`` when it is not one.

    Callers treat ``None`` as "no such object" (an empty list or a 404), never as a crash.
    """
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)
