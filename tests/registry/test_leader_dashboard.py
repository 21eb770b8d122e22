"""The leader's dashboard (工作总览) and a cluster's year-over-year charts (issue 15 items 14–15)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clusterdesk.applications.models import Application, ApplicationVersion, Status
from clusterdesk.registry import domain as registry
from clusterdesk.registry.leader import heat
from clusterdesk.registry.models import AnnualReport, Cluster, ClusterStatus, Level, ReportStatus


def bulk_applications(round_, accounts, jilin, spec: dict[str, dict[str, int]]) -> list[Application]:
    """Applications of ``round_`` straight in the table: {county code: {status: how many}}."""
    rows, n = [], Application.objects.count()
    for code, by_status in spec.items():
        for status, count in by_status.items():
            for _ in range(count):
                n += 1
                rows.append(Application(round=round_, org=jilin[code], number=f"2025-{code}-{n:03d}",
                                        name=f"测试申报{n}", status=status, created_by=accounts["province"]))
    return Application.objects.bulk_create(rows)


def pipeline(page: str) -> dict[str, list[str]]:
    table = page.split('data-testid="pipeline"')[1].split("</table>")[0]
    rows = {}
    for unit, cells in re.findall(r'<tr data-unit="(\w+)"><th scope="row"[^>]*>[^<]+</th>(.*?)</tr>', table, re.S):
        rows[unit] = re.findall(r'<td class="num heat-(\d)[^"]*">(\d+)</td>', cells)
    return rows


def test_pipeline_table_counts_by_unit_and_stage(accounts, jilin, round_open, login):
    # 延边: 延吉 2 drafts + 1 submitted, 敦化 2 recommended + 1 city-rejected; 通化: 通化县 4 submitted
    bulk_applications(round_open, accounts, jilin, {
        "222401": {Status.DRAFT: 2, Status.SUBMITTED: 1},
        "222403": {Status.RECOMMENDED: 2, Status.CITY_REJECTED: 1},
        "220521": {Status.SUBMITTED: 4},
    })
    page = login(accounts["leader"]).get("/").content.decode()
    rows = pipeline(page)
    head = page.split('data-testid="pipeline"')[1].split("</thead>")[0]
    columns = re.findall(r'<th class="num">([^<]+)</th>', head)
    assert columns[:3] == ["填报中", "待市州审核", "市州推荐"] and columns[-2:] == ["已终止", "合计"]
    counts = {unit: [int(n) for _, n in cells] for unit, cells in rows.items()}
    assert counts["222400"] == [2, 1, 2, 0, 0, 0, 1]
    assert counts["220500"] == [0, 4, 0, 0, 0, 0, 0]
    assert counts["220100"] == [0] * 7
    # heat: the largest count (4) is the darkest; an empty cell has none
    heats = {unit: [int(h) for h, _ in cells] for unit, cells in rows.items()}
    assert heats["220500"][1] == 5 and heats["222400"][:3] == [3, 2, 3] and heats["220100"] == [0] * 7
    total = page.split('class="total-row"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', total) == ["2", "5", "2", "0", "0", "0", "1", "10"]


def test_heat_scale():
    assert [heat(n, 10) for n in (0, 1, 2, 5, 9, 10)] == [0, 1, 1, 3, 5, 5]
    assert heat(3, 0) == 0


def test_leader_home_is_the_dashboard_with_map_charts_and_briefing(accounts, seeded, round_open, login):
    client = login(accounts["leader"])
    page = client.get("/").content.decode()
    assert 'data-testid="home-title">工作总览<' in page
    assert 'data-testid="pipeline"' in page
    svg = page[page.index('data-testid="registry-map"'):]
    svg = svg[:svg.index("</svg>")]
    # the map: the recognised provincial and national clusters (not the expired one)
    markers = re.findall(r'<g class="marker" data-cluster="(\d+)" data-level="(\w+)"', svg)
    valid = [c for c in seeded.values() if c.status == ClusterStatus.RECOGNIZED]
    assert sorted(int(pk) for pk, _ in markers) == sorted(c.pk for c in valid)
    assert {level for _, level in markers} == {"national", "provincial"}
    # one chart per recognised cluster, drawn here as SVG
    sparks = page.split('data-testid="cluster-sparks"')[1]
    assert sorted(map(int, re.findall(r'<figure class="spark" data-cluster="(\d+)"', sparks))) == sorted(c.pk for c in valid)
    assert sparks.count('<svg xmlns="http://www.w3.org/2000/svg"') == len(valid)
    # the briefing, one click away, and it is the leader's PDF
    url = re.search(r'href="([^"]+)" data-testid="briefing-link"', page).group(1)
    assert url == f"/documents/rounds/{round_open.pk}/briefing.pdf" or url.endswith(f"/{round_open.pk}/briefing.pdf")
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_dashboard_is_for_the_province_only(accounts, seeded, round_open, login):
    assert login(accounts["province"]).get("/registry/overview/").status_code == 200
    assert 'href="/registry/overview/"' in login(accounts["province"]).get("/").content.decode()
    assert login(accounts["sysadmin"]).get("/registry/overview/").status_code == 200
    for who in ("yanji", "yanbian", "expert"):
        response = login(accounts[who]).get("/registry/overview/")
        assert response.status_code == 403, who
        assert "工作总览仅供省厅" in response.content.decode()
    # a county's home stays its panels
    page = login(accounts["yanji"]).get("/").content.decode()
    assert 'data-testid="pipeline"' not in page and "工作总览" not in page


def test_overdue_lists_reports_and_rereviews(accounts, seeded, round_open, login):
    from clusterdesk.rereview.service import RereviewStatus, RereviewTask
    from clusterdesk.rounds.domain import create_round

    from .conftest import at

    yanji, dunhua = seeded["延边州延吉市人参大健康产业集群"], seeded["敦化市医药产业集群"]
    rereview_round = create_round(actor=accounts["province"], name="2026年集群复核", year=2026, status="open",
                                  deadlines={"rereview_submission": timezone.localdate() + timedelta(days=10)})
    RereviewTask.objects.create(round=rereview_round, cluster=yanji, org=yanji.org, status=RereviewStatus.DRAFT)
    RereviewTask.objects.create(round=rereview_round, cluster=dunhua, org=dunhua.org, status=RereviewStatus.MISSED)
    client = login(accounts["leader"])
    page = client.get("/").content.decode()
    items = page.split('data-testid="overdue-items"')[1].split("</ul>")[0]
    assert "推荐名单未报送" not in items and "复核申报已过截止时间" not in items  # nothing due yet
    assert f"{dunhua.name}复核申报逾期未提交" in items  # marked missed
    with time_machine.travel(at(2027, 5, 15, 10), tick=False):
        page = login(accounts["leader"]).get("/").content.decode()  # a new session: the old one idled out
    items = page.split('data-testid="overdue-items"')[1].split("</ul>")[0]
    # the lists: name list (due in 40 days) and formal submission (60 days) not sent by any unit
    assert "延边朝鲜族自治州推荐名单未报送" in items and "长春市正式推荐未报送" in items
    # the annual reports for 2026, due 2027-03-31, not submitted
    assert f"{yanji.name} 2026年度报告逾期（2027-03-31截止，未填报）" in items
    # the re-review draft after its deadline
    assert f"{yanji.name}复核申报已过截止时间" in items


def make_world(jilin, accounts, round_, n: int) -> None:
    """n recognised clusters, each from an application with a submitted version and a report."""
    orgs = [o for o in jilin.values() if o.kind in ("county", "county_city", "district")]
    start = Application.objects.count()
    apps = Application.objects.bulk_create([
        Application(round=round_, org=orgs[i % len(orgs)], number=f"2025-Q-{start + i:04d}", name=f"集群{start + i}",
                    status=[Status.SUBMITTED, Status.RECOGNIZED, Status.DRAFT][i % 3], current_version=1,
                    created_by=accounts["province"]) for i in range(n)])
    rows = [{"year": 2022, "total_output": "40", "sme_output": "30", "leading_output": "32"},
            {"year": 2023, "total_output": "45", "sme_output": "33", "leading_output": "36"},
            {"year": 2024, "total_output": "50", "sme_output": "36", "leading_output": "40"}]
    ApplicationVersion.objects.bulk_create([
        ApplicationVersion(application=a, number=1, submitted_at=timezone.now(), submitted_by=accounts["yanji"],
                           data={"indicators": rows},
                           evidence=[], digest="0" * 64) for a in apps])
    valid_from, valid_until = registry.validity(2025)
    clusters = Cluster.objects.bulk_create([
        Cluster(name=a.name, org=a.org, level=Level.PROVINCIAL, status=ClusterStatus.RECOGNIZED, batch_year=2025,
                valid_from=valid_from, valid_until=valid_until, application=a,
                plan_targets=[{"name": "集群产值", "unit": "亿元", "target": "80", "year": 2027}]) for a in apps])
    AnnualReport.objects.bulk_create([
        AnnualReport(cluster=c, year=2025, due_on=date(2026, 4, 30), status=ReportStatus.SUBMITTED,
                     data={"indicators": [{"year": 2025, "total_output": "56", "sme_output": "40",
                                           "leading_output": "45"}]}) for c in clusters])


@pytest.mark.parametrize("url", ["/", "/registry/overview/"])
def test_dashboard_query_count_does_not_grow(accounts, jilin, round_open, login, url):
    client = login(accounts["leader"] if url == "/" else accounts["province"])
    make_world(jilin, accounts, round_open, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    make_world(jilin, accounts, round_open, 45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url)
    assert response.status_code == 200
    assert Cluster.objects.count() == 50 and Application.objects.count() == 50
    assert response.content.decode().count('<figure class="spark"') == 50
    assert len(fifty) == len(five), [q["sql"] for q in fifty.captured_queries]


def test_cluster_page_charts_the_years_and_projects_the_target(accounts, yanji, criteria_sets, login):
    AnnualReport.objects.bulk_create([
        AnnualReport(cluster=yanji, year=year, due_on=date(year + 1, 4, 30), status=ReportStatus.SUBMITTED,
                     data={"indicators": [{"year": year, "total_output": out, "sme_output": sme,
                                           "leading_output": lead}]})
        for year, out, sme, lead in ((2025, "60", "45", "50"), (2026, "66", "50", "56"))])
    page = login(accounts["province"]).get(f"/registry/{yanji.pk}/").content.decode()
    trends = page.split('data-testid="cluster-trends"')[1].split("</section>")[0]
    charts = re.findall(r'data-chart="([^"]+)"', trends)
    assert charts == ["集群产值", "中小企业产值占比", "主导产业产值占比", "产值同比增速"]
    output = trends.split('data-chart="集群产值"')[1].split("</svg>")[0]
    assert re.findall(r'data-year="(\d+)" data-value="([^"]+)"', output) == [("2025", "60"), ("2026", "66")]
    assert '<g class="target" data-value="80">' in output  # the plan target 集群产值 80亿元 by 2028
    assert '<g class="threshold" data-value="20">' in output  # jilin-provincial-2024: 20亿元 each year
    sme = trends.split('data-chart="中小企业产值占比"')[1].split("</svg>")[0]
    assert 'data-value="75%"' in sme and '<g class="threshold" data-value="60%">' in sme
    growth = trends.split('data-chart="产值同比增速"')[1].split("</svg>")[0]
    assert re.findall(r'data-year="(\d+)" data-value="([^"]+)"', growth) == [("2026", "10%")]
    # 66 × 1.1² = 79.86 → 79.9: the 2028 target of 80 is missed by 0.1
    projection = re.search(r'data-testid="projection">([^<]+)<', trends).group(1)
    assert projection == "集群产值：按目前增速，2028年目标80亿元将差0.1亿元（按2026年比2025年增长10%推算，预计79.9亿元）。"
    assert "(1 + g)^(目标年份 − 最近年份)" in trends


def test_cluster_page_without_figures_says_no_data(accounts, seeded, login):
    cluster = seeded["敦化市医药产业集群"]
    page = login(accounts["province"]).get(f"/registry/{cluster.pk}/").content.decode()
    trends = page.split('data-testid="cluster-trends"')[1].split("</section>")[0]
    assert trends.count("暂无数据") == 4


def test_trend_reads_application_reports_and_rereview_latest_source_wins(accounts, jilin, round_open, criteria_sets):
    from clusterdesk.registry.trends import cluster_trends
    from clusterdesk.rereview.service import RereviewStatus, RereviewTask

    make_world(jilin, accounts, round_open, 1)
    cluster = Cluster.objects.select_related("org").get()
    # the re-review restates 2024 and 2025 and adds 2026; a draft re-review is not read
    RereviewTask.objects.create(round=round_open, cluster=cluster, org=cluster.org, status=RereviewStatus.SUBMITTED,
                                data={"indicators": [{"year": 2025, "total_output": "57"},
                                                     {"year": 2026, "total_output": "63", "sme_output": "45"}]})
    from clusterdesk.rounds.domain import create_round

    later = create_round(actor=accounts["province"], name="2027年集群复核", year=2027, status="open",
                         deadlines={"rereview_submission": timezone.localdate() + timedelta(days=10)})
    RereviewTask.objects.create(round=later, cluster=cluster, org=cluster.org, status=RereviewStatus.DRAFT,
                                data={"indicators": [{"year": 2026, "total_output": "999"}]})
    trend = cluster_trends([cluster])[cluster.pk]
    assert [(y, str(v)) for y, v in trend.series("total_output")] == [
        (2022, "40"), (2023, "45"), (2024, "50"), (2025, "57"), (2026, "63")]
    assert {y: r["source"] for y, r in trend.years.items()} == {2022: "申报", 2023: "申报", 2024: "申报", 2025: "复核", 2026: "复核"}
    assert [(y, f"{v:.4f}") for y, v in trend.series("sme_share")][-1] == (2026, "0.7143")
    assert trend.thresholds["total_output"][1] == 20  # the provincial set the round names (jilin-provincial-2024 v1)
    # 63 / 57 − 1 per year, carried to the 2027 target of 80: 63 × 63/57 = 69.6
    assert (trend.projection.projected, trend.projection.gap) == (Decimal("69.6"), Decimal("10.4"))
