"""Round pages: list with countdowns, create/edit forms, checklist, extensions, sub-cluster catalogue."""

import io
from datetime import date, datetime

import pytest
import time_machine

from clusterdesk.audit.models import AuditEvent
from clusterdesk.catalog.models import SubCluster
from clusterdesk.rounds.domain import create_round, grant_extension
from clusterdesk.rounds.models import SHANGHAI, Extension, Round

FORM = {
    "name": "2026年度中小企业特色产业集群申报推荐",
    "year": "2026",
    "status": "draft",
    "county_submission": "2026-03-31",
    "name_list": "2026-04-10",
    "formal_submission": "2026-04-30",
    "national_recommendation": "2026-05-31",
    "national_quota": "8",
    "city_quota": "3",
    "city_quota_needs_county": "on",
    "criteria_sets": ["national-2022@1", "jilin-provincial-2024@1"],
    "contact_office": "省工信厅中小企业处",
    "contact_name": "王处长",
    "contact_phone": "0431-88888888",
    "contact_email": "zxqyc@example.gov.cn",
    "notice": "纸质材料一式三份",
}



@pytest.fixture(autouse=True)
def _criteria(criteria_sets):
    """The round form offers the active criteria sets: the shipped ones are loaded."""


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SHANGHAI), tick=False)


# --- List and countdown ----------------------------------------------------------------------

def test_round_list_shows_deadlines_and_countdown(round_2025, accounts, client):
    with at(2025, 3, 21, 10, 0):
        client.force_login(accounts["province"])
        body = client.get("/rounds/").content.decode()

    assert "2025年度中小企业特色产业集群申报推荐" in body
    assert "2025-03-31" in body and "还剩 10 天" in body and "还剩 20 天" in body
    assert "新建批次" in body


def test_round_list_shows_today_and_closed(round_2025, accounts, client):
    with at(2025, 3, 31, 9, 0):
        client.force_login(accounts["province"])
        today = client.get("/rounds/").content.decode()
    with at(2025, 4, 1, 0, 0, 0):
        client.force_login(accounts["province"])
        closed = client.get("/rounds/").content.decode()

    assert "今天截止" in today
    assert "已截止" in closed and "今天截止" not in closed


def test_round_list_county_sees_own_extension_in_countdown(round_2025, accounts, jilin, client):
    grant_extension(actor=accounts["province"], round_=round_2025, stage_code="county_submission", org=jilin["222403"],
                    closes_at=datetime(2025, 4, 3, 23, 59, 59, tzinfo=SHANGHAI), reason="系统故障")

    with at(2025, 4, 1, 9, 0):
        client.force_login(accounts["dunhua"])
        mine = client.get("/rounds/").content.decode()
        client.force_login(accounts["yanji"])
        other = client.get("/rounds/").content.decode()

    assert "已延期" in mine and "还剩 2 天" in mine
    assert "已延期" not in other and "已截止" in other


def test_round_list_hides_draft_from_county(accounts, client):
    create_round(actor=accounts["province"], name="2026年度筹备", year=2026, status="draft", deadlines={})
    client.force_login(accounts["dunhua"])

    body = client.get("/rounds/").content.decode()

    assert "2026年度筹备" not in body and "新建批次" not in body


def test_round_detail_draft_is_404_for_city(accounts, client):
    draft = create_round(actor=accounts["province"], name="2026年度筹备", year=2026, status="draft", deadlines={})
    client.force_login(accounts["tonghua"])

    assert client.get(f"/rounds/{draft.pk}/").status_code == 404


# --- Create and edit ----------------------------------------------------------------------------

def test_round_create_form_prefills_name_and_quota(accounts, client):
    with at(2026, 1, 5, 9, 0):
        client.force_login(accounts["province"])
        body = client.get("/rounds/new/").content.decode()

    assert 'value="2026年度中小企业特色产业集群申报推荐"' in body
    assert 'name="national_quota" value="8"' in body
    assert 'type="date" name="county_submission"' in body


def test_round_create_saves_round_with_stages(accounts, client):
    client.force_login(accounts["province"])

    response = client.post("/rounds/new/", FORM)

    round_ = Round.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/rounds/{round_.pk}/"
    assert round_.criteria_sets == [
        {"code": "national-2022", "version": 1}, {"code": "jilin-provincial-2024", "version": 1},
    ]
    assert (round_.city_quota, round_.city_quota_needs_county, round_.one_per_niche) == (3, True, False)
    assert {s.code: s.deadline for s in round_.stages.all()}["name_list"] == date(2026, 4, 10)
    assert round_.checklist.count() == 12


def test_round_create_blank_city_quota_means_unlimited(accounts, client):
    client.force_login(accounts["province"])

    client.post("/rounds/new/", {**FORM, "city_quota": ""})

    assert Round.objects.get().city_quota is None


def test_round_create_stages_out_of_order_shown_beside_field(accounts, client):
    client.force_login(accounts["province"])

    response = client.post("/rounds/new/", {**FORM, "formal_submission": "2026-04-01"})

    body = response.content.decode()
    assert response.status_code == 200 and not Round.objects.exists()
    assert "市州正式推荐：“市州正式推荐”的截止日期（2026-04-01）不能早于“市州报送推荐名单”（2026-04-10）" in body


def test_round_create_unknown_criteria_refused(accounts, client):
    client.force_login(accounts["province"])

    body = client.post("/rounds/new/", {**FORM, "criteria_sets": ["national-2022@9"]}).content.decode()

    assert not Round.objects.exists()
    assert "适用认定标准：所选认定标准“national-2022@9”不存在或未启用，请从列表中勾选" in body


def test_round_form_picks_criteria_sets_by_chinese_name(accounts, client):
    """Issue 15 §9: checkboxes of the active set versions with their Chinese names, no typed codes."""
    client.force_login(accounts["province"])

    body = client.get("/rounds/new/").content.decode()

    assert 'type="checkbox" name="criteria_sets" value="national-2022@1"' in body
    assert "国家级中小企业特色产业集群认定标准（2022年版）第1版</label>" in body
    assert "吉林省省级中小企业特色产业集群认定标准（2024年，阈值待确认）第1版</label>" in body
    assert "national-2022@" not in body.replace('value="national-2022@1"', "")
    assert 'type="text" name="criteria_sets"' not in body


def test_round_detail_names_the_criteria_sets_in_chinese(accounts, client):
    client.force_login(accounts["province"])
    client.post("/rounds/new/", FORM)

    body = client.get(f"/rounds/{Round.objects.get().pk}/").content.decode()

    assert "国家级中小企业特色产业集群认定标准（2022年版）第1版、吉林省省级" in body
    assert "national-2022" not in body


def test_round_create_missing_deadline_refused(accounts, client):
    client.force_login(accounts["province"])

    body = client.post("/rounds/new/", {**FORM, "name_list": ""}).content.decode()

    assert not Round.objects.exists()
    assert "请选择“市州报送推荐名单”的截止日期" in body


@pytest.mark.parametrize("who", ["tonghua", "dunhua", "leader", "expert"])
def test_round_create_by_non_admin_is_403(accounts, client, who):
    client.force_login(accounts[who])

    get = client.get("/rounds/new/")
    post = client.post("/rounds/new/", FORM)

    assert get.status_code == 403 and post.status_code == 403
    assert "只有省厅管理员可以管理申报批次" in get.content.decode()
    assert not Round.objects.exists()


def test_round_edit_changes_settings_and_deadline(round_2025, accounts, client):
    client.force_login(accounts["province"])
    form = {**FORM, "name": round_2025.name, "year": "2025", "status": "open", "county_submission": "2025-03-31",
            "name_list": "2025-04-15", "formal_submission": "2025-04-30", "national_recommendation": "2025-05-31",
            "city_quota": "", "city_quota_needs_county": ""}

    response = client.post(f"/rounds/{round_2025.pk}/edit/", form)

    round_2025.refresh_from_db()
    assert response.status_code == 302
    assert round_2025.stages.get(code="name_list").deadline == date(2025, 4, 15)
    assert (round_2025.city_quota, round_2025.city_quota_needs_county) == (None, False)
    assert AuditEvent.objects.filter(action="round.updated").count() == 1


def test_round_edit_by_city_is_403(round_2025, accounts, client):
    client.force_login(accounts["tonghua"])

    assert client.get(f"/rounds/{round_2025.pk}/edit/").status_code == 403


# --- Detail ---------------------------------------------------------------------------------

def test_round_detail_shows_checklist_extensions_and_admin_links(round_2025, accounts, jilin, client):
    grant_extension(actor=accounts["province"], round_=round_2025, stage_code="name_list", org=jilin["220500"],
                    closes_at=datetime(2025, 4, 12, 23, 59, 59, tzinfo=SHANGHAI), reason="材料补正，经请示同意")
    client.force_login(accounts["province"])

    body = client.get(f"/rounds/{round_2025.pk}/").content.decode()

    assert "2025年4月10日24时" in body
    assert "统计部门出具的集群产值证明" in body and "必须" in body and "OFD 版式文件" in body
    assert "通化市" in body and "2025年4月12日24时" in body and "材料补正，经请示同意" in body
    assert "修改批次设置" in body and "批准延期" in body


def test_round_detail_for_county_has_no_admin_links_nor_other_units_extensions(round_2025, accounts, jilin, client):
    grant_extension(actor=accounts["province"], round_=round_2025, stage_code="name_list", org=jilin["220500"],
                    closes_at=datetime(2025, 4, 12, 23, 59, 59, tzinfo=SHANGHAI), reason="材料补正，经请示同意")
    client.force_login(accounts["dunhua"])

    body = client.get(f"/rounds/{round_2025.pk}/").content.decode()

    assert "修改批次设置" not in body and "材料补正，经请示同意" not in body


# --- Checklist page -------------------------------------------------------------------------

def test_checklist_edit_adds_item(round_2025, accounts, client):
    client.force_login(accounts["province"])

    response = client.post(f"/rounds/{round_2025.pk}/checklist/", {
        "action": "save", "code": "E13", "title": "集群品牌证明", "required": "on",
        "allowed_types": ["pdf", "ofd"], "order": "13",
    })

    item = round_2025.checklist.get(code="E13")
    assert response.status_code == 302
    assert (item.required, item.allowed_types, item.order) == (True, ["pdf", "ofd"], 13)


def test_checklist_edit_without_file_type_shows_error(round_2025, accounts, client):
    client.force_login(accounts["province"])

    body = client.post(f"/rounds/{round_2025.pk}/checklist/", {
        "action": "save", "code": "E13", "title": "集群品牌证明", "order": "13",
    }).content.decode()

    assert "允许的文件类型：请至少选择一种允许的文件类型" in body
    assert not round_2025.checklist.filter(code="E13").exists()


def test_checklist_edit_unknown_file_type_shows_error(round_2025, accounts, client):
    client.force_login(accounts["province"])

    body = client.post(f"/rounds/{round_2025.pk}/checklist/", {
        "action": "save", "code": "E13", "title": "视频", "allowed_types": ["mp4"], "order": "13",
    }).content.decode()

    assert "文件类型“mp4”不在可选范围内" in body
    assert not round_2025.checklist.filter(code="E13").exists()


def test_checklist_edit_removes_item(round_2025, accounts, client):
    client.force_login(accounts["province"])

    client.post(f"/rounds/{round_2025.pk}/checklist/", {"action": "remove", "code": "E10"})

    assert not round_2025.checklist.filter(code="E10").exists()


def test_checklist_edit_prefills_item_to_change(round_2025, accounts, client):
    client.force_login(accounts["province"])

    body = client.get(f"/rounds/{round_2025.pk}/checklist/?edit=E03").content.decode()

    assert "修改 E03" in body and 'value="中小企业研发投入证明"' in body


def test_checklist_edit_by_county_is_403(round_2025, accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/rounds/{round_2025.pk}/checklist/", {"action": "remove", "code": "E10"})

    assert response.status_code == 403 and round_2025.checklist.filter(code="E10").exists()


# --- Extensions page ------------------------------------------------------------------------

def test_extension_grant_records_one_unit(round_2025, accounts, client):
    client.force_login(accounts["province"])

    response = client.post(f"/rounds/{round_2025.pk}/extensions/", {
        "stage": "county_submission", "org": "220521", "day": "2025-04-03", "at": "23:59:59", "reason": "系统故障",
    })

    extension = Extension.objects.get()
    assert response.status_code == 302
    assert (extension.org.code, extension.stage_code) == ("220521", "county_submission")
    assert extension.granted_by == accounts["province"]
    assert extension.closes_at == datetime(2025, 4, 3, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_extension_grant_page_lists_units_with_codes(round_2025, accounts, client):
    client.force_login(accounts["province"])

    body = client.get(f"/rounds/{round_2025.pk}/extensions/").content.decode()

    assert "通化县（220521）" in body and 'value="23:59:59"' in body


def test_extension_grant_not_after_deadline_shows_error(round_2025, accounts, client):
    client.force_login(accounts["province"])

    body = client.post(f"/rounds/{round_2025.pk}/extensions/", {
        "stage": "county_submission", "org": "220521", "day": "2025-03-31", "at": "23:59:59", "reason": "系统故障",
    }).content.decode()

    assert "延期时间应晚于原截止时间（2025年3月31日24时）" in body
    assert not Extension.objects.exists()


def test_extension_grant_without_reason_shows_error(round_2025, accounts, client):
    client.force_login(accounts["province"])

    body = client.post(f"/rounds/{round_2025.pk}/extensions/", {
        "stage": "county_submission", "org": "220521", "day": "2025-04-03", "at": "23:59:59", "reason": "",
    }).content.decode()

    assert "延期原因：请填写延期原因" in body and not Extension.objects.exists()


def test_extension_grant_by_city_is_403(round_2025, accounts, client):
    client.force_login(accounts["tonghua"])

    response = client.post(f"/rounds/{round_2025.pk}/extensions/", {
        "stage": "county_submission", "org": "220521", "day": "2025-04-03", "at": "23:59:59", "reason": "x",
    })

    assert response.status_code == 403 and not Extension.objects.exists()


# --- Sub-cluster catalogue -------------------------------------------------------------------

def upload(name: str, raw: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, raw)


def test_subcluster_upload_csv_imports(accounts, client):
    client.force_login(accounts["province"])
    raw = "编号,名称,所属产业,备注\n01,长春汽车零部件子集群,汽车,\n".encode()

    response = client.post("/rounds/subclusters/", {"file": upload("s.csv", raw)}, follow=True)

    body = response.content.decode()
    assert SubCluster.objects.get().name == "长春汽车零部件子集群"
    assert "导入完成：新增 1 个" in body and "长春汽车零部件子集群" in body


def test_subcluster_upload_xlsx_imports(accounts, client):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["编号", "名称", "所属产业", "备注"])
    book.active.append([1, "长春汽车零部件子集群", "汽车", None])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(accounts["province"])

    client.post("/rounds/subclusters/", {"file": upload("s.xlsx", buffer.getvalue())})

    assert list(SubCluster.objects.values_list("code", "name")) == [("1", "长春汽车零部件子集群")]


def test_subcluster_upload_duplicate_shows_line_and_imports_nothing(accounts, client):
    client.force_login(accounts["province"])
    raw = "编号,名称\n01,甲子集群\n02,乙子集群\n01,丙子集群\n".encode()

    body = client.post("/rounds/subclusters/", {"file": upload("s.csv", raw)}).content.decode()

    assert "第4行：编号“01”与第2行重复" in body and "整个文件未导入" in body
    assert not SubCluster.objects.exists()


def test_subcluster_upload_wrong_extension_refused(accounts, client):
    client.force_login(accounts["province"])

    body = client.post("/rounds/subclusters/", {"file": upload("s.xls", b"junk")}).content.decode()

    assert "只能上传 .csv 或 .xlsx 文件" in body


def test_subcluster_list_for_county_has_no_upload_and_post_is_403(accounts, client):
    SubCluster.objects.create(code="01", name="长春汽车零部件子集群")
    client.force_login(accounts["dunhua"])

    body = client.get("/rounds/subclusters/").content.decode()
    post = client.post("/rounds/subclusters/", {"file": upload("s.csv", "编号,名称\n02,乙\n".encode())})

    assert "长春汽车零部件子集群" in body and "上传并导入" not in body
    assert post.status_code == 403 and SubCluster.objects.count() == 1


def test_subcluster_example_csv_downloads(accounts, client):
    client.force_login(accounts["dunhua"])

    response = client.get("/rounds/subclusters/?example=csv")

    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").startswith("编号,名称,所属产业,备注")


# --- Home panel ------------------------------------------------------------------------------

def test_home_panel_shows_round_with_next_deadline_for_province(round_2025, accounts, client):
    with at(2025, 4, 5, 9, 0):
        client.force_login(accounts["province"])
        body = client.get("/").content.decode()

    assert "2025年度中小企业特色产业集群申报推荐" in body
    assert "下一截止：市州报送推荐名单" in body and "还剩 5 天" in body and "2025年4月10日24时" in body
    assert f'href="/rounds/{round_2025.pk}/"' in body


def test_home_panel_province_without_rounds_offers_create(accounts, client):
    client.force_login(accounts["province"])

    body = client.get("/").content.decode()

    assert "当前没有筹备中或进行中的申报批次" not in body and "新建申报批次" in body


def test_home_panel_not_for_county(round_2025, accounts, client):
    client.force_login(accounts["dunhua"])

    body = client.get("/").content.decode()

    assert "下一截止" not in body



# --- notices the letters cite; a unit's letterhead --------------------------------------------

def test_round_form_and_api_keep_the_notices_and_refuse_a_malformed_number(round_2025, accounts, client, api_token):
    client.force_login(accounts["province"])
    form = {**FORM, "name": round_2025.name, "year": "2025", "status": "open", "county_submission": "2025-03-31",
            "name_list": "2025-04-15", "formal_submission": "2025-04-30", "national_recommendation": "2025-05-31",
            "notice_title": "吉林省工业和信息化厅关于开展2025年度中小企业特色产业集群申报推荐工作的通知",
            "notice_number": "吉工信中小〔2025〕12号",
            "ministry_notice_title": "工业和信息化部办公厅关于开展2025年度中小企业特色产业集群申报和复核工作的通知",
            "ministry_notice_number": "工信厅企业函〔2025〕77号"}
    assert "省厅通知文号" in client.get(f"/rounds/{round_2025.pk}/edit/").content.decode()
    assert client.post(f"/rounds/{round_2025.pk}/edit/", form).status_code == 302
    round_2025.refresh_from_db()
    assert (round_2025.notice_number, round_2025.ministry_notice_number) == ("吉工信中小〔2025〕12号", "工信厅企业函〔2025〕77号")

    response = client.post(f"/rounds/{round_2025.pk}/edit/", {**form, "ministry_notice_number": "工信厅企业函[2025]77号"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "工信部通知文号“工信厅企业函[2025]77号”格式不对" in page
    round_2025.refresh_from_db()
    assert round_2025.ministry_notice_number == "工信厅企业函〔2025〕77号"

    headers = api_token(accounts["province"])
    url = f"/api/v1/rounds/{round_2025.pk}"
    response = client.patch(url, {"notice_number": "2025年12号"}, content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["field"] == "notice_number"
    assert "省厅通知文号" in response.json()["detail"]
    response = client.patch(url, {"notice_number": "吉工信中小〔2025〕13号"}, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["notice_number"] == "吉工信中小〔2025〕13号"
    assert response.json()["ministry_notice_title"].startswith("工业和信息化部办公厅")


def test_unit_letterhead_is_edited_by_the_province_on_the_unit_page(accounts, client):
    from clusterdesk.orgs.models import Org

    url = "/orgs/222400/"
    client.force_login(accounts["province"])
    assert 'data-testid="letterhead-form"' in client.get(url).content.decode()
    response = client.post(url, {"doc_prefix": "延州工信", "signer": "金哲"})
    assert response.status_code == 302
    unit = Org.objects.get(code="222400")
    assert (unit.doc_prefix, unit.signer) == ("延州工信", "金哲")
    assert AuditEvent.objects.filter(action="org.letterhead").count() == 1

    response = client.post(url, {"doc_prefix": "延州工信", "signer": "签" * 21})
    assert response.status_code == 400 and "签发人最多 20 个字" in response.content.decode()
    response = client.post(url, {"doc_prefix": "延州工信〔2025〕", "signer": "金哲"})
    assert response.status_code == 400 and "发文机关代字“延州工信〔2025〕”格式不对" in response.content.decode()
    assert Org.objects.get(code="222400").signer == "金哲"

    client.force_login(accounts["yanbian"])  # the city itself only reads it
    page = client.get(url).content.decode()
    assert "延州工信" in page and 'data-testid="letterhead-form"' not in page
    assert client.post(url, {"doc_prefix": "X", "signer": ""}).status_code == 403
