"""The password policy (issue 13 §2, the usual 等保 requirement), as Django password validators.

Configured in ``settings.AUTH_PASSWORD_VALIDATORS`` next to Django's ``CommonPasswordValidator``
(whose message is put in Chinese here too). Every message says what to do.
"""

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

CLASSES = (
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("符号", re.compile(r"[^A-Za-z0-9]")),
)


class LengthValidator:
    def __init__(self, min_length: int = 10):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(f"密码至少 {self.min_length} 位，您输入的只有 {len(password)} 位，请加长",
                                  code="password_too_short")

    def get_help_text(self):
        return f"至少 {self.min_length} 位"


class CharacterClassValidator:
    """At least ``required`` of: upper case, lower case, digits, symbols."""

    def __init__(self, required: int = 3):
        self.required = required

    def validate(self, password, user=None):
        present = [name for name, pattern in CLASSES if pattern.search(password)]
        if len(present) < self.required:
            missing = "、".join(name for name, _ in CLASSES if name not in present)
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.required} 类"
                f"（现有 {len(present)} 类），请加入{missing}中的字符", code="password_too_simple")

    def get_help_text(self):
        return f"包含大写字母、小写字母、数字、符号中的至少 {self.required} 类"


def _is_repetition(text: str, max_unit: int = 4) -> bool:
    """``text`` is a short unit (1–``max_unit`` characters) repeated, e.g. ``thxthxthx``, ``aaaa``."""
    for size in range(1, min(max_unit, len(text) // 2) + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


class UsernameValidator:
    """Refuse a password containing the username (any case), a repetition of it or of any short
    unit (``thxthxthx``, ``Ab1Ab1Ab1Ab1``)."""

    def validate(self, password, user=None):
        lowered = password.casefold()
        username = (getattr(user, "username", "") or "").casefold()
        if username and len(username) >= 3 and (username in lowered or _repeats(lowered, username)):
            raise ValidationError("密码不能包含用户名，请换一个与用户名无关的密码", code="password_has_username")
        if _is_repetition(lowered):
            raise ValidationError("密码不能是同一段字符的重复（如 abcabcabc），请换一个", code="password_repetition")

    def get_help_text(self):
        return "不能包含用户名，不能是同一段字符的重复"


def _repeats(password: str, unit: str) -> bool:
    return len(password) % len(unit) == 0 and unit * (len(password) // len(unit)) == password


class CommonValidator(CommonPasswordValidator):
    """Django's list of 20,000 common passwords, with a Chinese message."""

    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError("密码过于常见，容易被猜中，请换一个", code="password_too_common") from None

    def get_help_text(self):
        return "不能是常见密码"
