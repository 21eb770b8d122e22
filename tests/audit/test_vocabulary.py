"""Every audit action the code records has a Chinese label, and the log shows labels, not codes
(issue 15 §9). A new ``record(action="x.y")`` or workflow transition without a label fails here."""

import re
from pathlib import Path

import pytest

import clusterdesk.registry.workflow  # noqa: F401 - the machines register themselves on import
import clusterdesk.rereview.workflow  # noqa: F401
import clusterdesk.reviews.workflow  # noqa: F401
from clusterdesk.audit.vocabulary import ACTIONS
from clusterdesk.core.workflow import MACHINES

SOURCE = Path(__file__).resolve().parents[2] / "clusterdesk"
# action="auth.login", audit="review.recognized", record("x.y", …): every literal audit action in the code
LITERAL = re.compile(r"""(?:\baction|\baudit)\s*=\s*["']([a-z_]+\.[a-z_.]+)["']|\brecord\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def recorded_in_code() -> set:
    found = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for m in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1) or m.group(2))
    return found


def test_the_scan_finds_the_actions():
    found = recorded_in_code()
    assert {"auth.login", "application.submitted", "rereview.opened"} <= found and len(found) > 60


@pytest.mark.parametrize("action", sorted(recorded_in_code()))
def test_every_recorded_action_has_a_chinese_label(action):
    label = ACTIONS.get(action, "")
    assert label, f"{action!r} is recorded but has no label in audit/vocabulary.py"
    assert re.search(r"[\u4e00-\u9fff]", label) and not re.search(r"[a-z]{3,}", label)


@pytest.mark.parametrize("machine,t", [(m, t) for m in MACHINES.values() for t in m.transitions],
                         ids=lambda v: getattr(v, "name", getattr(v, "action", "")))
def test_every_workflow_step_has_a_chinese_label(machine, t):
    assert machine.audit_action(t) in ACTIONS


def test_labels_are_chinese():
    for action, label in ACTIONS.items():
        assert re.search(r"[\u4e00-\u9fff]", label), action


def test_the_log_shows_the_label_not_the_code(accounts, client):
    from clusterdesk.audit.domain import record

    record(action="auth.login", actor=accounts["province"], obj=accounts["province"])
    client.force_login(accounts["sysadmin"])

    body = client.get("/audit/").content.decode()

    visible = re.sub(r'value="[^"]*"', "", body)  # the filter's option values are not shown
    assert "<td>登录</td>" in body and "auth.login" not in visible
