"""The province's steps over the API (省厅审核), the ministry's outcome, and the application's
timeline with its lists. Driven through the real chain (``passed``: five applications past the
province's initial review)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clusterdesk.applications.models import Application, NationalStatus as N, Status
from clusterdesk.audit.domain import record
from clusterdesk.audit.models import AuditEvent
from clusterdesk.reviews.models import (NationalPick, Objection, PublicityBatch, PublicityEntry, RecommendationList,
                                        SpotCheck)
from tests.conftest import PDF, PASSWORD
from tests.reviews.conftest import expert_scores, passed, submit_new  # noqa: F401  (fixtures)

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def as_province(accounts, api_token):
    return api_token(accounts["province"])


@pytest.fixture
def as_city(accounts, api_token):
    return api_token(accounts["yanbian"])


@pytest.fixture
def outsider(jilin, api_token):
    """The administrator of another province: everything of Jilin's is out of scope."""
    from clusterdesk.orgs.domain import create_account, load_orgs, parse_org_csv
    from clusterdesk.orgs.models import Org

    load_orgs(parse_org_csv("code,name,kind,parent_code\n210000,辽宁省,province,\n".encode()))
    user = create_account(actor=None, username="ln_admin", org=Org.objects.get(code="210000"), role="province_admin",
                          password=PASSWORD, must_change_password=False)
    return api_token(user)


def post(client, path, body, headers):
    return client.post(path, body, content_type="application/json", **headers)


def put(client, path, body, headers):
    return client.put(path, body, content_type="application/json", **headers)


def propose(client, round_, apps, headers, **extra):
    body = {"title": "2025年度拟认定名单公示", "starts_on": "2025-09-30", "working_days": 5,
            "applications": [a.pk for a in apps], **extra}
    return post(client, f"/api/v1/rounds/{round_.pk}/publicity-batches", body, headers)


def status_of(app) -> tuple[str, str]:
    a = Application.objects.get(pk=app.pk)
    return a.status, a.national_status


# --- OpenAPI ---------------------------------------------------------------------------------

NEW_OPERATIONS = [
    ("/api/v1/rounds/{round_id}/lists", "get"),
    ("/api/v1/lists/{list_id}/receive", "post"),
    ("/api/v1/applications/{application_id}/spot-checks", "get"),
    ("/api/v1/applications/{application_id}/spot-checks", "post"),
    ("/api/v1/rounds/{round_id}/publicity-batches", "get"),
    ("/api/v1/rounds/{round_id}/publicity-batches", "post"),
    ("/api/v1/publicity-batches/{batch_id}", "get"),
    ("/api/v1/publicity-entries/{entry_id}/objections", "post"),
    ("/api/v1/objections/{objection_id}/resolution", "post"),
    ("/api/v1/publicity-batches/{batch_id}/finalize", "post"),
    ("/api/v1/rounds/{round_id}/national-candidates", "get"),
    ("/api/v1/rounds/{round_id}/national-selection", "put"),
    ("/api/v1/rounds/{round_id}/national-selection/sent", "post"),
]


def test_openapi_lists_province_operations_with_error_codes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for path, method in NEW_OPERATIONS:
        operation = paths[path][method]
        assert operation["tags"] == ["省厅审核"]
        codes = set(operation["responses"])
        assert {"400", "403", "404"} <= codes, (path, method)
        if method != "get":
            assert "409" in codes and codes & {"200", "201"}, (path, method)


def test_openapi_documents_ministry_outcome_action(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"][
        "/api/v1/applications/{application_id}/actions/{action}"]["post"]

    text = operation["description"]
    for word in ("ministry_recognized", "ministry_not_recognized", "document_number", "date", "state_version"):
        assert word in text


# --- the cities' lists -----------------------------------------------------------------------

def test_round_lists_show_ids_and_receive_records_receipt(accounts, client, round_open, passed, as_province):
    lists = client.get(f"/api/v1/rounds/{round_open.pk}/lists", **as_province).json()
    assert len(lists) == 4  # two cities × (name list, formal)
    first = lists[0]
    assert first["received_at"] is None and first["entries"]

    response = post(client, f"/api/v1/lists/{first['id']}/receive", {}, as_province)

    assert response.status_code == 200
    assert response.json()["received_at"] is not None
    assert RecommendationList.objects.get(pk=first["id"]).received_at is not None
    assert AuditEvent.objects.filter(action="review.list_received", object_id=str(first["id"])).count() == 1


def test_receive_list_by_city_reviewer_is_403(accounts, client, round_open, passed, as_city):
    own = RecommendationList.objects.get(round=round_open, org=accounts["yanbian"].org, kind="name_list")

    response = post(client, f"/api/v1/lists/{own.pk}/receive", {}, as_city)

    assert response.status_code == 403
    assert "省厅管理员" in response.json()["detail"]
    assert RecommendationList.objects.get(pk=own.pk).received_at is None


def test_receive_other_citys_list_is_404(accounts, client, round_open, passed, as_city):
    other = RecommendationList.objects.get(round=round_open, org=accounts["tonghua"].org, kind="name_list")

    assert post(client, f"/api/v1/lists/{other.pk}/receive", {}, as_city).status_code == 404


def test_round_lists_for_city_is_403_and_other_province_404(client, round_open, passed, as_city, outsider):
    assert client.get(f"/api/v1/rounds/{round_open.pk}/lists", **as_city).status_code == 403
    assert client.get(f"/api/v1/rounds/{round_open.pk}/lists", **outsider).status_code == 404


# --- spot checks -----------------------------------------------------------------------------

def test_spot_check_with_files_is_201_and_listed(client, passed, as_province, settings):
    app = passed[0]
    files = [SimpleUploadedFile("现场照片.pdf", PDF, content_type="application/pdf"),
             SimpleUploadedFile("记录.pdf", PDF + b"%", content_type="application/pdf")]

    response = client.post(f"/api/v1/applications/{app.pk}/spot-checks",
                           {"checked_on": "2025-06-03", "people": "王处长", "findings": "运营主体在运营", "files": files},
                           **as_province)

    assert response.status_code == 201, response.content
    body = response.json()
    assert [f["name"] for f in body["files"]] == ["现场照片.pdf", "记录.pdf"]
    assert SpotCheck.objects.get().files.count() == 2
    listed = client.get(f"/api/v1/applications/{app.pk}/spot-checks", **as_province).json()
    assert listed[0]["findings"] == "运营主体在运营"
    download = client.get(f"/api/v1/spot-check-files/{body['files'][0]['id']}", **as_province)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_spot_check_refuses_executable_by_content(client, passed, as_province):
    exe = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00" + b"\x00" * 64)

    response = client.post(f"/api/v1/applications/{passed[0].pk}/spot-checks",
                           {"checked_on": "2025-06-03", "people": "王处长", "findings": "情况", "files": [exe]},
                           **as_province)

    assert response.status_code == 400
    assert response.json()["field"] == "files"
    assert not SpotCheck.objects.exists()


def test_spot_check_without_findings_is_400_naming_field(client, passed, as_province):
    response = client.post(f"/api/v1/applications/{passed[0].pk}/spot-checks",
                           {"checked_on": "2025-06-03", "people": "王处长"}, **as_province)

    assert response.status_code == 400
    assert response.json()["field"] == "findings"
    assert "发现的情况" in response.json()["detail"]


def test_spot_check_by_city_is_403_and_out_of_scope_404(accounts, client, passed, as_city):
    body = {"checked_on": "2025-06-03", "people": "王处长", "findings": "情况"}
    yanbian_app, tonghua_app = passed[0], passed[3]

    assert client.post(f"/api/v1/applications/{yanbian_app.pk}/spot-checks", body, **as_city).status_code == 403
    assert client.post(f"/api/v1/applications/{tonghua_app.pk}/spot-checks", body, **as_city).status_code == 404
    assert client.get(f"/api/v1/applications/{yanbian_app.pk}/spot-checks", **as_city).status_code == 403


# --- publicity -------------------------------------------------------------------------------

def test_publicity_start_objection_resolution_and_finalize(accounts, client, round_open, passed, as_province):
    response = propose(client, round_open, passed[:2], as_province)
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["ends_on"] == "2025-10-13"
    assert [status_of(a)[0] for a in passed[:2]] == [Status.PUBLICITY, Status.PUBLICITY]
    entry = batch["entries"][0]

    objection = post(client, f"/api/v1/publicity-entries/{entry['id']}/objections",
                     {"received_on": "2025-10-09", "submitted_by": "某企业", "content": "产值数据与统计部门不一致"},
                     as_province)
    assert objection.status_code == 201, objection.content
    resolved = post(client, f"/api/v1/objections/{objection.json()['id']}/resolution",
                    {"upheld": True, "resolution": "经核查产值虚报，异议成立"}, as_province)
    assert resolved.status_code == 200 and resolved.json()["upheld"] is True

    listed = client.get(f"/api/v1/rounds/{round_open.pk}/publicity-batches", **as_province).json()
    assert listed[0]["entries"][0]["objections"][0]["resolution"] == "经核查产值虚报，异议成立"

    with time_machine.travel(datetime(2025, 10, 14, 9, tzinfo=SH), tick=False):
        final = post(client, f"/api/v1/publicity-batches/{batch['id']}/finalize", {}, as_province)

    assert final.status_code == 200, final.content
    assert [e["outcome"] for e in final.json()["entries"]] == [Status.NOT_RECOGNIZED, Status.RECOGNIZED]
    assert [status_of(a)[0] for a in passed[:2]] == [Status.NOT_RECOGNIZED, Status.RECOGNIZED]


def test_finalize_before_publicity_ends_is_409(client, round_open, passed, as_province):
    batch = propose(client, round_open, passed[:1], as_province).json()

    with time_machine.travel(datetime(2025, 10, 13, 23, 59, tzinfo=SH), tick=False):
        response = post(client, f"/api/v1/publicity-batches/{batch['id']}/finalize", {}, as_province)

    assert response.status_code == 409
    assert "尚未期满" in response.json()["detail"]
    assert status_of(passed[0])[0] == Status.PUBLICITY


def test_start_publicity_for_application_not_passed_is_409(client, round_open, passed, as_province):
    propose(client, round_open, passed[:1], as_province)

    response = propose(client, round_open, passed[:2], as_province)

    assert response.status_code == 409
    assert response.json()["field"] == "applications"
    assert status_of(passed[1])[0] == Status.INITIAL_PASSED


def test_start_publicity_without_title_is_400_naming_field(client, round_open, passed, as_province):
    response = propose(client, round_open, passed[:1], as_province, title=" ")

    assert response.status_code == 400
    assert response.json()["field"] == "title"
    assert not PublicityBatch.objects.exists()


def test_start_publicity_by_city_is_403_and_other_province_404(client, round_open, passed, as_city, outsider):
    assert propose(client, round_open, passed[:1], as_city).status_code == 403
    assert propose(client, round_open, passed[:1], outsider).status_code == 404
    assert not PublicityBatch.objects.exists()


def test_start_publicity_with_stale_state_version_is_409(client, round_open, passed, as_province):
    app = passed[0]

    response = propose(client, round_open, [app], as_province, state_versions={str(app.pk): app.state_version - 1})

    assert response.status_code == 409
    assert response.json()["field"] == "state_versions"
    assert status_of(app)[0] == Status.INITIAL_PASSED
    ok = propose(client, round_open, [app], as_province, state_versions={str(app.pk): app.state_version})
    assert ok.status_code == 201


def test_objection_resolution_without_text_is_400(client, round_open, passed, as_province):
    entry = propose(client, round_open, passed[:1], as_province).json()["entries"][0]
    objection = post(client, f"/api/v1/publicity-entries/{entry['id']}/objections",
                     {"received_on": "2025-10-09", "submitted_by": "匿名", "content": "异议"}, as_province).json()

    response = post(client, f"/api/v1/objections/{objection['id']}/resolution", {"upheld": False, "resolution": " "},
                    as_province)

    assert response.status_code == 400
    assert response.json()["field"] == "resolution"
    assert Objection.objects.get().upheld is None


def test_objection_by_city_is_403_and_out_of_scope_404(accounts, client, round_open, passed, as_province, as_city):
    entries = {e["application"]["id"]: e["id"] for e in
               propose(client, round_open, [passed[0], passed[3]], as_province).json()["entries"]}
    body = {"received_on": "2025-10-09", "submitted_by": "匿名", "content": "异议"}

    own, other = entries[passed[0].pk], entries[passed[3].pk]

    assert post(client, f"/api/v1/publicity-entries/{own}/objections", body, as_city).status_code == 403
    assert post(client, f"/api/v1/publicity-entries/{other}/objections", body, as_city).status_code == 404
    assert not Objection.objects.exists()


# --- the national selection ------------------------------------------------------------------

def test_national_candidates_select_and_mark_sent(accounts, client, round_open, passed, as_province, expert_scores):
    expert_scores({passed[0]: 90, passed[1]: 80, passed[2]: 85, passed[3]: 70})
    candidates = client.get(f"/api/v1/rounds/{round_open.pk}/national-candidates", **as_province).json()
    assert [c["application"]["id"] for c in candidates["candidates"]] == [passed[i].pk for i in (0, 2, 1, 3)]
    assert candidates["candidates"][0]["score"] == "90" and candidates["candidates"][0]["selectable"] is True

    response = put(client, f"/api/v1/rounds/{round_open.pk}/national-selection",
                   {"picks": [{"application": passed[0].pk}, {"application": passed[1].pk, "reason": "细分领域优势突出"}]},
                   as_province)

    assert response.status_code == 200, response.content
    ranks = [(p["application"]["id"], p["rank"]) for p in response.json()["picks"]]
    assert ranks == [(passed[0].pk, 1), (passed[1].pk, 2)]
    assert status_of(passed[1]) == (Status.INITIAL_PASSED, N.SELECTED)
    picked = client.get(f"/api/v1/rounds/{round_open.pk}/national-candidates", **as_province).json()["candidates"]
    assert picked[2]["pick"]["reason"] == "细分领域优势突出"

    sent = post(client, f"/api/v1/rounds/{round_open.pk}/national-selection/sent", {}, as_province)

    assert sent.status_code == 200, sent.content
    assert all(p["sent_at"] for p in sent.json()["picks"])
    assert status_of(passed[0]) == (Status.INITIAL_PASSED, N.SENT)


def test_select_national_over_quota_is_409(client, round_open, passed, as_province):
    round_open.national_quota = 1
    round_open.save(update_fields=["national_quota"])

    response = put(client, f"/api/v1/rounds/{round_open.pk}/national-selection",
                   {"picks": [{"application": passed[0].pk}, {"application": passed[1].pk}]}, as_province)

    assert response.status_code == 409
    assert "超出国家级推荐名额（1个）" in response.json()["detail"]
    assert not NationalPick.objects.exists()


def test_select_national_out_of_order_without_reason_is_400(client, round_open, passed, as_province, expert_scores):
    expert_scores({passed[0]: 90, passed[1]: 80})

    response = put(client, f"/api/v1/rounds/{round_open.pk}/national-selection",
                   {"picks": [{"application": passed[1].pk}]}, as_province)

    assert response.status_code == 400
    assert response.json()["field"] == f"picks.{passed[1].pk}.reason"
    assert "调整排序须说明理由" in response.json()["detail"]


def test_select_national_without_application_is_400(client, round_open, passed, as_province):
    response = put(client, f"/api/v1/rounds/{round_open.pk}/national-selection", {"picks": [{"rank": 1}]},
                   as_province)

    assert response.status_code == 400
    assert "picks.0.application" in response.json()["detail"]


def test_select_national_by_city_is_403_other_province_404(client, round_open, passed, as_city, outsider):
    body = {"picks": [{"application": passed[0].pk}]}

    assert put(client, f"/api/v1/rounds/{round_open.pk}/national-selection", body, as_city).status_code == 403
    assert put(client, f"/api/v1/rounds/{round_open.pk}/national-selection", body, outsider).status_code == 404
    assert client.get(f"/api/v1/rounds/{round_open.pk}/national-candidates", **as_city).status_code == 403


def test_mark_sent_without_selection_is_409(client, round_open, passed, as_province):
    response = post(client, f"/api/v1/rounds/{round_open.pk}/national-selection/sent", {}, as_province)

    assert response.status_code == 409
    assert "尚未选定" in response.json()["detail"]


def test_mark_sent_with_stale_state_version_is_409(client, round_open, passed, as_province):
    put(client, f"/api/v1/rounds/{round_open.pk}/national-selection", {"picks": [{"application": passed[0].pk}]},
        as_province)
    read = passed[0].state_version  # read before the selection moved it

    response = post(client, f"/api/v1/rounds/{round_open.pk}/national-selection/sent",
                    {"state_versions": {str(passed[0].pk): read}}, as_province)

    assert response.status_code == 409
    assert response.json()["field"] == "state_versions"
    assert status_of(passed[0])[1] == N.SELECTED


# --- the ministry's outcome (an existing workflow action) ------------------------------------

def sent_application(client, round_, app, headers) -> Application:
    put(client, f"/api/v1/rounds/{round_.pk}/national-selection", {"picks": [{"application": app.pk}]}, headers)
    post(client, f"/api/v1/rounds/{round_.pk}/national-selection/sent", {}, headers)
    return Application.objects.get(pk=app.pk)


def test_ministry_recognized_records_document_number_and_date(client, round_open, passed, as_province):
    app = sent_application(client, round_open, passed[0], as_province)

    response = post(client, f"/api/v1/applications/{app.pk}/actions/ministry_recognized",
                    {"document_number": "工信部企业函〔2025〕123号", "date": "2025-12-01", "comment": "同意",
                     "state_version": app.state_version}, as_province)

    assert response.status_code == 200, response.content
    assert response.json()["national_status"] == N.RECOGNIZED
    event = AuditEvent.objects.filter(action="review.ministry_recognized").get()
    assert (event.after["document_number"], event.after["date"]) == ("工信部企业函〔2025〕123号", "2025-12-01")


def test_ministry_outcome_without_state_version_is_400(client, round_open, passed, as_province):
    app = sent_application(client, round_open, passed[0], as_province)

    response = post(client, f"/api/v1/applications/{app.pk}/actions/ministry_not_recognized", {}, as_province)

    assert response.status_code == 400
    assert response.json()["field"] == "state_version"
    assert status_of(app)[1] == N.SENT


def test_ministry_outcome_with_bad_date_is_400(client, round_open, passed, as_province):
    app = sent_application(client, round_open, passed[0], as_province)

    response = post(client, f"/api/v1/applications/{app.pk}/actions/ministry_recognized",
                    {"date": "2025/12/01", "state_version": app.state_version}, as_province)

    assert response.status_code == 400
    assert response.json()["field"] == "date"


# --- the timeline ----------------------------------------------------------------------------

def timeline(client, app, headers) -> list[dict]:
    response = client.get(f"/api/v1/applications/{app.pk}/timeline", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_timeline_includes_lists_receipt_and_later_steps(accounts, client, round_open, passed, as_province, api_token):
    app = passed[0]
    name_list = RecommendationList.objects.get(round=round_open, org=accounts["yanbian"].org, kind="name_list")
    post(client, f"/api/v1/lists/{name_list.pk}/receive", {}, as_province)
    propose(client, round_open, [app], as_province)
    put(client, f"/api/v1/rounds/{round_open.pk}/national-selection", {"picks": [{"application": app.pk}]}, as_province)

    events = timeline(client, app, api_token(accounts["dunhua"]))

    actions = [(e["kind"], e["action"]) for e in events]
    assert actions[0] == ("application", "application.created")
    order = [("application", "application.submitted"), ("application", "review.city_recommend"),
             ("list", "review.name_list_submitted"), ("list", "review.formal_submitted"),
             ("application", "review.formal_submitted"), ("application", "review.province_pass"),
             ("list", "review.list_received"), ("application", "review.publicity_started"),
             ("application", "review.national_selected")]
    assert [a for a in actions if a in order] == order
    by_action = {(e["kind"], e["action"]): e for e in events}
    assert by_action[("list", "review.name_list_submitted")]["subject"] == "延边朝鲜族自治州推荐名单"
    assert by_action[("application", "review.city_recommend")]["label"] == "推荐为省级"  # the transition's label
    assert by_action[("list", "review.list_received")]["label"] == "确认收到名单"  # not a transition: vocabulary
    assert by_action[("application", "review.publicity_started")]["label"] == "拟认定并公示"
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_timeline_leaves_out_lists_of_other_cities(accounts, client, round_open, passed, as_province):
    tonghua_app = passed[3]

    events = timeline(client, tonghua_app, as_province)

    subjects = {e["subject"] for e in events if e["kind"] == "list"}
    assert subjects == {"通化市推荐名单", "通化市正式推荐"}


def test_timeline_shows_only_the_name_list_sendings_that_held_the_application(accounts, client, round_open,
                                                                             submit_new, as_province):
    from clusterdesk.reviews import domain

    kept, dropped = submit_new("dunhua", "敦化市医药产业集群"), submit_new("yanji", "延吉市人参大健康产业集群")
    for app in (kept, dropped):
        domain.perform(actor=accounts["yanbian"], application=app, action="city_recommend")
    domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    domain.perform(actor=accounts["yanbian"], application=Application.objects.get(pk=dropped.pk),
                   action="city_unrecommend")
    lst = domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)  # sent again without it
    post(client, f"/api/v1/lists/{lst.pk}/receive", {}, as_province)

    dropped_lists = [e["action"] for e in timeline(client, dropped, as_province) if e["kind"] == "list"]
    kept_lists = [e["action"] for e in timeline(client, kept, as_province) if e["kind"] == "list"]

    assert dropped_lists == ["review.name_list_submitted"]
    assert kept_lists == ["review.name_list_submitted", "review.name_list_submitted", "review.list_received"]


def test_timeline_hides_expert_events_from_county_and_city(accounts, client, passed, as_province, api_token):
    app = passed[0]
    record(action="expert.scored", actor=accounts["expert"], obj=app, comment="评分 88")

    assert "expert.scored" in [e["action"] for e in timeline(client, app, as_province)]
    for seat in ("dunhua", "yanbian"):
        assert "expert.scored" not in [e["action"] for e in timeline(client, app, api_token(accounts[seat]))]


def test_timeline_hides_spot_checks_from_county(accounts, client, passed, as_province, api_token):
    client.post(f"/api/v1/applications/{passed[0].pk}/spot-checks",
                {"checked_on": "2025-06-03", "people": "王处长", "findings": "运营主体未见实际运营"}, **as_province)

    assert "review.spot_check" in [e["action"] for e in timeline(client, passed[0], as_province)]
    assert "review.spot_check" not in [e["action"] for e in timeline(client, passed[0], api_token(accounts["dunhua"]))]


def test_timeline_list_event_shows_only_the_applications_own_entry(accounts, client, passed, api_token):
    events = timeline(client, passed[0], api_token(accounts["dunhua"]))

    sent = next(e for e in events if e["action"] == "review.name_list_submitted")
    assert [entry["id"] for entry in sent["after"]["entries"]] == [passed[0].pk]
    assert sent["after"]["entries_total"] == 3  # 延边: two from 敦化, one from 延吉


def test_application_page_timeline_shows_lists_and_hides_expert_events(accounts, passed, login):
    app = passed[0]
    record(action="expert.scored", actor=accounts["expert"], obj=app, comment="评分 88")
    url = reverse("application_detail", args=[app.pk])

    page = login(accounts["dunhua"]).get(url).content.decode()
    assert "延边朝鲜族自治州推荐名单" in page and "评分 88" not in page
    assert "评分 88" in login(accounts["province"]).get(url).content.decode()


def test_timeline_query_count_does_not_grow_with_events(accounts, client, round_open, passed, as_province):
    app = passed[0]
    timeline(client, app, as_province)
    with CaptureQueriesContext(connection) as few:
        timeline(client, app, as_province)
    for i in range(20):
        record(action="review.spot_check", actor=accounts["province"], obj=app, after={"i": i})
    with CaptureQueriesContext(connection) as many:
        assert len(timeline(client, app, as_province)) > 20

    assert len(many) == len(few)


# --- query-count guards ----------------------------------------------------------------------

def count_queries(client, path, headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **headers).status_code == 200
    return len(queries)


def test_publicity_batches_query_count_same_for_1_and_4_entries(client, round_open, passed, as_province):
    path = f"/api/v1/rounds/{round_open.pk}/publicity-batches"
    batch = propose(client, round_open, passed[:1], as_province).json()
    post(client, f"/api/v1/publicity-entries/{batch['entries'][0]['id']}/objections",
         {"received_on": "2025-10-09", "submitted_by": "匿名", "content": "异议"}, as_province)
    one = count_queries(client, path, as_province)

    propose(client, round_open, passed[1:4], as_province)
    for entry in PublicityEntry.objects.exclude(pk=batch["entries"][0]["id"]):
        post(client, f"/api/v1/publicity-entries/{entry.pk}/objections",
             {"received_on": "2025-10-09", "submitted_by": "匿名", "content": "异议"}, as_province)

    assert count_queries(client, path, as_province) == one


def test_national_candidates_and_lists_query_count_same_with_more_picks(client, round_open, passed, as_province):
    candidates = f"/api/v1/rounds/{round_open.pk}/national-candidates"
    lists = f"/api/v1/rounds/{round_open.pk}/lists"
    put(client, f"/api/v1/rounds/{round_open.pk}/national-selection", {"picks": [{"application": passed[0].pk}]},
        as_province)
    before = count_queries(client, candidates, as_province), count_queries(client, lists, as_province)

    put(client, f"/api/v1/rounds/{round_open.pk}/national-selection",
        {"picks": [{"application": a.pk} for a in passed[:4]]}, as_province)

    assert (count_queries(client, candidates, as_province), count_queries(client, lists, as_province)) == before
