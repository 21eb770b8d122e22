"""The one scoping rule: which units a user may see.

Every queryset of user-visible objects filters through :func:`org_scope_q`, so views,
the API and exports see the same rows. An object outside the scope is a 404.

* Province-level accounts (administrators, leaders, system administrators) see all.
* Any other account sees its unit's subtree, cut along the review chain: only the
  units whose recommending unit is the same as its own. A city therefore sees its
  counties and functional zones, but 通化 does not see 梅河口, which recommends
  directly to the province; a county sees itself (and any zone under it).
* Experts see only their own unit; what they review is granted by assignment.
"""

from django.db.models import Q

from .models import OrgKind, Role

NOTHING = Q(pk__in=[])


def org_scope_q(user, via: str = "") -> Q:
    """A ``Q`` restricting rows to ``user``'s visible units.

    ``via`` is the lookup path from the filtered model to its ``Org`` ("" for
    ``Org`` itself, ``"org"`` for a model with an ``org`` foreign key).
    """
    if user is None or not user.is_authenticated or not user.is_active or not user.org_id:
        return NOTHING
    prefix = f"{via}__" if via else ""
    org = user.org
    if user.role == Role.EXPERT:
        return Q(**{via or "pk": org.pk})
    if org.kind == OrgKind.PROVINCE:
        return Q(**{f"{prefix}path__startswith": org.path})
    return Q(**{f"{prefix}path__startswith": org.path, f"{prefix}recommender": org.recommender_id})

