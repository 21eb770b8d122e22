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
    "catalog.subclusters_imported": "导入重点子集群",
    "round.created": "创建申报批次",
    "round.updated": "修改申报批次",
    "round.extension_granted": "批准延期",
    "round.checklist_changed": "修改佐证材料清单",
    "application.created": "新建申报",
    "application.section_saved": "保存申报内容",
    "application.imported": "导入申报数据",
    "application.submitted": "提交申报",
    "application.withdrawn": "撤回申报",
    "evidence.uploaded": "上传佐证材料",
    "evidence.removed": "删除佐证材料",
    "evidence.downloaded": "下载佐证材料",
    "criteria.imported": "导入认定标准",
    "criteria.edited": "修改认定标准",
    "criteria.status_changed": "启用/停用认定标准",
    "criteria.judged": "评审判断",
}
