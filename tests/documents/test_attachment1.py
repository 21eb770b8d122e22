"""附件1 申报表 as PDF and Word: every generated file is opened with its own library or tool."""

import io
import re
import subprocess
from urllib.parse import unquote

import pytest
from docx import Document
from docx.oxml.ns import qn

from clusterdesk.applications.domain import load_data, submit
from clusterdesk.documents import attachment1, reference

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


# --- helpers --------------------------------------------------------------------------------

def pdf_text(body: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True).stdout


def pdf_tool(tool: str, body: bytes, tmp_path, *args) -> str:
    path = tmp_path / "tool.pdf"
    path.write_bytes(body)
    return subprocess.run([tool, *args, str(path)], capture_output=True, check=True, text=True).stdout


def embedded_cjk_fonts(body: bytes, tmp_path) -> list[str]:
    """Names of Noto CJK fonts that pdffonts reports as embedded ("yes" in the emb column)."""
    out = []
    for line in pdf_tool("pdffonts", body, tmp_path).splitlines()[2:]:
        tokens = line.split()
        if tokens and "CJK" in tokens[0] and "Noto" in tokens[0] and tokens[-5] == "yes":
            out.append(tokens[0])
    return out


def image_count(body: bytes, tmp_path) -> int:
    return len(pdf_tool("pdfimages", body, tmp_path, "-list").splitlines()[2:])


def docx_all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def header_text(doc) -> str:
    return "\n".join(p.text for s in doc.sections for p in s.header.paragraphs)


def find_table(doc, first_header: str, must_have: str):
    for table in doc.tables:
        headers = [c.text for c in table.rows[0].cells]
        if headers and headers[0] == first_header and must_have in headers:
            return table, headers
    raise AssertionError(f"no table with headers {first_header} … {must_have}")


EXTRA = {
    "core_competitiveness": "医药产业是敦化市的支柱产业，中成药细分领域全国排名第五，市场占有率约 6%，“敦化药谷”品牌知名度高。",
    "sme_cultivation": "建立创新型中小企业、专精特新中小企业、“小巨人”企业梯度培育库，近三年新增专精特新中小企业 3 家。",
    "sme_count": 88,
}
# Words of a system verdict or of the criteria machinery that the official form must not carry.
VERDICT_WORDS = ["系统核验", "待评审判断", "符合认定标准", "不符合", "SHA-256", "占位", "待确认", "阈值"]


@pytest.fixture
def with_extra(accounts, filled):
    """The filled draft with the fields added for 附件1 (aspects 1 and 2, the number of SMEs)."""
    from clusterdesk.applications.domain import save_fields

    save_fields(actor=accounts["dunhua"], application=filled, data=EXTRA)
    return filled


@pytest.fixture
def version(accounts, ready):
    return submit(actor=accounts["dunhua"], application=ready)


def png_pages(body: bytes, tmp_path) -> list:
    """Render every page with pdftoppm (the pages must rasterise) and return the PNG paths."""
    path = tmp_path / "render.pdf"
    path.write_bytes(body)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True, capture_output=True)
    return sorted(tmp_path.glob("page*.png"))


# --- content and the QR payload --------------------------------------------------------------

def test_qr_payload_encodes_number_version_and_digest(ready, version):
    payload = attachment1.qr_payload(ready, version)
    assert payload == f"CLUSTERDESK|{ready.number}|v1|{version.digest}"
    assert len(version.digest) == 64
    png = attachment1.qr_png(payload)
    assert png.startswith(b"\x89PNG")


def test_content_computes_shares_and_labels(filled):
    c = attachment1.content(filled, None)
    assert c["draft"] is True and c["version"] is None and c["qr"] is None
    assert c["cluster_name"] == "敦化市医药产业集群"
    assert c["industry_name"]  # the leading industry's name from GB/T 4754-2017 (C27)
    row_2024 = next(r for r in c["indicators"]["rows"] if r["year"] == 2024)
    assert row_2024["cells"][0] == "56.00"  # as the office writes amounts
    assert row_2024["cells"][-2] == "75.0%"  # SME share 42 / 56, computed
    assert c["indicators"]["growth"] == "11.6%"  # (56 / 45) ** (1/2) - 1: the declared years (issue 12)
    assert [s.split("、")[0] for s in c["sections"]] == list("一二三四五六七八")
    assert c["enterprises"]["rows"][0]["qualifications"] == "专精特新中小企业"
    assert c["enterprises"]["rows"][0]["qualification_lines"] == ["专精特新中小企业（2023年）"]
    assert "criteria" not in c  # the self-check is in 审核参考


def test_figures_follow_the_growth_method_of_the_rounds_set(accounts, filled, api_token, client, login):
    """A round whose set grows from the base year shows that growth on 附件1, 附件2 and the API
    (40 → 56 over three intervals: 11.9%), not the default method's 11.6% (45 → 56 over two)."""
    from clusterdesk.criteria import domain as criteria_domain
    from clusterdesk.documents import summary

    v1 = criteria_domain.get_set("national-2022", 1)
    v2 = criteria_domain.edit_set(actor=accounts["province"], cset=v1, changes={},
                                  settings={"growth_method": "from_base_year"})
    round_ = filled.round
    round_.criteria_sets = [{"code": "national-2022", "version": v2.version}, *round_.criteria_sets[1:]]
    round_.save(update_fields=["criteria_sets"])
    filled.refresh_from_db()
    assert attachment1.content(filled, None)["indicators"]["growth"] == "11.9%"
    body = client.get(f"/api/v1/applications/{filled.pk}", **api_token(accounts["dunhua"])).json()
    assert round(float(body["computed"]["growth"]), 3) == 0.119 and body["computed"]["growth_from"] == 2021
    assert summary.round_growth_method(round_) == "from_base_year"
    page = login(accounts["dunhua"]).get(f"/applications/{filled.pk}/edit/").content.decode()
    assert "增速 =（2024年产值 ÷ 2021年产值）^(1/3) − 1，从基期年（2021年）算起" in page


def test_section_titles_follow_the_web_form(login, accounts, filled):
    """附件1 numbers its sections as the form page does (一、基本情况 … 七、三年发展规划)."""
    page = login(accounts["dunhua"]).get(f"/applications/{filled.pk}/edit/").content.decode()
    assert "按申报的三个年度计算；填写的基期年（2021年）产值只作参考" in page  # the default method
    web = re.findall(r"<h2>([一二三四五六七]、[^（<]+)", page)
    assert len(web) == 7
    assert attachment1.content(filled, None)["sections"][:7] == web


def test_amounts_sizes_and_dates_as_the_office_writes_them():
    assert attachment1.amount("52") == "52.00"
    assert attachment1.amount("12345") == "12,345.00"
    assert attachment1.amount("1234567.5") == "1,234,567.50"
    assert attachment1.amount("38.1234") == "38.1234"  # never silently rounded
    assert attachment1.amount(None) == "" and attachment1.amount("") == ""
    assert attachment1.file_size(2048) == "2 KB"
    assert attachment1.file_size(2049) == "3 KB"
    assert attachment1.file_size(300) == "1 KB"
    assert attachment1.file_size(5 * 1024 * 1024 + 1) == "5.0 MB"


def test_qualification_years_read_the_old_and_the_new_shape():
    old = {"qualifications": ["high_tech", "specialized"], "year": 2022}
    assert attachment1.qualification_years(old) == [("specialized", 2022), ("high_tech", 2022)]
    new = {"qualifications": [{"kind": "little_giant", "year": 2023}, {"kind": "high_tech", "year": 2021}]}
    assert attachment1.qualification_years(new) == [("little_giant", 2023), ("high_tech", 2021)]
    mixed = {"qualifications": [{"kind": "innovative"}, "champion"], "year": 2020}
    assert attachment1.qualification_years(mixed) == [("champion", 2020), ("innovative", 2020)]
    assert attachment1.qualification_years({"qualifications": ["specialized"]}) == [("specialized", None)]
    table = attachment1._enterprises({"quality_enterprises": [{"name": "甲", "uscc": "X", **new}]})
    assert table["rows"][0]["qualification_lines"] == ["专精特新“小巨人”（2023年）", "国家级高新技术企业（2021年）"]


def test_content_of_a_version_uses_the_snapshot_and_lists_evidence_hashes(accounts, ready, version):
    from clusterdesk.applications.domain import save_fields, withdraw

    withdraw(actor=accounts["dunhua"], application=ready)
    save_fields(actor=accounts["dunhua"], application=ready, data={"name": "改过名字的集群"})
    version.refresh_from_db()
    snapshot = attachment1.content(ready, version)
    assert snapshot["cluster_name"] == "敦化市医药产业集群"  # the version, not the edited draft
    assert attachment1.content(ready, None)["cluster_name"] == "改过名字的集群"
    assert snapshot["evidence"]["rows"] and all("sha256" not in r for r in snapshot["evidence"]["rows"])
    assert all(r["size"].endswith("KB") for r in snapshot["evidence"]["rows"])
    assert snapshot["version"]["digest_short"] == version.digest[:16]
    assert snapshot["version"]["withdrawn_at"]
    assert dict(snapshot["cover"])["填报日期"] == attachment1.cn_date(version.submitted_at)


# --- Word -----------------------------------------------------------------------------------

def test_docx_of_a_draft(filled):
    doc = Document(io.BytesIO(attachment1.render_docx(filled)))
    text = docx_all_text(doc)
    assert "中小企业特色产业集群申报表" in text
    assert "敦化市医药产业集群" in text
    for n, title in enumerate(["基本情况", "联系人", "主要指标", "优质中小企业名单", "发展情况", "负面清单声明", "三年发展规划", "审核推荐意见"]):
        assert f"{'一二三四五六七八'[n]}、{title}" in text

    table, headers = find_table(doc, "年份", "集群产值")
    row = next(r for r in table.rows if r.cells[0].text.startswith("2024年"))
    assert row.cells[headers.index("集群产值")].text == "56.00"
    assert row.cells[headers.index("中小企业产值")].text == "42.00"
    assert "单位：亿元" in text

    table, headers = find_table(doc, "序号", "统一社会信用代码")
    first = load_data(filled)["quality_enterprises"][0]
    assert table.rows[1].cells[headers.index("统一社会信用代码")].text == first["uscc"]
    assert table.rows[1].cells[headers.index("企业名称")].text == first["name"]

    for key in range(3, 9):
        assert f"第{key}方面的发展情况说明（演示）。" in text
    assert "产业链供应链协作高效" in text and "治理和服务能力较强" in text
    assert "（一）具有较强核心竞争力" in text and "（二）优质中小企业梯度培育成效显著" in text
    assert "填报说明" in text and "推荐单位（盖章）" in text and "填报日期" in text
    assert "申报单位郑重声明" in text
    assert "集群产值" in text and "80" in text  # the plan target

    for stamp in ("申报单位（盖章）", "市（州）工业和信息化主管部门（盖章）", "省工业和信息化厅（盖章）"):
        assert stamp in text
    for opinion in ("市（州）工业和信息化主管部门意见", "省工业和信息化厅意见"):
        assert opinion in text
    assert text.count("年　　月　　日") == 4  # the cover's 填报日期 of a draft and the three seals

    header = header_text(doc)
    assert "草稿（未提交）" in header
    red = [r for p in doc.sections[0].header.paragraphs for r in p.runs if "草稿" in r.text]
    assert red and str(red[0].font.color.rgb) == "C00000"
    assert not doc.inline_shapes  # no QR code on a draft

    # Every run with Chinese text names an East Asian font (otherwise Word falls back to a Latin one).
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for cell in row.cells for p in cell.paragraphs for r in p.runs]
    chinese = [r for r in runs if CJK.search(r.text)]
    assert chinese
    for run in chinese:
        fonts = run._element.rPr.find(qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")), run.text
    assert doc.styles["Normal"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer = section.footer.paragraphs[0]._element.xml
    assert "NUMPAGES" in footer and "第 " in section.footer.paragraphs[0].text


def test_docx_of_a_version_has_the_qr_code_and_no_draft_mark(ready, version):
    body = attachment1.render_docx(ready, version)
    doc = Document(io.BytesIO(body))
    text = docx_all_text(doc)
    assert "草稿" not in text and "草稿" not in header_text(doc)
    assert "第1版" in header_text(doc)
    assert len(doc.inline_shapes) == 1  # the QR code
    assert ready.number in text and version.digest[:16] in text
    assert version.digest not in text and "SHA-256" not in text  # digests are in 审核参考
    table, headers = find_table(doc, "清单项", "大小")
    assert all(row.cells[headers.index("大小")].text.endswith("KB") for row in table.rows[1:])
    for word in VERDICT_WORDS:
        assert word not in text, word


def test_docx_headings_use_word_heading_styles(with_extra):
    """The sections are 'Heading 1' paragraphs (the navigation pane lists them), the aspects
    'Heading 2'; both styles are restyled to CJK fonts."""
    doc = Document(io.BytesIO(attachment1.render_docx(with_extra)))
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert h1 == ["填报说明", *attachment1.content(with_extra, None)["sections"], "附：佐证材料清单"]
    assert h2[0] == "（一）具有较强核心竞争力" and len(h2) == 8
    for name, east_asia in (("Heading 1", "黑体"), ("Heading 2", "楷体_GB2312")):
        fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == east_asia
        assert fonts.get(qn("w:asciiTheme")) is None and fonts.get(qn("w:eastAsiaTheme")) is None
    assert str(doc.styles["Heading 1"].font.color.rgb) == "000000"
    text = docx_all_text(doc)
    assert EXTRA["core_competitiveness"] in text and EXTRA["sme_cultivation"] in text
    assert "集群内中小企业数量：88 家" in text


# --- PDF ------------------------------------------------------------------------------------

def test_pdf_of_a_draft(filled, tmp_path):
    body = attachment1.render_pdf(filled)
    assert body.startswith(b"%PDF")
    text = pdf_text(body, tmp_path)
    assert "敦化市医药产业集群" in text
    assert "中小企业特色产业集群申报表" in text
    assert "第 2 页 共" in text  # the cover has no page number
    assert "56.00" in text and "75.0%" in text
    assert "草稿" in text
    assert "申报单位（盖章）" in text and "省工业和信息化厅（盖章）" in text
    assert embedded_cjk_fonts(body, tmp_path)
    assert image_count(body, tmp_path) == 0


def test_pdf_of_a_version(ready, version, tmp_path):
    body = attachment1.render_pdf(ready, version)
    text = pdf_text(body, tmp_path)
    assert "敦化市医药产业集群" in text
    assert "第 2 页 共" in text  # the cover has no page number
    assert "56.00" in text
    assert "草稿" not in text
    assert ready.number in text and version.digest[:16] in text  # under the QR code
    flat = text.replace("\n", "")
    assert version.digest not in flat  # the full digest and the evidence hashes are in 审核参考
    assert not any(f["sha256"] in flat for f in version.evidence)
    assert embedded_cjk_fonts(body, tmp_path)
    assert image_count(body, tmp_path) == 1  # the QR code


def test_pdf_is_an_official_form(accounts, with_extra, upload_required, tmp_path):
    """No verdict, no digests, no placeholder label; a cover page, 填报说明, the narratives of
    aspects 1 and 2, the number of SMEs, the award years and amounts as the office writes them."""
    upload_required(with_extra)
    version = submit(actor=accounts["dunhua"], application=with_extra)
    body = attachment1.render_pdf(with_extra, version)
    text = pdf_text(body, tmp_path)
    flat = re.sub(r"\s+", "", text)
    for word in VERDICT_WORDS:
        assert word not in flat, word
    assert not re.search(r"(?<!不)符合", flat)  # no verdict "符合" (the declaration has none either)

    pages = text.split("\f")
    cover = re.sub(r"\s+", "", pages[0])
    for shown in ("附件1", "中小企业特色产业集群申报表", "集群名称", "敦化市医药产业集群", "申报单位（盖章）", "敦化市",
                  "推荐单位（盖章）", "延边朝鲜族自治州", "填报日期", attachment1.cn_date(version.submitted_at)):
        assert shown in cover, shown
    assert "第1页" not in cover and "一、基本情况" not in cover
    assert "填报说明" in re.sub(r"\s+", "", pages[1])
    assert flat.index("填报说明") < flat.index("一、基本情况")

    assert "（一）具有较强核心竞争力" in flat and "（二）优质中小企业梯度培育成效显著" in flat
    assert re.sub(r"\s+", "", EXTRA["core_competitiveness"]) in flat
    assert re.sub(r"\s+", "", EXTRA["sme_cultivation"]) in flat
    assert "集群内中小企业数量：88家（截至2024年末）" in flat
    assert "专精特新中小企业（2023年）" in flat
    for amount in ("56.00", "42.00", "40.00", "1.40", "80.00"):
        assert amount in flat, amount
    assert "大小（字节）" not in flat and "KB" in flat
    for n, title in enumerate(["基本情况", "联系人", "主要指标", "优质中小企业名单", "发展情况", "负面清单声明", "三年发展规划", "审核推荐意见"]):
        assert f"{'一二三四五六七八'[n]}、{title}" in flat
    assert len(png_pages(body, tmp_path)) == len(pages) - 1  # every page rasterises (the last chunk is empty)


def test_a_draft_has_a_blank_fill_date(filled, tmp_path):
    flat = re.sub(r"\s+", "", pdf_text(attachment1.render_pdf(filled), tmp_path))
    assert dict(attachment1.content(filled, None)["cover"])["填报日期"] == attachment1.BLANK_DATE
    cover = re.sub(r"\s+", "", pdf_text(attachment1.render_pdf(filled), tmp_path).split("\f")[0])
    assert "填报日期" in cover and "打印于" in cover
    assert "集群内中小企业数量：未填写" in flat


# --- 审核参考 -----------------------------------------------------------------------------

def test_reference_pdf_has_the_self_check_and_the_digests(ready, version, tmp_path):
    body = reference.render_pdf(ready, version)
    text = pdf_text(body, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "审核参考" in flat and "认定标准自查" in flat and "系统核验结果" in flat
    assert version.report and all(r["verdict_label"] in flat for r in version.report.values())
    assert version.digest in flat  # the snapshot digest
    assert all(f["sha256"] in flat for f in version.evidence)  # every evidence file's digest
    assert "SHA-256" in flat
    assert len(png_pages(body, tmp_path)) >= 1


def test_reference_pdf_of_a_draft_shows_the_placeholder_notice(filled, tmp_path):
    from clusterdesk.criteria.models import CriteriaSet

    flat = re.sub(r"\s+", "", pdf_text(reference.render_pdf(filled), tmp_path))
    assert "草稿（未提交）" in flat and "认定标准自查" in flat
    if CriteriaSet.objects.filter(placeholder=True).exists():
        placeholders = [c["placeholder"] for c in reference.content(filled, None)["criteria"]]
        if any(placeholders):
            assert "占位值" in flat


def test_reference_is_for_reviewers_only(client, login, api_token, accounts, ready, tmp_path):
    version = submit(actor=accounts["dunhua"], application=ready)
    url = f"/documents/applications/{ready.pk}/reference.pdf"
    api = f"/api/v1/applications/{ready.pk}/documents/reference.pdf"
    # the county sees its application but not the reviewers' working paper
    county = login(accounts["dunhua"])
    assert county.get(url).status_code == 403
    assert "审核参考（PDF）" not in county.get(f"/applications/{ready.pk}/").content.decode()
    response = client.get(api, **api_token(accounts["dunhua"]))
    assert response.status_code == 403 and "审核参考" in response.json()["detail"]
    # city reviewer of the city, province admin and leader may read it
    for who in ("yanbian", "province", "leader"):
        reader = login(accounts[who])
        response = reader.get(url + "?version=1")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", who
        assert _filename(response) == f"{ready.number}-审核参考-第1版.pdf"
        assert version.digest in pdf_text(response.content, tmp_path).replace("\n", "")
        page = reader.get(f"/applications/{ready.pk}/").content.decode()
        assert "审核参考（PDF）" in page and f"/documents/applications/{ready.pk}/reference.pdf" in page
        response = client.get(api + "?version=1", **api_token(accounts[who]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", who
    # another city: out of scope, as for 附件1
    assert login(accounts["tonghua"]).get(url).status_code == 404
    assert client.get(api, **api_token(accounts["tonghua"])).status_code == 404
    client.logout()
    assert client.get(api).status_code == 401


def test_new_fields_through_the_api_and_the_form(client, login, api_token, accounts, filled):
    """core_competitiveness, sme_cultivation and sme_count are saved through the API and the page,
    checked with errors naming the field, and optional for submission."""
    from clusterdesk.applications.domain import readiness

    headers = api_token(accounts["dunhua"])
    base = f"/api/v1/applications/{filled.pk}"
    response = client.patch(base, data={"sme_count": "很多"}, content_type="application/json", **headers)
    assert response.status_code == 400
    assert "集群内中小企业数量" in response.json()["detail"]
    response = client.patch(base, data={"core_competitiveness": "甲" * 5001}, content_type="application/json", **headers)
    assert response.status_code == 400 and "第1方面“具有较强核心竞争力”的说明" in response.json()["detail"]
    response = client.patch(base, data=EXTRA, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    data = client.get(base, **headers).json()["data"]
    assert data["sme_count"] == 88 and data["core_competitiveness"] == EXTRA["core_competitiveness"]
    assert data["aspects"]["3"] == "第3方面的发展情况说明（演示）。"  # the other aspects are kept

    page = login(accounts["dunhua"])
    edit = page.get(f"/applications/{filled.pk}/edit/").content.decode()
    assert 'name="core_competitiveness"' in edit and 'name="sme_cultivation"' in edit and 'name="sme_count"' in edit
    post = {f"aspects-{k}": f"第{k}方面" for k in range(3, 9)}
    post.update({"core_competitiveness": "支柱产业", "sme_cultivation": "梯度培育"})
    assert page.post(f"/applications/{filled.pk}/sections/aspects/", post).status_code == 302
    data = load_data(filled)
    assert data["core_competitiveness"] == "支柱产业" and data["sme_cultivation"] == "梯度培育"

    # optional: clearing them does not make the application incomplete
    client.patch(base, data={"core_competitiveness": "", "sme_cultivation": "", "sme_count": None},
                 content_type="application/json", **headers)
    assert not [m for m in readiness(filled).messages() if "核心竞争力" in m or "中小企业数量" in m]


# --- pages and API --------------------------------------------------------------------------

def _filename(response) -> str:
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    return unquote(header.split("filename*=utf-8''", 1)[1])


def test_page_downloads_draft_and_versions(login, accounts, ready, tmp_path):
    client = login(accounts["dunhua"])
    response = client.get(f"/documents/applications/{ready.pk}/attachment1.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert _filename(response) == f"{ready.number}-附件1申报表-草稿.pdf"
    assert "草稿" in pdf_text(response.content, tmp_path)

    response = client.get(f"/documents/applications/{ready.pk}/attachment1.docx")
    assert response.status_code == 200 and _filename(response) == f"{ready.number}-附件1申报表-草稿.docx"
    assert "草稿" in header_text(Document(io.BytesIO(response.content)))

    submit(actor=accounts["dunhua"], application=ready)
    response = client.get(f"/documents/applications/{ready.pk}/attachment1.pdf")  # submitted: the latest version
    assert _filename(response) == f"{ready.number}-附件1申报表-第1版.pdf"
    assert "草稿" not in pdf_text(response.content, tmp_path)
    response = client.get(f"/documents/applications/{ready.pk}/attachment1.docx?version=1")
    assert response.status_code == 200 and _filename(response) == f"{ready.number}-附件1申报表-第1版.docx"
    assert len(Document(io.BytesIO(response.content)).inline_shapes) == 1

    # The city above sees it too.
    city = login(accounts["yanbian"])
    assert city.get(f"/documents/applications/{ready.pk}/attachment1.pdf?version=1").status_code == 200


def test_page_links(login, accounts, ready):
    client = login(accounts["dunhua"])
    page = client.get(f"/applications/{ready.pk}/").content.decode()
    assert "下载附件1（PDF）" in page and f"/documents/applications/{ready.pk}/attachment1.docx" in page
    submit(actor=accounts["dunhua"], application=ready)
    page = client.get(f"/applications/{ready.pk}/versions/1/").content.decode()
    assert "下载附件1（Word）" in page and f"/documents/applications/{ready.pk}/attachment1.pdf?version=1" in page
    assert "审核参考（PDF）" not in page
    city = login(accounts["yanbian"]).get(f"/applications/{ready.pk}/versions/1/").content.decode()
    assert f"/documents/applications/{ready.pk}/reference.pdf?version=1" in city


def test_page_refuses_out_of_scope_and_unknown_versions(client, login, accounts, filled):
    url = f"/documents/applications/{filled.pk}/attachment1.pdf"
    assert client.get(url).status_code == 302  # login required
    for outsider in ("tonghua", "yanji"):
        other = login(accounts[outsider])
        assert other.get(url).status_code == 404
        assert other.get(url.replace(".pdf", ".docx")).status_code == 404
    own = login(accounts["dunhua"])
    assert own.get(url + "?version=1").status_code == 404  # never submitted
    assert own.get(url + "?version=abc").status_code == 404


def test_api_downloads_and_refusals(client, api_token, accounts, ready, tmp_path):
    headers = api_token(accounts["dunhua"])
    base = f"/api/v1/applications/{ready.pk}/documents/attachment1"
    response = client.get(base + ".pdf", **headers)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "草稿" in pdf_text(response.content, tmp_path)
    assert client.get(base + ".docx?version=1", **headers).status_code == 404

    version = submit(actor=accounts["dunhua"], application=ready)
    response = client.get(base + ".docx?version=1", **headers)
    assert response.status_code == 200
    assert _filename(response) == f"{ready.number}-附件1申报表-第1版.docx"
    doc = Document(io.BytesIO(response.content))
    assert version.digest[:16] in docx_all_text(doc)
    response = client.get(base + ".pdf?version=1", **headers)
    assert response.status_code == 200 and "草稿" not in pdf_text(response.content, tmp_path)
    assert client.get(base + ".pdf?version=2", **headers).status_code == 404

    outsider = api_token(accounts["tonghua"])
    for suffix in (".pdf", ".docx", ".pdf?version=1"):
        response = client.get(base + suffix, **outsider)
        assert response.status_code == 404
        assert response.json()["detail"]
    assert client.get(base + ".pdf").status_code == 401


def test_an_empty_draft_renders_in_both_formats(draft, tmp_path):
    text = pdf_text(attachment1.render_pdf(draft), tmp_path)
    assert "中小企业特色产业集群申报表" in text and "草稿" in text and "未填写" in text
    doc = Document(io.BytesIO(attachment1.render_docx(draft)))
    assert "未填写" in docx_all_text(doc) and "草稿" in header_text(doc)
