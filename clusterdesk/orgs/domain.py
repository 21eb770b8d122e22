"""State changes for units and accounts. Views, API and commands call these only.

Each function checks the permission, changes state in one transaction and writes the
audit event (side effects are named in the docstrings).
"""

import csv
import io
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from clusterdesk.audit.domain import record, snapshot
from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.core.workflow import require

from . import rules
from .models import Org, OrgKind, Role, User, org_paths_changed

# ---------------------------------------------------------------------------
# The org tree
# ---------------------------------------------------------------------------

ORG_COLUMNS = ["code", "name", "kind", "parent_code", "recommends_to_province", "longitude", "latitude", "note"]
REQUIRED_COLUMNS = ["code", "name", "kind", "parent_code"]
CODE_RE = re.compile(r"^[0-9A-Z]{2,16}$")
TRUE_WORDS = {"yes", "y", "true", "1", "是"}
FALSE_WORDS = {"", "no", "n", "false", "0", "否"}


class OrgFileError(DomainError):
    """A malformed org file. ``line`` is the 1-based line number in the file."""

    def __init__(self, line: int, message: str):
        super().__init__(f"第{line}行：{message}")
        self.line = line


@dataclass(frozen=True)
class OrgRow:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str
    recommends_to_province: bool
    longitude: Decimal | None
    latitude: Decimal | None
    note: str


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"新增 {self.created} 个，更新 {self.updated} 个，未变 {self.unchanged} 个"


def _decode(raw: bytes) -> str:
    from clusterdesk.core.files import decode_text

    text = decode_text(raw)
    if text is None:
        raise OrgFileError(1, "文件编码无法识别，请另存为 UTF-8 编码的 CSV")
    return text


def _coordinate(line: int, column: str, value: str, limit: int) -> Decimal | None:
    if not value.strip():
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise OrgFileError(line, f"{column}“{value}”不是数字") from None
    if not number.is_finite() or abs(number) > limit:
        raise OrgFileError(line, f"{column}“{value}”超出范围（-{limit}～{limit}）")
    return number.quantize(Decimal("0.000001"))


def parse_org_csv(source: str | Path | bytes) -> list[OrgRow]:
    """Read and validate an org file; raise :class:`OrgFileError` at the first bad line.

    Nothing is written. Parents may be defined later in the file or already be loaded.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    reader = csv.DictReader(io.StringIO(_decode(raw)))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise OrgFileError(1, f"缺少列：{', '.join(missing)}（需要的列：{', '.join(ORG_COLUMNS)}）")
    reader.fieldnames = header

    rows: list[OrgRow] = []
    seen: dict[str, int] = {}
    for record_ in reader:
        line = reader.line_num
        if None in record_:
            raise OrgFileError(line, "列数多于表头，请检查是否有多余的逗号")
        values = {k: (v or "").strip() for k, v in record_.items()}
        code = values["code"]
        if not code:
            raise OrgFileError(line, "单位代码（code）为空")
        if not CODE_RE.match(code):
            raise OrgFileError(line, f"单位代码“{code}”格式不对：只能是 2–16 位数字或大写字母")
        if code in seen:
            raise OrgFileError(line, f"单位代码“{code}”与第{seen[code]}行重复")
        seen[code] = line
        if not values["name"]:
            raise OrgFileError(line, f"单位“{code}”的名称（name）为空")
        if values["kind"] not in OrgKind.values:
            raise OrgFileError(line, f"单位类型（kind）“{values['kind']}”无效，可选：{'、'.join(OrgKind.values)}")
        recommends = values.get("recommends_to_province", "").lower()
        if recommends not in TRUE_WORDS | FALSE_WORDS:
            raise OrgFileError(line, f"recommends_to_province“{recommends}”无效，请填 yes 或留空")
        parent_code = values["parent_code"]
        if values["kind"] == OrgKind.PROVINCE and parent_code:
            raise OrgFileError(line, "省级单位不能有上级单位（parent_code 应留空）")
        if values["kind"] != OrgKind.PROVINCE and not parent_code:
            raise OrgFileError(line, f"单位“{code}”缺少上级单位代码（parent_code）")
        rows.append(
            OrgRow(
                line=line,
                code=code,
                name=values["name"],
                kind=values["kind"],
                parent_code=parent_code,
                recommends_to_province=recommends in TRUE_WORDS,
                longitude=_coordinate(line, "经度（longitude）", values.get("longitude", ""), 180),
                latitude=_coordinate(line, "纬度（latitude）", values.get("latitude", ""), 90),
                note=values.get("note", ""),
            )
        )
    if not rows:
        raise OrgFileError(1, "文件中没有单位数据")

    known = set(seen) | set(Org.objects.filter(code__in={r.parent_code for r in rows}).values_list("code", flat=True))
    for row in rows:
        if row.parent_code and row.parent_code not in known:
            raise OrgFileError(row.line, f"上级单位代码“{row.parent_code}”不存在（既不在文件中，也未导入）")
        if row.parent_code == row.code:
            raise OrgFileError(row.line, f"单位“{row.code}”不能是自己的上级")
    return rows


def _rebuild_paths() -> None:
    """Recompute ``path`` and ``recommender`` of every unit from the parent links."""
    orgs = {o.pk: o for o in Org.objects.all()}
    computed: dict[int, tuple[str, int | None]] = {}

    def resolve(org: Org, trail: tuple[int, ...] = ()) -> tuple[str, int | None]:
        if org.pk in computed:
            return computed[org.pk]
        if org.pk in trail:
            raise DomainError(f"单位“{org.code}”的上级关系形成了循环，请检查 parent_code")
        if org.parent_id is None:
            parent_path, parent_recommender = "/", None
        else:
            parent_path, parent_recommender = resolve(orgs[org.parent_id], (*trail, org.pk))
        recommender = org.pk if org.recommends_to_province and org.kind != OrgKind.PROVINCE else parent_recommender
        computed[org.pk] = (f"{parent_path}{org.code}/", recommender)
        return computed[org.pk]

    changed = []
    for org in orgs.values():
        path, recommender = resolve(org)
        if org.path != path or org.recommender_id != recommender:
            org.path, org.recommender_id = path, recommender
            changed.append(org)
    Org.objects.bulk_update(changed, ["path", "recommender"], batch_size=500)
    if changed:
        org_paths_changed.send(sender=Org, orgs=changed)


ORG_FIELDS = ["name", "kind", "recommends_to_province", "longitude", "latitude", "note"]


def _org_state(org: Org, parent_code: str) -> dict:
    return {**snapshot(org, ORG_FIELDS), "parent_code": parent_code}


@transaction.atomic
def load_orgs(rows: list[OrgRow], *, actor=None) -> LoadResult:
    """Create or update units from parsed rows, all or nothing.

    Idempotent: loading the same rows twice changes nothing the second time. Units
    missing from the file are kept (they may be referenced); a changed name updates.
    Side effects: one ``org.loaded`` audit event when anything changed.
    """
    existing = {o.code: o for o in Org.objects.select_related("parent").filter(code__in=[r.code for r in rows])}
    before: dict[str, dict | None] = {}
    for row in rows:  # pass 1: the units themselves
        wanted = {f: getattr(row, f) for f in ORG_FIELDS}
        org = existing.get(row.code)
        if org is None:
            existing[row.code] = Org.objects.create(code=row.code, path=f"/{row.code}/", **wanted)
            before[row.code] = None
            continue
        dirty = [f for f in ORG_FIELDS if getattr(org, f) != wanted[f]]
        if dirty:
            before[row.code] = _org_state(org, org.parent.code if org.parent else "")
            for f in dirty:
                setattr(org, f, wanted[f])
            org.save(update_fields=dirty)

    # pass 2: parent links, once every unit of the file exists
    parents = {o.code: o for o in Org.objects.filter(code__in={r.parent_code for r in rows if r.parent_code})}
    for row in rows:
        org = existing[row.code]
        parent = parents.get(row.parent_code)
        if org.parent_id != (parent.pk if parent else None):
            if row.code not in before:
                before[row.code] = _org_state(org, org.parent.code if org.parent else "")
            org.parent = parent
            org.save(update_fields=["parent"])
    _rebuild_paths()

    created = sum(1 for b in before.values() if b is None)
    result = LoadResult(created=created, updated=len(before) - created, unchanged=len(rows) - len(before))
    if before:
        changes = [
            {"code": code, "before": b, "after": _org_state(existing[code], existing[code].parent.code if existing[code].parent else "")}
            for code, b in before.items()
        ]
        record(
            action="org.loaded",
            actor=actor,
            object_type="orgs.org",
            object_repr=f"单位导入：{result}",
            after={"created": result.created, "updated": result.updated, "changes": changes},
        )
    return result


# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------

ACCOUNT_FIELDS = ["username", "org", "role", "display_name", "phone", "is_active"]


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("密码不符合要求：" + "；".join(exc.messages), field="password") from None


def generate_password() -> str:
    """A temporary password that passes the validators and is easy to read aloud."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if re.search(r"[A-Z]", password) and re.search(r"[a-z]", password) and re.search(r"[0-9]", password):
            return password  # three character classes (orgs/passwords.py)


@transaction.atomic
def create_account(
    *,
    actor,
    username: str,
    org: Org,
    role: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    must_change_password: bool = True,
    request=None,
) -> User:
    """Create an account in ``org`` with ``role``.

    ``actor`` None means the command line (a system administrator at the console).
    Side effects: ``account.created`` audit event.
    """
    if actor is not None:
        require(rules.can_manage_account_in(actor, org, role))
    require(rules.role_fits_org(role, org))
    username = (username or "").strip()
    if not re.match(r"^[\w.@+-]{3,150}$", username):
        raise DomainError("用户名须为 3–150 位字母、数字或 . @ + - _", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"用户名“{username}”已被使用，请换一个", field="username", status=409)
    user = User(username=username, org=org, role=role, display_name=display_name, phone=phone)
    _check_password(password, user)
    user.set_password(password)
    user.must_change_password = must_change_password
    user.save()
    record(action="account.created", actor=actor, obj=user, after=snapshot(user, ACCOUNT_FIELDS), request=request)
    return user


def _managed(actor, target: User) -> None:
    require(rules.can_manage_account_in(actor, target.org, target.role))
    if target.pk == actor.pk:
        raise NotAllowed("不能在这里停用或重置自己的账号，请使用“修改密码”")


@transaction.atomic
def set_account_active(*, actor, target: User, active: bool, request=None) -> User:
    """Disable or re-enable an account. A disabled account's API tokens are revoked.

    Side effects: ``account.disabled`` / ``account.enabled`` audit event.
    """
    target = User.objects.select_for_update().get(pk=target.pk)
    _managed(actor, target)
    if target.is_active == active:
        return target
    before = snapshot(target, ["is_active"])
    target.is_active = active
    target.save(update_fields=["is_active"])
    if not active:
        from clusterdesk.api.models import ApiToken

        ApiToken.objects.revoke_all(target)
    record(
        action="account.enabled" if active else "account.disabled",
        actor=actor,
        obj=target,
        before=before,
        after=snapshot(target, ["is_active"]),
        request=request,
    )
    return target


@transaction.atomic
def reset_password(*, actor, target: User, request=None) -> str:
    """Give ``target`` a new temporary password (returned once, never stored in clear).

    The account must change it at next login; its API tokens are revoked.
    Side effects: ``account.password_reset`` audit event (without the password).
    """
    target = User.objects.select_for_update().get(pk=target.pk)
    _managed(actor, target)
    password = generate_password()
    target.set_password(password)
    target.must_change_password = True
    target.save(update_fields=["password", "must_change_password"])
    from clusterdesk.api.models import ApiToken

    ApiToken.objects.revoke_all(target)
    record(action="account.password_reset", actor=actor, obj=target, request=request)
    return password


@transaction.atomic
def change_own_password(*, user: User, old_password: str, new_password: str, request=None) -> None:
    """The account holder sets a new password; every API token of the account is revoked.
    Side effects: ``auth.password_changed``."""
    if not user.check_password(old_password):
        raise DomainError("原密码不正确，请重新输入", field="old_password")
    if old_password == new_password:
        raise DomainError("新密码不能与原密码相同", field="new_password1")
    _check_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    from clusterdesk.api.models import ApiToken

    ApiToken.objects.revoke_all(user)  # a token must not outlive the password it was issued for
    record(action="auth.password_changed", actor=user, obj=user, request=request)


def role_choices_for(actor) -> list[tuple[str, str]]:
    if actor.role == Role.CITY_REVIEWER:
        return [(r.value, r.label) for r in Role if r in rules.CITY_ASSIGNABLE_ROLES]
    return list(Role.choices)
