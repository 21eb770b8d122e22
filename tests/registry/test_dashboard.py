"""The province's dashboard and schematic map, the registry list, the pool, scoping."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clusterdesk.core.errors import Conflict, NotAllowed
from clusterdesk.registry import domain as registry
from clusterdesk.registry.models import Cluster, ClusterStatus, Level
from clusterdesk.registry.views_registry import convex_hull


def external_urls(svg: str) -> list[str]:
    """Every URL in the SVG except the SVG namespace itself."""
    text = svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    found = re.findall(r"(?:https?:)?//[^\s\"'<>)]+", text)
    found += [v for v in re.findall(r'(?:href|src)\s*=\s*"([^"]*)"', text) if not v.startswith(("/", "#"))]
    found += re.findall(r"url\(\s*['\"]?(?!#)[^)]*\)", text)
    return found


def test_dashboard_map_has_a_marker_per_cluster_and_no_external_url(accounts, seeded, login):
    client = login(accounts["province"])
    response = client.get("/registry/dashboard/")
    page = response.content.decode()
    svg = page[page.index("<svg"):page.index("</svg>") + 6]

    markers = re.findall(r'<g class="marker" data-cluster="(\d+)"', svg)
    assert sorted(map(int, markers)) == sorted(c.pk for c in seeded.values())
    assert "示意图" in svg and "不表示行政区域界线" in svg
    assert external_urls(svg) == []
    assert 'data-level="national"' in svg and 'data-level="provincial"' in svg
    assert "位置按上级单位坐标示意" in svg  # 长春新区 has no coordinates: placed at 长春市

    standalone = client.get("/registry/dashboard/map.svg")
    assert standalone["Content-Type"].startswith("image/svg+xml")
    body = standalone.content.decode()
    assert body.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in body
    assert len(re.findall(r'<g class="marker"', body)) == 6
    assert external_urls(body) == []


def test_dashboard_counts_by_level_city_and_status(accounts, seeded, login):
    registry.add_to_pool(actor=accounts["yanbian"], org=seeded["延边州延吉市人参大健康产业集群"].org,
                         name="延吉市食品产业集群", note="培育")
    page = login(accounts["province"]).get("/registry/dashboard/").content.decode()
    by_city = page.split('data-testid="by-city"')[1].split("</table>")[0]
    assert re.search(r"延边朝鲜族自治州</a></td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">1</td>", by_city)
    assert re.search(r"辽源市</a></td><td class=\"num\">0</td><td class=\"num\">2</td>", by_city)
    assert ">7</td></tr></tbody>" in page.split('data-testid="by-status"')[1]


def test_dashboard_lists_validity_ending_within_12_months(accounts, seeded, login):
    import time_machine

    from .conftest import at

    with time_machine.travel(at(2025, 3, 1, 9), tick=False):
        page = login(accounts["province"]).get("/registry/dashboard/").content.decode()
    ending = page.split('data-testid="ending"')[1].split("</table>")[0]
    assert "敦化市医药产业集群" in ending and "2025-12-31" in ending
    assert "人参" not in ending


def test_dashboard_is_for_the_province(accounts, seeded, login):
    assert login(accounts["yanbian"]).get("/registry/dashboard/").status_code == 403
    assert login(accounts["yanji"]).get("/registry/dashboard/map.svg").status_code == 403
    assert login(accounts["leader"]).get("/registry/dashboard/").status_code == 200


def make_clusters(jilin, n: int) -> None:
    orgs = [o for o in jilin.values() if o.kind in ("county", "county_city", "district")]
    Cluster.objects.bulk_create([
        Cluster(name=f"测试集群{i}", org=orgs[i % len(orgs)], level=Level.PROVINCIAL, status=ClusterStatus.RECOGNIZED,
                batch_year=2025, valid_from=registry.validity(2025)[0], valid_until=registry.validity(2025)[1])
        for i in range(n)
    ])


@pytest.mark.parametrize("url", ["/registry/", "/registry/dashboard/", "/api/v1/registry/clusters"])
def test_query_count_does_not_grow_with_the_number_of_clusters(accounts, jilin, login, url):
    client = login(accounts["province"])
    make_clusters(jilin, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    make_clusters(jilin, 29)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url)
    assert response.status_code == 200
    assert Cluster.objects.count() == 30
    assert len(thirty) == len(one), [q["sql"] for q in thirty.captured_queries]


def test_list_is_scoped_and_filtered(accounts, seeded, login):
    page = login(accounts["yanbian"]).get("/registry/").content.decode()
    assert "敦化市医药产业集群" in page and "延边州延吉市人参大健康产业集群" in page
    assert "辽源市龙山区医药产业集群" not in page
    page = login(accounts["yanji"]).get("/registry/").content.decode()
    assert "延边州延吉市人参大健康产业集群" in page and "敦化市医药产业集群" not in page
    page = login(accounts["province"]).get("/registry/?level=national").content.decode()
    assert "敦化市医药产业集群" in page and "辽源市龙山区医药产业集群" not in page
    page = login(accounts["province"]).get("/registry/?city=220400").content.decode()
    assert page.count('data-cluster="') == 2


def test_api_list_scoped_and_filtered(accounts, seeded, api_token, client):
    rows = client.get("/api/v1/registry/clusters?status=recognized", **api_token(accounts["yanbian"])).json()["items"]
    assert sorted(r["org_code"] for r in rows) == ["222401", "222403"]
    rows = client.get("/api/v1/registry/clusters?level=provincial&city=220400", **api_token(accounts["province"])).json()["items"]
    assert [r["name"] for r in rows] == ["辽源市龙山区医药产业集群", "辽源市龙山区高精铝轨道客车产业集群"] or len(rows) == 2
    bad = client.get("/api/v1/registry/clusters?level=city", **api_token(accounts["province"]))
    assert bad.status_code == 400 and bad.json()["field"] == "level"
    dunhua = seeded["敦化市医药产业集群"]
    assert client.get(f"/api/v1/registry/clusters/{dunhua.pk}", **api_token(accounts["yanji"])).status_code == 404


def test_cultivation_pool_by_the_city(accounts, jilin, login):
    with pytest.raises(NotAllowed):
        registry.add_to_pool(actor=accounts["yanji"], org=jilin["222401"], name="某集群")
    with pytest.raises(NotAllowed, match="不在您的管理范围内"):
        registry.add_to_pool(actor=accounts["yanbian"], org=jilin["220521"], name="某集群")
    client = login(accounts["yanbian"])
    response = client.post("/registry/pool/", {"org": "222401", "name": "", "note": ""})
    assert response.status_code == 400 and "请填写集群名称" in response.content.decode()
    response = client.post("/registry/pool/", {"org": "222401", "name": "延吉市食品产业集群", "note": "重点培育"})
    assert response.status_code == 302
    cluster = Cluster.objects.get()
    assert (cluster.level, cluster.status) == (Level.POOL, ClusterStatus.POOL)
    with pytest.raises(Conflict):
        registry.add_to_pool(actor=accounts["yanbian"], org=jilin["222401"], name="延吉市食品产业集群")
    assert "延吉市食品产业集群" in client.get("/registry/pool/").content.decode()
    assert "延吉市食品产业集群" not in login(accounts["tonghua"]).get("/registry/pool/").content.decode()


def test_nav_and_home_panels(accounts, seeded, login):
    page = login(accounts["province"]).get("/").content.decode()
    assert 'href="/registry/"' in page and "集群名录" in page
    assert "年度报告逾期未报" in page
    assert 'href="/registry/"' not in login(accounts["expert"]).get("/").content.decode()


def test_convex_hull():
    points = [(0, 0), (2, 0), (1, 1), (2, 2), (0, 2), (1, 0.5)]
    assert sorted(convex_hull(points)) == [(0, 0), (0, 2), (2, 0), (2, 2)]
