"""In Chromium at 1366×768: the province leader's home is the dashboard (pipeline table, map,
charts), and a recognised cluster's page charts its years and projects its output target."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.session import sign_in
from tests.registry.conftest import seeded, yanji  # noqa: F401  (the registry's fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reported(yanji):  # noqa: F811
    from clusterdesk.registry.models import AnnualReport, ReportStatus

    AnnualReport.objects.bulk_create([
        AnnualReport(cluster=yanji, year=year, due_on=date(year + 1, 3, 31), status=ReportStatus.SUBMITTED,
                     data={"indicators": [{"year": year, "total_output": out, "sme_output": sme, "leading_output": lead}]})
        for year, out, sme, lead in ((2025, "60", "45", "50"), (2026, "66", "50", "56"))])
    return yanji


def test_leader_home_shows_pipeline_map_and_charts(accounts, round_open, reported, criteria_sets, live_server, browser):
    context, page = sign_in(browser, live_server, "jl_leader")
    try:
        expect(page.get_by_test_id("home-title")).to_have_text("工作总览")
        pipeline = page.get_by_test_id("pipeline")
        expect(pipeline).to_be_visible()
        expect(pipeline.locator("tbody tr").first).to_contain_text("长春市")
        expect(page.get_by_test_id("registry-map")).to_be_visible()
        expect(page.get_by_test_id("briefing-link")).to_be_visible()
        spark = page.locator(f'figure.spark[data-cluster="{reported.pk}"]')
        spark.scroll_into_view_if_needed()
        expect(spark.locator("svg")).to_be_visible()
        expect(spark).to_contain_text("按目前增速，2028年目标80亿元将差0.1亿元")
        # the page fits the 1366 px screen: nothing scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        # printed: the buttons and the navigation go, the table, the map and the charts stay
        page.emulate_media(media="print")
        expect(page.get_by_test_id("briefing-link")).to_be_hidden()
        expect(pipeline).to_be_visible()
        expect(page.get_by_test_id("registry-map")).to_be_visible()
        expect(spark.locator("svg")).to_be_visible()
        page.emulate_media(media="screen")

        page.locator(f'figure.spark[data-cluster="{reported.pk}"] figcaption a').click()
        trends = page.get_by_test_id("cluster-trends")
        trends.scroll_into_view_if_needed()
        expect(trends.locator('svg[data-chart="集群产值"]')).to_be_visible()
        expect(trends.locator("svg.chart")).to_have_count(4)
        expect(page.get_by_test_id("projection")).to_have_text(
            "集群产值：按目前增速，2028年目标80亿元将差0.1亿元（按2026年比2025年增长10%推算，预计79.9亿元）。")
        expect(page.get_by_test_id("projection-formula")).to_contain_text("(1 + g)^(目标年份 − 最近年份)")
    finally:
        context.close()
