"""Who may do what in expert review, and the conflict-of-interest rule.

Predicates answer a ``Verdict`` (``core.workflow``: allowed, Chinese reason, kind) built on the
one set of role predicates (``orgs/roles.py``); ``core.workflow.require`` raises the matching error.

Conflict of interest (回避): an expert never reviews an application of their own city or
county. Concretely, for an expert whose unit is not the province itself:

* the expert's unit is the applying unit, lies under it, or is one of its ancestors
  (an expert at 延边州 for 敦化市);
* the expert's unit and the applying unit lie in the same city-level unit — the same
  second segment of the org path, which also covers the recommending unit's subtree
  (an expert at 延吉市 for 敦化市; an expert at 通化市 for 梅河口市, which recommends itself
  but lies in 通化市);
* or the expert declared a conflict with the applying unit or any unit above it (its
  recommending unit, its city).

Province-level experts have no automatic conflict; their declared conflicts still apply.
"""

from clusterdesk.core.workflow import ALLOW, Verdict, forbid
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Org, OrgKind, Role

REVIEWABLE_LABEL = "市州正式推荐后的申报（市州正式推荐、省厅初审通过、拟认定公示中、认定为省级集群）"


def city_code(org: Org) -> str | None:
    """The code of the city-level unit ``org`` lies in (itself if it is one); None for the province."""
    parts = [p for p in (org.path or "").split("/") if p]
    return parts[1] if len(parts) >= 2 else None


def can_manage(actor, round_=None) -> Verdict:
    """May ``actor`` manage expert review (rubric, assignments, results) of ``round_``?"""
    if not roles.is_province_admin(actor):
        return forbid("只有省厅管理员可以管理专家评审")
    if round_ is not None and round_.province_id != actor.org_id:
        return forbid("这是其他省份的申报批次")
    return ALLOW


def can_score(user) -> Verdict:
    """May ``user`` score at all (an expert account with a unit)?"""
    if roles.is_expert(user):
        return ALLOW
    if getattr(user, "is_authenticated", False) and user.is_active and user.role == Role.EXPERT:
        return forbid("专家账号未设置所属单位，请联系省厅")
    return forbid("只有专家账号可以评分")


def automatic_conflict(expert_org: Org, app_org: Org, city_names: dict[str, str] | None = None) -> str | None:
    """Why an expert at ``expert_org`` must not review an application of ``app_org``; None when free."""
    if expert_org is None:
        return "专家账号未设置所属单位，不能确定是否需要回避"
    if expert_org.kind == OrgKind.PROVINCE:
        return None
    if expert_org.pk == app_org.pk:
        return f"专家所在单位即申报单位“{app_org.name}”，须回避"
    if expert_org.path.startswith(app_org.path):
        return f"专家所在单位“{expert_org.name}”隶属申报单位“{app_org.name}”，须回避"
    if app_org.path.startswith(expert_org.path):
        return f"专家所在单位“{expert_org.name}”是申报单位“{app_org.name}”的上级单位，须回避"
    city = city_code(expert_org)
    if city is not None and city == city_code(app_org):
        name = (city_names or {}).get(city)
        if name is None:
            name = Org.objects.filter(code=city).values_list("name", flat=True).first() or city
        return f"专家所在单位“{expert_org.name}”与申报单位“{app_org.name}”同属{name}，须回避"
    return None


def declared_conflict(declared: list, app_org: Org) -> str | None:
    """The first declared conflict (an ``ExpertConflict`` with its ``org``) covering ``app_org``."""
    for c in declared:
        if app_org.path.startswith(c.org.path):
            return f"专家已申报回避“{c.org.name}”（原因：{c.reason}）"
    return None


class ConflictChecker:
    """Answers conflicts for many experts × applications with a fixed number of queries."""

    def __init__(self, experts):
        from .models import ExpertConflict

        self.declared: dict[int, list] = {}
        ids = [e.pk for e in experts]
        for c in ExpertConflict.objects.filter(expert_id__in=ids).select_related("org"):
            self.declared.setdefault(c.expert_id, []).append(c)
        self.city_names = dict(Org.objects.filter(parent__kind=OrgKind.PROVINCE).values_list("code", "name"))

    def reason(self, expert, application) -> str | None:
        return automatic_conflict(expert.org, application.org, self.city_names) or \
            declared_conflict(self.declared.get(expert.pk, []), application.org)


def conflict(expert, application) -> str | None:
    """Why ``expert`` must not review ``application`` (Chinese), or None."""
    return ConflictChecker([expert]).reason(expert, application)
