"""Who may do what with an application, with the reason in Chinese when not."""

from clusterdesk.orgs.models import Role

from .models import Application, Status

Verdict = tuple[bool, str]


def is_applicant_of(user, application: Application) -> bool:
    """The applicant unit's own clerk (a county applicant of that unit or of its parent unit's subtree)."""
    return (
        user.is_authenticated
        and user.is_active
        and user.role == Role.COUNTY_APPLICANT
        and Application.objects.visible_to(user).filter(pk=application.pk).exists()
    )


def can_edit(user, application: Application) -> Verdict:
    if not is_applicant_of(user, application):
        return False, "只有申报单位的县级申报账号可以填写申报表"
    if not application.editable:
        return False, f"申报当前状态为“{application.get_status_display()}”，不能修改；如需修改请先撤回"
    return True, ""


def can_submit(user, application: Application) -> Verdict:
    if not is_applicant_of(user, application):
        return False, "只有申报单位的县级申报账号可以提交"
    if application.status == Status.SUBMITTED:
        return False, "已提交"
    return can_edit(user, application)


def can_withdraw(user, application: Application) -> Verdict:
    if not is_applicant_of(user, application):
        return False, "只有申报单位的县级申报账号可以撤回"
    if application.status != Status.SUBMITTED:
        return False, "只有已提交、市州尚未处理的申报可以撤回"
    return True, ""


def can_create(user) -> Verdict:
    if not (user.is_authenticated and user.is_active and user.role == Role.COUNTY_APPLICANT):
        return False, "只有县级申报账号可以新建申报"
    return True, ""
