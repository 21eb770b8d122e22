"""The two-track migration carries an application's single status over to status and
national_status, reading the provincial status it had before selection from its audit history."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("applications", "0004_crc32"), ("audit", "0002_append_only_triggers"), ("reviews", "0002_crc32")]
AFTER = [("applications", "0005_two_tracks")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_splits_the_old_national_states(accounts, jilin):
    old = _migrate(BEFORE)
    Application = old.get_model("applications", "Application")
    Round = old.get_model("rounds", "Round")
    AuditEvent = old.get_model("audit", "AuditEvent")
    round_ = Round.objects.create(name="2025年度", year=2025, province_id=jilin["220000"].pk)
    common = {"round": round_, "org_id": jilin["222403"].pk, "created_by_id": accounts["province"].pk}
    sent = Application.objects.create(number="M-1", status="national_sent", national_flag=True, **common)
    AuditEvent.objects.create(action="review.national_selected", object_type="applications.application",
                              object_id=str(sent.pk), before={"status": "recognized"},
                              after={"status": "national_selected"})
    picked = Application.objects.create(number="M-2", status="national_selected", national_flag=True, **common)
    flagged = Application.objects.create(number="M-3", status="publicity", national_flag=True, **common)
    plain = Application.objects.create(number="M-4", status="initial_passed", national_flag=False, **common)

    new = _migrate(AFTER)
    rows = dict(new.get_model("applications", "Application").objects.values_list("number", "status"))
    national = dict(new.get_model("applications", "Application").objects.values_list("number", "national_status"))

    assert rows == {"M-1": "recognized", "M-2": "initial_passed", "M-3": "publicity", "M-4": "initial_passed"}
    assert national == {"M-1": "sent", "M-2": "selected", "M-3": "candidate", "M-4": "none"}
    _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
