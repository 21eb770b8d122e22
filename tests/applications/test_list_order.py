"""The application lists' order (newest year, unit path, number) is read from the application's own
copies of its round's year and its unit's path, which follow the round and the org tree."""

import re

import pytest

from clusterdesk.applications.domain import create_application
from clusterdesk.applications.models import Application
from clusterdesk.orgs.domain import _rebuild_paths
from clusterdesk.orgs.models import Org
from clusterdesk.rounds.domain import update_round


def numbers_on_page(client) -> list[str]:
    html = client.get("/applications/").content.decode()
    return re.findall(r"\d{4}-\d{6}-\d{2}", html)


def test_copies_follow_the_round_and_the_org_tree(accounts, round_open, jilin, login):
    dunhua = create_application(actor=accounts["dunhua"], round_=round_open)
    yanji = create_application(actor=accounts["yanji"], round_=round_open)
    assert (dunhua.round_year, dunhua.org_path) == (2025, jilin["222403"].path)

    update_round(actor=accounts["province"], round_=round_open, year=2026)
    assert set(Application.objects.values_list("round_year", flat=True)) == {2026}

    # 敦化 moves under 通化 in a reloaded tree: its path changes, and so does its applications' copy.
    Org.objects.filter(code="222403").update(parent=jilin["220500"])
    _rebuild_paths()
    moved = Org.objects.get(code="222403").path
    assert moved.startswith(jilin["220500"].path)
    dunhua.refresh_from_db()
    yanji.refresh_from_db()
    assert dunhua.org_path == moved
    assert yanji.org_path == jilin["222401"].path


def test_the_list_is_in_year_unit_and_number_order(accounts, round_open, login):
    from datetime import timedelta

    from django.utils import timezone

    from clusterdesk.rounds.domain import create_round

    today = timezone.localdate()
    later = create_round(actor=accounts["province"], name="2026年度申报", year=2026, status="open",
                         city_quota=3, deadlines={"county_submission": today + timedelta(days=30)})
    made = [
        create_application(actor=accounts["yanji"], round_=round_open),
        create_application(actor=accounts["dunhua"], round_=round_open),
        create_application(actor=accounts["dunhua"], round_=round_open),
        create_application(actor=accounts["dunhua"], round_=later),
    ]
    expected = [a.number for a in sorted(made, key=lambda a: (-a.round.year, a.org.path, a.number))]
    assert numbers_on_page(login(accounts["dunhua"]))[:3] == [n for n in expected if "-222403-" in n]
    shown = numbers_on_page(login(accounts["province"]))
    assert [n for n in shown if n in expected] == expected


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_copies_of_existing_applications(accounts, round_open, jilin):
    """applications 0010 fills round_year and org_path for rows made before it, and 0011 builds the
    indexes after it (on PostgreSQL not in the transaction that updated the rows)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    made = create_application(actor=accounts["dunhua"], round_=round_open)

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)

    migrate([("applications", "0009_status_index")])
    migrate([("applications", "0011_list_order_indexes")])
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    made.refresh_from_db()
    assert (made.round_year, made.org_path) == (2025, jilin["222403"].path)
