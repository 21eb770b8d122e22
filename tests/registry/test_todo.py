"""The county's to-do list counts the annual reports its clusters owe and have not submitted."""

import time_machine

from clusterdesk.core.todo import todos_for

from clusterdesk.registry import domain as registry

from .conftest import at, full_report


def reports_due(user) -> int:
    return next(t.count for t in todos_for(user) if t.kind == "report")


def test_annual_reports_due_for_the_county(accounts, yanji):
    with time_machine.travel(at(2026, 12, 1, 9), tick=False):
        assert reports_due(accounts["yanji"]) == 0  # 2026 has not ended
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        assert reports_due(accounts["yanji"]) == 1  # the 2026 report, due 2027-03-31
        assert reports_due(accounts["dunhua"]) == 0
        assert all(t.kind != "report" for t in todos_for(accounts["yanbian"]))
        report = registry.start_report(actor=accounts["yanji"], cluster=yanji, year=2026)
        registry.save_report(actor=accounts["yanji"], report=report, data=full_report())
        registry.submit_report(actor=accounts["yanji"], report=report)
        assert reports_due(accounts["yanji"]) == 0
