"""The move of the re-review models out of the registry app keeps the data: the models use the
tables they always had, the moving migrations touch no table, and a task written by the old
(registry) models is read and written by the new ones."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clusterdesk.rereview.models import RereviewCheck, RereviewEvidence, RereviewTask


def test_the_models_keep_their_tables():
    assert RereviewTask._meta.db_table == "registry_rereviewtask"
    assert RereviewEvidence._meta.db_table == "registry_rereviewevidence"
    assert RereviewCheck._meta.db_table == "registry_rereviewcheck"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("app,name", [("registry", "0003_rereview_moves_out"), ("rereview", "0001_initial")])
def test_the_moving_migrations_change_no_table(app, name):
    out = io.StringIO()
    call_command("sqlmigrate", app, name, stdout=out)
    sql = [line for line in out.getvalue().splitlines() if line.strip() and not line.startswith("--")]
    assert sql in ([], ["BEGIN;", "COMMIT;"]), sql


@pytest.mark.django_db(transaction=True)
def test_a_task_written_before_the_move_is_read_and_written_after(accounts, criteria_sets):
    from tests.rereview.test_rereview import make_rereview_round, seed_registry

    cluster = seed_registry()
    round_ = make_rereview_round(accounts["province"])
    executor = MigrationExecutor(connection)
    before = [("registry", "0002_rereview")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldTask = old_apps.get_model("registry", "RereviewTask")
    OldCheck = old_apps.get_model("registry", "RereviewCheck")
    old = OldTask.objects.create(round_id=round_.pk, cluster_id=cluster.pk, org_id=cluster.org_id, status="forwarded",
                                 data={"self_assessment": "迁移前填写"}, city_comment="同意报送")
    OldCheck.objects.create(task_id=old.pk, set_code="national-2022", rule_code="growth", decision="pass")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    task = RereviewTask.objects.get(pk=old.pk)
    assert task.status == "forwarded" and task.data == {"self_assessment": "迁移前填写"}
    assert task.city_comment == "同意报送" and task.cluster_id == cluster.pk
    assert [c.rule_code for c in task.checks.all()] == ["growth"]
    task.return_comment = "迁移后写入"
    task.save(update_fields=["return_comment"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT return_comment FROM registry_rereviewtask WHERE id = %s", [old.pk])
        assert cursor.fetchone()[0] == "迁移后写入"
