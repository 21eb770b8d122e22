"""Every hand-over in every workflow notifies the receiving unit (issue 15 §4).

Table-driven over every registered machine: a transition whose target state is another unit's
turn (``Machine.handlers``) must name that unit in ``notify``. A new state without a declared
handler, or a new hand-over without ``notify``, fails here.
"""

import pytest

import clusterdesk.registry.workflow  # noqa: F401 - each module registers its machines on import
import clusterdesk.rereview.workflow  # noqa: F401
import clusterdesk.reviews.workflow  # noqa: F401
from clusterdesk.core.workflow import MACHINES
from clusterdesk.orgs.models import Role

UNIT_OF_ROLE = {Role.COUNTY_APPLICANT: "county", Role.CITY_REVIEWER: "city", Role.PROVINCE_ADMIN: "province"}
HANDOVER_MACHINES = ("application.provincial", "application.national", "rereview.task")


def acting_units(t) -> set:
    units = {UNIT_OF_ROLE[r] for r in t.roles if r in UNIT_OF_ROLE}
    return units or {t.by or "system"}


def all_transitions():
    return [(m, t) for m in MACHINES.values() for t in m.transitions]


def test_the_hand_over_machines_are_registered():
    assert set(HANDOVER_MACHINES) <= set(MACHINES)


@pytest.mark.parametrize("machine,t", all_transitions(), ids=lambda v: getattr(v, "name", getattr(v, "action", "")))
def test_every_hand_over_declares_whom_it_notifies(machine, t):
    if not machine.handlers:  # registry machines: no state is another unit's turn (decided, or the filer's own)
        assert machine.name.startswith("registry."), f"{machine.name}: declare handlers for its states"
        return
    assert t.target in machine.handlers, f"{machine.name}: whose turn is state {t.target!r}? add it to handlers"
    receiver = machine.handlers[t.target]
    if receiver is None or acting_units(t) == {receiver}:
        return
    assert receiver in t.notify, (f"{machine.name}.{t.action} hands the object to {receiver} "
                                  f"but does not notify it (notify={t.notify!r})")


def test_the_submission_hand_overs_reach_the_city_and_the_province():
    provincial = MACHINES["application.provincial"]
    assert "city" in provincial.get("submit").notify
    assert {"city", "province"} <= set(provincial.get("resubmit_to_province").notify)
    assert "province" in provincial.get("submit_formal").notify
    rereview = MACHINES["rereview.task"]
    assert "city" in rereview.get("submit").notify and "province" in rereview.get("forward").notify
    assert "province" in rereview.get("miss").notify
