"""Every single-application action of both tracks refuses, from its table, the wrong role (403)
and the wrong state (409 naming the current state), and changes nothing when it refuses."""

import pytest

from clusterdesk.applications.models import Application
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.orgs.models import Role
from clusterdesk.reviews import domain
from clusterdesk.reviews.workflow import MACHINES

ACTIONS = [(m, t) for m in MACHINES for t in m.transitions if t.api and not t.list_action and t.roles]
RIGHT = {Role.CITY_REVIEWER: "yanbian", Role.PROVINCE_ADMIN: "province", Role.COUNTY_APPLICANT: "dunhua"}
WRONG = {Role.CITY_REVIEWER: "dunhua", Role.PROVINCE_ADMIN: "yanbian", Role.COUNTY_APPLICANT: "yanbian"}


def _inputs(t) -> dict:
    return {i.name: ("理由" if i.kind == "text" else "2025-11-20" if i.kind == "date" else None)
            for i in t.inputs if i.required}


def _count() -> int:
    return AuditEvent.objects.filter(action__startswith="review.").count()


@pytest.mark.parametrize("machine,transition", ACTIONS, ids=[f"{m.field}.{t.action}" for m, t in ACTIONS])
def test_wrong_state_is_409_naming_the_state(accounts, draft, machine, transition):
    wrong = next(s for s in machine.states.values if s not in transition.sources)
    Application.objects.filter(pk=draft.pk).update(**{machine.field: wrong})
    app = Application.objects.get(pk=draft.pk)
    before = _count()

    with pytest.raises(Conflict, match=f"当前状态为“{machine.state_label(wrong)}”"):
        domain.perform(actor=accounts[RIGHT[transition.roles[0]]], application=app, action=transition.action,
                       inputs=_inputs(transition))
    assert getattr(Application.objects.get(pk=draft.pk), machine.field) == wrong
    assert _count() == before


@pytest.mark.parametrize("machine,transition", ACTIONS, ids=[f"{m.field}.{t.action}" for m, t in ACTIONS])
def test_wrong_role_is_403(accounts, draft, machine, transition):
    source = transition.sources[0]
    Application.objects.filter(pk=draft.pk).update(**{machine.field: source})
    app = Application.objects.get(pk=draft.pk)

    with pytest.raises(NotAllowed, match=transition.label):
        domain.perform(actor=accounts[WRONG[transition.roles[0]]], application=app, action=transition.action,
                       inputs=_inputs(transition))
    assert getattr(Application.objects.get(pk=draft.pk), machine.field) == source


@pytest.mark.parametrize("machine,transition", [(m, t) for m, t in ACTIONS if any(i.required for i in t.inputs)],
                         ids=lambda v: getattr(v, "action", getattr(v, "field", "")))
def test_missing_required_input_is_400_naming_it(accounts, draft, machine, transition):
    Application.objects.filter(pk=draft.pk).update(**{machine.field: transition.sources[0]})
    app = Application.objects.get(pk=draft.pk)
    required = next(i for i in transition.inputs if i.required)

    with pytest.raises(DomainError) as exc:
        domain.perform(actor=accounts[RIGHT[transition.roles[0]]], application=app, action=transition.action,
                       inputs={})
    assert (exc.value.status, exc.value.field) == (400, required.name)
    assert required.label in exc.value.message


def test_unknown_action_is_404(accounts, draft):
    with pytest.raises(DomainError) as exc:
        domain.perform(actor=accounts["province"], application=draft, action="approve_everything")
    assert exc.value.status == 404
