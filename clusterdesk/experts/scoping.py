"""What an expert may see: the applications assigned to them, while scoring is open.

``Application.objects.visible_to(expert)`` filters through :func:`expert_q`, so the scoring
page, the evidence downloads and the API all see the same rows; anything else is a 404.

An application is visible to an expert when

* it is assigned to the expert,
* it is in a reviewable state (after the city's formal recommendation),
* the round's 专家评审 stage has not closed (no such stage set: open) — the stage deadline
  is the whole of that day in Beijing time, and is not extended per unit,
* and the expert has no conflict of interest with it (``rules``: the own city or county,
  or a declared conflict).

After the scoring closes the expert sees nothing.
"""

from django.db.models import Q
from django.utils import timezone

from clusterdesk.reviews.workflow import PROVINCIAL
from clusterdesk.orgs.models import OrgKind, Role
from clusterdesk.orgs.scoping import NOTHING
from clusterdesk.rounds.models import SHANGHAI, Stage, StageCode

# After the city's formal recommendation: the states in which experts review an application
# (the provincial track's "reviewable" group).
REVIEWABLE = PROVINCIAL.group("reviewable")


def closed_rounds(now=None):
    """A subquery of the ids of rounds whose 专家评审 stage has closed."""
    today = (now or timezone.now()).astimezone(SHANGHAI).date()
    return Stage.objects.filter(code=StageCode.EXPERT_REVIEW, deadline__lt=today).values("round_id")


def _conflict_q(user, via: str = "") -> Q | None:
    """Applications (``via`` the lookup to the Application) the expert must not review; None
    when there are none. Every unit other than the province lies in one city-level unit, so
    the automatic rule is one prefix match on that unit's path."""
    from .models import ExpertConflict
    from .rules import city_code

    prefix = f"{via}__" if via else ""
    paths = []
    org = user.org
    if org.kind != OrgKind.PROVINCE:
        province = [p for p in org.path.split("/") if p][0]
        paths.append(f"/{province}/{city_code(org)}/")
    paths += list(ExpertConflict.objects.filter(expert=user).values_list("org__path", flat=True))
    if not paths:
        return None
    q = Q()
    for path in paths:
        q |= Q(**{f"{prefix}org__path__startswith": path})
    return q


def _is_expert(user) -> bool:
    return (user is not None and user.is_authenticated and user.is_active and user.role == Role.EXPERT
            and user.org_id is not None)


def expert_q(user, now=None) -> Q:
    """A ``Q`` on ``Application``: what ``user`` (an expert) may see now."""
    if not _is_expert(user):
        return NOTHING
    from .models import ExpertAssignment

    assigned = ExpertAssignment.objects.filter(expert=user).values("application_id")
    q = Q(pk__in=assigned, status__in=REVIEWABLE) & ~Q(round_id__in=closed_rounds(now))
    conflicts = _conflict_q(user)
    return q & ~conflicts if conflicts is not None else q


def assignments_for(user, now=None):
    """The expert's own assignments they may work on now (same rule as :func:`expert_q`)."""
    from .models import ExpertAssignment

    if not _is_expert(user):
        return ExpertAssignment.objects.none()
    found = (ExpertAssignment.objects.filter(expert=user, application__status__in=REVIEWABLE)
             .exclude(application__round_id__in=closed_rounds(now)))
    conflicts = _conflict_q(user, via="application")
    return found.exclude(conflicts) if conflicts is not None else found
