"""Forms for expert review. They only shape input; values are checked in ``domain.py``
(whose messages name the aspect), and its refusals are shown beside the field."""

from django import forms

from clusterdesk.core.errors import DomainError
from clusterdesk.orgs.models import Org, OrgKind

from .domain import MAX_PER_APPLICATION, fmt


def _add_domain_error(form: forms.Form, exc: DomainError, field_for) -> None:
    errors = exc.errors or [{"field": exc.field, "message": exc.message}]
    for error in errors:
        name = field_for(error.get("field") or "")
        form.add_error(name if name in form.fields else None, error["message"])


class ScoreForm(forms.Form):
    """One score (0..max) and one comment per rubric item: ``value_<aspect>``, ``comment_<aspect>``."""

    def __init__(self, *args, items, scores: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            current = scores.get(item.pk)
            top = fmt(item.max_score)
            self.fields[f"value_{item.aspect}"] = forms.CharField(
                label=f"第{item.aspect}方面得分", required=False, max_length=20,
                initial=fmt(current.value) if current is not None and current.value is not None else "",
                help_text=f"0–{top} 分，最多两位小数",
                widget=forms.NumberInput(attrs={"min": "0", "max": top, "step": "0.01", "inputmode": "decimal",
                                                "class": "score-input"}),
            )
            self.fields[f"comment_{item.aspect}"] = forms.CharField(
                label=f"第{item.aspect}方面评语", required=False, max_length=2000,
                initial=current.comment if current is not None else "",
                widget=forms.Textarea(attrs={"rows": 2, "placeholder": "评语（可选）：主要依据、亮点与不足"}),
                error_messages={"max_length": "评语最多 2000 个字，请缩短"},
            )

    def rows(self):
        return [{"item": i, "value": self[f"value_{i.aspect}"], "comment": self[f"comment_{i.aspect}"]}
                for i in self.items]

    def scores(self) -> dict:
        data = self.cleaned_data
        return {i.aspect: (data.get(f"value_{i.aspect}", ""), data.get(f"comment_{i.aspect}", "")) for i in self.items}

    def add_domain_error(self, exc: DomainError) -> None:
        def field_for(name: str) -> str:
            parts = name.split(".")  # scores.3.value
            if len(parts) == 3 and parts[0] == "scores":
                return f"{parts[2]}_{parts[1]}"
            return ""

        _add_domain_error(self, exc, field_for)


class RubricForm(forms.Form):
    """The eight rubric items at once: ``title_<aspect>``, ``weight_<aspect>``, ``max_<aspect>``."""

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            a = item.aspect
            self.fields[f"title_{a}"] = forms.CharField(
                label=f"第{a}方面名称", max_length=100, initial=item.title,
                error_messages={"required": f"请填写第{a}方面的评分项名称", "max_length": "评分项名称最多 100 个字"})
            self.fields[f"weight_{a}"] = forms.CharField(
                label=f"第{a}方面权重", max_length=20, initial=fmt(item.weight),
                widget=forms.NumberInput(attrs={"min": "0", "max": "100", "step": "0.01"}),
                error_messages={"required": f"请填写第{a}方面的权重"})
            self.fields[f"max_{a}"] = forms.CharField(
                label=f"第{a}方面满分", max_length=20, initial=fmt(item.max_score),
                widget=forms.NumberInput(attrs={"min": "0", "max": "1000", "step": "0.01"}),
                error_messages={"required": f"请填写第{a}方面的满分"})

    def rows(self):
        return [{"item": i, "title": self[f"title_{i.aspect}"], "weight": self[f"weight_{i.aspect}"],
                 "max": self[f"max_{i.aspect}"]} for i in self.items]

    def values(self) -> dict:
        d = self.cleaned_data
        return {i.aspect: {"title": d[f"title_{i.aspect}"], "weight": d[f"weight_{i.aspect}"],
                           "max_score": d[f"max_{i.aspect}"]} for i in self.items}

    def add_domain_error(self, exc: DomainError) -> None:
        def field_for(name: str) -> str:
            parts = name.split(".")  # items.3.weight
            if len(parts) == 3 and parts[0] == "items":
                return {"max_score": "max"}.get(parts[2], parts[2]) + f"_{parts[1]}"
            return ""

        _add_domain_error(self, exc, field_for)


class AutoAssignForm(forms.Form):
    per_application = forms.IntegerField(
        label="每份申报的专家人数", min_value=1, max_value=MAX_PER_APPLICATION, initial=3,
        help_text="已有的分配计入人数；负载少的专家优先，须回避的专家不会被分配",
        error_messages={"required": "请填写每份申报的专家人数", "invalid": "每份申报的专家人数应为整数，如 3",
                        "min_value": "每份申报至少分配 1 位专家",
                        "max_value": f"每份申报最多分配 {MAX_PER_APPLICATION} 位专家"},
    )


class ConflictForm(forms.Form):
    org = forms.ModelChoiceField(
        label="需要回避的单位", queryset=Org.objects.exclude(kind=OrgKind.PROVINCE), to_field_name="code",
        help_text="该单位及其下属单位的申报都不会分配给您",
        error_messages={"required": "请选择需要回避的单位", "invalid_choice": "单位不存在，请从列表中选择"},
    )
    reason = forms.CharField(
        label="回避原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：曾在该县工信局任职；亲属在该集群运营主体任职",
        error_messages={"required": "请填写回避原因", "max_length": "回避原因最多 500 个字，请缩短"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].label_from_instance = lambda o: f"{'　' * max(o.depth - 1, 0)}{o.name}（{o.code}）"
        self.fields["org"].empty_label = "请选择"

    def add_domain_error(self, exc: DomainError) -> None:
        _add_domain_error(self, exc, lambda name: name)
