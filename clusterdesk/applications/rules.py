"""Who may do what with an application: each answers a ``core.workflow.Verdict`` (allowed,
Chinese reason, kind: forbidden 403 for the wrong account, conflict 409 for the wrong state);
``core.workflow.require`` raises the matching error."""

from clusterdesk.core.workflow import ALLOW, Verdict, conflict, forbid
from clusterdesk.orgs import roles

from .models import Application, Status


def is_applicant_of(user, application: Application) -> bool:
    """The applicant unit's own clerk (a county applicant of that unit or of its parent unit's subtree)."""
    return roles.is_county_applicant(user) and Application.objects.visible_to(user).filter(pk=application.pk).exists()


def can_edit(user, application: Application) -> Verdict:
    if not is_applicant_of(user, application):
        return forbid("只有申报单位的县级申报账号可以填写申报表")
    if not application.editable:
        return conflict(f"申报当前状态为“{application.get_status_display()}”，不能修改；如需修改请先撤回")
    return ALLOW


def can_submit(user, application: Application) -> Verdict:
    if not is_applicant_of(user, application):
        return forbid("只有申报单位的县级申报账号可以提交")
    if application.status == Status.SUBMITTED:
        return conflict("已提交")
    return can_edit(user, application)


def can_withdraw(user, application: Application) -> Verdict:
    if not is_applicant_of(user, application):
        return forbid("只有申报单位的县级申报账号可以撤回")
    if application.status != Status.SUBMITTED:
        return conflict("只有已提交、市州尚未处理的申报可以撤回")
    return ALLOW


def can_create(user) -> Verdict:
    if not roles.is_county_applicant(user):
        return forbid("只有县级申报账号可以新建申报")
    return ALLOW
