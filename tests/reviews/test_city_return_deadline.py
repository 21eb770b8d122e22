"""The name list is only a list: after it is sent the city can still return an application on it,
and the county resubmits before its county deadline (set by the city) or an extension."""

from datetime import timedelta

import pytest
import time_machine

from clusterdesk.applications import domain as apps
from clusterdesk.applications.models import Application, Status
from clusterdesk.core.errors import Conflict
from clusterdesk.reviews import domain
from clusterdesk.rounds import domain as rounds
from clusterdesk.rounds.models import StageCode, end_of_day


@pytest.fixture
def returned_after_name_list(accounts, round_open, submit_new):
    """敦化's application recommended, on 延边州's name list, then returned by the city."""
    app = submit_new("dunhua", "敦化市医药产业集群")
    domain.perform(actor=accounts["yanbian"], application=app, action="city_recommend", inputs={"national": True})
    lst = domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    assert [e["id"] for e in lst.entries] == [app.pk]
    domain.perform(actor=accounts["yanbian"], application=Application.objects.get(pk=app.pk), action="city_return",
                   inputs={"comment": "请补充统计部门出具的产值证明"})
    return Application.objects.get(pk=app.pk)


def test_city_return_after_name_list_resubmitted_before_county_deadline(accounts, returned_after_name_list):
    app = returned_after_name_list
    assert app.status == Status.RETURNED
    assert apps.editing_stage(app) == StageCode.COUNTY_SUBMISSION

    version = apps.submit(actor=accounts["dunhua"], application=app)

    assert version.number == 2
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED


def test_city_return_resubmission_refused_after_county_deadline_unless_extended(
        accounts, round_open, returned_after_name_list):
    app = returned_after_name_list
    county_deadline = rounds.closes_at(round_open, StageCode.COUNTY_SUBMISSION, app.org)
    name_list_deadline = rounds.closes_at(round_open, StageCode.NAME_LIST, accounts["yanbian"].org)
    later = county_deadline + timedelta(days=1)
    assert later < name_list_deadline  # the city's own stages are still open then

    with time_machine.travel(later, tick=False):
        with pytest.raises(Conflict, match="已超过截止时间.*逾期不予受理"):
            apps.submit(actor=accounts["dunhua"], application=app)
        rounds.grant_extension(actor=accounts["yanbian"], round_=round_open, stage_code=StageCode.COUNTY_SUBMISSION,
                               org=app.org, closes_at=end_of_day(later.date() + timedelta(days=2)),
                               reason="退回修改后补充产值证明")
        apps.submit(actor=accounts["dunhua"], application=app)

    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED


def test_city_moves_the_county_deadline_later_for_the_resubmission(accounts, round_open, returned_after_name_list):
    app = returned_after_name_list
    county_deadline = rounds.closes_at(round_open, StageCode.COUNTY_SUBMISSION, app.org)

    with time_machine.travel(county_deadline + timedelta(days=1), tick=False):
        rounds.set_county_deadline(actor=accounts["yanbian"], round_=round_open,
                                   day=county_deadline.date() + timedelta(days=5))
        apps.submit(actor=accounts["dunhua"], application=app)

    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED


@pytest.mark.parametrize("stage", [StageCode.NAME_LIST, StageCode.FORMAL_SUBMISSION])
def test_any_city_stage_return_is_governed_by_the_county_deadline(draft, stage):
    Application.objects.filter(pk=draft.pk).update(status=Status.RETURNED, resubmit_stage=stage)

    assert apps.editing_stage(Application.objects.get(pk=draft.pk)) == StageCode.COUNTY_SUBMISSION


def test_province_return_keeps_the_province_stage(draft):
    Application.objects.filter(pk=draft.pk).update(status=Status.RETURNED,
                                                   resubmit_stage=StageCode.NATIONAL_RECOMMENDATION)

    assert apps.editing_stage(Application.objects.get(pk=draft.pk)) == StageCode.NATIONAL_RECOMMENDATION
