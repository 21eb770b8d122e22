"""One engine for every state machine of the product.

A machine is data: a table of ``Transition`` rows (from which states, to which state, who may
take it, before which deadline, with which inputs, with which declared effects and whom it
notifies) plus named state groups. ``Machine`` answers the questions every page and API asks
of it, the same way for every machine:

- ``check(actor, obj, action)`` → a ``Verdict`` (allowed, reason in Chinese, kind);
- ``buttons(actor, obj)`` → the actions of the current state the actor's role sees, each
  with its verdict (a disabled button says why);
- ``perform(...)`` → the only way an object changes state: locks the row, refuses an older
  ``state_version`` (two reviewers at once, a double click), checks the verdict, cleans the
  inputs, moves the state, runs the declared effects, writes the audit event, notifies —
  all in one transaction, so nothing is half-done;
- ``move(...)`` → the same step on an already-locked object inside a list operation (a
  publicity batch, the national list), which has its own list-level checks;
- ``label_of(action)`` → the Chinese label the timeline shows for an audit event;
- ``mermaid()`` → the picture of the machine for ``docs/workflows.md``.

``perform`` has no per-action branches: what differs between actions is in the table.
Machines register themselves in ``MACHINES`` when their module is imported (each app's
``workflow.py``, imported by its ``AppConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .errors import Conflict, DomainError, NotAllowed

# --- verdicts: the one answer type of every permission check -----------------------------------

FORBIDDEN = "forbidden"  # the actor may never do this (403)
CONFLICT = "conflict"  # not now: wrong state, closed stage, stale page (409)
NOT_FOUND = "not_found"  # out of scope (404)
INVALID = "invalid"  # bad input (400)


@dataclass(frozen=True)
class Verdict:
    """(allowed, reason, kind). ``reason`` is Chinese and says why and what to do."""

    allowed: bool
    reason: str = ""
    kind: str = ""
    field: str | None = None

    def __bool__(self) -> bool:
        return self.allowed

    def __iter__(self):  # (allowed, reason) unpacking, as the older predicates answered
        return iter((self.allowed, self.reason))


ALLOW = Verdict(True)


def forbid(reason: str) -> Verdict:
    return Verdict(False, reason, FORBIDDEN)


def conflict(reason: str, field: str | None = None) -> Verdict:
    return Verdict(False, reason, CONFLICT, field)


def invalid(reason: str, field: str | None = None) -> Verdict:
    return Verdict(False, reason, INVALID, field)


def not_found(reason: str = "对象不存在或不在您的权限范围内") -> Verdict:
    return Verdict(False, reason, NOT_FOUND)


_ERRORS = {FORBIDDEN: NotAllowed, CONFLICT: Conflict}


def require(verdict: Verdict) -> None:
    """Turn a refusal into the matching error: 403, 409, 404 or 400."""
    if verdict.allowed:
        return
    if verdict.kind == NOT_FOUND:
        raise DomainError(verdict.reason, status=404)
    raise _ERRORS.get(verdict.kind, DomainError)(verdict.reason, field=verdict.field)


def first_refusal(*verdicts: Verdict) -> Verdict:
    for v in verdicts:
        if not v.allowed:
            return v
    return ALLOW


# --- the table ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Input:
    """One input of a transition, cleaned the same way for pages and API."""

    name: str
    label: str
    kind: str = "text"  # text | bool | fields (per-field comments: {field: comment}) | date
    required: bool = False
    help: str = ""
    max_length: int = 5000


Guard = Callable[[Any, Any, datetime], Verdict]  # (actor, obj, now) -> Verdict
Effect = Callable[["Step"], None]


@dataclass(frozen=True)
class Transition:
    """One row of a machine's table.

    ``who``: a predicate ``(actor, obj) -> Verdict`` for the role and unit (a refusal here is
    403); ``roles``: the roles that see the button. ``stage``: the deadline key the machine's
    ``deadline`` hook resolves for the acting unit (``None``: no deadline). ``guards``: further
    checks of the object's situation (a refusal is 409). ``effects`` run after the state is set
    and before it is saved (they may set more fields with ``step.set``); ``after`` runs once
    the object and its audit event are saved (registry entries, other tracks). ``notify``
    names the audiences the machine's notifier tells; ``told_by_domain`` says the domain
    function tells them itself, in its own words (a list-level notice, a re-review message), so
    the engine does not call the notifier. ``by`` names the unit that takes a step no role's
    button offers ("province" when another of its steps makes it; "" for the system, a deadline).
    """

    action: str
    label: str
    sources: tuple
    target: str
    who: Callable[[Any, Any], Verdict]
    roles: tuple = ()
    stage: str | None = None
    inputs: tuple = ()
    guards: tuple = ()
    effects: tuple = ()
    after: tuple = ()
    notify: tuple = ()
    told_by_domain: bool = False
    by: str = ""
    style: str = ""
    confirm: str = ""
    description: str = ""
    audit: str = ""  # audit action; default "<machine.audit_prefix>.<action>"
    api: bool = True  # offered as a single-object action in the API and as a button
    list_action: bool = False  # taken on many objects at once by a list operation (``move``)


@dataclass
class Step:
    """What an effect sees: the transition being taken and its context."""

    machine: "Machine"
    transition: Transition
    actor: Any
    obj: Any
    values: dict
    before: str
    now: datetime
    request: Any = None
    extra: dict = dc_field(default_factory=dict)  # added to the audit event's "after"
    message: str = ""  # what the notification says, when the caller words it (a list operation)
    fields: list = dc_field(default_factory=list)

    def set(self, name: str, value) -> None:
        setattr(self.obj, name, value)
        if name not in self.fields:
            self.fields.append(name)


@dataclass
class Button:
    transition: Transition
    allowed: bool
    reason: str

    @property
    def action(self) -> str:
        return self.transition.action


Deadline = Callable[[Any, str, Any], "datetime | None"]  # (obj, stage, actor) -> closes at


def _format(moment: datetime) -> str:
    from clusterdesk.rounds.domain import format_deadline  # the one deadline wording

    return format_deadline(moment)


@dataclass
class Machine:
    """A state machine over one field of one model."""

    name: str
    label: str
    model: Any
    states: Any  # a TextChoices class
    transitions: tuple
    field: str = "status"
    initial: str = ""
    groups: dict = dc_field(default_factory=dict)
    version_field: str | None = None
    audit_prefix: str = ""
    object_label: str = "申报"
    deadline: Deadline | None = None
    notifier: Callable[[Step, tuple], None] | None = None
    stale_message: Callable[[Any], str] | None = None
    # Whose turn a state is: "county", "city" or "province" acts on it next; None when no unit of
    # the product does (decided, or with MIIT). A transition into a state of another unit than the
    # one taking it is a hand-over and must ``notify`` that unit (tests/core/test_handovers.py).
    handlers: dict = dc_field(default_factory=dict)

    def __post_init__(self):
        self.by_action = {t.action: t for t in self.transitions}
        if len(self.by_action) != len(self.transitions):
            raise ValueError(f"{self.name}: duplicate actions")
        valid = set(self.states.values)
        for t in self.transitions:
            unknown = (set(t.sources) | {t.target}) - valid
            if unknown:
                raise ValueError(f"{self.name}.{t.action}: unknown states {sorted(unknown)}")
        for name, members in self.groups.items():
            unknown = set(members) - valid
            if unknown:
                raise ValueError(f"{self.name} group {name}: unknown states {sorted(unknown)}")
        MACHINES[self.name] = self

    # --- reading the table ------------------------------------------------------------------

    def group(self, name: str) -> tuple:
        return tuple(self.groups[name])

    def in_group(self, name: str, state: str) -> bool:
        return state in self.groups[name]

    def state_label(self, state: str) -> str:
        try:
            return str(self.states(state).label)
        except ValueError:
            return state

    def get(self, action: str) -> Transition:
        t = self.by_action.get(action)
        if t is None:
            raise DomainError(f"未知操作：{action}", status=404)
        return t

    def outgoing(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def audit_action(self, t: Transition) -> str:
        return t.audit or f"{self.audit_prefix}.{t.action}"

    def label_of(self, audit_action: str) -> str | None:
        for t in self.transitions:
            if self.audit_action(t) == audit_action:
                return t.label
        return None

    def state_of(self, obj) -> str:
        return getattr(obj, self.field)

    # --- verdicts ----------------------------------------------------------------------------

    def check(self, actor, obj, action: str | Transition, now: datetime | None = None) -> Verdict:
        """May ``actor`` take ``action`` on ``obj`` now? Who first (403), then the state, the
        deadline and the guards (409)."""
        t = action if isinstance(action, Transition) else self.get(action)
        if not getattr(actor, "is_authenticated", False):
            return forbid("请先登录")
        verdict = t.who(actor, obj)
        if not verdict:  # who-predicates say "只有…可以{label}": the row's label is put in
            return Verdict(False, verdict.reason.replace("{label}", t.label), verdict.kind or FORBIDDEN)
        state = self.state_of(obj)
        if state not in t.sources:
            return conflict(f"{self.object_label}当前状态为“{self.state_label(state)}”，不能{t.label}")
        now = now or timezone.now()
        if t.stage and self.deadline is not None:
            closes = self.deadline(obj, t.stage, actor)
            if closes is not None and now > closes:
                return conflict(f"本阶段已截止（{_format(closes)}），逾期不予受理")
        for guard in t.guards:
            verdict = guard(actor, obj, now)
            if not verdict:
                return verdict if verdict.kind else conflict(verdict.reason)
        return ALLOW

    def buttons(self, actor, obj) -> list[Button]:
        """The single-object actions of the current state that the actor's role could take."""
        state = self.state_of(obj)
        role = getattr(actor, "role", None)
        out = []
        for t in self.transitions:
            if t.api and not t.list_action and state in t.sources and role in t.roles:
                v = self.check(actor, obj, t)
                out.append(Button(t, v.allowed, v.reason))
        return out

    # --- changing state ----------------------------------------------------------------------

    def lock(self, obj):
        return type(obj).objects.select_for_update().get(pk=obj.pk)

    def _check_version(self, obj, expected, required: bool) -> None:
        if not self.version_field:
            return
        if expected is None or expected == "":
            if required:
                raise DomainError(f"请提供 state_version（读取{self.object_label}时得到的状态版本），"
                                  "以免覆盖他人刚做的处理", field="state_version")
            return
        try:
            expected = int(expected)
        except (TypeError, ValueError):
            raise DomainError("state_version 应为整数", field="state_version") from None
        if expected != getattr(obj, self.version_field):
            message = self.stale_message(obj) if self.stale_message else (
                f"该{self.object_label}已被处理，当前状态为“{self.state_label(self.state_of(obj))}”；"
                "您的操作未执行，请刷新页面后查看")
            raise Conflict(message, field="state_version")

    @transaction.atomic
    def perform(self, *, actor, obj, action: str, inputs: dict | None = None, expected_version=None,
                require_version: bool = False, request=None, now: datetime | None = None):
        """Take one action on one object; see the module docstring. Returns the saved object."""
        t = self.get(action)
        if t.list_action:
            raise DomainError(f"“{t.label}”须在名单页面对多个{self.object_label}一起办理", status=409)
        obj = self.lock(obj)
        self._check_version(obj, expected_version, require_version)
        return self.move(actor=actor, obj=obj, action=t, inputs=inputs, request=request, now=now)

    def move(self, *, actor, obj, action: str | Transition, inputs: dict | None = None, request=None,
             now: datetime | None = None, extra: dict | None = None, message: str = "", check: bool = True):
        """The step itself, on an object the caller has locked (inside its transaction).

        ``check=False`` is for list operations that have already checked the whole list (and
        for moves the table makes as effects of another step); the state, deadline and guard
        checks of the row are then the caller's."""
        t = action if isinstance(action, Transition) else self.get(action)
        now = now or timezone.now()
        if check:
            require(self.check(actor, obj, t, now))
        values = clean_inputs(t, inputs or {})
        before = self.state_of(obj)
        step = Step(self, t, actor, obj, values, before, now, request, dict(extra or {}), message)
        step.set(self.field, t.target)
        if self.version_field:
            step.set(self.version_field, getattr(obj, self.version_field) + 1)
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            step.set("updated_at", now)
        for effect in t.effects:
            effect(step)
        obj.save(update_fields=step.fields)
        from clusterdesk.audit.domain import record

        record(action=self.audit_action(t), actor=actor, obj=obj, request=request,
               before={self.field: before}, after={self.field: t.target, **values, **step.extra},
               comment=values.get("comment", "") if isinstance(values.get("comment"), str) else "")
        for effect in t.after:
            effect(step)
        if t.notify and not t.told_by_domain and self.notifier is not None:
            self.notifier(step, t.notify)
        return obj

    # --- pictures ----------------------------------------------------------------------------

    def mermaid(self) -> str:
        """A Mermaid state diagram of the table (rendered in docs/workflows.md)."""
        ids = {s: f"s_{s}" for s in self.states.values}
        lines = ["stateDiagram-v2", "    direction LR"]
        used = {s for t in self.transitions for s in (*t.sources, t.target)}
        if self.initial:
            used.add(self.initial)
        for s in self.states.values:
            if s in used:
                lines.append(f'    state "{self.state_label(s)}" as {ids[s]}')
        if self.initial:
            lines.append(f"    [*] --> {ids[self.initial]}")
        for t in self.transitions:
            for s in t.sources:
                lines.append(f"    {ids[s]} --> {ids[t.target]}: {t.label}")
        return "\n".join(lines)


def clean_inputs(t: Transition, inputs: dict) -> dict:
    """The transition's inputs, cleaned; a missing required one is 400 naming the field."""
    cleaned = {}
    for spec in t.inputs:
        value = inputs.get(spec.name)
        if spec.kind == "bool":
            cleaned[spec.name] = value in (True, "1", "true", "on", "yes", "是")
        elif spec.kind == "fields":
            value = value or {}
            if not isinstance(value, dict):
                raise DomainError(f"{spec.label}格式不对：应为“栏目: 意见”的对应关系", field=spec.name)
            cleaned[spec.name] = {str(k): str(v).strip() for k, v in value.items() if str(v).strip()}
        elif spec.kind == "date":
            from datetime import date

            if isinstance(value, date):
                cleaned[spec.name] = value.isoformat()
                continue
            text = value.strip() if isinstance(value, str) else ""
            if not text:
                if spec.required:
                    raise DomainError(f"请填写{spec.label}：{t.label}必须填写{spec.label}", field=spec.name)
                cleaned[spec.name] = ""
                continue
            try:
                cleaned[spec.name] = date.fromisoformat(text).isoformat()
            except ValueError:
                raise DomainError(f"{spec.label}格式不对，请按“2026-07-15”的格式填写", field=spec.name) from None
        else:
            if value is not None and not isinstance(value, str):
                raise DomainError(f"{spec.label}应为文字", field=spec.name)
            text = (value or "").strip()
            if spec.required and not text:
                raise DomainError(f"请填写{spec.label}：{t.label}必须说明{spec.label}", field=spec.name)
            if len(text) > spec.max_length:
                raise DomainError(f"{spec.label}不能超过 {spec.max_length} 字，请精简", field=spec.name)
            cleaned[spec.name] = text
    return cleaned


# Every machine of the product, by name (filled as each app's workflow module is imported).
MACHINES: dict[str, Machine] = {}


def machine_for_audit(audit_action: str) -> tuple[Machine, Transition] | None:
    for m in MACHINES.values():
        for t in m.transitions:
            if m.audit_action(t) == audit_action:
                return m, t
    return None
