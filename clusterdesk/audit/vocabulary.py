"""The audit vocabulary: every action the system records, with its Chinese label.

Adding a domain function that changes state means adding its action here.
"""

ACTIONS: dict[str, str] = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.locked_out": "登录锁定",
    "auth.logout": "退出登录",
    "auth.password_changed": "修改密码",
    "auth.token_issued": "签发接口令牌",
    "auth.token_revoked": "吊销接口令牌",
    "org.loaded": "导入单位",
    "account.created": "创建账号",
    "account.disabled": "停用账号",
    "account.enabled": "启用账号",
    "account.password_reset": "重置密码",
}
