"""The form page and its autosave endpoint, the read-only views, submit and withdraw pages."""

import pytest

from clusterdesk.applications import domain
from clusterdesk.applications.models import Status
from tests.conftest import complete_body, make_uscc


def enterprise_post(n: int) -> dict:
    data = {}
    for i in range(n):
        data.update({
            f"quality_enterprises-{i}-name": f"企业{i}", f"quality_enterprises-{i}-uscc": make_uscc(i),
            f"quality_enterprises-{i}-qualifications": ["specialized", "high_tech"],
            f"quality_enterprises-{i}-year": "2023", f"quality_enterprises-{i}-in_leading_industry": "1",
        })
    return data


def autosave(client, app, key, data, version=None):
    payload = {**data}
    if version is not None:
        payload["_version"] = str(version)
    return client.post(f"/applications/{app.pk}/sections/{key}/", payload, HTTP_ACCEPT="application/json")


def test_autosave_saves_and_reports_progress(accounts, client, draft):
    client.force_login(accounts["dunhua"])

    response = autosave(client, draft, "basic", {"name": "敦化市医药产业集群", "niche": "中成药"}, version=0)

    body = response.json()
    assert response.status_code == 200 and body["ok"] and body["version"] == 1
    assert body["progress"]["sections"]["basic"] is False
    assert "基本情况：请填写主导产业" in body["progress"]["missing"]
    assert domain.load_data(draft)["name"] == "敦化市医药产业集群"


def test_autosave_indicators_returns_computed_shares(accounts, client, draft):
    client.force_login(accounts["dunhua"])
    data = {"indicators-2024-total_output": "50", "indicators-2024-sme_output": "38.5", "indicators-2024-leading_output": "36"}

    body = autosave(client, draft, "indicators", data, version=0).json()

    assert body["computed"]["years"]["2024"] == {"sme_share": "77.0%", "leading_share": "72.0%"}


def test_autosave_errors_name_the_input(accounts, client, draft):
    client.force_login(accounts["dunhua"])
    data = {"indicators-2024-total_output": "40", "indicators-2024-sme_output": "41"}

    response = autosave(client, draft, "indicators", data, version=0)

    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "field": "indicators.2024.sme_output", "input": "indicators-2024-sme_output",
        "message": "2024年中小企业产值（41亿元）不能大于集群产值（40亿元），请核对"}]


def test_autosave_stale_version_is_conflict(accounts, client, draft):
    client.force_login(accounts["dunhua"])
    autosave(client, draft, "basic", {"name": "甲"}, version=0)

    response = autosave(client, draft, "basic", {"name": "乙"}, version=0)

    assert response.status_code == 409 and response.json()["conflict"]
    assert domain.load_data(draft)["name"] == "甲"


def test_plain_post_without_js_redirects_back(accounts, client, draft):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/sections/declaration/", {"negative_list_clear": "yes", "_version": "0"})

    assert response.status_code == 302 and response.url.endswith("#declaration")
    assert domain.load_data(draft)["negative_list_clear"] is True


def test_enterprise_rows_from_form(accounts, client, draft):
    client.force_login(accounts["dunhua"])

    autosave(client, draft, "enterprises", enterprise_post(2), version=0)

    rows = domain.load_data(draft)["quality_enterprises"]
    assert [r["qualifications"] for r in rows] == [["specialized", "high_tech"]] * 2
    assert rows[1]["in_leading_industry"] is True


@pytest.mark.parametrize("count", [1, 50])
def test_save_section_bounded_queries(accounts, client, draft, count, django_assert_max_num_queries):
    client.force_login(accounts["dunhua"])
    with django_assert_max_num_queries(30):
        response = autosave(client, draft, "enterprises", enterprise_post(count), version=0)
    assert response.status_code == 200


def test_save_section_same_queries_for_1_and_50(accounts, client, draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(accounts["dunhua"])
    with CaptureQueriesContext(connection) as one:
        autosave(client, draft, "enterprises", enterprise_post(1), version=0)
    with CaptureQueriesContext(connection) as fifty:
        autosave(client, draft, "enterprises", enterprise_post(50), version=1)

    assert len(one) == len(fifty)


def test_form_page_same_queries_for_1_and_50(accounts, client, draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(accounts["dunhua"])
    counts = []
    for n in (1, 50):
        domain.save_fields(actor=accounts["dunhua"], application=draft,
                           data={"quality_enterprises": complete_body(n)["quality_enterprises"]})
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/applications/{draft.pk}/edit/").status_code == 200
        counts.append(len(ctx))

    assert counts[0] == counts[1]


def test_form_page_shows_saved_values_after_reload(accounts, client, filled):
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{filled.pk}/edit/").content.decode()

    assert 'value="敦化市医药产业集群"' in body
    assert 'value="91222403MA00000018"' in body
    assert "第5方面的发展情况说明" in body
    assert "80.0%" in body  # 2024: 45 / 56


def test_form_page_of_other_county_is_404(accounts, client, draft):
    client.force_login(accounts["yanji"])

    assert client.get(f"/applications/{draft.pk}/edit/").status_code == 404
    assert client.get(f"/applications/{draft.pk}/").status_code == 404
    assert client.post(f"/applications/{draft.pk}/sections/basic/", {"name": "x"}).status_code == 404


def test_detail_lists_missing_and_disables_submit(accounts, client, filled):
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{filled.pk}/").content.decode()

    assert "还不能提交，缺少以下 5 项" in body
    assert "佐证材料：请上传“信用承诺书（负面清单）”" in body
    assert 'data-testid="submit" disabled' in body


def test_submit_and_withdraw_pages(accounts, client, ready):
    client.force_login(accounts["dunhua"])

    submitted = client.post(f"/applications/{ready.pk}/submit/", follow=True).content.decode()
    double = client.post(f"/applications/{ready.pk}/submit/", follow=True).content.decode()
    edit_redirect = client.get(f"/applications/{ready.pk}/edit/")
    withdrawn = client.post(f"/applications/{ready.pk}/withdraw/", follow=True).content.decode()

    assert "已提交市（州）审核（第 1 版" in submitted
    assert "第 1 版" in double and ready.versions.count() == 1
    assert edit_redirect.status_code == 302
    assert "已撤回" in withdrawn
    ready.refresh_from_db()
    assert ready.status == Status.DRAFT


def test_version_page_is_read_only_snapshot(accounts, client, ready):
    version = domain.submit(actor=accounts["dunhua"], application=ready)
    client.force_login(accounts["yanbian"])

    body = client.get(f"/applications/{ready.pk}/versions/1/").content.decode()

    assert version.digest in body
    assert "<input" not in body.split("<main")[1]
    assert "敦化市医药产业集群" in body


def test_list_shows_new_button_and_countdown(accounts, client, round_open):
    client.force_login(accounts["dunhua"])

    body = client.get("/applications/").content.decode()

    assert "新建申报" in body and "还剩 30 天" in body


def test_new_application_asks_which_round_when_two_are_open(accounts, client, round_open):
    """Issue 15 §10: with two rounds open, 新建申报 asks for the round (one button, a required choice)."""
    from datetime import timedelta

    from django.utils import timezone

    from clusterdesk.applications.models import Application
    from clusterdesk.rounds.domain import create_round

    today = timezone.localdate()
    second = create_round(actor=accounts["province"], name="2026年度补充申报", year=2026, status="open",
                          deadlines={"county_submission": today + timedelta(days=20),
                                     "name_list": today + timedelta(days=40),
                                     "formal_submission": today + timedelta(days=60),
                                     "national_recommendation": today + timedelta(days=90)})
    client.force_login(accounts["dunhua"])

    body = client.get("/applications/").content.decode()

    assert body.count('data-testid="new-application"') == 1 and body.count(">新建申报</button>") == 1
    assert '<select id="new-round" name="round" required>' in body and '<option value="">请选择申报批次</option>' in body
    assert f'<option value="{second.pk}">2026年度补充申报（县级申报截止：' in body
    assert f'<option value="{round_open.pk}">2025年度' in body

    refused = client.post("/applications/new/", {"round": ""}, follow=True)
    assert "申报批次：请先选择本次申报的批次" in refused.content.decode() and not Application.objects.exists()
    created = client.post("/applications/new/", {"round": second.pk})
    assert created.status_code == 302 and Application.objects.get().round == second


def test_create_from_list(accounts, client, round_open):
    client.force_login(accounts["dunhua"])

    response = client.post("/applications/new/", {"round": round_open.pk})

    assert response.status_code == 302 and response.url.endswith("/edit/")
