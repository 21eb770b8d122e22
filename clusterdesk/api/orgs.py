"""The caller and the units visible to them."""

from django.shortcuts import get_object_or_404
from ninja import Router

from clusterdesk.orgs.models import Org

from .schemas import MeOut, OrgOut

router = Router(tags=["单位"])


def org_out(org: Org) -> dict:
    return {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "kind_label": org.get_kind_display(),
        "parent_code": org.parent.code if org.parent_id else None,
        "recommends_to_province": org.recommends_to_province,
    }


@router.get("/me", response=MeOut)
def me(request):
    """当前账号、角色和所属单位。"""
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_label": user.role_label,
        "org": {"code": user.org.code, "name": user.org.name, "kind": user.org.kind},
    }


@router.get("/orgs", response=list[OrgOut])
def list_orgs(request):
    """当前账号可见的单位（按树的顺序）。"""
    return [org_out(o) for o in Org.objects.visible_to(request.user).select_related("parent")]


@router.get("/orgs/{code}", response=OrgOut)
def get_org(request, code: str):
    """一个单位；不在权限范围内时返回 404。"""
    return org_out(get_object_or_404(Org.objects.visible_to(request.user).select_related("parent"), code=code))
