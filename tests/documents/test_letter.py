"""The recommendation letter (推荐文件): GB/T 9704 layout as .docx and .pdf, city and province."""

import io
import subprocess

import pytest
from django.urls import reverse
from docx import Document
from docx.shared import RGBColor

from tests.documents.test_summary import CLUSTERS, chain, many, submit_new  # noqa: F401  (shared fixtures)

RED = RGBColor(0xFF, 0x00, 0x00)


def docx_of(response) -> Document:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    return Document(io.BytesIO(response.content))


def texts(doc) -> list[str]:
    return [p.text.replace("\n", "") for p in doc.paragraphs]  # the title is broken over two lines


def pdf_tool(tool: str, content: bytes, tmp_path, *args) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture
def national_list(accounts, round_open, chain):
    """The province passes 延边州's flagged applications and puts them on the national list."""
    from clusterdesk.reviews import domain, province

    chosen = [chain["延吉市人参大健康产业集群"], chain["敦化市医药产业集群"]]
    for app in chain.values():
        if app.status == "formal":
            domain.perform(actor=accounts["province"], application=app, action="province_pass")
    province.select_national(actor=accounts["province"], round_=round_open,
                             picks=[{"application": a.pk, "rank": i, "reason": "综合排序"}
                                    for i, a in enumerate(chosen, 1)])
    return chosen


def test_city_letter_docx(accounts, round_open, chain, login):
    doc = docx_of(login(accounts["yanbian"]).get(reverse("letter_docx", args=[round_open.pk])))
    lines = texts(doc)

    mark = [r for p in doc.paragraphs for r in p.runs if r.text == "延边朝鲜族自治州工业和信息化局文件"]
    assert mark and mark[0].font.color.rgb == RED
    assert mark[0].font.size.pt * 17 <= 156 / 25.4 * 72  # the mark fits the type area on one line
    number = next(p for p in doc.paragraphs if "〔2025〕" in p.text)
    assert "签发人：" in number.text
    assert 'w:color="FF0000"' in number._p.xml and "w:pBdr" in number._p.xml  # the red separator line
    assert "关于推荐2025年度中小企业特色产业集群的报告" in lines
    assert "吉林省工业和信息化厅：" in lines
    listed = {name: next(t for t in lines if name in t and t[0].isdigit())
              for _, city, name, *_ in CLUSTERS if city == "yanbian"}
    assert "同步推荐国家级" in listed["敦化市医药产业集群"] and "同步推荐国家级" in listed["延吉市人参大健康产业集群"]
    assert "同步推荐国家级" not in listed["敦化市林下经济产业集群"]
    assert any("推荐以下3个集群" in t and "其中2个同步推荐国家级" in t for t in lines)
    assert "通化县葡萄酒产业集群" not in "".join(lines)
    assert "附件：1. 2025年度中小企业特色产业集群推荐汇总表" in lines
    assert "延边朝鲜族自治州工业和信息化局" in lines  # 发文机关署名
    assert any(t.startswith("2") and t.endswith("日") and "年" in t for t in lines)  # 成文日期

    section = doc.sections[0]
    sizes = (section.page_width, section.page_height, section.top_margin, section.bottom_margin, section.left_margin,
             section.right_margin)
    assert [round(s.mm) for s in sizes] == [210, 297, 37, 35, 28, 26]  # A4, GB/T 9704 margins
    body = next(p for p in doc.paragraphs if p.text.startswith("上述集群"))
    assert body.paragraph_format.first_line_indent.pt == 32  # two characters of 3号
    xml = body.runs[0]._element.xml
    assert 'w:eastAsia="仿宋_GB2312"' in xml and body.runs[0].font.size.pt == 16
    assert "PAGE" in section.footer._element.xml and "—" in section.footer.paragraphs[0].text


def test_city_letter_before_formal_lists_current_recommendations(accounts, round_open, chain, login):
    doc = docx_of(login(accounts["tonghua"]).get(reverse("letter_docx", args=[round_open.pk])))
    lines = texts(doc)
    assert any("通化县葡萄酒产业集群" in t and "同步推荐国家级" in t for t in lines)
    assert [r for p in doc.paragraphs for r in p.runs if r.text == "通化市工业和信息化局文件"][0].font.color.rgb == RED


def test_city_letter_pdf(accounts, round_open, chain, login, tmp_path):
    response = login(accounts["yanbian"]).get(reverse("letter_pdf", args=[round_open.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_tool("pdftotext", response.content, tmp_path, "-layout")
    flat = "".join(text.split())
    for expected in ("延边朝鲜族自治州工业和信息化局文件", "签发人", "关于推荐2025年度中小企业特色产业集群的报告",
                     "吉林省工业和信息化厅：", "敦化市医药产业集群", "敦化市林下经济产业集群", "延吉市人参大健康产业集群",
                     "同步推荐国家级", "附件：1.2025年度中小企业特色产业集群推荐汇总表", "—1—"):
        assert expected in flat, expected
    fonts = pdf_tool("pdffonts", response.content, tmp_path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded


def test_province_letter_is_the_national_list(accounts, round_open, national_list, login, tmp_path):
    """The province writes to MIIT as a 函 (信函格式): the mark without 文件 above a red double
    line, the number 吉工信函〔2025〕　　号 at the right, the ministry's notice and the quota cited."""
    from clusterdesk.orgs.letterhead import update_letterhead

    update_letterhead(actor=accounts["province"], org=accounts["province"].org, doc_prefix="吉工信", signer="李四")
    round_open.ministry_notice_title = "工业和信息化部办公厅关于开展2025年度中小企业特色产业集群申报和复核工作的通知"
    round_open.ministry_notice_number = "工信厅企业函〔2025〕77号"
    round_open.save()
    client = login(accounts["province"])
    doc = docx_of(client.get(reverse("letter_docx", args=[round_open.pk])))
    lines = texts(doc)
    mark = [p for p in doc.paragraphs if p.text == "吉林省工业和信息化厅"][0]
    assert mark.runs[0].font.color.rgb == RED and "thickThinSmallGap" in mark._p.xml  # red double line
    assert "吉工信函〔2025〕\u3000\u3000号" in lines and "签发人：李四" in lines
    assert "吉林省工业和信息化厅文件" not in lines
    assert "工业和信息化部中小企业局：" in lines
    assert "关于推荐2025年度国家级中小企业特色产业集群的函" in lines
    assert any("《工业和信息化部办公厅关于开展2025年度中小企业特色产业集群申报和复核工作的通知》（工信厅企业函〔2025〕77号）"
               in t for t in lines)
    assert any("按照通知分配我省的8个推荐名额" in t and "推荐以下2个集群" in t for t in lines)
    assert "请予审核。" in lines
    first = next(i for i, t in enumerate(lines) if "延吉市人参大健康产业集群" in t)
    second = next(i for i, t in enumerate(lines) if "敦化市医药产业集群" in t)
    assert first < second  # rank order
    assert lines[first].startswith("1.") and "延边朝鲜族自治州延吉市" in lines[first]
    assert "敦化市林下经济产业集群" not in "".join(lines)
    assert "吉林省工业和信息化厅" in lines
    assert "（联系人：王处长，联系电话：0431-00000000）" in lines

    response = client.get(reverse("letter_pdf", args=[round_open.pk]))
    flat = "".join(pdf_tool("pdftotext", response.content, tmp_path).split())
    for expected in ("吉林省工业和信息化厅", "吉工信函〔2025〕", "签发人：李四", "工业和信息化部中小企业局：",
                     "工信厅企业函〔2025〕77号", "工业和信息化部办公厅关于开展2025年度中小企业特色产业集群申报和复核工作的通知",
                     "关于推荐2025年度国家级中小企业特色产业集群的函"):
        assert expected in flat, expected
    assert "吉林省工业和信息化厅文件" not in flat


def test_city_letter_cites_the_provinces_notice_and_the_units_letterhead(accounts, round_open, chain, login, tmp_path):
    from clusterdesk.orgs.letterhead import update_letterhead

    round_open.notice_title = "吉林省工业和信息化厅关于开展2025年度中小企业特色产业集群申报推荐工作的通知"
    round_open.notice_number = "吉工信中小〔2025〕12号"
    round_open.save()
    client = login(accounts["yanbian"])
    doc = docx_of(client.get(reverse("letter_docx", args=[round_open.pk])))
    number = next(p for p in doc.paragraphs if "〔2025〕" in p.text)
    assert number.text.startswith("××〔2025〕") and "签发人：×××" in number.text  # unknown: left to fill
    update_letterhead(actor=accounts["province"], org=accounts["yanbian"].org, doc_prefix="延州工信", signer="金哲")
    doc = docx_of(client.get(reverse("letter_docx", args=[round_open.pk])))
    number = next(p for p in doc.paragraphs if "〔2025〕" in p.text)
    assert number.text == "延州工信〔2025〕\u3000\u3000号\t签发人：金哲"
    highlighted = [r.text for r in number.runs if r.font.highlight_color is not None]
    assert highlighted == ["\u3000\u3000"]  # only the running number is left for the clerk
    response = client.get(reverse("letter_pdf", args=[round_open.pk]))
    flat = "".join(pdf_tool("pdftotext", response.content, tmp_path).split())
    for expected in ("《吉林省工业和信息化厅关于开展2025年度中小企业特色产业集群申报推荐工作的通知》（吉工信中小〔2025〕12号）",
                     "延州工信〔2025〕", "签发人：金哲"):
        assert expected in flat, expected
    fonts = pdf_tool("pdffonts", response.content, tmp_path)
    assert "Noto-Serif-CJK-SC" in fonts  # the installed CJK serif stands in for 仿宋_GB2312 / 方正小标宋简体


def test_letter_fonts_name_fangsong_and_xiaobiaosong_first():
    from pathlib import Path

    import clusterdesk.documents as documents

    css = (Path(documents.__file__).parent / "templates/documents/letter.html").read_text()
    assert 'html { font-family: "仿宋_GB2312", "FangSong_GB2312", "FangSong"' in css
    assert 'h1.title { margin: 57.9pt 0 28.95pt; font-family: "方正小标宋简体"' in css


def test_nothing_to_recommend_goes_back_with_the_reason(accounts, round_open, chain, login, client, api_token):
    response = login(accounts["province"]).get(reverse("letter_docx", args=[round_open.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("national_selection", args=[round_open.pk])
    assert "尚未选定国家级推荐名单" in response.content.decode()
    response = login(accounts["changbaishan"]).get(reverse("letter_pdf", args=[round_open.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("city_lists", args=[round_open.pk])
    assert "尚无拟推荐的申报" in response.content.decode()
    url = f"/api/v1/rounds/{round_open.pk}/documents/letter.docx"
    response = client.get(url, **api_token(accounts["changbaishan"]))
    assert response.status_code == 409 and "尚无拟推荐的申报" in response.json()["detail"]


def test_letter_scope(accounts, round_open, chain, login, make_user, client, api_token):
    leader = make_user("yanbian_leader", "222400", "leader")
    for user in (accounts["dunhua"], accounts["expert"], leader):
        response = login(user).get(reverse("letter_docx", args=[round_open.pk]))
        assert response.status_code == 403
        assert "只有省厅管理员、领导和市州审核人员可以生成推荐文件" in response.content.decode()
    assert login(accounts["yanbian"]).get(reverse("letter_pdf", args=[round_open.pk + 999])).status_code == 404
    url = f"/api/v1/rounds/{round_open.pk}/documents/letter.docx"
    assert client.get(url, **api_token(accounts["yanbian"])).status_code == 200
    response = client.get(url, **api_token(accounts["dunhua"]))
    assert response.status_code == 403 and "推荐文件" in response.json()["detail"]
    response = client.get(f"/api/v1/rounds/{round_open.pk}/documents/letter.pdf", **api_token(accounts["yanbian"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
