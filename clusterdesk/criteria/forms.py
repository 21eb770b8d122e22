"""Forms for the province's management of criteria sets: editing a version and importing a file.

They only shape input (numbers, percentages, choices); the substance is checked in ``domain.py``.
"""

from decimal import Decimal, InvalidOperation

from django import forms

from clusterdesk.core.errors import DomainError

from .definition import (
    COMPARATORS, DEFAULT_GROWTH_METHOD, DEFAULT_SHARE_YEARS, GROWTH_METHODS, RULE_KINDS, SEVERITIES, SHARE_YEARS,
    SYMBOLS,
)
from .engine import QUAL_LABELS
from .models import CriteriaSet

PERCENT_KINDS = ("share", "growth")
THRESHOLD_KINDS = ("threshold", *PERCENT_KINDS)
COMPARATOR_CHOICES = [(c, f"{SYMBOLS[c]} {label}") for c, label in COMPARATORS.items()]
SEVERITY_CHOICES = list(SEVERITIES.items())
MAX_IMPORT_BYTES = 512 * 1024
IMPORT_SUFFIXES = (".yaml", ".yml", ".json")
# The qualifications whose validity a set may limit, in the order the form shows them.
VALIDITY_KINDS = ("champion", "little_giant", "specialized", "innovative", "high_tech")
MAX_VALIDITY_YEARS = 20


def plain(value: Decimal) -> str:
    """40 → "40", 0.7 → "0.7" (no exponent, no trailing zeros)."""
    value = value.normalize()
    return format(value, "f")


def percent_text(threshold) -> str:
    """A stored fraction as the percent number shown in the form: "0.70" → "70"."""
    return plain(Decimal(str(threshold)) * 100)


def fraction_text(percent: Decimal) -> str:
    """A percent entered in the form as the stored fraction: 70 → "0.70", 5 → "0.05", 10.5 → "0.105"."""
    value = (percent / 100).normalize()
    if value.as_tuple().exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return format(value, "f")


def _rules(cset: CriteriaSet):
    for aspect in cset.definition["aspects"]:
        for rule in aspect["rules"]:
            yield aspect, rule


class CriteriaEditForm(forms.Form):
    """One row of fields per rule (``r<i>_threshold`` …), plus the set's name and the confirmation."""

    name = forms.CharField(label="标准名称", max_length=200,
                           error_messages={"required": "请填写标准名称", "max_length": "标准名称最多 200 个字，请缩短"})
    confirmed = forms.BooleanField(
        label="已确认全部阈值（去掉“待确认”标记）", required=False,
        help_text="确认表中每一项数值阈值都已与正式文件核对无误后再勾选；勾选后各页面不再提示“阈值待确认”",
    )

    def __init__(self, cset: CriteriaSet, *args, **kwargs):
        self.cset = cset
        self.index: dict[str, int] = {}
        self.rules: list[tuple[dict, dict]] = list(_rules(cset))
        initial = {"name": cset.name}
        super().__init__(*args, initial=initial, **kwargs)
        if not cset.placeholder:
            del self.fields["confirmed"]
        self._add_setting_fields(cset.definition)
        for i, (_aspect, rule) in enumerate(self.rules):
            code = rule["code"]
            self.index[code] = i
            label = f"规则 {code} 的"
            if rule["kind"] in THRESHOLD_KINDS:
                percent = rule["kind"] in PERCENT_KINDS
                self.fields[f"r{i}_threshold"] = forms.CharField(
                    label=label + ("阈值（%）" if percent else "阈值"), max_length=20,
                    initial=percent_text(rule["threshold"]) if percent else str(rule["threshold"]),
                    error_messages={"required": f"请填写{label}阈值{'（百分数，如 70 表示 70%）' if percent else ''}",
                                    "max_length": f"{label}阈值太长，请只填写数字"},
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
                )
                self.fields[f"r{i}_comparator"] = forms.ChoiceField(
                    label=label + "比较符", choices=COMPARATOR_CHOICES, initial=rule["comparator"],
                    error_messages={"required": f"请选择{label}比较符",
                                    "invalid_choice": f"{label}比较符无效，请从列表中选择（≥ > ≤ <）"},
                )
            self.fields[f"r{i}_wording"] = forms.CharField(
                label=label + "官方表述", max_length=1000, initial=rule["wording"],
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": f"{label}官方表述不能为空，请按正式文件填写",
                                "max_length": f"{label}官方表述最多 1000 个字"},
            )
            self.fields[f"r{i}_severity"] = forms.ChoiceField(
                label=label + "要求程度", choices=SEVERITY_CHOICES, initial=rule.get("severity", "hard"),
                error_messages={"required": f"请选择{label}要求程度",
                                "invalid_choice": f"{label}要求程度无效，请选择“必须满足”或“一般要求”"},
            )

    def _add_setting_fields(self, definition: dict) -> None:
        """The set-wide settings: growth method, share years, validity of each qualification."""
        self.fields["growth_method"] = forms.ChoiceField(
            label="增速计算方法", choices=list(GROWTH_METHODS.items()),
            initial=definition.get("growth_method", DEFAULT_GROWTH_METHOD),
            error_messages={"required": "请选择", "invalid_choice": "无效，请从列表中选择"},
            help_text="同一批次的所有申报按同一方法计算；申报单位多填的基期年只作参考，不改变结论",
        )
        self.fields["share_years"] = forms.ChoiceField(
            label="占比核对年度", choices=list(SHARE_YEARS.items()),
            initial=definition.get("share_years", DEFAULT_SHARE_YEARS),
            error_messages={"required": "请选择", "invalid_choice": "无效，请从列表中选择"},
            help_text="中小企业产值占比、主导产业占比在哪些年度核对",
        )
        validity = definition.get("validity") or {}
        for kind in VALIDITY_KINDS:
            label = f"{QUAL_LABELS[kind]}资质有效期（年）"
            self.fields[f"validity_{kind}"] = forms.IntegerField(
                label=label, required=False, min_value=1, max_value=MAX_VALIDITY_YEARS, initial=validity.get(kind),
                widget=forms.NumberInput(attrs={"size": 4, "inputmode": "numeric"}),
                error_messages={
                    "invalid": "应为正整数（如 3），留空表示不过期",
                    "min_value": "应为正整数（至少 1 年），留空表示不过期",
                    "max_value": f"最多 {MAX_VALIDITY_YEARS} 年，请核对",
                },
            )

    def setting_fields(self) -> list:
        return [self[name] for name in ("growth_method", "share_years", *(f"validity_{k}" for k in VALIDITY_KINDS))]

    # --- cleaning ------------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        for i, (_aspect, rule) in enumerate(self.rules):
            key = f"r{i}_threshold"
            if key not in self.fields or key not in data:
                continue
            text = data[key].strip().replace("%", "").replace("％", "").replace(",", "")
            percent = rule["kind"] in PERCENT_KINDS
            what = f"规则 {rule['code']} 的阈值"
            try:
                number = Decimal(text)
            except InvalidOperation:
                self.add_error(key, f"{what}“{data[key]}”不是数字，请填写数字{'（百分数，如 70 表示 70%）' if percent else ''}")
                continue
            if not number.is_finite():
                self.add_error(key, f"{what}应为数字")
            elif number < 0 and rule["kind"] != "growth":
                self.add_error(key, f"{what}不能为负数")
            elif rule["kind"] == "share" and number > 100:
                self.add_error(key, f"{what}是占比，应在 0 到 100 之间（单位 %）")
            elif number.as_tuple().exponent < -4:
                self.add_error(key, f"{what}最多保留 4 位小数")
            else:
                data[key] = fraction_text(number) if percent else format(number, "f")
        return data

    def changes(self) -> dict[str, dict]:
        """Only what differs from the version being edited (numbers compared as numbers)."""
        data = self.cleaned_data
        changes: dict[str, dict] = {}
        for i, (_aspect, rule) in enumerate(self.rules):
            changed = {}
            threshold = data.get(f"r{i}_threshold")
            if threshold is not None and Decimal(threshold) != Decimal(str(rule["threshold"])):
                changed["threshold"] = threshold
            comparator = data.get(f"r{i}_comparator")
            if comparator is not None and comparator != rule.get("comparator"):
                changed["comparator"] = comparator
            wording = (data.get(f"r{i}_wording") or "").strip()
            if wording and wording != rule["wording"]:
                changed["wording"] = wording
            severity = data.get(f"r{i}_severity")
            if severity and severity != rule.get("severity", "hard"):
                changed["severity"] = severity
            if changed:
                changes[rule["code"]] = changed
        return changes

    def settings(self) -> dict:
        """The settings that differ from the version being edited (validity as one mapping)."""
        data, definition = self.cleaned_data, self.cset.definition
        changed = {}
        for key, default in (("growth_method", DEFAULT_GROWTH_METHOD), ("share_years", DEFAULT_SHARE_YEARS)):
            if data.get(key) and data[key] != definition.get(key, default):
                changed[key] = data[key]
        before = {k: v for k, v in (definition.get("validity") or {}).items() if k != "__line__"}
        after = {k: v for k, v in before.items() if k not in VALIDITY_KINDS}
        after.update({k: data[f"validity_{k}"] for k in VALIDITY_KINDS if data.get(f"validity_{k}")})
        if after != before:
            changed["validity"] = after
        return changed

    def placeholder(self) -> bool | None:
        """False when the administrator confirmed the thresholds; None leaves the flag as is."""
        if "confirmed" in self.fields and self.cleaned_data.get("confirmed"):
            return False
        return None

    def has_changes(self) -> bool:
        name = self.cleaned_data["name"].strip()
        return (bool(self.changes()) or bool(self.settings()) or self.placeholder() is False
                or name != self.cset.name)

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a refusal beside its field: ``sme_share.threshold`` → that rule's threshold box."""
        field = exc.field or ""
        if field in ("growth_method", "share_years") or field.startswith("validity."):
            name = field.replace(".", "_")
            self.add_error(name if name in self.fields else None, exc.message)
            return
        code, _, key = field.partition(".")
        name = f"r{self.index[code]}_{key or 'threshold'}" if code in self.index else field
        if name not in self.fields and code in self.index:
            name = f"r{self.index[code]}_wording"
        self.add_error(name if name in self.fields else None, exc.message)

    # --- layout for the template ---------------------------------------------------------

    def rows(self) -> list[dict]:
        """Aspects in order, each with its rules and their bound fields."""
        aspects: list[dict] = []
        for i, (aspect, rule) in enumerate(self.rules):
            if not aspects or aspects[-1]["number"] != aspect["number"]:
                aspects.append({"number": aspect["number"], "title": aspect["title"], "rules": []})
            bound = {key: self[f"r{i}_{key}"] for key in ("threshold", "comparator", "wording", "severity")
                     if f"r{i}_{key}" in self.fields}
            aspects[-1]["rules"].append({"rule": rule, "fields": bound, "percent": rule["kind"] in PERCENT_KINDS,
                                         "kind_label": RULE_KINDS.get(rule["kind"], rule["kind"])})
        return aspects


class CriteriaImportForm(forms.Form):
    file = forms.FileField(
        label="标准文件", required=False,
        help_text="YAML（.yaml/.yml）或 JSON（.json）文件，UTF-8 编码，不超过 512 KB；可先在详情页“导出”一份作为模板",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,.json"}),
    )
    text = forms.CharField(
        label="或直接粘贴文件内容", required=False, max_length=MAX_IMPORT_BYTES,
        error_messages={"max_length": "粘贴的内容过长（认定标准文件不应超过 %(limit_value)s 个字符），请检查是否粘贴错了"},
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="上传文件和粘贴内容二选一",
    )

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if self.errors:
            return data
        if upload and text:
            self.add_error("text", "请只提供一种：上传文件或粘贴内容（不要同时提供）")
        elif upload:
            if not upload.name.lower().endswith(IMPORT_SUFFIXES):
                self.add_error("file", f"文件“{upload.name}”的类型不支持，请上传 .yaml、.yml 或 .json 文件")
            elif upload.size > MAX_IMPORT_BYTES:
                self.add_error("file", "文件超过 512 KB，认定标准文件不应这么大，请检查是否选错了文件")
            else:
                try:
                    data["content"] = upload.read().decode("utf-8-sig")
                    data["source"] = "file"
                except UnicodeDecodeError:
                    self.add_error("file", "文件不是 UTF-8 编码，请用文本编辑器另存为 UTF-8 后重新上传")
        elif text:
            data["content"], data["source"] = text, "text"
        else:
            self.add_error("file", "请选择要上传的标准文件，或在下方粘贴文件内容")
        return data

    def add_domain_error(self, exc: DomainError) -> None:
        source = self.cleaned_data.get("source", "file")
        self.add_error(source, f"{exc.message}。整个文件都没有导入，请修改后重新提交")
