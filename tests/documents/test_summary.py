"""附件2 推荐汇总表 (.xlsx): structure, figures, filters, scope, query count.

The fixtures here (``submit_new``, ``chain``, ``many``) are shared with ``test_letter.py`` and
``test_briefing.py``, which import them.
"""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import PDF, complete_body

# (applicant account, city account, cluster name, 同步推荐国家级, output scale, city comment).
# Invented figures: real ones are not public.
CLUSTERS = [
    ("dunhua", "yanbian", "敦化市医药产业集群", True, 1, "医药产业基础好，建议重点支持"),
    ("dunhua", "yanbian", "敦化市林下经济产业集群", False, Decimal("0.5"), ""),
    ("yanji", "yanbian", "延吉市人参大健康产业集群", True, Decimal("0.8"), ""),
    ("tonghua_county", "tonghua", "通化县葡萄酒产业集群", True, Decimal("0.9"), ""),
]


def body(name: str, scale=1, enterprises: int = 3) -> dict:
    data = complete_body(enterprises)
    data["name"] = name
    for row in data["indicators"]:
        for key in ("total_output", "sme_output", "leading_output"):
            row[key] = str(Decimal(row[key]) * Decimal(str(scale)))
    return data


@pytest.fixture
def submit_new(accounts, round_open, upload_required):
    """Create, fill, upload the required evidence and submit one application (real domain calls)."""
    from clusterdesk.applications import domain as apps

    def make(applicant: str, name: str, scale=1, enterprises: int = 3):
        user = accounts[applicant]
        app = apps.create_application(actor=user, round_=round_open)
        apps.save_fields(actor=user, application=app, data=body(name, scale, enterprises))
        upload_required(app, user)
        apps.submit(actor=user, application=app)
        app.refresh_from_db()
        return app

    return make


@pytest.fixture
def chain(accounts, round_open, submit_new):
    """The four CLUSTERS driven through the real chain: each submitted, recommended by its city
    (with its national flag and comment); 延边州 sends its name list and its formal
    recommendation with a letter (its three become ``formal``); 通化's stays ``recommended``."""
    from clusterdesk.applications.models import Application
    from clusterdesk.reviews import domain

    made = {}
    for applicant, city, name, national, scale, comment in CLUSTERS:
        app = submit_new(applicant, name, scale)
        domain.perform(actor=accounts[city], application=app, action="city_recommend",
                       inputs={"national": national, "comment": comment})
        made[name] = app
    domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    domain.submit_formal(actor=accounts["yanbian"], round_=round_open, confirm_final=True,
                         letter=SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf"))
    return {name: Application.objects.get(pk=app.pk) for name, app in made.items()}


@pytest.fixture
def many(accounts, round_open, submit_new):
    """``many(n)``: n more applications of 敦化市, each created, filled and submitted through the
    domain, then set to 市州拟推荐 (every other one flagged 同步推荐国家级).

    Shortcut for list-shaped tests only: the status is set with a queryset update instead of n
    ``city_recommend`` actions (the chain itself is exercised by ``chain``)."""
    from clusterdesk.applications.models import Application, Status

    made = []

    def make(n: int):
        start = len(made)
        for i in range(start, start + n):
            made.append(submit_new("dunhua", f"敦化市示例{i + 1:02d}产业集群", 1 + Decimal(i) / 10))
        ids = [a.pk for a in made[start:]]
        Application.objects.filter(pk__in=ids).update(status=Status.RECOMMENDED)
        Application.objects.filter(pk__in=ids[::2]).update(national_flag=True)
        return list(Application.objects.filter(pk__in=[a.pk for a in made]).order_by("number"))

    return make


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.content)).active


def data_rows(ws) -> dict[str, int]:
    """Cluster name (column D) → row number, for the data rows."""
    rows = {}
    for r in range(5, ws.max_row + 1):
        value = ws.cell(r, 4).value
        if value and ws.cell(r, 1).data_type == "n" and ws.cell(r, 1).value is not None:
            rows[value] = r
    return rows


def summary_url(round_, **params) -> str:
    from urllib.parse import urlencode

    url = reverse("summary_xlsx", args=[round_.pk])
    return f"{url}?{urlencode(params)}" if params else url


# --- structure and figures ----------------------------------------------------------------------

def test_city_summary_structure_and_figures(accounts, round_open, chain, login):
    response = login(accounts["yanbian"]).get(summary_url(round_open))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    ws = workbook(response)

    assert ws["A1"].value == "2025年度中小企业特色产业集群推荐汇总表"
    assert ws["A2"].value.startswith("推荐单位（盖章）：延边朝鲜族自治州工业和信息化局")
    assert "单位：亿元" in [c.value for c in ws[2]]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:T1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:F4", "G3:G4", "H3:H4",
            "I3:K3", "L3:M3", "O3:P3", "T3:T4"} <= merged
    assert [ws.cell(3, c).value for c in range(1, 10)] == [
        "序号", "市(州)", "县(市、区)", "集群名称", "主导产业", "细分领域", "运营主体", "面积\n（平方公里）", "集群产值"]
    assert [ws.cell(4, c).value for c in (9, 10, 11)] == ["2022年", "2023年", "2024年"]
    assert ws["L3"].value == "2024年占比" and ws["O3"].value == "优质中小企业数量（家）"
    assert ws["N3"].value == "年均增速\n（2022—2024年）"  # the declared years, for every row (issue 12)
    assert ws["R3"].value.startswith("推荐级别") and ws["S3"].value == "联系人及电话" and ws["T3"].value == "备注"

    rows = data_rows(ws)
    assert set(rows) == {"敦化市医药产业集群", "敦化市林下经济产业集群", "延吉市人参大健康产业集群"}  # not 通化's
    r = rows["敦化市医药产业集群"]
    assert ws.cell(r, 2).value == "延边朝鲜族自治州" and ws.cell(r, 3).value == "敦化市"
    assert ws.cell(r, 5).value == "医药制造业（C27）"
    assert ws.cell(r, 6).value == "中成药" and ws.cell(r, 7).value == "敦化经济开发区管理委员会"
    assert ws.cell(r, 8).value == 85.5 and ws.cell(r, 8).data_type == "n"
    for col, value in ((9, 45.0), (10, 50.0), (11, 56.0)):
        cell = ws.cell(r, col)
        assert cell.data_type == "n" and cell.number_format == "0.00" and cell.value == value
    assert ws.cell(r, 12).value == pytest.approx(42 / 56) and ws.cell(r, 12).number_format == "0.00%"
    assert ws.cell(r, 13).value == pytest.approx(45 / 56)
    assert ws.cell(r, 14).value == pytest.approx((56 / 45) ** (1 / 2) - 1) and ws.cell(r, 14).data_type == "n"
    assert (ws.cell(r, 15).value, ws.cell(r, 16).value) == (0, 3)
    assert ws.cell(r, 15).number_format == "0"
    assert ws.cell(r, 18).value == "同步推荐国家级"
    assert ws.cell(r, 19).value == "张三 0433-6220000"
    assert ws.cell(r, 20).value == "医药产业基础好，建议重点支持"
    half = rows["敦化市林下经济产业集群"]
    assert ws.cell(half, 11).value == 28.0 and ws.cell(half, 18).value == "省级"
    assert ws.cell(r, 1).border.left.style == "thin" and ws.cell(3, 6).border.top.style == "thin"

    assert ws.freeze_panes == "E5"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows == "$3:$4"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth) == 1


def test_province_summary_covers_every_unit_and_filters_by_unit(accounts, round_open, chain, login):
    client = login(accounts["province"])
    ws = workbook(client.get(summary_url(round_open)))
    assert ws["A2"].value.startswith("推荐单位（盖章）：吉林省工业和信息化厅")
    rows = data_rows(ws)
    assert set(rows) == {name for _, _, name, *_ in CLUSTERS}
    assert ws.cell(rows["通化县葡萄酒产业集群"], 2).value == "通化市"
    assert [ws.cell(r, 1).value for r in sorted(rows.values())] == [1, 2, 3, 4]

    ws = workbook(client.get(summary_url(round_open, org="220500")))
    assert set(data_rows(ws)) == {"通化县葡萄酒产业集群"}
    assert "推荐单位：通化市" in ws["A2"].value

    assert client.get(summary_url(round_open, org="999999")).status_code == 404
    for who in ("leader", "sysadmin"):
        assert set(data_rows(workbook(login(accounts[who]).get(summary_url(round_open))))) == set(rows)


def test_filters_of_the_page_are_honoured(accounts, round_open, chain, login):
    client = login(accounts["yanbian"])
    ws = workbook(client.get(summary_url(round_open, national="1")))
    assert set(data_rows(ws)) == {"敦化市医药产业集群", "延吉市人参大健康产业集群"}  # the unflagged one is out
    assert "同步推荐国家级" in ws["A1"].value and "仅同步推荐国家级" in ws["A2"].value

    assert set(data_rows(workbook(client.get(summary_url(round_open, status="recommended"))))) == set()
    assert len(data_rows(workbook(client.get(summary_url(round_open, status="formal,recommended"))))) == 3
    province = login(accounts["province"])
    ws = workbook(province.get(summary_url(round_open, status="recommended")))
    assert set(data_rows(ws)) == {"通化县葡萄酒产业集群"}

    # a city may only name itself; an unknown status goes back to the page with the reason
    client = login(accounts["yanbian"])
    assert client.get(summary_url(round_open, org="220500")).status_code == 404
    assert client.get(summary_url(round_open, org="222400")).status_code == 200
    response = client.get(summary_url(round_open, status="nonsense"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("city_lists", args=[round_open.pk])
    assert "状态“nonsense”无效" in response.content.decode()


def test_empty_summary_still_has_its_table(accounts, round_open, login):
    ws = workbook(login(accounts["changbaishan"]).get(summary_url(round_open)))
    assert ws["A1"].value == "2025年度中小企业特色产业集群推荐汇总表"
    assert ws["A5"].value == "（没有符合条件的申报）"


def test_text_typed_by_applicants_is_never_a_formula(accounts, round_open, submit_new, login):
    from clusterdesk.reviews import domain

    app = submit_new("dunhua", "=HYPERLINK(\"http://x\",\"集群\")")
    domain.perform(actor=accounts["yanbian"], application=app, action="city_recommend", inputs={})
    ws = workbook(login(accounts["yanbian"]).get(summary_url(round_open)))
    assert ws["D5"].data_type == "s" and ws["D5"].value.startswith("=HYPERLINK")


# --- scope ----------------------------------------------------------------------------------------

def test_out_of_scope_is_refused_with_the_reason(accounts, round_open, chain, login, make_user):
    from clusterdesk.rounds.domain import create_round

    for who in ("dunhua", "expert"):
        response = login(accounts[who]).get(summary_url(round_open))
        assert response.status_code == 403
        assert "只有省厅管理员、领导和市州审核人员可以导出推荐汇总表" in response.content.decode()
    assert login(accounts["yanbian"]).get(reverse("summary_xlsx", args=[round_open.pk + 999])).status_code == 404
    hidden = create_round(actor=accounts["province"], name="2026年度（筹备）", year=2026, deadlines={})
    assert login(accounts["yanbian"]).get(summary_url(hidden)).status_code == 404  # a draft round cities cannot see
    assert login(accounts["province"]).get(summary_url(hidden)).status_code == 200
    client = login(accounts["yanbian"])
    client.logout()
    assert client.get(summary_url(round_open)).status_code == 302  # login required


def test_api_summary(accounts, round_open, chain, client, api_token):
    url = f"/api/v1/rounds/{round_open.pk}/documents/summary.xlsx"
    ws = workbook(client.get(url, **api_token(accounts["yanbian"])))
    assert len(data_rows(ws)) == 3
    ws = workbook(client.get(url + "?national=1", **api_token(accounts["province"])))
    assert set(data_rows(ws)) == {"敦化市医药产业集群", "延吉市人参大健康产业集群", "通化县葡萄酒产业集群"}
    response = client.get(url, **api_token(accounts["dunhua"]))
    assert response.status_code == 403 and "市州审核人员" in response.json()["detail"]
    response = client.get(url + "?status=nonsense", **api_token(accounts["yanbian"]))
    assert response.status_code == 400 and response.json()["field"] == "status"
    response = client.get(url + "?org=220500", **api_token(accounts["yanbian"]))
    assert response.status_code == 404
    assert client.get(f"/api/v1/rounds/{round_open.pk + 999}/documents/summary.xlsx",
                      **api_token(accounts["yanbian"])).status_code == 404


# --- links on the pages -----------------------------------------------------------------------------

def test_pages_link_the_documents_with_their_filters(accounts, round_open, login):
    city = login(accounts["yanbian"]).get(reverse("city_lists", args=[round_open.pk]) + "?status=formal&national=1")
    html = city.content.decode()
    for label in ("导出附件2（Excel）", "领导简报（PDF）", reverse("letter_docx", args=[round_open.pk]),
                  reverse("letter_pdf", args=[round_open.pk]), reverse("briefing_pdf", args=[round_open.pk])):
        assert label in html
    assert f'{reverse("summary_xlsx", args=[round_open.pk])}?status=formal&amp;national=1' in html
    province = login(accounts["province"])
    for name in ("province_overview", "national_selection"):
        html = province.get(reverse(name, args=[round_open.pk])).content.decode()
        assert "导出附件2（Excel）" in html and "推荐文件（" in html and "领导简报（PDF）" in html
    assert f'{reverse("summary_xlsx", args=[round_open.pk])}?national=1' in html  # the selection page's list


# --- bounded queries --------------------------------------------------------------------------------

def test_query_count_does_not_grow_with_the_list(accounts, round_open, many, login):
    client = login(accounts["yanbian"])
    url = summary_url(round_open)
    many(1)
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert len(data_rows(workbook(client.get(url)))) == 1
    many(29)
    with CaptureQueriesContext(connection) as thirty:
        assert len(data_rows(workbook(client.get(url)))) == 30
    assert len(one) == len(thirty), [q["sql"] for q in thirty.captured_queries]


def test_application_list_export_link_keeps_the_filters(accounts, client, round_open):
    client.force_login(accounts["yanbian"])

    body = client.get("/applications/", {"round": round_open.pk, "status": "recommended"}).content.decode()

    assert f'/documents/rounds/{round_open.pk}/summary.xlsx?status=recommended' in body


def test_growth_header_names_the_declared_years_even_without_a_base_year(accounts, round_open, submit_new,
                                                                         upload_required, login):
    """Growth is one method for the round (compound over the declared years): a cluster that
    gave no base-year figure grows over the same years as the others, so the header names them
    once and no per-row years column is needed."""
    from clusterdesk.applications import domain as apps
    from clusterdesk.reviews import domain

    full = submit_new("dunhua", "敦化市医药产业集群")
    user = accounts["dunhua"]
    short = apps.create_application(actor=user, round_=round_open)
    data = body("敦化市林下经济产业集群")
    data["indicators"] = [r for r in data["indicators"] if int(r["year"]) != 2021]
    apps.save_fields(actor=user, application=short, data=data)
    upload_required(short, user)
    apps.submit(actor=user, application=short)
    short.refresh_from_db()
    for app, comment in ((full, "医药产业基础好。"), (short, "")):
        domain.perform(actor=accounts["yanbian"], application=app, action="city_recommend",
                       inputs={"national": False, "comment": comment})

    ws = workbook(login(accounts["yanbian"]).get(summary_url(round_open)))
    heads = [ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    g = heads.index("年均增速\n（2022—2024年）") + 1
    assert "增速起止年份" not in heads
    rows = data_rows(ws)
    assert ws.cell(rows["敦化市医药产业集群"], g).value == ws.cell(rows["敦化市林下经济产业集群"], g).value
    remarks = heads.index("备注") + 1
    assert ws.cell(rows["敦化市医药产业集群"], remarks).value == "医药产业基础好"


def test_remarks_join_without_doubled_punctuation():
    from clusterdesk.documents.summary import join_remarks

    assert join_remarks(["建议重点支持。", "国家级推荐第1位"]) == "建议重点支持；国家级推荐第1位"
    assert join_remarks(["基础好；", "", None, "国家级推荐第2位。"]) == "基础好；国家级推荐第2位"
    for joined in (join_remarks(["a。", "b"]), join_remarks(["a；", "b"]), join_remarks(["a,", "b"])):
        assert "。；" not in joined and "；；" not in joined and ",；" not in joined
