"""The formal recommendation confirms the final list, which may differ from the name list only with
a stated reason; lists are judged late against the deadline in force when they were sent."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clusterdesk.applications.models import Application, Status
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import DomainError
from clusterdesk.reviews import domain
from clusterdesk.reviews.models import ListKind, RecommendationList
from clusterdesk.rounds.domain import closes_at, update_round
from clusterdesk.rounds.models import StageCode
from tests.conftest import PDF


def letter():
    return SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf")


def act(user, app, action, **inputs):
    return domain.perform(actor=user, application=Application.objects.get(pk=app.pk), action=action, inputs=inputs)


@pytest.fixture
def changed(accounts, round_open, submit_new):
    """延边州 sent a name list with 敦化's application, then returned it and recommended 延吉's instead."""
    dunhua = submit_new("dunhua", "敦化市医药产业集群")
    yanji = submit_new("yanji", "延吉市人参大健康产业集群")
    city = accounts["yanbian"]
    act(city, dunhua, "city_recommend", national=True)
    domain.submit_name_list(actor=city, round_=round_open)
    act(city, dunhua, "city_return", comment="产值证明与申报表不一致")
    act(city, yanji, "city_recommend")
    return {"dunhua": dunhua, "yanji": yanji}


def test_changed_final_list_needs_change_reason(accounts, round_open, changed):
    with pytest.raises(DomainError, match="正式推荐名单与已报送的推荐名单不一致（新增 1 个：延吉市人参大健康产业集群；"
                                          "撤下 1 个：敦化市医药产业集群）") as caught:
        domain.submit_formal(actor=accounts["yanbian"], round_=round_open, letter=letter(), confirm_final=True,
                             change_reason="  ")

    assert caught.value.field == "change_reason"
    assert not RecommendationList.objects.filter(kind=ListKind.FORMAL).exists()
    assert Application.objects.get(pk=changed["yanji"].pk).status == Status.RECOMMENDED


def test_changed_final_list_stores_differences_and_reason(accounts, round_open, changed):
    lst = domain.submit_formal(actor=accounts["yanbian"], round_=round_open, letter=letter(), confirm_final=True,
                               change_reason="敦化市医药产业集群退回补充材料，改推延吉市人参大健康产业集群")

    lst.refresh_from_db()
    assert [e["id"] for e in lst.entries] == [changed["yanji"].pk]
    assert [e["id"] for e in lst.changes["added"]] == [changed["yanji"].pk]
    assert [(e["id"], e["name"]) for e in lst.changes["dropped"]] == [(changed["dunhua"].pk, "敦化市医药产业集群")]
    assert lst.change_reason == "敦化市医药产业集群退回补充材料，改推延吉市人参大健康产业集群"
    assert lst.deadline_at_submission == closes_at(round_open, StageCode.FORMAL_SUBMISSION, accounts["yanbian"].org)
    assert Application.objects.get(pk=changed["yanji"].pk).status == Status.FORMAL
    event = AuditEvent.objects.get(action="review.formal_submitted", object_type="reviews.recommendationlist")
    assert event.after["change_reason"].startswith("敦化市") and len(event.after["changes"]["dropped"]) == 1


def test_unchanged_final_list_needs_no_reason(accounts, round_open, submit_new):
    app = submit_new("dunhua", "敦化市医药产业集群")
    act(accounts["yanbian"], app, "city_recommend")
    domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)

    lst = domain.submit_formal(actor=accounts["yanbian"], round_=round_open, letter=letter(), confirm_final=True)

    assert lst.changes == {} and lst.change_reason == "" and not lst.changed


def test_formal_api_takes_change_reason(accounts, client, api_token, round_open, changed):
    city = api_token(accounts["yanbian"])
    url = f"/api/v1/rounds/{round_open.pk}/formal"

    refused = client.post(url, {"letter": letter(), "confirm_final": "true"}, **city)
    accepted = client.post(url, {"letter": letter(), "confirm_final": "true", "change_reason": "敦化退回，改推延吉"},
                           **city)

    assert refused.status_code == 400 and refused.json()["field"] == "change_reason"
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["change_reason"] == "敦化退回，改推延吉"
    assert [e["name"] for e in body["changes"]["added"]] == ["延吉市人参大健康产业集群"]
    assert [e["name"] for e in body["changes"]["dropped"]] == ["敦化市医药产业集群"]


def test_pages_show_the_changes_with_the_reason(accounts, client, round_open, changed):
    client.force_login(accounts["yanbian"])
    lists_url = f"/reviews/rounds/{round_open.pk}/lists/"
    before = client.get(lists_url).content.decode()
    client.post(f"/reviews/rounds/{round_open.pk}/lists/formal/",
                {"letter": letter(), "confirm_final": "1", "change_reason": "敦化退回补充材料"})
    after = client.get(lists_url).content.decode()
    client.force_login(accounts["province"])
    overview = client.get(f"/reviews/rounds/{round_open.pk}/overview/").content.decode()

    assert 'data-testid="change-reason"' in before and "撤下 1 个：敦化市医药产业集群" in before
    for page in (after, overview):
        assert "新增 1 个：延吉市人参大健康产业集群" in page and "撤下 1 个：敦化市医药产业集群" in page
        assert "变更说明：敦化退回补充材料" in page


def test_list_sent_before_a_deadline_moved_earlier_is_still_done(accounts, client, api_token, round_open, submit_new):
    app = submit_new("dunhua", "敦化市医药产业集群")
    act(accounts["yanbian"], app, "city_recommend")
    lst = domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    sent_deadline = lst.deadline_at_submission
    today = timezone.localdate()
    update_round(actor=accounts["province"], round_=round_open,
                 deadlines={"county_submission": today - timedelta(days=2), "name_list": today - timedelta(days=1)})

    rows = {row["org"].code: row for row in domain.round_progress(round_open)}
    progress = client.get(f"/api/v1/rounds/{round_open.pk}/progress", **api_token(accounts["province"])).json()

    yanbian = rows["222400"]["stages"][StageCode.NAME_LIST]
    assert yanbian["state"] == "done"
    assert yanbian["deadline_at_submission"] == sent_deadline and yanbian["deadline"] < lst.submitted_at
    assert rows["220500"]["stages"][StageCode.NAME_LIST]["state"] == "missed"  # 通化 never sent one
    unit = next(u for u in progress["units"] if u["code"] == "222400")
    assert unit["stages"]["name_list"]["state"] == "done"
    assert unit["stages"]["name_list"]["deadline_at_submission"] == sent_deadline.isoformat()


def test_list_sent_after_its_deadline_is_late(accounts, round_open, submit_new):
    app = submit_new("dunhua", "敦化市医药产业集群")
    act(accounts["yanbian"], app, "city_recommend")
    lst = domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    RecommendationList.objects.filter(pk=lst.pk).update(deadline_at_submission=lst.submitted_at - timedelta(seconds=1))

    rows = {row["org"].code: row for row in domain.round_progress(round_open)}

    assert rows["222400"]["stages"][StageCode.NAME_LIST]["state"] == "late"


def test_migration_fills_the_deadline_in_force(accounts, round_open, submit_new):
    from clusterdesk.rounds.domain import grant_extension
    from clusterdesk.rounds.models import end_of_day

    app = submit_new("dunhua", "敦化市医药产业集群")
    act(accounts["yanbian"], app, "city_recommend")
    lst = domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    stage = round_open.stages.get(code=StageCode.NAME_LIST)
    grant_extension(actor=accounts["province"], round_=round_open, stage_code=StageCode.NAME_LIST,
                    org=accounts["yanbian"].org, closes_at=end_of_day(stage.deadline + timedelta(days=2)), reason="补正")
    RecommendationList.objects.filter(pk=lst.pk).update(deadline_at_submission=None)
    migration = importlib.import_module("clusterdesk.reviews.migrations.0003_list_deadline_and_changes")

    migration.fill_deadline_at_submission(django_apps, None)

    lst.refresh_from_db()
    assert lst.deadline_at_submission == end_of_day(stage.deadline + timedelta(days=2))
