"""附件1 申报表 as PDF and Word: every generated file is opened with its own library or tool."""

import io
import re
import subprocess
from urllib.parse import unquote

import pytest
from docx import Document
from docx.oxml.ns import qn

from clusterdesk.applications.domain import load_data, submit
from clusterdesk.documents import attachment1

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


@pytest.fixture
def version(accounts, ready):
    return submit(actor=accounts["dunhua"], application=ready)


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
    assert row_2024["cells"][0] == "56.0"
    assert row_2024["cells"][-2] == "75.0%"  # SME share 42 / 56, computed
    assert c["indicators"]["growth"] == "11.6%"  # (56 / 45) ** (1/2) - 1: the declared years (issue 12)
    assert [s.split("、")[0] for s in c["sections"]] == list("一二三四五六七")
    assert c["enterprises"]["rows"][0]["qualifications"] == "专精特新中小企业"


def test_content_of_a_version_uses_the_snapshot_and_lists_evidence_hashes(accounts, ready, version):
    from clusterdesk.applications.domain import save_fields, withdraw

    withdraw(actor=accounts["dunhua"], application=ready)
    save_fields(actor=accounts["dunhua"], application=ready, data={"name": "改过名字的集群"})
    version.refresh_from_db()
    snapshot = attachment1.content(ready, version)
    assert snapshot["cluster_name"] == "敦化市医药产业集群"  # the version, not the edited draft
    assert attachment1.content(ready, None)["cluster_name"] == "改过名字的集群"
    assert snapshot["evidence"]["with_hashes"] is True
    assert snapshot["evidence"]["rows"] and all(len(r["sha256"]) == 64 for r in snapshot["evidence"]["rows"])
    assert snapshot["version"]["digest_short"] == version.digest[:16]
    assert snapshot["version"]["withdrawn_at"]
    assert snapshot["criteria"] and snapshot["criteria"][0]["verdict"]


# --- Word -----------------------------------------------------------------------------------

def test_docx_of_a_draft(filled):
    doc = Document(io.BytesIO(attachment1.render_docx(filled)))
    text = docx_all_text(doc)
    assert "中小企业特色产业集群申报表" in text
    assert "敦化市医药产业集群" in text
    for n, title in enumerate(["基本情况", "主要经济指标", "优质中小企业名单", "集群发展情况", "负面清单声明", "三年发展规划目标", "审核推荐意见"]):
        assert f"{'一二三四五六七'[n]}、{title}" in text

    table, headers = find_table(doc, "年份", "集群产值")
    row = next(r for r in table.rows if r.cells[0].text.startswith("2024年"))
    assert row.cells[headers.index("集群产值")].text == "56.0"
    assert row.cells[headers.index("中小企业产值")].text == "42.0"
    assert "单位：亿元" in text

    table, headers = find_table(doc, "序号", "统一社会信用代码")
    first = load_data(filled)["quality_enterprises"][0]
    assert table.rows[1].cells[headers.index("统一社会信用代码")].text == first["uscc"]
    assert table.rows[1].cells[headers.index("企业名称")].text == first["name"]

    for key in range(3, 9):
        assert f"第{key}方面的发展情况说明（演示）。" in text
    assert "产业链供应链协作高效" in text and "治理和服务能力较强" in text
    assert "申报单位郑重声明" in text
    assert "集群产值" in text and "80" in text  # the plan target

    for stamp in ("申报单位（盖章）", "市（州）工业和信息化主管部门（盖章）", "省工业和信息化厅（盖章）"):
        assert stamp in text
    for opinion in ("市（州）工业和信息化主管部门意见", "省工业和信息化厅意见"):
        assert opinion in text
    assert text.count("年　　月　　日") == 3

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
    assert ready.number in text and version.digest in text
    assert version.digest[:16] in header_text(doc)
    table, headers = find_table(doc, "清单项", "SHA-256")
    assert any(len(row.cells[headers.index("SHA-256")].text) == 64 for row in table.rows[1:])


# --- PDF ------------------------------------------------------------------------------------

def test_pdf_of_a_draft(filled, tmp_path):
    body = attachment1.render_pdf(filled)
    assert body.startswith(b"%PDF")
    text = pdf_text(body, tmp_path)
    assert "敦化市医药产业集群" in text
    assert "中小企业特色产业集群申报表" in text
    assert "第 1 页 共" in text
    assert "56.0" in text and "75.0%" in text
    assert "草稿" in text
    assert "申报单位（盖章）" in text and "省工业和信息化厅（盖章）" in text
    assert embedded_cjk_fonts(body, tmp_path)
    assert image_count(body, tmp_path) == 0


def test_pdf_of_a_version(ready, version, tmp_path):
    body = attachment1.render_pdf(ready, version)
    text = pdf_text(body, tmp_path)
    assert "敦化市医药产业集群" in text
    assert "第 1 页 共" in text
    assert "56.0" in text
    assert "草稿" not in text
    assert ready.number in text and version.digest[:16] in text
    flat = text.replace("\n", "")
    assert version.digest in flat  # the full snapshot digest
    assert all(f["sha256"] in flat for f in version.evidence)  # the evidence list with its hashes
    assert embedded_cjk_fonts(body, tmp_path)
    assert image_count(body, tmp_path) == 1  # the QR code


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
