"""发起复核: the province starts a year's re-review with its own deadline (page, API, domain)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clusterdesk.core.errors import DomainError, NotAllowed
from clusterdesk.rereview import domain as rr
from clusterdesk.rereview.models import RereviewTask
from clusterdesk.rounds.models import Round
from tests.rereview.test_rereview import dunhua_cluster, make_rereview_round  # noqa: F401  (fixtures)


def test_start_creates_the_round_with_its_deadline_and_opens_the_tasks(accounts, dunhua_cluster):  # noqa: F811
    deadline = timezone.localdate() + timedelta(days=30)
    round_, created = rr.start_round(actor=accounts["province"], year=2025, deadline=deadline.isoformat())
    assert round_.name == "2025年度中小企业特色产业集群复核" and round_.status == "open"
    assert round_.stages.get(code="rereview_submission").deadline == deadline
    assert [t.cluster.name for t in created] == ["敦化市医药产业集群"]
    # again, with another deadline: the same round, the deadline moved, no second task
    later = deadline + timedelta(days=5)
    again, created = rr.start_round(actor=accounts["province"], year="2025", deadline=later)
    assert again.pk == round_.pk and created == []
    assert again.stages.get(code="rereview_submission").deadline == later
    assert Round.objects.filter(year=2025).count() == 1 and RereviewTask.objects.count() == 1


def test_start_refusals_name_the_page_fields(accounts, dunhua_cluster):  # noqa: F811
    with pytest.raises(NotAllowed):
        rr.start_round(actor=accounts["yanbian"], year=2025, deadline=timezone.localdate().isoformat())
    with pytest.raises(DomainError) as exc:
        rr.start_round(actor=accounts["province"], year="二〇二五", deadline=timezone.localdate().isoformat())
    assert exc.value.field == "year"
    with pytest.raises(DomainError) as exc:
        rr.start_round(actor=accounts["province"], year=2025, deadline="")
    assert exc.value.field == "rereview_deadline" and "复核申报截止日期" in exc.value.message
    with pytest.raises(DomainError) as exc:
        rr.start_round(actor=accounts["province"], year=2025, deadline=(timezone.localdate() - timedelta(days=1)))
    assert exc.value.field == "rereview_deadline" and "不能早于今天" in exc.value.message
    assert not Round.objects.exists() and not RereviewTask.objects.exists()  # nothing half-done


def test_opening_a_round_without_the_stage_names_a_field_that_exists(accounts, round_open):
    with pytest.raises(DomainError) as exc:
        rr.open_rereview(actor=accounts["province"], round_=round_open)
    assert exc.value.field == "rereview_deadline"  # the 发起复核 page's field, not a missing round setting
    assert "发起复核" in exc.value.message and "批次设置" not in exc.value.message


def test_start_page_for_the_province_admin_only(client, accounts, dunhua_cluster):  # noqa: F811
    client.force_login(accounts["yanbian"])
    assert client.get("/registry/rereview/start/").status_code == 404
    client.force_login(accounts["province"])
    page = client.get("/registry/rereview/start/?year=2025").content.decode()
    assert "敦化市医药产业集群" in page and "工业和信息化部（省厅初审后报部）" in page
    response = client.post("/registry/rereview/start/", {"year": "2025", "rereview_deadline": ""})
    assert response.status_code == 200 and "请填写复核申报截止日期" in response.content.decode()
    deadline = (timezone.localdate() + timedelta(days=20)).isoformat()
    response = client.post("/registry/rereview/start/", {"year": "2025", "rereview_deadline": deadline})
    round_ = Round.objects.get(year=2025)
    assert response.status_code == 302 and response["Location"] == f"/registry/rereview/rounds/{round_.pk}/"
    assert RereviewTask.objects.filter(round=round_).count() == 1


def test_the_province_admin_nav_has_the_start_entry(client, accounts):
    client.force_login(accounts["province"])
    page = client.get("/").content.decode()
    assert 'href="/registry/rereview/start/"' in page and "发起复核" in page
    client.force_login(accounts["yanbian"])
    assert 'href="/registry/rereview/start/"' not in client.get("/").content.decode()


def test_api_start(client, accounts, dunhua_cluster, api_token):  # noqa: F811
    deadline = (timezone.localdate() + timedelta(days=20)).isoformat()
    response = client.post("/api/v1/registry/rereview/start", {"year": 2025, "rereview_deadline": deadline},
                           content_type="application/json", **api_token(accounts["province"]))
    assert response.status_code == 200, response.content
    assert [t["cluster"]["name"] for t in response.json()["created"]] == ["敦化市医药产业集群"]
    response = client.post("/api/v1/registry/rereview/start", {"year": 2025, "rereview_deadline": deadline},
                           content_type="application/json", **api_token(accounts["yanbian"]))
    assert response.status_code == 403


def test_start_refusal_is_shown_beside_the_field_that_caused_it(client, accounts, dunhua_cluster):  # noqa: F811
    client.force_login(accounts["province"])
    page = client.post("/registry/rereview/start/", {"year": "2025", "rereview_deadline": ""}).content.decode()
    field = page.index('id="rereview_deadline"')
    error = page.index(' id="error-rereview_deadline"')
    assert field < error < page.index('data-testid="start-rereview"'), "under the deadline input"
    assert 'data-error-for="rereview_deadline"' in page and "请填写复核申报截止日期" in page[error:]
    assert ' id="error-year"' not in page and 'value="2025"' in page  # the year typed is kept
    page = client.post("/registry/rereview/start/", {"year": "二〇二五", "rereview_deadline": "2099-10-31"}).content.decode()
    year_error = page.index(' id="error-year"')
    assert page.index('id="year"') < year_error < page.index('id="rereview_deadline"'), "under the year input"
    assert "四位年份" in page[year_error:] and 'value="2099-10-31"' in page
    assert not Round.objects.exists()


def test_home_leads_to_the_rereview(client, accounts, dunhua_cluster):  # noqa: F811
    client.force_login(accounts["province"])
    home = client.get("/").content.decode()
    panel = home[home.index("<h2>集群复核</h2>"):]
    assert 'href="/registry/rereview/start/"' in panel[:panel.index("</section>")]
    assert 'href="/registry/rereview/"' in panel[:panel.index("</section>")]
    client.force_login(accounts["leader"])
    assert "<h2>集群复核</h2>" in client.get("/").content.decode()
    client.force_login(accounts["yanbian"])
    assert "<h2>集群复核</h2>" not in client.get("/").content.decode()  # no task yet: nothing to do here
    rr.start_round(actor=accounts["province"], year=2025, deadline=timezone.localdate() + timedelta(days=20))
    home = client.get("/").content.decode()
    panel = home[home.index("<h2>集群复核</h2>"):]
    assert 'href="/registry/rereview/"' in panel[:panel.index("</section>")] and "全部复核任务" in panel
