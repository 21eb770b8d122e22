"""The return loop (issue 15 §6, §7): per-field return comments on the fields they concern, the
county's 修改说明 with its resubmission, the version diff naming evidence by item and file, the
办理记录 grouping autosaves, and the review page putting the content beside the decisions."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clusterdesk.applications import domain as apps
from clusterdesk.applications import evidence as ev
from clusterdesk.applications.diff import evidence_diff
from clusterdesk.applications.models import Application, EvidenceFile, Status
from clusterdesk.reviews import domain
from clusterdesk.reviews.models import ReviewComment
from tests.conftest import PDF, complete_body, make_uscc

FIRM = make_uscc(1)  # the second enterprise of complete_body()


@pytest.fixture
def submitted(accounts, ready):
    apps.submit(actor=accounts["dunhua"], application=ready)
    ready.refresh_from_db()
    return ready


def post_return(client, app, rows, comment="请按逐项意见修改"):
    """The city's 退回修改 form as the page posts it: the general note and 逐项意见 rows."""
    return client.post(f"/reviews/applications/{app.pk}/actions/city_return/", {
        "state_version": app.state_version, "comment": comment,
        "fc_path": [p for p, _ in rows], "fc_text": [t for _, t in rows],
    })


def cell(body: str, data_input: str) -> str:
    """The HTML of the edit form's element marked ``data-input=…`` up to its closing tag."""
    match = re.search(rf'<(td|div) [^>]*data-input="{re.escape(data_input)}"[^>]*>(.*?)</\1>', body, re.S)
    assert match, data_input
    return match.group(2)


# --- per-field return comments ---------------------------------------------------------------


def test_city_return_form_saves_comments_by_field(accounts, client, submitted):
    client.force_login(accounts["yanbian"])

    response = post_return(client, submitted, [
        ("indicators.2024.total_output", "与统计局证明不一致，请核对"),
        (f"quality_enterprises.{FIRM}", "证书已过期，请更换或删除"),
        ("evidence.E01", "请上传盖章的产值证明"),
        ("", ""),  # an empty row is ignored
    ])

    assert response.status_code == 302
    comment = ReviewComment.objects.get(application=submitted, action="city_return")
    assert comment.text == "请按逐项意见修改"
    assert comment.field_comments == {"indicators.2024.total_output": "与统计局证明不一致，请核对",
                                      f"quality_enterprises.{FIRM}": "证书已过期，请更换或删除",
                                      "evidence.E01": "请上传盖章的产值证明"}
    assert Application.objects.get(pk=submitted.pk).status == Status.RETURNED


@pytest.mark.parametrize("rows, message", [
    ([("", "请核对")], "逐项意见第 1 项：请选择这条意见针对的栏目"),
    ([("indicators.2024.total_output", "")], "逐项意见第 1 项：请填写对“2024年集群产值”的意见"),
    ([("indicators.1999.total_output", "x")], "逐项意见第 1 项：所选栏目不存在"),
])
def test_city_return_form_refuses_a_half_filled_row_naming_it(accounts, client, submitted, rows, message):
    client.force_login(accounts["yanbian"])

    response = post_return(client, submitted, rows)

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert message in page
    assert Application.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_review_form_offers_the_fields_of_this_application(accounts, client, submitted):
    client.force_login(accounts["yanbian"])

    body = client.get(f"/applications/{submitted.pk}/").content.decode()

    form = body[body.index('data-testid="field-comments-city_return"'):]
    assert '<option value="indicators.2024.total_output">2024年集群产值</option>' in form
    assert f'<option value="quality_enterprises.{FIRM}">敦化示例药业1有限公司（{FIRM}）</option>' in form
    assert '<option value="evidence.E01">佐证材料「统计部门出具的集群产值证明」</option>' in form


def test_county_sees_each_comment_beside_its_field(accounts, client, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={
        "comment": "请按逐项意见修改",
        "field_comments": {"indicators.2024.total_output": "与统计局证明不一致，请核对",
                           f"quality_enterprises.{FIRM}": "证书已过期，请更换或删除",
                           "area_km2": "面积超过标准，请说明"}})
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{submitted.pk}/edit/").content.decode()

    assert "与统计局证明不一致，请核对" in cell(body, "indicators-2024-total_output")
    assert "与统计局证明不一致" not in cell(body, "indicators-2023-total_output")
    assert "证书已过期，请更换或删除" in cell(body, "quality_enterprises-1-name")  # the firm's row
    assert "证书已过期" not in cell(body, "quality_enterprises-0-name")
    assert "面积超过标准，请说明" in cell(body, "area_km2")
    banner = body[body.index('data-testid="return-comments"'):body.index('data-testid="progress"')]
    assert "请按逐项意见修改" in banner and "2024年集群产值" in banner  # the general note and the list


def test_a_firm_comment_follows_its_row_when_rows_move(accounts, client, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={
        "comment": "见逐项意见", "field_comments": {f"quality_enterprises.{FIRM}": "证书已过期"}})
    firms = complete_body()["quality_enterprises"]
    apps.save_fields(actor=accounts["dunhua"], application=submitted,
                     data={"quality_enterprises": [firms[2], firms[1], firms[0]]})
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{submitted.pk}/edit/").content.decode()

    assert "证书已过期" in cell(body, "quality_enterprises-1-name")
    apps.save_fields(actor=accounts["dunhua"], application=submitted, data={"quality_enterprises": [firms[0]]})
    body = client.get(f"/applications/{submitted.pk}/edit/").content.decode()
    assert "（已不在名单中）" in body  # removed: the comment stays in the banner


def test_evidence_comment_sits_on_its_item(accounts, client, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={
        "comment": "见逐项意见", "field_comments": {"evidence.E09": "成立文件缺少盖章页"}})
    client.force_login(accounts["dunhua"])

    body = client.get(f"/applications/{submitted.pk}/evidence/").content.decode()

    item = body[body.index('id="item-E09"'):]
    item = item[:item.index("</section>")]
    assert "成立文件缺少盖章页" in item
    assert body.count("成立文件缺少盖章页") == 1


def test_return_comments_are_not_shown_to_other_units(accounts, client, api_token, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={
        "comment": "总体意见", "field_comments": {"indicators.2024.total_output": "逐项机密意见"}})

    for seat in ("yanji", "tonghua_county", "tonghua"):  # another county, a county and a city elsewhere
        client.force_login(accounts[seat])
        for url in (f"/applications/{submitted.pk}/", f"/applications/{submitted.pk}/edit/",
                    f"/applications/{submitted.pk}/evidence/"):
            response = client.get(url)
            assert response.status_code == 404, (seat, url)
            assert "逐项机密意见" not in response.content.decode()
        response = client.get(f"/api/v1/applications/{submitted.pk}/timeline", **api_token(accounts[seat]))
        assert response.status_code == 404
    client.force_login(accounts["dunhua"])
    assert "逐项机密意见" in client.get(f"/applications/{submitted.pk}/edit/").content.decode()


# --- 修改说明 -------------------------------------------------------------------------------------


def test_change_note_is_stored_with_the_version_and_shown_to_the_reviewer(accounts, client, api_token, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return",
                   inputs={"comment": "产值有误"})
    apps.save_fields(actor=accounts["dunhua"], application=submitted, data={"area_km2": "80"})
    client.force_login(accounts["dunhua"])
    edit = client.get(f"/applications/{submitted.pk}/").content.decode()
    assert 'name="change_note"' in edit  # offered on a resubmission

    client.post(f"/applications/{submitted.pk}/submit/", {"change_note": "已按统计局证明更正面积"})

    version = submitted.versions.get(number=2)
    assert version.change_note == "已按统计局证明更正面积"
    assert submitted.versions.get(number=1).change_note == ""
    client.force_login(accounts["yanbian"])
    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    panel = page[page.index('data-testid="decision-panel"'):]
    assert "第 2 版修改说明" in panel and "已按统计局证明更正面积" in panel
    timeline = page[page.index('data-testid="timeline"'):]
    assert "提交申报：修改说明：已按统计局证明更正面积" in timeline
    events = client.get(f"/api/v1/applications/{submitted.pk}/timeline", **api_token(accounts["yanbian"])).json()
    last = [e for e in events if e["action"] == "application.submitted"][-1]
    assert (last["comment"], last["comment_label"]) == ("已按统计局证明更正面积", "修改说明")
    assert "已按统计局证明更正面积" in client.get(f"/reviews/applications/{submitted.pk}/diff/").content.decode()
    versions = client.get(f"/api/v1/applications/{submitted.pk}/versions", **api_token(accounts["yanbian"])).json()
    assert [v["change_note"] for v in versions] == ["", "已按统计局证明更正面积"]


def test_change_note_over_the_limit_is_refused_naming_it(accounts, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={"comment": "x"})
    from clusterdesk.core.errors import DomainError

    with pytest.raises(DomainError, match="修改说明不能超过 2000 字"):
        apps.submit(actor=accounts["dunhua"], application=submitted, change_note="改" * 2001)
    assert Application.objects.get(pk=submitted.pk).status == Status.RETURNED


def test_first_submission_keeps_no_change_note(accounts, ready):
    version = apps.submit(actor=accounts["dunhua"], application=ready, change_note="第一次")
    assert version.change_note == ""


def test_change_note_through_the_api(accounts, client, api_token, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={"comment": "x"})

    response = client.post(f"/api/v1/applications/{submitted.pk}/submit", {"change_note": "已补充材料"},
                           content_type="application/json", **api_token(accounts["dunhua"]))

    assert response.status_code == 200 and response.json()["change_note"] == "已补充材料"
    assert submitted.versions.get(number=2).change_note == "已补充材料"


# --- the evidence diff -------------------------------------------------------------------------


def file(item, name, sha):
    return {"id": 1, "item": item, "name": name, "kind": "pdf", "size": 1, "sha256": sha}


def test_evidence_diff_names_items_and_files():
    titles = {"E01": "营业收入证明", "E02": "企业证书", "E03": "研发投入证明", "E04": "平台证书"}
    old = [file("E01", "a.pdf", "1"), file("E02", "old.pdf", "2"), file("E04", "旧名.pdf", "4")]
    new = [file("E01", "b.pdf", "9"), file("E03", "new.pdf", "3"), file("E04", "新名.pdf", "4")]

    changes = [(c.section, c.label, c.before, c.after) for c in evidence_diff(old, new, titles)]

    assert changes == [
        ("佐证材料", "「营业收入证明」：替换", "a.pdf", "b.pdf"),
        ("佐证材料", "「企业证书」：删除", "old.pdf", "（无）"),
        ("佐证材料", "「平台证书」：更名（内容相同）", "旧名.pdf", "新名.pdf"),
        ("佐证材料", "「研发投入证明」：新增", "（无）", "new.pdf"),
    ]
    assert evidence_diff(old, old, titles) == []


def test_diff_page_shows_a_replaced_evidence_file_by_name(accounts, client, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={"comment": "换证明"})
    first = EvidenceFile.objects.get(application=submitted, item_code="E01", removed_at__isnull=True)
    ev.upload_evidence(actor=accounts["dunhua"], application=submitted, item_code="E01",
                       upload=SimpleUploadedFile("产值证明（盖章）.pdf", PDF + b"%v2\n", content_type="application/pdf"))
    ev.remove_evidence(actor=accounts["dunhua"], application=submitted, evidence=first)
    apps.submit(actor=accounts["dunhua"], application=submitted)
    client.force_login(accounts["yanbian"])

    body = client.get(f"/reviews/applications/{submitted.pk}/diff/").content.decode()

    assert "「统计部门出具的集群产值证明」：替换" in body
    assert f">{first.original_name}<" in body and ">产值证明（盖章）.pdf<" in body


# --- the 办理记录 groups autosaves ------------------------------------------------------------------


def test_seventeen_autosaves_are_one_line_with_count_and_time(accounts, client, api_token, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={"comment": "改"})
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    for n in range(17):
        with time_machine.travel(start + timedelta(seconds=20 * n), tick=False):
            apps.save_fields(actor=accounts["dunhua"], application=submitted, data={"niche": f"中成药{n}"})
    last = timezone.localtime(start + timedelta(seconds=20 * 16))
    client.force_login(accounts["yanbian"])

    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    timeline = page[page.index('data-testid="timeline"'):]
    since_return = timeline[timeline.index("退回修改"):]

    assert since_return.count(f"填报 17 次，最后 {last:%H:%M}") == 1
    assert "保存申报内容" not in since_return  # no line per save
    events = client.get(f"/api/v1/applications/{submitted.pk}/timeline", **api_token(accounts["yanbian"])).json()
    returned = [e["action"] for e in events].index("review.city_return")
    saves = [e for e in events[returned:] if e["action"] == "application.section_saved"]
    assert len(saves) == 1
    assert saves[0]["saves"] == 17 and saves[0]["label"] == f"填报 17 次，最后 {last:%H:%M}"
    assert saves[0]["after"]["first_at"] == start.isoformat()


def test_autosaves_of_two_users_or_around_another_step_are_not_merged(accounts, submitted, make_user):
    second = make_user("dunhua2", "222403", "county_applicant")
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={"comment": "改"})
    for who, niche in ((accounts["dunhua"], "a"), (accounts["dunhua"], "b"), (second, "c"), (accounts["dunhua"], "d")):
        apps.save_fields(actor=who, application=submitted, data={"niche": niche})

    events = domain.timeline(submitted, viewer=accounts["dunhua"])
    returned = [e.action for e in events].index("review.city_return")
    lines = [(e.actor_username, e.label) for e in events[returned:] if e.action == "application.section_saved"]

    assert [label.split("，")[0] for _, label in lines] == ["填报 2 次", "保存申报内容", "保存申报内容"]
    assert [who for who, _ in lines] == ["dunhua", "dunhua2", "dunhua"]


# --- the review page ---------------------------------------------------------------------------


def test_review_page_puts_the_decision_panel_beside_the_content(accounts, client, submitted):
    client.force_login(accounts["yanbian"])
    body = client.get(f"/applications/{submitted.pk}/").content.decode()

    layout = body[body.index('data-testid="review-layout"'):]
    side, content = layout.index('data-testid="decision-panel"'), layout.index('data-testid="application-content"')
    assert side < content  # narrow screens: summary and actions first (the stylesheet moves them right)
    panel = layout[side:content]
    assert 'data-testid="summary-card"' in panel and 'data-testid="action-city_recommend"' in panel

    client.force_login(accounts["dunhua"])
    assert 'data-testid="review-layout"' not in client.get(f"/applications/{submitted.pk}/").content.decode()


def test_a_refused_resubmission_keeps_the_typed_change_note(accounts, client, submitted):
    domain.perform(actor=accounts["yanbian"], application=submitted, action="city_return", inputs={"comment": "x"})
    apps.save_fields(actor=accounts["dunhua"], application=submitted, data={"niche": ""})  # now incomplete
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{submitted.pk}/submit/", {"change_note": "已更正面积"})

    assert Application.objects.get(pk=submitted.pk).status == Status.RETURNED
    page = client.get(response["Location"]).content.decode()
    assert "还不能提交" in page and ">已更正面积</textarea>" in page
    assert ">已更正面积</textarea>" not in client.get(response["Location"]).content.decode()  # shown once
