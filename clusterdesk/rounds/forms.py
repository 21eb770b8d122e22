"""Forms for rounds, the evidence checklist, extensions and the sub-cluster catalogue.

They only shape input (types, dates, choices); the substance is checked in ``domain.py``.
"""

from datetime import datetime, time

from django import forms

from clusterdesk.core.errors import DomainError
from clusterdesk.orgs.models import Org, OrgKind

from .domain import parse_criteria_sets, whole_second
from .models import SHANGHAI, STAGE_ORDER, FileKind, Round, RoundStatus, StageCode

# The stages the round form edits (复核申报 is set only when a re-review is organised).
# 专家评审 is optional: left empty, expert scoring stays open (and an existing date is kept).
FORM_STAGES = [StageCode.COUNTY_SUBMISSION, StageCode.NAME_LIST, StageCode.FORMAL_SUBMISSION,
               StageCode.EXPERT_REVIEW, StageCode.NATIONAL_RECOMMENDATION]
OPTIONAL_STAGES = {StageCode.EXPERT_REVIEW}


def default_round_name(year: int) -> str:
    return f"{year}年度中小企业特色产业集群申报推荐"


def _int_errors(label: str, example: str) -> dict:
    return {
        "required": f"请填写{label}",
        "invalid": f"{label}应为整数，如 {example}",
        "min_value": f"{label}不能小于 %(limit_value)s",
        "max_value": f"{label}不能大于 %(limit_value)s",
    }


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class RoundForm(forms.Form):
    name = forms.CharField(label="批次名称", max_length=100,
                           error_messages={"required": "请填写批次名称", "max_length": "批次名称最多 100 个字，请缩短"})
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, help_text="四位年份；申报填报该年度前三年的数据",
                              error_messages=_int_errors("年度", "2025"))
    status = forms.ChoiceField(label="状态", choices=RoundStatus.choices,
                               help_text="筹备中的批次只有省厅可见；进行中时市州、县区可见并可申报")
    county_submission = forms.DateField(label=StageCode.COUNTY_SUBMISSION.label, widget=DateInput())
    name_list = forms.DateField(label=StageCode.NAME_LIST.label, widget=DateInput())
    formal_submission = forms.DateField(label=StageCode.FORMAL_SUBMISSION.label, widget=DateInput())
    expert_review = forms.DateField(label=StageCode.EXPERT_REVIEW.label, widget=DateInput(), required=False)
    national_recommendation = forms.DateField(label=StageCode.NATIONAL_RECOMMENDATION.label, widget=DateInput())
    national_quota = forms.IntegerField(label="国家级推荐名额", min_value=0, max_value=999, initial=8,
                                        error_messages=_int_errors("国家级推荐名额", "8"))
    city_quota = forms.IntegerField(label="每个市州推荐名额", min_value=1, max_value=999, required=False,
                                    help_text="留空表示不限", error_messages=_int_errors("每个市州推荐名额", "3"))
    city_quota_needs_county = forms.BooleanField(label="市州推荐名单中至少一个位于县或县级市", required=False)
    one_per_niche = forms.BooleanField(label="同一细分领域只推荐一个", required=False)
    criteria_sets = forms.MultipleChoiceField(
        label="适用认定标准", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="勾选本批次采用的认定标准（每个标准选一个版本）；列出的是已启用的版本",
        error_messages={"invalid_choice": "所选认定标准“%(value)s”不存在或未启用，请从列表中勾选"},
    )
    contact_office = forms.CharField(label="组织处室", max_length=100, required=False)
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=50, required=False)
    contact_email = forms.EmailField(label="电子邮箱", required=False,
                                     error_messages={"invalid": "电子邮箱格式不对，请填写如 zxqyc@example.gov.cn 的地址，或留空"})
    notice = forms.CharField(label="通知要点", required=False, widget=forms.Textarea(attrs={"rows": 5}),
                             help_text="显示在批次页面上，如报送方式、纸质材料份数")

    notice_title = forms.CharField(label="省厅通知标题", max_length=200, required=False,
                                   help_text="各级推荐文件引用，不含书名号，如 吉林省工业和信息化厅关于开展2025年度中小企业特色产业集群申报推荐工作的通知",
                                   error_messages={"max_length": "省厅通知标题最多 200 个字，请缩短"})
    notice_number = forms.CharField(label="省厅通知文号", max_length=50, required=False,
                                    help_text="如 吉工信中小〔2025〕12号", error_messages={"max_length": "省厅通知文号最多 50 个字"})
    ministry_notice_title = forms.CharField(label="工信部通知标题", max_length=200, required=False,
                                            help_text="省厅致工信部的函引用，如 工业和信息化部办公厅关于开展2025年度中小企业特色产业集群申报和复核工作的通知",
                                            error_messages={"max_length": "工信部通知标题最多 200 个字，请缩短"})
    ministry_notice_number = forms.CharField(label="工信部通知文号", max_length=50, required=False,
                                             help_text="如 工信厅企业函〔2025〕77号",
                                             error_messages={"max_length": "工信部通知文号最多 50 个字"})

    STAGE_FIELDS = [s.value for s in FORM_STAGES]
    SETTING_FIELDS = ["name", "year", "status", "national_quota", "city_quota", "city_quota_needs_county",
                      "one_per_niche", "criteria_sets", "contact_office", "contact_name", "contact_phone",
                      "contact_email", "notice", "notice_title", "notice_number", "ministry_notice_title",
                      "ministry_notice_number"]

    def __init__(self, *args, selected_sets=(), **kwargs):
        super().__init__(*args, **kwargs)
        from clusterdesk.criteria.service import set_choices

        self.fields["criteria_sets"].choices = set_choices(selected_sets)
        for code in self.STAGE_FIELDS:
            field = self.fields[code]
            field.help_text = "当日24时（北京时间）截止"
            if code in OPTIONAL_STAGES:
                field.help_text += "；可不填：不设截止时专家评分一直开放"
            field.error_messages = {"required": f"请选择“{field.label}”的截止日期",
                                    "invalid": f"“{field.label}”的截止日期格式不对，请按 2025-03-31 填写"}

    @classmethod
    def initial_for(cls, round_: Round | None = None, year: int | None = None) -> dict:
        if round_ is None:
            return {"year": year, "name": default_round_name(year), "status": RoundStatus.DRAFT, "national_quota": 8}
        initial = {name: getattr(round_, name) for name in cls.SETTING_FIELDS}
        initial["criteria_sets"] = [f"{c['code']}@{c['version']}" for c in round_.criteria_sets or []
                                    if isinstance(c, dict)]
        initial.update({s.code: s.deadline for s in round_.stages.all()})
        return initial

    def _doc_number(self, key: str, label: str) -> str:
        from clusterdesk.orgs.letterhead import clean_doc_number

        try:
            return clean_doc_number(self.cleaned_data[key], key, label)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_notice_number(self):
        return self._doc_number("notice_number", "省厅通知文号")

    def clean_ministry_notice_number(self):
        return self._doc_number("ministry_notice_number", "工信部通知文号")

    def clean_criteria_sets(self):
        chosen = self.cleaned_data["criteria_sets"]
        labels = dict(self.fields["criteria_sets"].choices)
        codes = [value.rpartition("@")[0] for value in chosen]
        twice = [labels[v] for v, c in zip(chosen, codes, strict=True) if codes.count(c) > 1]
        if twice:
            raise forms.ValidationError(f"同一标准只能勾选一个版本：{'、'.join(twice)}，请只保留一个")
        try:
            return parse_criteria_sets(", ".join(chosen))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def deadlines(self) -> dict:
        return {code: self.cleaned_data[code] for code in self.STAGE_FIELDS if self.cleaned_data.get(code) is not None}

    def settings(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.SETTING_FIELDS}

    def stage_fields(self):
        return [self[code] for code in self.STAGE_FIELDS]

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a domain refusal beside its field (``stages.name_list`` → the name_list date)."""
        field = (exc.field or "").removeprefix("stages.")
        self.add_error(field if field in self.fields else None, exc.message)


class ChecklistItemForm(forms.Form):
    code = forms.CharField(label="编号", max_length=32, help_text="如 E13；编号相同则修改该项",
                           error_messages={"required": "请填写材料编号，如 E13", "max_length": "材料编号最多 32 位"})
    title = forms.CharField(label="材料名称", max_length=200,
                            error_messages={"required": "请填写材料名称", "max_length": "材料名称最多 200 个字，请缩短"})
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(label="必须提供", required=False, help_text="勾选后，未上传该项材料的申报不能提交")
    allowed_types = forms.MultipleChoiceField(
        label="允许的文件类型", choices=FileKind.choices, widget=forms.CheckboxSelectMultiple, required=False,
        error_messages={"invalid_choice": "文件类型“%(value)s”不在可选范围内，请从列表中勾选"},
    )
    order = forms.IntegerField(label="顺序", min_value=0, max_value=999, initial=0, help_text="数字小的排在前面",
                               error_messages=_int_errors("顺序", "13"))

    def add_domain_error(self, exc: DomainError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class ExtensionForm(forms.Form):
    stage = forms.ChoiceField(label="阶段", error_messages={"required": "请选择要延期的阶段",
                                                           "invalid_choice": "本批次没有该阶段，请从列表中选择"})
    org = forms.ModelChoiceField(label="单位", queryset=Org.objects.none(), to_field_name="code",
                                 help_text="只有该单位获得延期，同一市州的其他单位不受影响",
                                 error_messages={"required": "请选择获得延期的单位",
                                                 "invalid_choice": "单位不在您的管理范围内，请从列表中选择"})
    day = forms.DateField(label="延至日期", widget=DateInput(),
                          error_messages={"required": "请选择延至的日期", "invalid": "延至日期格式不对，请按 2025-04-15 填写"})
    at = forms.TimeField(label="延至时间", initial=time(23, 59, 59), help_text="北京时间；默认 23:59:59，即当日24时",
                         widget=forms.TimeInput(attrs={"type": "time", "step": "1"}, format="%H:%M:%S"),
                         error_messages={"required": "请填写延至的时间，如 23:59:59", "invalid": "延至时间格式不对，请按 23:59:59 填写"})
    reason = forms.CharField(label="延期原因", widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="如：因系统故障未能按时提交，经请示同意延期",
                             error_messages={"required": "请填写延期原因"})

    def __init__(self, *args, round_: Round, actor, **kwargs):
        super().__init__(*args, **kwargs)
        order = {code: i for i, code in enumerate(STAGE_ORDER)}
        stages = sorted(round_.stages.all(), key=lambda s: order.get(s.code, 99))
        self.fields["stage"].choices = [("", "请选择")] + [
            (s.code, f"{s.get_code_display()}（原截止 {s.deadline:%Y-%m-%d}）") for s in stages
        ]
        self.fields["org"].queryset = Org.objects.visible_to(actor).exclude(kind=OrgKind.PROVINCE)
        self.fields["org"].label_from_instance = lambda o: f"{'　' * max(o.depth - 1, 0)}{o.name}（{o.code}）"
        self.fields["org"].empty_label = "请选择"

    def closes_at(self) -> datetime:
        moment = datetime.combine(self.cleaned_data["day"], self.cleaned_data["at"], tzinfo=SHANGHAI)
        return whole_second(moment)

    def add_domain_error(self, exc: DomainError) -> None:
        field = {"stage_code": "stage", "closes_at": "day"}.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)


class SubClusterUploadForm(forms.Form):
    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(label="子集群清单文件", help_text="CSV（UTF-8 或 GBK）或 Excel（.xlsx），第一行为列名：编号,名称,所属产业,备注",
                           error_messages={"required": "请选择要上传的 CSV 或 Excel 文件", "empty": "文件是空的，请检查后重新上传"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("只能上传 .csv 或 .xlsx 文件；.xls 请先用 Excel 另存为 .xlsx")
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("文件超过 5 MB，请检查是否选错了文件")
        return upload


class CountyDeadlineForm(forms.Form):
    """A city's county deadline (stage 0): a date, meaning 23:59:59 Beijing time that day."""

    day = forms.DateField(label="县级申报截止日期", widget=DateInput(), help_text="当日 23:59:59（北京时间）截止；不得晚于本单位正式推荐的截止时间",
                          error_messages={"required": "请选择县级申报截止日期",
                                          "invalid": "截止日期格式不对，请按 2025-03-31 填写"})

    def add_domain_error(self, exc: DomainError) -> None:
        self.add_error("day" if exc.field in ("closes_at", "day") else None, exc.message)


class CityExtensionForm(forms.Form):
    """A city grants one of its counties more time for stage 0, with a reason."""

    org = forms.ModelChoiceField(label="县（市、区）", queryset=Org.objects.none(), to_field_name="code",
                                 help_text="只有该县获得延期，本市其他县仍按本市的截止时间办理",
                                 error_messages={"required": "请选择获得延期的县（市、区）",
                                                 "invalid_choice": "该单位不是本单位所辖的县（市、区），请从列表中选择"})
    day = forms.DateField(label="延至日期", widget=DateInput(), help_text="当日 23:59:59（北京时间）截止",
                          error_messages={"required": "请选择延至的日期", "invalid": "延至日期格式不对，请按 2025-04-15 填写"})
    reason = forms.CharField(label="延期原因", widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="如：佐证材料盖章延误，经研究同意延期",
                             error_messages={"required": "请填写延期原因"})

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = units
        self.fields["org"].label_from_instance = lambda o: f"{o.name}（{o.code}）"
        self.fields["org"].empty_label = "请选择"

    def add_domain_error(self, exc: DomainError) -> None:
        field = {"closes_at": "day", "org_code": "org"}.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)
