"""Forms for accounts. Validation of substance is in ``domain.py``; these only shape input."""

from django import forms

from .domain import role_choices_for
from .models import Org, Role


class AccountCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, help_text="登录用，3–150 位字母、数字或 . @ + - _")
    display_name = forms.CharField(label="姓名", max_length=50, required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    org = forms.ModelChoiceField(label="所属单位", queryset=Org.objects.none(), to_field_name="code")
    role = forms.ChoiceField(label="角色", choices=())

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = Org.objects.visible_to(actor)
        if actor.role == Role.CITY_REVIEWER:
            orgs = orgs.exclude(pk=actor.org_id)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda o: f"{'　' * o.depth}{o.name}（{o.code}）"
        self.fields["org"].error_messages["invalid_choice"] = "所属单位不在您的管理范围内，请从列表中选择"
        self.fields["role"].choices = role_choices_for(actor)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(
        label="新密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 10 位，包含大写字母、小写字母、数字、符号中的至少 3 类；不能包含用户名，不能是同一段字符的重复，不能过于常见",
    )
    new_password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致，请重新输入")
        return data


class AccountFilterForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", required=False)
    org = forms.CharField(label="单位代码", required=False)
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部")] + list(Role.choices))
    active = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), ("1", "启用"), ("0", "停用")])
