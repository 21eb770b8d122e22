"""Scale: seed_scale makes a realistic data set and refuses real data; list pages and API lists cost
the same number of queries at 14 and at 70 applications (pagination in the database, no per-row
queries)."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clusterdesk.applications.models import Application, ApplicationVersion, EvidenceFile, NationalStatus, Status
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.files import private_path
from clusterdesk.core.scale import seed
from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgLevel
from clusterdesk.registry.models import AnnualReport, Cluster
from clusterdesk.rounds.models import Round


def test_seed_scale_makes_every_county_round_status_version_evidence_and_registry_entry(jilin, capsys):
    call_command("seed_scale", applications=120, audit_per_application=3)

    seeded = Application.objects.filter(number__startswith="SCALE-")
    assert seeded.count() == 120
    counties = Org.objects.filter(kind__in=[k for k, v in KIND_LEVEL.items() if v == OrgLevel.COUNTY]).exclude(recommender=None)
    assert set(counties.values_list("pk", flat=True)) <= set(seeded.values_list("org_id", flat=True))
    assert Round.objects.filter(name__endswith="（规模测试）").count() >= 3
    assert set(seeded.values_list("status", flat=True)) == set(Status.values)
    assert set(seeded.values_list("national_status", flat=True)) == set(NationalStatus.values)
    assert ApplicationVersion.objects.count() == seeded.exclude(status=Status.DRAFT).count()
    assert AuditEvent.objects.filter(object_type="applications.application").count() == 120 * 3
    from clusterdesk.audit.chain import verify

    assert verify().ok  # seeded events are chained like any other (audit hash chain)
    evidence = EvidenceFile.objects.first()
    assert private_path(evidence.stored_name).read_bytes().startswith(b"%PDF")
    assert Cluster.objects.filter(application__in=seeded).count() == seeded.filter(status=Status.RECOGNIZED).count() > 0
    assert AnnualReport.objects.exists()
    assert "120 applications" in capsys.readouterr().out


def test_seed_scale_adds_to_an_earlier_seed(jilin):
    call_command("seed_scale", applications=5, audit_per_application=0)
    call_command("seed_scale", applications=7, audit_per_application=0)
    assert Application.objects.filter(number__startswith="SCALE-").count() == 12


def test_seed_scale_refuses_a_database_with_real_applications(draft):
    with pytest.raises(CommandError) as refused:
        call_command("seed_scale", applications=5, audit_per_application=1)
    assert "1 份真实申报" in str(refused.value) and "real application" in str(refused.value)
    assert not Application.objects.filter(number__startswith="SCALE-").exists()


PAGES = {
    "province": ["/", "/applications/", "/applications/?status=submitted", "/applications/?national=candidate",
                 "/reviews/rounds/{round}/overview/", "/registry/", "/registry/dashboard/", "/audit/",
                 "/api/v1/applications", "/api/v1/applications?status=recognized", "/api/v1/registry/clusters",
                 "/api/v1/registry/clusters?status=recognized"],
    "yanbian": ["/", "/reviews/", "/applications/", "/api/v1/applications", "/registry/"],
    "dunhua": ["/", "/applications/", "/api/v1/applications", "/registry/"],
    "expert": ["/", "/experts/"],
}


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _more_clusters(under, n: int) -> None:
    """``n`` registry entries in force at the seeded units (under ``under``, if given)."""
    from datetime import date

    from clusterdesk.registry.models import ClusterStatus, Level

    orgs = list(Org.objects.filter(pk__in=Application.objects.filter(number__startswith="SCALE-").values("org_id")))
    if under is not None:
        orgs = [o for o in orgs if o.path.startswith(under.path)]
    year = date.today().year
    Cluster.objects.bulk_create([
        Cluster(name=f"规模测试集群{i}", org=orgs[i % len(orgs)], level=Level.PROVINCIAL, status=ClusterStatus.RECOGNIZED,
                batch_year=year - 1, valid_from=date(year - 1, 12, 1), valid_until=date(year + 2, 11, 30))
        for i in range(n)])


def _assign(expert, by, n: int) -> None:
    """``n`` more assignments for ``expert`` among the seeded applications an expert may review."""
    from clusterdesk.experts.models import ExpertAssignment
    from clusterdesk.experts.scoping import REVIEWABLE

    free = (Application.objects.filter(number__startswith="SCALE-", status__in=REVIEWABLE)
            .exclude(org__path__startswith=expert.org.path).exclude(expert_assignments__expert=expert))
    ExpertAssignment.objects.bulk_create([
        ExpertAssignment(application=a, expert=expert, assigned_by=by) for a in free[:n]])


# Rows each role's lists hold in the second measurement: at least 50 on every list page and API
# list (a per-row query or a list built in Python shows as more queries).
LISTED_AT_LEAST = 50


@pytest.mark.parametrize("role", list(PAGES))
def test_list_pages_and_api_lists_cost_the_same_queries_at_14_rows_and_at_50_or_more(role, accounts, login):
    # 14 seeded applications hold every status of both tracks (so every panel and list has rows);
    # then 286 more, and 50 registry entries: every list the role sees holds 50 rows or more
    # (asserted below), and each page must cost exactly the queries it cost at 14.
    # A city or a county sees only its own: seed there, so that what it sees grows too.
    under = None if role in ("province", "expert") else accounts[role].org
    seed(applications=14, audit_per_application=2, under=under)
    if role == "expert":
        _assign(accounts["expert"], accounts["province"], 3)
    round_ = Round.objects.filter(name__endswith="（规模测试）").order_by("-year").first()
    urls = [u.format(round=round_.pk) for u in PAGES[role]]
    client = login(accounts[role])
    for url in urls:
        client.get(url)  # the session's first refresh and any first-visit work
    at_14 = {url: _queries(client, url) for url in urls}

    seed(applications=286, audit_per_application=2, under=under)
    _more_clusters(under, LISTED_AT_LEAST)
    if role == "expert":  # /experts/: the expert's assignments
        from clusterdesk.experts.scoping import assignments_for

        _assign(accounts["expert"], accounts["province"], LISTED_AT_LEAST)
        assert assignments_for(accounts["expert"]).count() >= LISTED_AT_LEAST
    assert Application.objects.count() == 300
    user = accounts[role]
    if role != "expert":
        assert Application.objects.visible_to(user).count() >= LISTED_AT_LEAST
        assert Cluster.objects.visible_to(user).count() >= LISTED_AT_LEAST
    if role == "province":
        assert Application.objects.filter(status=Status.SUBMITTED).count() >= LISTED_AT_LEAST
        assert AuditEvent.objects.count() >= LISTED_AT_LEAST
    if role == "yanbian":  # the city inbox: the open round's applications past the draft
        assert (Application.objects.visible_to(user).filter(round=round_).exclude(status=Status.DRAFT).count()
                >= LISTED_AT_LEAST)
    after = {url: _queries(client, url) for url in urls}
    assert after == at_14


def test_api_lists_paginate_in_the_database(accounts, login):
    seed(applications=70, audit_per_application=0)
    client = login(accounts["province"])
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/api/v1/applications").json()
    assert first["count"] == 70 and len(first["items"]) == 50
    listing = [q["sql"] for q in captured.captured_queries if 'FROM "applications_application"' in q["sql"]
               and "COUNT(" not in q["sql"]]
    assert len(listing) == 1 and "LIMIT 50" in listing[0]  # only the page's rows are read
    second = client.get("/api/v1/applications?page=2").json()
    assert len(second["items"]) == 20
    assert {a["id"] for a in first["items"]}.isdisjoint(a["id"] for a in second["items"])
    clusters = client.get("/api/v1/registry/clusters").json()
    assert clusters["count"] == Cluster.objects.count() == len(clusters["items"]) > 0


def test_city_inbox_reads_one_page_in_the_database_with_submitted_first(accounts, login):
    city = accounts["yanbian"]
    seed(applications=300, audit_per_application=0, under=city.org)
    round_ = Round.objects.filter(name__endswith="（规模测试）").order_by("-year").first()
    listed = Application.objects.visible_to(city).filter(round=round_).exclude(status=Status.DRAFT)
    assert listed.count() > 50
    client = login(city)
    client.get("/reviews/")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/reviews/").content.decode()
    rows = [q["sql"] for q in captured.captured_queries if 'FROM "applications_application"' in q["sql"]
            and "COUNT(" not in q["sql"] and '"status" = ' not in q["sql"].split("WHERE")[-1].split("ORDER")[0][-40:]]
    assert any("LIMIT 50" in sql for sql in rows)  # the table reads its page only
    table = page.split('data-testid="inbox"')[1].split("</table>")[0]
    assert table.count("<tr><td>") == 50
    first = listed.order_by("number").filter(status=Status.SUBMITTED).first()
    body = table.split("<tbody>")[1]
    assert first.number in body[:body.index("</tr>")]  # what waits for the city comes first
    waiting = listed.filter(status=Status.SUBMITTED).count()
    assert f'data-testid="waiting">{waiting}<' in page
    assert f"共 {listed.count()} 条" in page
    second = client.get("/reviews/?page=2").content.decode().split('data-testid="inbox"')[1].split("</table>")[0]
    assert second.count("<tr><td>") == min(50, listed.count() - 50)


def test_registry_dashboard_lists_50_rows_counts_all_and_aggregates_a_large_map(accounts, login):
    from datetime import timedelta

    from django.utils import timezone

    from clusterdesk.registry.models import ClusterStatus, Level
    from clusterdesk.registry.domain import add_months
    from clusterdesk.registry.views_registry import MAX_MAP_MARKERS

    seed(applications=20, audit_per_application=0)
    orgs = list(Org.objects.filter(pk__in=Application.objects.values("org_id")))
    today = timezone.localdate()
    Cluster.objects.bulk_create([
        Cluster(name=f"即将到期集群{i}", org=orgs[i % len(orgs)], level=Level.PROVINCIAL, status=ClusterStatus.RECOGNIZED,
                batch_year=today.year - 3, valid_from=today - timedelta(days=900), valid_until=today + timedelta(days=30 + i),
                created_at=timezone.now())
        for i in range(MAX_MAP_MARKERS + 10)])
    total = Cluster.objects.count()
    ending = Cluster.objects.filter(status=ClusterStatus.RECOGNIZED, valid_until__gte=today,
                                    valid_until__lte=add_months(today, 12)).count()
    assert ending > 50

    page = login(accounts["province"]).get("/registry/dashboard/").content.decode()

    assert f'data-testid="ending-count">{ending}<' in page
    table = page.split('data-testid="ending"')[1].split("</table>")[0]
    assert table.count("<tr><td>") == 50 and 'data-testid="ending-more"' in page
    svg = page[page.index("<svg"):page.index("</svg>")]
    counts = [int(n) for n in re.findall(r'<g class="marker" data-count="(\d+)"', svg)]
    assert 'data-cluster="' not in svg and sum(counts) == total and len(counts) < total
    assert f"共 {total} 个集群" in svg and "合并显示" in svg
