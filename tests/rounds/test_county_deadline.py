"""Stage 0 (county → city): each city sets its counties' deadline and grants them extensions."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from clusterdesk.applications import domain as apps
from clusterdesk.applications.models import Application, Status
from clusterdesk.audit.models import AuditEvent
from clusterdesk.rounds import domain
from clusterdesk.rounds.models import StageCode, UnitDeadline, end_of_day
from tests.conftest import complete_body


@pytest.fixture
def prepare(accounts, round_open, upload_required):
    """A complete, not yet submitted application of ``applicant`` (real domain calls)."""

    def make(applicant: str, name: str) -> Application:
        user = accounts[applicant]
        app = apps.create_application(actor=user, round_=round_open)
        apps.save_fields(actor=user, application=app, data={**complete_body(), "name": name})
        upload_required(app, user)
        return app

    return make


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def county_deadline(client, round_, body, headers):
    return post(client, f"/api/v1/rounds/{round_.pk}/county-deadline", body, headers)


def extension(client, round_, body, headers):
    return post(client, f"/api/v1/rounds/{round_.pk}/extensions", body, headers)


def test_city_deadline_closes_its_counties_only(accounts, client, api_token, round_open, prepare):
    dunhua_app = prepare("dunhua", "敦化市医药产业集群")  # 延边州
    tonghua_app = prepare("tonghua_county", "通化县葡萄酒产业集群")  # 通化市
    yesterday = timezone.localdate() - timedelta(days=1)

    response = county_deadline(client, round_open, {"closes_at": yesterday.isoformat()}, api_token(accounts["yanbian"]))

    assert response.status_code == 200, response.content
    assert response.json()["closes_at"] == f"{yesterday.isoformat()}T23:59:59+08:00"
    assert {c["org_code"] for c in response.json()["counties"]} >= {"222401", "222403"}
    refused = client.post(f"/api/v1/applications/{dunhua_app.pk}/submit", **api_token(accounts["dunhua"]))
    accepted = client.post(f"/api/v1/applications/{tonghua_app.pk}/submit", **api_token(accounts["tonghua_county"]))
    assert refused.status_code == 409 and "逾期不予受理" in refused.json()["detail"]
    assert accepted.status_code == 200, accepted.content
    assert domain.closes_at(round_open, StageCode.COUNTY_SUBMISSION, accounts["dunhua"].org) == end_of_day(yesterday)
    event = AuditEvent.objects.get(action="round.county_deadline_set")
    assert event.after["org"] == "222400" and event.after["stage"] == "county_submission"


def test_county_deadline_resolution_order(accounts, round_open):
    """Own extension, else the recommending city's county deadline, else the province's stage deadline."""
    dunhua, yanji, tonghua = (accounts[k].org for k in ("dunhua", "yanji", "tonghua_county"))
    stage = round_open.stages.get(code=StageCode.COUNTY_SUBMISSION)
    day = timezone.localdate() + timedelta(days=10)
    domain.set_county_deadline(actor=accounts["yanbian"], round_=round_open, day=day)
    domain.grant_extension(actor=accounts["yanbian"], round_=round_open, stage_code=StageCode.COUNTY_SUBMISSION,
                           org=dunhua, closes_at=end_of_day(day + timedelta(days=5)), reason="系统故障")

    assert domain.closes_at(round_open, StageCode.COUNTY_SUBMISSION, dunhua) == end_of_day(day + timedelta(days=5))
    assert domain.closes_at(round_open, StageCode.COUNTY_SUBMISSION, yanji) == end_of_day(day)
    assert domain.closes_at(round_open, StageCode.COUNTY_SUBMISSION, tonghua) == stage.closes_at


def test_county_deadline_after_formal_deadline_is_400_naming_closes_at(accounts, client, api_token, round_open):
    formal = round_open.stages.get(code=StageCode.FORMAL_SUBMISSION).deadline

    late = county_deadline(client, round_open, {"closes_at": (formal + timedelta(days=1)).isoformat()},
                           api_token(accounts["yanbian"]))
    on_the_day = county_deadline(client, round_open, {"closes_at": formal.isoformat()}, api_token(accounts["yanbian"]))

    assert late.status_code == 400 and late.json()["field"] == "closes_at"
    assert "不能晚于本单位正式推荐的截止时间" in late.json()["detail"]
    assert on_the_day.status_code == 200


def test_county_deadline_follows_the_citys_formal_extension(accounts, round_open):
    formal = round_open.stages.get(code=StageCode.FORMAL_SUBMISSION)
    domain.grant_extension(actor=accounts["province"], round_=round_open, stage_code=StageCode.FORMAL_SUBMISSION,
                           org=accounts["yanbian"].org, closes_at=end_of_day(formal.deadline + timedelta(days=3)),
                           reason="延边州材料补正")

    deadline = domain.set_county_deadline(actor=accounts["yanbian"], round_=round_open,
                                          day=formal.deadline + timedelta(days=3))

    assert deadline.closes_at == end_of_day(formal.deadline + timedelta(days=3))


def test_county_deadline_bad_date_is_400(accounts, client, api_token, round_open):
    response = county_deadline(client, round_open, {"closes_at": "2025/03/31"}, api_token(accounts["yanbian"]))

    assert response.status_code == 400 and response.json()["field"] == "closes_at"


@pytest.mark.parametrize("who, body", [
    ("tonghua", {"org_code": "222400"}),  # another city's reviewer, for 延边州
    ("dunhua", {}),  # a county
    ("dunhua", {"org_code": "222400"}),
    ("province", {"org_code": "222400"}),  # the province sets the default, not a city's deadline
])
def test_county_deadline_by_others_is_403(accounts, client, api_token, round_open, who, body):
    day = (timezone.localdate() + timedelta(days=5)).isoformat()

    response = county_deadline(client, round_open, {"closes_at": day, **body}, api_token(accounts[who]))

    assert response.status_code == 403, response.content
    assert not UnitDeadline.objects.exists()


def test_city_extension_lets_its_county_submit_after_the_city_deadline(accounts, client, api_token, round_open, prepare):
    app = prepare("dunhua", "敦化市医药产业集群")
    yesterday = timezone.localdate() - timedelta(days=1)
    city = api_token(accounts["yanbian"])
    assert county_deadline(client, round_open, {"closes_at": yesterday.isoformat()}, city).status_code == 200
    county = api_token(accounts["dunhua"])
    assert client.post(f"/api/v1/applications/{app.pk}/submit", **county).status_code == 409

    granted = extension(client, round_open, {"stage": "county_submission", "org_code": "222403",
                                             "closes_at": (yesterday + timedelta(days=3)).isoformat(),
                                             "reason": "佐证材料盖章延误"}, city)
    submitted = client.post(f"/api/v1/applications/{app.pk}/submit", **county)

    assert granted.status_code == 201, granted.content
    assert granted.json()["granted_by"] == "yanbian_city"
    assert submitted.status_code == 200, submitted.content
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED
    yanji = accounts["yanji"].org  # the other counties of 延边州 stay closed
    assert domain.closes_at(round_open, StageCode.COUNTY_SUBMISSION, yanji) == end_of_day(yesterday)


@pytest.mark.parametrize("body, field", [
    ({"org_code": "220521"}, "org_code"),  # 通化县: another city's county
    ({"org_code": "220500"}, "org_code"),  # 通化市 itself
    ({"org_code": "222403", "stage": "name_list"}, "stage"),  # not the county stage
])
def test_city_extension_outside_its_counties_or_stage_is_403(accounts, client, api_token, round_open, body, field):
    day = (timezone.localdate() + timedelta(days=35)).isoformat()
    payload = {"stage": "county_submission", "closes_at": day, "reason": "补正", **body}

    response = extension(client, round_open, payload, api_token(accounts["yanbian"]))

    assert response.status_code == 403, response.content
    assert response.json()["field"] == field


def test_city_extension_not_after_its_formal_deadline(accounts, round_open):
    formal = round_open.stages.get(code=StageCode.FORMAL_SUBMISSION)
    from clusterdesk.core.errors import DomainError

    with pytest.raises(DomainError, match="不能晚于本单位正式推荐的截止时间") as caught:
        domain.grant_extension(actor=accounts["yanbian"], round_=round_open, stage_code=StageCode.COUNTY_SUBMISSION,
                               org=accounts["dunhua"].org, closes_at=formal.closes_at + timedelta(days=1), reason="x")
    assert caught.value.field == "closes_at"


def test_city_deadline_page_sets_deadline_and_grants_extension(accounts, client, round_open):
    client.force_login(accounts["yanbian"])
    url = f"/rounds/{round_open.pk}/county-deadlines/"
    day = timezone.localdate() + timedelta(days=20)

    page = client.get(url).content.decode()
    client.post(url, {"action": "deadline", "day": day.isoformat()})
    client.post(url, {"action": "extension", "org": "222403", "day": (day + timedelta(days=5)).isoformat(),
                      "reason": "网络故障"})
    after = client.get(url).content.decode()

    assert "所辖县（市、区）申报截止时间" in page and "敦化市" in page and "通化县" not in page
    assert UnitDeadline.objects.get(org=accounts["yanbian"].org).closes_at == end_of_day(day)
    assert "网络故障" in after and f"{day.year}年{day.month}月{day.day}日24时" in after
    assert client.get("/").content.decode().count(url) >= 1  # linked from the city's home page


def test_city_deadline_page_refuses_counties(accounts, client, round_open):
    client.force_login(accounts["dunhua"])

    assert client.get(f"/rounds/{round_open.pk}/county-deadlines/").status_code == 403


def test_county_sees_its_citys_deadline_in_the_countdown(accounts, round_open, draft):
    day = timezone.localdate() + timedelta(days=7)
    domain.set_county_deadline(actor=accounts["yanbian"], round_=round_open, day=day)

    assert apps.deadline_text(draft) == f"{day.year}年{day.month}月{day.day}日24时"
    with time_machine.travel(end_of_day(day) + timedelta(seconds=1), tick=False):
        from clusterdesk.core.errors import Conflict

        with pytest.raises(Conflict, match="逾期不予受理"):
            apps.save_fields(actor=accounts["dunhua"], application=draft, data={"niche": "中药"})


def test_round_api_shows_the_citys_county_deadline_to_its_counties(accounts, client, api_token, round_open):
    day = timezone.localdate() + timedelta(days=12)
    domain.set_county_deadline(actor=accounts["yanbian"], round_=round_open, day=day)
    expected = [{"stage": "county_submission", "org_code": "222400",
                 "closes_at": f"{day.isoformat()}T23:59:59+08:00", "set_by": "yanbian_city"}]

    def seen(who):
        return client.get(f"/api/v1/rounds/{round_open.pk}", **api_token(accounts[who])).json()["county_deadlines"]

    assert seen("dunhua") == expected and seen("yanbian") == expected and seen("province") == expected
    assert seen("tonghua_county") == [] and seen("tonghua") == []


def test_round_page_lists_the_cities_county_deadlines(accounts, client, round_open):
    day = timezone.localdate() + timedelta(days=9)
    domain.set_county_deadline(actor=accounts["yanbian"], round_=round_open, day=day)
    text = f"{day.year}年{day.month}月{day.day}日24时"

    client.force_login(accounts["province"])
    province = client.get(f"/rounds/{round_open.pk}/").content.decode()
    client.force_login(accounts["dunhua"])
    county = client.get(f"/rounds/{round_open.pk}/").content.decode()
    client.force_login(accounts["tonghua_county"])
    other = client.get(f"/rounds/{round_open.pk}/").content.decode()

    assert text in province.split('data-testid="unit-deadlines"')[1]
    assert text in county.split('data-testid="unit-deadlines"')[1]
    assert text not in other.split('data-testid="unit-deadlines"')[1]
