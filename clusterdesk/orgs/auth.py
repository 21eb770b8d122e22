"""Login helpers shared by the login page and the API."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.conf import settings

LOCKOUT_MESSAGE = (
    f"该账号登录失败次数过多，已被锁定 {int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)} 分钟，"
    "请稍后再试；如忘记密码，请联系上级管理员重置"
)
MUST_CHANGE_PASSWORD_MESSAGE = (
    "该账号正在使用管理员设置的临时密码，不能获取或使用接口令牌：请先登录系统网页，"
    "在“修改密码”页面设置自己的密码后再申请令牌"
)


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误，请检查后重试（注意大小写）",
        "inactive": "该账号已停用，请联系上级管理员",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
