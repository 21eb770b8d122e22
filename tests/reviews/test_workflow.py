"""The city's side of the review chain, driven through the workflow table."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from clusterdesk.applications import domain as apps
from clusterdesk.applications.models import Application, Status
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.reviews import domain
from clusterdesk.reviews.models import ListKind, RecommendationList, ReviewComment
from clusterdesk.rounds.models import Stage
from tests.conftest import PDF, complete_body


def act(user, app, action, **inputs):
    return domain.perform(actor=user, application=app, action=action, inputs=inputs)


@pytest.fixture
def submitted(accounts, ready):
    apps.submit(actor=accounts["dunhua"], application=ready)
    ready.refresh_from_db()
    return ready


@pytest.fixture
def second(accounts, round_open, upload_required):
    """A second submitted application in 延边州, from 延吉市."""
    app = apps.create_application(actor=accounts["yanji"], round_=round_open)
    apps.save_fields(actor=accounts["yanji"], application=app, data={**complete_body(), "name": "延吉市人参大健康产业集群"})
    upload_required(app, accounts["yanji"])
    apps.submit(actor=accounts["yanji"], application=app)
    app.refresh_from_db()
    return app


def letter():
    return SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf")


def test_city_recommends_with_national_flag(accounts, submitted):
    app = act(accounts["yanbian"], submitted, "city_recommend", national=True)

    assert (app.status, app.national_flag) == (Status.RECOMMENDED, True)
    event = AuditEvent.objects.get(action="review.city_recommend")
    assert event.before == {"status": "submitted"} and event.after["status"] == "recommended"


def test_other_city_cannot_act(accounts, submitted):
    with pytest.raises(NotAllowed, match="只有本申报的推荐单位可以推荐为省级"):
        act(accounts["tonghua"], submitted, "city_recommend")


def test_county_cannot_take_city_action(accounts, submitted):
    with pytest.raises(NotAllowed, match="只有市州审核人员可以推荐为省级"):
        act(accounts["dunhua"], submitted, "city_recommend")


def test_action_in_wrong_state_refused(accounts, draft):
    with pytest.raises(Conflict, match="申报当前状态为“填报中”，不能推荐为省级"):
        act(accounts["yanbian"], draft, "city_recommend")


def test_return_needs_comment(accounts, submitted):
    with pytest.raises(DomainError, match="请填写意见"):
        act(accounts["yanbian"], submitted, "city_return", comment="  ")

    assert Application.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_return_loop_creates_new_version_and_diff(accounts, submitted):
    act(accounts["yanbian"], submitted, "city_return", comment="产值数据与统计证明不一致",
        field_comments={"2024年集群产值": "请按统计局证明填写"})
    returned = Application.objects.get(pk=submitted.pk)
    rows = complete_body()["indicators"]
    rows[3] = {**rows[3], "total_output": "55.0"}
    apps.save_fields(actor=accounts["dunhua"], application=returned, data={"indicators": rows})
    version = apps.submit(actor=accounts["dunhua"], application=returned)

    from clusterdesk.applications.diff import diff

    changes = diff(returned.versions.get(number=1).data, version.data)
    comment = ReviewComment.objects.get(application=submitted)
    assert returned.status == Status.RETURNED and returned.resubmit_stage == "county_submission"
    assert comment.field_comments == {"2024年集群产值": "请按统计局证明填写"}
    assert version.number == 2
    assert [(c.label, c.before, c.after) for c in changes] == [("2024年集群产值", "56.0", "55.0")]
    assert Application.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_diff_page_shows_changes(accounts, client, submitted):
    act(accounts["yanbian"], submitted, "city_return", comment="请修改面积")
    apps.save_fields(actor=accounts["dunhua"], application=submitted, data={"area_km2": "80"})
    apps.submit(actor=accounts["dunhua"], application=submitted)
    client.force_login(accounts["yanbian"])

    body = client.get(f"/reviews/applications/{submitted.pk}/diff/").content.decode()

    assert "集群面积（平方公里）" in body and "85.5" in body and ">80<" in body


def test_county_sees_return_comment_on_form(accounts, client, submitted):
    act(accounts["yanbian"], submitted, "city_return", comment="请补充数字化转型材料")
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{submitted.pk}/edit/").content.decode()

    assert "请补充数字化转型材料" in body


def test_stale_page_cannot_act_twice(accounts, submitted):
    seen = submitted.state_version
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_recommend",
                   inputs={}, expected_state_version=seen)

    with pytest.raises(Conflict, match="该申报已被处理，当前状态为“市州拟推荐”"):
        domain.perform(actor=accounts["yanbian"], application=submitted, action="city_reject",
                       inputs={"comment": "x"}, expected_state_version=seen)

    assert Application.objects.get(pk=submitted.pk).status == Status.RECOMMENDED
    assert AuditEvent.objects.filter(action__startswith="review.city_").count() == 1


def test_city_action_after_name_list_deadline_is_still_open(accounts, submitted):
    """The city reviews, returns and recommends until the formal deadline (domain.md §3)."""
    deadline = Stage.objects.get(round=submitted.round, code="name_list").closes_at
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        act(accounts["yanbian"], submitted, "city_recommend")
    assert Application.objects.get(pk=submitted.pk).status == Status.RECOMMENDED


def test_city_action_after_formal_deadline_refused(accounts, submitted):
    deadline = Stage.objects.get(round=submitted.round, code="formal_submission").closes_at
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        with pytest.raises(Conflict, match="本阶段已截止（.*24时），逾期不予受理"):
            act(accounts["yanbian"], submitted, "city_recommend")


def test_name_list_over_quota_names_the_rule(accounts, submitted, second):
    submitted.round.city_quota = 1
    submitted.round.save()
    act(accounts["yanbian"], submitted, "city_recommend")
    act(accounts["yanbian"], second, "city_recommend")

    with pytest.raises(Conflict, match="超出本市推荐名额（1个），当前拟推荐 2 个"):
        domain.submit_name_list(actor=accounts["yanbian"], round_=submitted.round)

    assert not RecommendationList.objects.exists()


def test_name_list_needs_a_county_when_the_round_says_so(accounts, make_user, round_open, upload_required):
    district = make_user("longshan", "220402", "county_applicant")
    city = make_user("liaoyuan_city", "220400", "city_reviewer")
    app = apps.create_application(actor=district, round_=round_open)
    apps.save_fields(actor=district, application=app, data=complete_body())
    upload_required(app, district)
    apps.submit(actor=district, application=app)
    round_open.city_quota_needs_county = True
    round_open.save()
    act(city, app, "city_recommend")

    with pytest.raises(Conflict, match="至少应有一个位于县或县级市"):
        domain.submit_name_list(actor=city, round_=round_open)


def test_name_list_at_last_second_and_one_second_late(accounts, submitted):
    act(accounts["yanbian"], submitted, "city_recommend")
    deadline = Stage.objects.get(round=submitted.round, code="name_list").closes_at
    with time_machine.travel(deadline.replace(microsecond=0), tick=False):
        assert domain.submit_name_list(actor=accounts["yanbian"], round_=submitted.round).entries[0]["id"] == submitted.pk
    with time_machine.travel(deadline + timedelta(microseconds=1), tick=False):
        with pytest.raises(Conflict, match="已超过截止时间（.*24时），逾期不予受理"):
            domain.submit_name_list(actor=accounts["yanbian"], round_=submitted.round)


def test_formal_recommendation_locks_the_list(accounts, submitted):
    act(accounts["yanbian"], submitted, "city_recommend", national=True)
    with pytest.raises(Conflict, match="请先报送推荐名单"):
        domain.submit_formal(actor=accounts["yanbian"], round_=submitted.round, letter=letter(), confirm_final=True)
    domain.submit_name_list(actor=accounts["yanbian"], round_=submitted.round)
    with pytest.raises(DomainError, match="请勾选"):
        domain.submit_formal(actor=accounts["yanbian"], round_=submitted.round, letter=letter(), confirm_final=False)

    lst = domain.submit_formal(actor=accounts["yanbian"], round_=submitted.round, letter=letter(), confirm_final=True)

    app = Application.objects.get(pk=submitted.pk)
    assert lst.kind == ListKind.FORMAL and len(lst.letter_sha256) == 64 and lst.letter_name == "推荐函.pdf"
    assert app.status == Status.FORMAL
    with pytest.raises(Conflict, match="不能重复报送"):
        domain.submit_formal(actor=accounts["yanbian"], round_=submitted.round, letter=letter(), confirm_final=True)


def test_formal_letter_must_be_a_document(accounts, submitted):
    act(accounts["yanbian"], submitted, "city_recommend")
    domain.submit_name_list(actor=accounts["yanbian"], round_=submitted.round)
    exe = SimpleUploadedFile("推荐函.pdf", b"MZ\x90\x00" + b"\x00" * 100)

    with pytest.raises(DomainError, match="推荐文件“推荐函.pdf”的内容是可执行程序"):
        domain.submit_formal(actor=accounts["yanbian"], round_=submitted.round, letter=exe, confirm_final=True)


@pytest.fixture
def formal(accounts, submitted):
    act(accounts["yanbian"], submitted, "city_recommend", national=True)
    domain.submit_name_list(actor=accounts["yanbian"], round_=submitted.round)
    domain.submit_formal(actor=accounts["yanbian"], round_=submitted.round, letter=letter(), confirm_final=True)
    return Application.objects.get(pk=submitted.pk)


def test_province_fail_needs_reason_and_pass_works(accounts, formal):
    with pytest.raises(DomainError, match="请填写理由"):
        act(accounts["province"], formal, "province_fail")

    app = act(accounts["province"], formal, "province_pass")

    assert app.status == Status.INITIAL_PASSED


def test_province_return_goes_back_to_province(accounts, formal):
    act(accounts["province"], formal, "province_return", comment="补充绿色工厂证书")
    app = Application.objects.get(pk=formal.pk)
    apps.save_fields(actor=accounts["dunhua"], application=app, data={"niche": "现代中药"})
    apps.submit(actor=accounts["dunhua"], application=app)

    assert Application.objects.get(pk=formal.pk).status == Status.FORMAL


def test_city_cannot_change_after_formal(accounts, formal, second):
    with pytest.raises(Conflict, match="名单已锁定"):
        act(accounts["yanbian"], second, "city_recommend")


def test_timeline_lists_everything_in_order(accounts, client, api_token, formal):
    events = client.get(f"/api/v1/applications/{formal.pk}/timeline", **api_token(accounts["yanbian"])).json()

    actions = [e["action"] for e in events]
    assert actions[0] == "application.created"
    # The city's lists that held the application are steps of its timeline too (kind "list").
    assert actions[-5:] == ["application.submitted", "review.city_recommend", "review.name_list_submitted",
                            "review.formal_submitted", "review.formal_submitted"]
    assert [e["kind"] for e in events[-3:]] == ["list", "list", "application"]
    assert events[-4]["org"] == "延边朝鲜族自治州" and events[-4]["label"] == "推荐为省级"  # the transition's label


def test_api_action_refusal_is_409_in_chinese(accounts, client, api_token, draft):
    response = client.post(f"/api/v1/applications/{draft.pk}/actions/city_recommend",
                           {"state_version": draft.state_version},
                           content_type="application/json", **api_token(accounts["yanbian"]))

    assert response.status_code == 409
    assert response.json()["detail"] == "申报当前状态为“填报中”，不能推荐为省级"


def test_api_action_out_of_scope_is_404(accounts, client, api_token, submitted):
    response = client.post(f"/api/v1/applications/{submitted.pk}/actions/city_recommend", {},
                           content_type="application/json", **api_token(accounts["tonghua"]))

    assert response.status_code == 404


def test_api_available_actions_explain(accounts, client, api_token, submitted):
    body = client.get(f"/api/v1/applications/{submitted.pk}/actions", **api_token(accounts["yanbian"])).json()

    assert {a["action"]: a["allowed"] for a in body} == {"city_recommend": True, "city_return": True, "city_reject": True}


def test_page_buttons_show_reason_when_closed(accounts, client, submitted):
    deadline = Stage.objects.get(round=submitted.round, code="formal_submission").closes_at
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        client.force_login(accounts["yanbian"])  # inside: a session from weeks earlier has expired
        body = client.get(f"/applications/{submitted.pk}/").content.decode()

    assert "本阶段已截止" in body


def test_page_action_then_double_click(accounts, client, submitted):
    client.force_login(accounts["yanbian"])
    data = {"state_version": submitted.state_version, "national": "1", "comment": "同意推荐"}

    first = client.post(f"/reviews/applications/{submitted.pk}/actions/city_recommend/", data, follow=True)
    again = client.post(f"/reviews/applications/{submitted.pk}/actions/city_recommend/", data, follow=True)

    assert "已推荐为省级：市州拟推荐" in first.content.decode()
    assert "该申报已被处理" in again.content.decode()
    assert AuditEvent.objects.filter(action="review.city_recommend").count() == 1


@pytest.mark.parametrize("count", [1, 30])
def test_inbox_query_count_is_constant(accounts, client, round_open, count, django_assert_max_num_queries):
    for _ in range(count):
        app = apps.create_application(actor=accounts["dunhua"], round_=round_open)
        Application.objects.filter(pk=app.pk).update(status=Status.SUBMITTED)  # shortcut: listing only
    client.force_login(accounts["yanbian"])
    with django_assert_max_num_queries(14):
        response = client.get("/reviews/")
    assert response.status_code == 200 and response.content.decode().count("2025-222403-") == count


def test_progress_api_for_province(accounts, client, api_token, formal):
    body = client.get(f"/api/v1/rounds/{formal.round_id}/progress", **api_token(accounts["province"])).json()

    yanbian = next(u for u in body["units"] if u["code"] == "222400")
    assert yanbian["counts"] == {"formal": 1}
    assert yanbian["stages"]["name_list"]["state"] == "done"
    assert yanbian["stages"]["formal_submission"]["state"] == "done"
    assert client.get(f"/api/v1/rounds/{formal.round_id}/progress", **api_token(accounts["yanbian"])).status_code == 403
