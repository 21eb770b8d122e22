"""The XLSX template of 主要指标 and 优质企业: build, parse, import, and the two views."""

import io
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from clusterdesk.applications import xlsx
from clusterdesk.applications.domain import create_application, load_data, save_fields
from clusterdesk.core.errors import DomainError
from tests.conftest import complete_body, make_uscc

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def new_app(accounts, round_open):
    """Another empty application of 敦化市 in the open round."""

    def make():
        return create_application(actor=accounts["dunhua"], round_=round_open)

    return make


def _edit(raw: bytes, change) -> bytes:
    wb = load_workbook(io.BytesIO(raw))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row_of_year(ws, year: int) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == year)


def _enterprise_rows(ws) -> list[int]:
    return [r for r in range(3, ws.max_row + 1) if ws.cell(r, 2).value]


def _upload(raw: bytes, name: str = "模板.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, raw, content_type=XLSX_TYPE)


def _messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def _import_error(client, response) -> list[str]:
    """A refused import: back to the edit page at the import box, the error beside its file input
    (not a message at the top of the page); returns the error's lines."""
    import re

    assert response.status_code == 302 and response["Location"].endswith("#error-xlsx-import")
    assert _messages(response) == []
    page = client.get(response["Location"].split("#")[0]).content.decode()
    box = page.index('<div class="import-box has-error">')
    assert box < page.index('id="xlsx-import-file"') < page.index('id="error-xlsx-import"') < page.index("</section>", box)
    here = re.search(r'id="error-xlsx-import"[^>]*data-error-for="xlsx-import-file"[^>]*>(.*?)</div>', page, re.S)
    assert here
    lines = [re.sub(r"<[^>]+>", "", x).strip() for x in re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", here.group(1), re.S)]
    # shown once: a reload shows the clean box
    assert "error-xlsx-import" not in client.get(response["Location"].split("#")[0]).content.decode()
    return lines


# --- The template ---------------------------------------------------------------------------


def test_template_has_three_sheets_headers_and_round_years(draft):
    wb = load_workbook(io.BytesIO(xlsx.build_template(draft)))

    assert wb.sheetnames == ["主要指标", "优质企业", "填写说明"]
    indicators, enterprises = wb["主要指标"], wb["优质企业"]
    assert [c.value for c in indicators[2]][:6] == [
        "年份", "集群产值（亿元）", "中小企业产值（亿元）", "主导产业产值（亿元）", "中小企业研发投入（亿元）", "企业数量（家）",
    ]
    assert [c.value for c in enterprises[2]] == ["序号", "企业名称", "统一社会信用代码", "资质", "获评年份", "是否属于主导产业"]
    assert [indicators.cell(r, 1).value for r in range(3, 7)] == [2021, 2022, 2023, 2024]
    assert "可选" in indicators.cell(3, 7).value and "基期" in indicators.cell(3, 7).value
    assert indicators.cell(2, 1).font.b and indicators.cell(2, 1).fill.fgColor.rgb.endswith("DDEBF7")
    assert indicators.freeze_panes == "A3" and enterprises.freeze_panes == "A3"
    assert enterprises.column_dimensions["B"].width >= 30


def test_template_prefills_saved_values_when_filled(filled):
    wb = load_workbook(io.BytesIO(xlsx.build_template(filled)))

    indicators, enterprises = wb["主要指标"], wb["优质企业"]
    row = _row_of_year(indicators, 2023)
    assert [indicators.cell(row, c).value for c in range(2, 7)] == [50, 38, 40, 1.2, 90]  # the web form's order
    assert indicators.cell(row, 2).number_format == "0.00"
    assert isinstance(indicators.cell(row, 2).value, int | float)
    first = _enterprise_rows(enterprises)[0]
    assert [enterprises.cell(first, c).value for c in range(1, 7)] == [
        1, "敦化示例药业0有限公司", make_uscc(0), "专精特新", 2023, "是",
    ]
    assert len(_enterprise_rows(enterprises)) == 3


def test_template_credit_codes_are_text_with_yes_no_list(filled):
    ws = load_workbook(io.BytesIO(xlsx.build_template(filled)))["优质企业"]

    rows = _enterprise_rows(ws)
    assert all(ws.cell(r, 3).number_format == "@" and ws.cell(r, 3).data_type == "s" for r in rows)
    assert ws.cell(rows[-1] + 5, 3).number_format == "@"  # empty rows to fill in are text too
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and lists[0].formula1 == '"是,否"' and "F3" in str(lists[0].sqref)


def test_template_help_sheet_explains_units_computed_shares_and_credit_code_check(draft):
    ws = load_workbook(io.BytesIO(xlsx.build_template(draft)))["填写说明"]

    text = "\n".join(str(c.value) for c in ws["A"] if c.value)
    assert "亿元" in text and "小数" in text
    assert "自动计算" in text and "占比" in text and "增长率" in text
    assert "校验" in text and "统一社会信用代码" in text


def test_template_enterprise_name_starting_with_equals_is_text_not_formula(accounts, draft):
    body = {"quality_enterprises": [{"name": "=HYPERLINK(\"http://x\")", "uscc": make_uscc(1),
                                     "qualifications": ["champion"], "year": 2023, "in_leading_industry": False}]}
    save_fields(actor=accounts["dunhua"], application=draft, data=body)

    ws = load_workbook(io.BytesIO(xlsx.build_template(draft)))["优质企业"]

    assert ws.cell(3, 2).data_type == "s" and ws.cell(3, 6).value == "否"


# --- Import ---------------------------------------------------------------------------------


def test_import_round_trip_into_fresh_draft_keeps_values_and_edit(accounts, filled, new_app):
    def change(wb):
        ws = wb["主要指标"]
        ws.cell(_row_of_year(ws, 2024), 2).value = 60.5

    raw = _edit(xlsx.build_template(filled), change)
    target = new_app()

    counts = xlsx.import_workbook(actor=accounts["dunhua"], application=target, raw=raw)

    assert counts == {"years": 4, "enterprises": 3}
    data, source = load_data(target), load_data(filled)
    by_year = {r["year"]: r for r in data["indicators"]}
    assert by_year[2024]["total_output"] == "60.5"
    assert by_year[2022]["enterprise_count"] == 85 and by_year[2022]["sme_rd_spending"] == "1.1"
    assert data["quality_enterprises"] == source["quality_enterprises"]


def test_import_unchanged_template_round_trips_into_same_application(accounts, filled):
    before = load_data(filled)

    xlsx.import_workbook(actor=accounts["dunhua"], application=filled, raw=xlsx.build_template(filled))

    after = load_data(filled)
    assert after["quality_enterprises"] == before["quality_enterprises"]
    assert [{k: str(v) for k, v in r.items()} for r in after["indicators"]] == [
        {k: str(v).removesuffix(".0") for k, v in r.items()} for r in before["indicators"]
    ]


def test_parse_maps_chinese_qualification_labels_to_codes(draft):
    labels = ["单项冠军、小巨人", "专精特新,高新", "创新型中小企业", "专精特新“小巨人”，国家级高新技术企业", "little_giant"]

    def change(wb):
        ws = wb["优质企业"]
        for i, text in enumerate(labels):
            ws.cell(3 + i, 2).value = f"企业{i}"
            ws.cell(3 + i, 3).value = make_uscc(i)
            ws.cell(3 + i, 4).value = text
            ws.cell(3 + i, 5).value = 2023
            ws.cell(3 + i, 6).value = "否"

    data = xlsx.parse_workbook(_edit(xlsx.build_template(draft), change), draft.round)

    assert [e["qualifications"] for e in data["quality_enterprises"]] == [
        ["champion", "little_giant"], ["specialized", "high_tech"], ["innovative"], ["little_giant", "high_tech"],
        ["little_giant"],
    ]
    assert data["quality_enterprises"][0] == {
        "name": "企业0", "uscc": make_uscc(0), "qualifications": ["champion", "little_giant"], "year": 2023,
        "in_leading_industry": "否",
    }


def test_parse_skips_blank_rows_and_reads_text_numbers_with_commas(draft):
    def change(wb):
        ws = wb["主要指标"]
        row = _row_of_year(ws, 2022)
        ws.cell(row, 2).value = "1,234.5"
        ws.cell(row, 6).value = " 85 "
        ws = wb["优质企业"]
        ws.cell(4, 2).value = "有限公司甲"
        ws.cell(4, 3).value = make_uscc(7)
        ws.cell(4, 4).value = "高新"
        ws.cell(9, 1).value = 7  # a 序号 and 是/否 filled down over an empty row are not an enterprise
        ws.cell(9, 6).value = "否"

    data = xlsx.parse_workbook(_edit(xlsx.build_template(draft), change), draft.round)

    row = next(r for r in data["indicators"] if r["year"] == 2022)
    assert row["total_output"] == "1,234.5" and row["enterprise_count"] == "85"
    assert [e["name"] for e in data["quality_enterprises"]] == ["有限公司甲"]


def test_import_text_with_commas_is_saved_as_number(accounts, draft):
    def change(wb):
        ws = wb["主要指标"]
        ws.cell(_row_of_year(ws, 2022), 2).value = "1,234.5"

    xlsx.import_workbook(actor=accounts["dunhua"], application=draft, raw=_edit(xlsx.build_template(draft), change))

    assert load_data(draft)["indicators"] == [
        {"year": 2022, "total_output": "1234.5", "sme_output": None, "leading_output": None, "enterprise_count": None,
         "sme_rd_spending": None},
    ]


def test_import_invalid_credit_code_names_excel_row_and_saves_nothing(accounts, filled, new_app):
    def change(wb):
        ws = wb["优质企业"]
        ws.cell(6, 2).value = "敦化第四家有限公司"
        ws.cell(6, 3).value = make_uscc(4)[:-1] + ("0" if make_uscc(4)[-1] != "0" else "1")
        ws.cell(6, 4).value = "专精特新"
        ws.cell(6, 5).value = 2022

    raw = _edit(xlsx.build_template(filled), change)
    target = new_app()

    with pytest.raises(DomainError) as caught:
        xlsx.import_workbook(actor=accounts["dunhua"], application=target, raw=raw)

    messages = [e["message"] for e in caught.value.errors]
    assert len(messages) == 1
    assert messages[0].startswith("优质企业表第 6 行：第4家企业的统一社会信用代码")
    assert "校验位不正确" in messages[0]
    assert "优质企业表第 6 行" in caught.value.message and "没有保存" in caught.value.message
    assert load_data(target)["indicators"] is None and load_data(target)["quality_enterprises"] is None


def test_import_sme_output_above_total_names_year_row_and_saves_nothing(accounts, filled):
    before = load_data(filled)

    def change(wb):
        ws = wb["主要指标"]
        ws.cell(_row_of_year(ws, 2023), 3).value = 51
        wb["优质企业"].cell(3, 2).value = "改过名字的企业"

    with pytest.raises(DomainError) as caught:
        xlsx.import_workbook(actor=accounts["dunhua"], application=filled, raw=_edit(xlsx.build_template(filled), change))

    (message,) = [e["message"] for e in caught.value.errors]
    assert message.startswith("主要指标表第 5 行：2023年中小企业产值")
    assert "不能大于集群产值" in message
    assert load_data(filled) == before


def test_import_numeric_credit_code_gets_text_format_hint(accounts, draft):
    def change(wb):
        ws = wb["优质企业"]
        ws.cell(3, 2).value = "数字代码有限公司"
        ws.cell(3, 3).value = 1.22224035e17  # what Excel keeps of an 18-digit code typed into a number cell
        ws.cell(3, 4).value = "高新"

    with pytest.raises(DomainError) as caught:
        xlsx.import_workbook(actor=accounts["dunhua"], application=draft, raw=_edit(xlsx.build_template(draft), change))

    (message,) = [e["message"] for e in caught.value.errors]
    assert message.startswith("优质企业表第 3 行：") and "文本格式" in message


def test_import_by_city_reviewer_is_refused(accounts, filled):
    with pytest.raises(DomainError) as caught:
        xlsx.import_workbook(actor=accounts["yanbian"], application=filled, raw=xlsx.build_template(filled))

    assert "县级申报账号" in caught.value.message


def test_import_records_imported_audit_event(accounts, filled, new_app):
    from clusterdesk.audit.models import AuditEvent

    target = new_app()

    xlsx.import_workbook(actor=accounts["dunhua"], application=target, raw=xlsx.build_template(filled))

    assert AuditEvent.objects.filter(action="application.imported", object_id=str(target.pk)).count() == 1


# --- Structural errors ----------------------------------------------------------------------


def test_parse_pdf_renamed_xlsx_gives_clear_error(round_open):
    with pytest.raises(DomainError) as caught:
        xlsx.parse_workbook(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", round_open)

    assert caught.value.message == "上传的文件不是 Excel（.xlsx）文件，请下载模板填写后再导入"
    assert caught.value.field == "file"


def test_parse_old_xls_says_save_as_xlsx(round_open):
    with pytest.raises(DomainError) as caught:
        xlsx.parse_workbook(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, round_open)

    assert ".xls" in caught.value.message and "另存为" in caught.value.message and caught.value.field == "file"


def test_parse_zip_that_is_not_a_workbook_is_refused(round_open):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")

    with pytest.raises(DomainError) as caught:
        xlsx.parse_workbook(out.getvalue(), round_open)

    assert caught.value.message == xlsx.NOT_XLSX


def test_parse_missing_enterprise_sheet_names_it(draft):
    raw = _edit(xlsx.build_template(draft), lambda wb: wb.remove(wb["优质企业"]))

    with pytest.raises(DomainError) as caught:
        xlsx.parse_workbook(raw, draft.round)

    assert "缺少“优质企业”工作表" in caught.value.message
    assert "序号 | 企业名称 | 统一社会信用代码" in caught.value.message
    assert caught.value.field == "file"


def test_parse_changed_header_names_sheet_column_and_expected_header(draft):
    raw = _edit(xlsx.build_template(draft), lambda wb: setattr(wb["主要指标"].cell(2, 3), "value", "中小企业产值（万元）"))

    with pytest.raises(DomainError) as caught:
        xlsx.parse_workbook(raw, draft.round)

    message = caught.value.message
    assert "“主要指标”工作表第 2 行" in message and "第 3 列应为“中小企业产值（亿元）”" in message
    assert "年份 | 集群产值（亿元）" in message and caught.value.field == "file"


def test_parse_header_with_half_width_brackets_and_no_title_row_is_accepted(draft):
    wb = Workbook()
    ws = wb.active
    ws.title = "主要指标"
    ws.append(["年份", "集群产值(亿元)", "中小企业产值(亿元)", "主导产业产值(亿元)", "中小企业研发投入(亿元)", "企业数量(家)"])
    ws.append([2024, 10, 5, 6, 0.5, 20])
    wb.create_sheet("优质企业").append(["序号", "企业名称", "统一社会信用代码", "资质", "获评年份", "是否属于主导产业"])
    out = io.BytesIO()
    wb.save(out)

    data = xlsx.parse_workbook(out.getvalue(), draft.round)

    assert data == {"indicators": [{"year": 2024, "total_output": 10, "sme_output": 5, "leading_output": 6,
                                    "enterprise_count": 20, "sme_rd_spending": 0.5}], "quality_enterprises": []}


def test_parse_template_of_another_round_is_refused(draft):
    def change(wb):
        ws = wb["主要指标"]
        for r in range(3, 7):
            ws.cell(r, 1).value = ws.cell(r, 1).value - 6
            ws.cell(r, 2).value = 10

    with pytest.raises(DomainError) as caught:
        xlsx.parse_workbook(_edit(xlsx.build_template(draft), change), draft.round)

    assert "其他批次的模板" in caught.value.message and caught.value.field == "file"


# --- Views ----------------------------------------------------------------------------------


def test_template_download_by_county_is_xlsx_attachment(accounts, client, filled):
    client.force_login(accounts["dunhua"])

    response = client.get(f"/applications/{filled.pk}/import/template.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(XLSX_TYPE)
    assert "attachment" in response["Content-Disposition"]
    assert "%E4%B8%BB%E8%A6%81%E6%8C%87%E6%A0%87" in response["Content-Disposition"]  # 主要指标, RFC 5987
    assert load_workbook(io.BytesIO(response.content)).sheetnames[:2] == ["主要指标", "优质企业"]


def test_template_download_by_other_county_is_404(accounts, client, filled):
    client.force_login(accounts["yanji"])

    assert client.get(f"/applications/{filled.pk}/import/template.xlsx").status_code == 404


def test_import_view_saves_and_redirects_to_indicators(accounts, client, filled, new_app):
    target = new_app()
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{target.pk}/import/", {"file": _upload(xlsx.build_template(filled))})

    assert response.status_code == 302
    assert response["Location"] == f"/applications/{target.pk}/edit/#indicators"
    assert any("4 个年份" in m and "3 家" in m for m in _messages(response))
    assert load_data(target)["quality_enterprises"] == load_data(filled)["quality_enterprises"]


def test_import_view_lists_row_errors_and_saves_nothing(accounts, client, filled, new_app):
    target = new_app()

    def change(wb):
        wb["优质企业"].cell(4, 3).value = "91222403MA0000000X"

    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{target.pk}/import/",
                           {"file": _upload(_edit(xlsx.build_template(filled), change))})

    messages = _import_error(client, response)
    assert "没有导入" in messages[0]
    assert any(m.startswith("优质企业表第 4 行：第2家企业的统一社会信用代码") for m in messages[1:])
    assert load_data(target)["quality_enterprises"] is None


def test_import_view_pdf_shows_clear_error(accounts, client, draft):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/import/", {"file": _upload(b"%PDF-1.4 fake", "指标.xlsx")})

    assert any("不是 Excel（.xlsx）文件" in m and "指标.xlsx" in m for m in _import_error(client, response))


def test_import_view_without_file_asks_for_one(accounts, client, draft):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/import/", {})

    assert any("请选择要导入的 Excel 文件" in m for m in _import_error(client, response))


def test_import_view_get_is_405(accounts, client, draft):
    client.force_login(accounts["dunhua"])

    assert client.get(f"/applications/{draft.pk}/import/").status_code == 405


def test_import_view_by_other_county_is_404(accounts, client, filled):
    client.force_login(accounts["yanji"])

    response = client.post(f"/applications/{filled.pk}/import/", {"file": _upload(xlsx.build_template(filled))})

    assert response.status_code == 404


# --- Queries --------------------------------------------------------------------------------


def test_import_query_count_same_for_1_and_50_enterprises(accounts, new_app):
    def workbook(n: int) -> bytes:
        source = new_app()
        body = complete_body(enterprises=n)
        save_fields(actor=accounts["dunhua"], application=source,
                    data={"indicators": body["indicators"], "quality_enterprises": body["quality_enterprises"]})
        return xlsx.build_template(source)

    small, large = workbook(1), workbook(50)
    counts = []
    for raw in (small, large):
        target = new_app()
        with CaptureQueriesContext(connection) as queries:
            result = xlsx.import_workbook(actor=accounts["dunhua"], application=target, raw=raw)
        counts.append(len(queries))
        assert result["enterprises"] in (1, 50)

    assert counts[0] == counts[1]
    assert len(load_data(target)["quality_enterprises"]) == 50


def test_import_row_without_year_names_excel_row_only(accounts, filled):
    def change(wb):
        wb["主要指标"].cell(4, 1).value = None

    with pytest.raises(DomainError) as caught:
        xlsx.import_workbook(actor=accounts["dunhua"], application=filled, raw=_edit(xlsx.build_template(filled), change))

    messages = [e["message"] for e in caught.value.errors]
    assert "主要指标表第 4 行：该行缺少年份" in messages


def test_parse_year_written_with_nian_is_read_as_year(draft):
    def change(wb):
        ws = wb["优质企业"]
        ws.cell(3, 2).value, ws.cell(3, 3).value, ws.cell(3, 4).value, ws.cell(3, 5).value = "甲", make_uscc(1), "高新", "2022年"
        ws.cell(4, 2).value, ws.cell(4, 3).value, ws.cell(4, 4).value, ws.cell(4, 5).value = "乙", make_uscc(2), "高新", "去年"

    data = xlsx.parse_workbook(_edit(xlsx.build_template(draft), change), draft.round)

    assert [e["year"] for e in data["quality_enterprises"]] == ["2022", "去年"]


def _sme_count_row(ws) -> int:
    return next(r for r in range(1, ws.max_row + 1)
                if str(ws.cell(r, 1).value or "").startswith("集群内中小企业数量"))


def test_template_carries_the_sme_count_and_import_saves_it(accounts, filled, new_app):
    """集群内中小企业数量 (附件1's count at the end of the last year) travels in the template."""
    save_fields(actor=accounts["dunhua"], application=filled, data={"sme_count": "88"})
    ws = load_workbook(io.BytesIO(xlsx.build_template(filled)))["主要指标"]
    row = _sme_count_row(ws)
    assert "截至2024年末" in ws.cell(row, 1).value and ws.cell(row, 4).value == 88

    def change(wb):
        sheet = wb["主要指标"]
        sheet.cell(_sme_count_row(sheet), 4).value = 120

    target = new_app()
    xlsx.import_workbook(actor=accounts["dunhua"], application=target,
                         raw=_edit(xlsx.build_template(filled), change))
    assert load_data(target)["sme_count"] == 120


def test_import_bad_sme_count_names_its_row_and_saves_nothing(accounts, filled):
    before = load_data(filled)

    def change(wb):
        sheet = wb["主要指标"]
        sheet.cell(_sme_count_row(sheet), 4).value = "很多"

    with pytest.raises(DomainError) as caught:
        xlsx.import_workbook(actor=accounts["dunhua"], application=filled, raw=_edit(xlsx.build_template(filled), change))
    (message,) = [e["message"] for e in caught.value.errors]
    assert message.startswith("主要指标表第 8 行：集群内中小企业数量")
    assert load_data(filled) == before


def test_template_columns_follow_the_web_form(accounts, client, filled):
    """Issue 15 §10: the Excel template's columns are in the order of the form's tables."""
    import re as _re

    client.force_login(accounts["dunhua"])
    page = client.get(f"/applications/{filled.pk}/edit/").content.decode()
    wb = load_workbook(io.BytesIO(client.get(f"/applications/{filled.pk}/import/template.xlsx").content))

    def form_headers(marker):
        table = page[page.index(marker):]
        head = table[table.index("<thead>"):table.index("</thead>")]
        return [_re.sub(r"<[^>]+>|（.*?）|\*", "", h).strip() for h in _re.findall(r"<th[^>]*>(.*?)</th>", head)]

    def sheet_headers(name):
        return [_re.sub(r"（.*?）", "", str(c.value)) for c in wb[name][2] if c.value]

    indicators = [h for h in form_headers('data-testid="indicators"') if h and "占比" not in h]
    assert len(indicators) == 6 and sheet_headers("主要指标")[:6] == indicators
    enterprises = [h for h in form_headers('data-rows="quality_enterprises"') if h and h not in ("#", "操作")]  # 操作: the row buttons' hidden header
    sheet = [h.replace("是否", "") for h in sheet_headers("优质企业") if h != "序号"]
    assert [h[:4] for h in sheet] == [h[:4] for h in enterprises]
