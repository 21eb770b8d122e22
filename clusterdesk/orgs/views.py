"""Pages for login, the org tree and account management."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clusterdesk.core.errors import DomainError
from clusterdesk.core.middleware import back_on_refusal

from . import domain, rules
from .auth import LOCKOUT_MESSAGE, LoginForm
from .forms import AccountCreateForm, AccountFilterForm, PasswordChangeForm
from .models import Org, User


class Login(LoginView):
    template_name = "orgs/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout_response(request, credentials=None, *args, **kwargs):
    """What a locked-out login attempt gets (django-axes calls this)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKOUT_MESSAGE}, status=429)
    form = LoginForm(request, data=None)
    return render(request, "orgs/login.html", {"form": form, "lockout_message": LOCKOUT_MESSAGE}, status=429)


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain.change_own_password(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
                request=request,
            )
        except DomainError as exc:
            field = "new_password1" if exc.field == "password" else exc.field  # the policy: beside the new password
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("home")
    return render(request, "orgs/password_change.html", {"form": form})


@login_required
def org_tree(request):
    orgs = Org.objects.visible_to(request.user).annotate(
        account_count=Count("accounts", filter=Q(accounts__is_active=True))
    )
    return render(request, "orgs/org_tree.html", {"orgs": orgs})


@login_required
def org_detail(request, code):
    """A unit: its facts, its sub-units, its accounts; the province's administrator and the
    system administrator also edit its letterhead (发文机关代字, 签发人) here."""
    from .letterhead import can_edit_letterhead, update_letterhead

    org = get_object_or_404(Org.objects.visible_to(request.user).select_related("parent", "recommender"), code=code)
    can_edit = can_edit_letterhead(request.user, org)
    letterhead = {"doc_prefix": org.doc_prefix, "signer": org.signer}
    letterhead_error = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("只有省厅管理员和系统管理员可以修改单位的发文机关代字和签发人")
        letterhead = {"doc_prefix": request.POST.get("doc_prefix", ""), "signer": request.POST.get("signer", "")}
        try:
            update_letterhead(actor=request.user, org=org, request=request, **letterhead)
        except DomainError as exc:
            letterhead_error = exc
        else:
            messages.success(request, "已保存发文机关代字和签发人")
            return redirect("org_detail", code=org.code)
    children = Org.objects.visible_to(request.user).filter(parent=org)
    accounts = User.objects.visible_to(request.user).filter(org=org)
    can_manage, _ = rules.can_manage_account_in(request.user, org)
    return render(
        request,
        "orgs/org_detail.html",
        {"org": org, "children": children, "accounts": accounts, "can_manage": can_manage,
         "can_edit_letterhead": can_edit, "letterhead": letterhead, "letterhead_error": letterhead_error},
        status=400 if letterhead_error else 200,
    )


def _require_account_manager(user):
    allowed, reason = rules.can_manage_accounts(user)
    if not allowed:
        raise PermissionDenied(reason)


@login_required
def account_list(request):
    _require_account_manager(request.user)
    filters = AccountFilterForm(request.GET or None)
    accounts = User.objects.visible_to(request.user).select_related("org")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["q"]:
            accounts = accounts.filter(Q(username__icontains=data["q"]) | Q(display_name__icontains=data["q"]))
        if data["org"]:
            accounts = accounts.filter(org__code=data["org"])
        if data["role"]:
            accounts = accounts.filter(role=data["role"])
        if data["active"]:
            accounts = accounts.filter(is_active=data["active"] == "1")
    page = Paginator(accounts.order_by("org__path", "username"), 50).get_page(request.GET.get("page"))
    return render(request, "orgs/account_list.html", {"page": page, "filters": filters})


@login_required
def account_create(request):
    _require_account_manager(request.user)
    form = AccountCreateForm(request.POST or None, actor=request.user, initial={"org": request.GET.get("org")})
    if request.method == "POST" and form.is_valid():
        password = domain.generate_password()
        try:
            account = domain.create_account(
                actor=request.user,
                username=form.cleaned_data["username"],
                org=form.cleaned_data["org"],
                role=form.cleaned_data["role"],
                password=password,
                display_name=form.cleaned_data["display_name"],
                phone=form.cleaned_data["phone"],
                request=request,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "orgs/account_password.html", {"account": account, "password": password, "created": True})
    return render(request, "orgs/account_form.html", {"form": form})


def _visible_account(request, pk) -> User:
    _require_account_manager(request.user)
    return get_object_or_404(User.objects.visible_to(request.user).select_related("org"), pk=pk)


@login_required
def account_detail(request, pk):
    account = _visible_account(request, pk)
    can_manage, reason = rules.can_manage_account_in(request.user, account.org, account.role)
    if account.pk == request.user.pk:
        can_manage, reason = False, "这是您自己的账号"
    return render(request, "orgs/account_detail.html", {"account": account, "can_manage": can_manage, "reason": reason})


@login_required
@require_POST
def account_action(request, pk, action):
    account = _visible_account(request, pk)
    back_on_refusal(request, reverse("account_detail", args=[account.pk]))
    if action == "disable":
        domain.set_account_active(actor=request.user, target=account, active=False, request=request)
        messages.success(request, f"账号 {account.username} 已停用")
    elif action == "enable":
        domain.set_account_active(actor=request.user, target=account, active=True, request=request)
        messages.success(request, f"账号 {account.username} 已启用")
    elif action == "reset-password":
        password = domain.reset_password(actor=request.user, target=account, request=request)
        return render(request, "orgs/account_password.html", {"account": account, "password": password})
    else:
        raise DomainError("未知操作")
    return redirect("account_detail", pk=account.pk)
