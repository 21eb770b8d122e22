"""Evidence files (附件5): content sniffing, private storage, names, limits, deadline, pages."""

import hashlib
import io
import struct
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve
from django.utils import timezone

from clusterdesk.applications import evidence as ev
from clusterdesk.applications.filetypes import sniff
from clusterdesk.applications.models import EvidenceFile
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed

REQUIRED = ["E01", "E02", "E09", "E11", "E12"]


# --- Sample files: small but real -----------------------------------------------------------


def pdf_bytes(padding: int = 0) -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    )
    if padding:
        body += b"3 0 obj\n<< /Length %d >>\nstream\n" % padding + b"0" * padding + b"\nendstream\nendobj\n"
    return body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def jpg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx_bytes() -> bytes:
    return zip_of({
        "[Content_Types].xml": CONTENT_TYPES_XML,
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
        "word/document.xml": '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>三年发展规划</w:t></w:r></w:p></w:body></w:document>'.encode(),
    })


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = "研发投入"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ofd_bytes() -> bytes:
    return zip_of({
        "OFD.xml": '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>'.encode(),
        "Doc_0/Document.xml": b'<?xml version="1.0"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>',
    })


def plain_zip_bytes() -> bytes:
    return zip_of({"说明.txt": "压缩包里的文件".encode()})


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 118
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 120
SCRIPT = b"#!/bin/sh\nrm -rf /\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


def named(name: str, content: bytes) -> File:
    """An upload whose name is kept exactly as given (SimpleUploadedFile would basename it)."""
    return File(io.BytesIO(content), name=name)


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def upload(accounts, application, item, name, content, who="dunhua"):
    return ev.upload_evidence(
        actor=accounts[who], application=application, item_code=item, upload=SimpleUploadedFile(name, content)
    )


def stored_files(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


# --- Sniffing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, kind",
    [
        (pdf_bytes(), "pdf"), (png_bytes(), "png"), (jpg_bytes(), "jpg"),
        (docx_bytes(), "docx"), (xlsx_bytes(), "xlsx"), (ofd_bytes(), "ofd"),
    ],
    ids=["pdf", "png", "jpg", "docx", "xlsx", "ofd"],
)
def test_sniff_real_files_recognised(content, kind, tmp_path):
    path = tmp_path / "sample"
    path.write_bytes(content)

    assert sniff(io.BytesIO(content)).kind == kind
    assert sniff(path).kind == kind


@pytest.mark.parametrize(
    "content, description",
    [
        (ELF, "可执行程序"), (MZ, "可执行程序"), (MACHO, "可执行程序"), (SCRIPT, "可执行程序"),
        (plain_zip_bytes(), "ZIP 压缩包"),
        (OLE2, "旧版 Office 文件（.doc/.xls），请另存为 .docx/.xlsx"),
        (b"\x00\x01\x02\x03garbage", "无法识别的文件"),
    ],
    ids=["elf", "mz", "macho", "shebang", "zip", "ole2", "garbage"],
)
def test_sniff_other_content_is_none_with_description(content, description):
    result = sniff(io.BytesIO(content))

    assert result.kind is None
    assert description in result.description


def test_sniff_zip_with_word_folder_but_no_content_types_is_zip():
    content = zip_of({"word/document.xml": b"<w:document/>"})

    assert sniff(io.BytesIO(content)).description == "ZIP 压缩包"


def test_sniff_restores_file_position():
    handle = io.BytesIO(docx_bytes())
    handle.seek(7)

    sniff(handle)

    assert handle.tell() == 7


# --- Upload ----------------------------------------------------------------------------------


def test_upload_pdf_stored_privately_with_sha256(accounts, draft, private_media, client):
    content = pdf_bytes(2000)

    evidence = upload(accounts, draft, "E01", "集群产值证明.pdf", content)

    path = Path(private_media) / evidence.stored_name
    assert (evidence.kind, evidence.size, evidence.item_code) == ("pdf", len(content), "E01")
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.original_name == "集群产值证明.pdf"
    assert path.read_bytes() == content
    assert path.parent == Path(private_media) / "evidence" / str(draft.pk)
    assert "集群" not in evidence.stored_name and len(path.stem) == 32
    event = AuditEvent.objects.get(action="evidence.uploaded")
    assert event.after["sha256"] == evidence.sha256 and event.actor_username == "dunhua"
    # No URL serves the stored bytes.
    client.force_login(accounts["dunhua"])
    for url in (f"/{evidence.stored_name}", f"/media/{evidence.stored_name}", f"/static/{evidence.stored_name}",
                f"/private/{evidence.stored_name}", f"/var/media/{evidence.stored_name}"):
        with pytest.raises(Resolver404):
            resolve(url)
        assert client.get(url).status_code == 404


def test_default_private_media_root_is_outside_static_and_code():
    from clusterdesk import settings as project

    media = Path(project.PRIVATE_MEDIA_ROOT).resolve()
    assert not media.is_relative_to(Path(project.STATIC_ROOT).resolve())
    assert not media.is_relative_to((Path(project.BASE_DIR) / "clusterdesk").resolve())


@pytest.mark.parametrize("content", [ELF, MZ, MACHO, SCRIPT], ids=["elf", "mz", "macho", "shebang"])
def test_upload_executable_named_pdf_refused(accounts, draft, private_media, content):
    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E01", "报告.pdf", content)

    assert "文件“报告.pdf”的内容是可执行程序" in caught.value.message
    assert caught.value.field == "file"
    assert not EvidenceFile.objects.exists()
    assert stored_files(private_media) == []


def test_upload_zip_named_pdf_refused_with_what_it_is(accounts, draft, private_media):
    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E01", "报告.pdf", plain_zip_bytes())

    assert caught.value.message.startswith("文件“报告.pdf”的内容是 ZIP 压缩包，不是本项允许的类型（PDF、JPG、PNG、OFD）")
    assert "请转换" in caught.value.message
    assert stored_files(private_media) == []


def test_upload_old_office_refused_with_save_as_advice(accounts, draft):
    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E12", "规划.doc", OLE2)

    assert "旧版 Office 文件（.doc/.xls），请另存为 .docx/.xlsx" in caught.value.message


@pytest.mark.parametrize(
    "item, name, content, kind",
    [
        ("E12", "三年发展规划.docx", docx_bytes(), "docx"),
        ("E02", "优质企业名单.xlsx", xlsx_bytes(), "xlsx"),
        ("E01", "产值证明.ofd", ofd_bytes(), "ofd"),
        ("E01", "产值证明.png", png_bytes(), "png"),
        ("E01", "产值证明.JPEG", jpg_bytes(), "jpg"),
        ("E01", "产值证明.jpg", jpg_bytes(), "jpg"),
    ],
)
def test_upload_allowed_kinds_accepted(accounts, draft, item, name, content, kind):
    evidence = upload(accounts, draft, item, name, content)

    assert (evidence.kind, evidence.original_name) == (kind, name)


def test_upload_docx_to_item_without_docx_refused(accounts, draft):
    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E01", "产值证明.docx", docx_bytes())

    assert "内容是 Word 文档（.docx），不是本项允许的类型（PDF、JPG、PNG、OFD）" in caught.value.message


def test_upload_extension_disagreeing_with_content_refused(accounts, draft, private_media):
    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E01", "产值证明.jpg", pdf_bytes())

    assert "文件“产值证明.jpg”的内容是 PDF 文件，但扩展名是“.jpg”" in caught.value.message
    assert "“.pdf”" in caught.value.message
    assert stored_files(private_media) == []


def test_upload_over_limit_refused(accounts, draft, settings, private_media):
    settings.MAX_UPLOAD_MB = 1
    content = pdf_bytes(int(1.5 * 1024 * 1024))

    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E01", "扫描件.pdf", content)

    message = caught.value.message
    assert "文件“扫描件.pdf”" in message and "1.5 MB" in message and "1 MB 的上限" in message
    assert "压缩" in message and "拆分" in message
    assert caught.value.field == "file"
    assert stored_files(private_media) == []


def test_upload_empty_file_refused(accounts, draft):
    with pytest.raises(DomainError, match="空文件"):
        upload(accounts, draft, "E01", "空.pdf", b"")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\报告.pdf", "报告.pdf"),
        ("C:\\Users\\张三\\Desktop\\产值证明.pdf", "产值证明.pdf"),
        ("产值\x00证明\x1b\x07.pdf", "产值证明.pdf"),
        ("产值\n证明\t  2024 .pdf", "产值 证明 2024.pdf"),
        ("发票\u202efdp.exe.pdf", "发票fdp.exe.pdf"),
        ("🏭集群产值😀证明.pdf", "🏭集群产值😀证明.pdf"),
        ("..pdf", "未命名.pdf"),
        ("   .pdf", "未命名.pdf"),
        ("报告..pdf", "报告.pdf"),
    ],
)
def test_upload_name_sanitised(accounts, draft, raw, expected):
    evidence = ev.upload_evidence(
        actor=accounts["dunhua"], application=draft, item_code="E01", upload=named(raw, pdf_bytes())
    )

    assert evidence.original_name == expected
    assert expected not in evidence.stored_name


def test_upload_300_char_name_cut_to_120_keeping_extension(accounts, draft):
    evidence = upload(accounts, draft, "E01", "长" * 300 + ".pdf", pdf_bytes())

    assert len(evidence.original_name) == 120
    assert evidence.original_name == "长" * 116 + ".pdf"


def test_upload_same_name_twice_keeps_both(accounts, draft):
    first = upload(accounts, draft, "E01", "证明.pdf", pdf_bytes())
    second = upload(accounts, draft, "E01", "证明.pdf", pdf_bytes(10))

    rows = {row.item.code: row for row in ev.files_by_item(draft)}
    assert [f.pk for f in rows["E01"].files] == [first.pk, second.pk]
    assert first.stored_name != second.stored_name


def test_upload_unknown_item_refused(accounts, draft):
    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E99", "证明.pdf", pdf_bytes())

    assert caught.value.field == "item" and "E99" in caught.value.message


def test_upload_by_city_reviewer_refused(accounts, draft):
    with pytest.raises(NotAllowed, match="只有申报单位的县级申报账号"):
        upload(accounts, draft, "E01", "证明.pdf", pdf_bytes(), who="yanbian")


def upload_all_required(accounts, application):
    for code in REQUIRED:
        upload(accounts, application, code, f"{code}.pdf", pdf_bytes())


def test_upload_after_submission_refused(accounts, filled, private_media):
    from clusterdesk.applications.domain import submit

    upload_all_required(accounts, filled)
    submit(actor=accounts["dunhua"], application=filled)
    before = stored_files(private_media)

    with pytest.raises(Conflict) as caught:
        upload(accounts, filled, "E03", "研发投入.pdf", pdf_bytes())

    assert "已提交市州" in caught.value.message and caught.value.status == 409
    assert stored_files(private_media) == before


def test_upload_after_deadline_refused(accounts, draft, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=32))

    with pytest.raises(Conflict, match="已超过截止时间"):
        upload(accounts, draft, "E01", "证明.pdf", pdf_bytes())


def test_upload_database_failure_removes_stored_file(accounts, draft, private_media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr(EvidenceFile.objects, "create", broken)

    with pytest.raises(RuntimeError):
        upload(accounts, draft, "E01", "证明.pdf", pdf_bytes())

    assert stored_files(private_media) == []


# --- Remove, list, download ------------------------------------------------------------------


def test_remove_hides_file_but_keeps_bytes(accounts, draft, private_media):
    evidence = upload(accounts, draft, "E01", "证明.pdf", pdf_bytes())

    ev.remove_evidence(actor=accounts["dunhua"], application=draft, evidence=evidence)

    rows = {row.item.code: row for row in ev.files_by_item(draft)}
    assert rows["E01"].files == []
    assert (Path(private_media) / evidence.stored_name).exists()
    assert AuditEvent.objects.filter(action="evidence.removed").count() == 1


def test_remove_after_deadline_refused(accounts, draft, time_machine):
    evidence = upload(accounts, draft, "E01", "证明.pdf", pdf_bytes())
    time_machine.move_to(timezone.now() + timedelta(days=32))

    with pytest.raises(Conflict, match="已超过截止时间"):
        ev.remove_evidence(actor=accounts["dunhua"], application=draft, evidence=evidence)


def test_files_by_item_two_queries_in_checklist_order(accounts, draft, django_assert_num_queries):
    upload(accounts, draft, "E09", "运营主体.pdf", pdf_bytes())
    upload(accounts, draft, "E01", "产值.pdf", pdf_bytes())

    with django_assert_num_queries(2):
        rows = ev.files_by_item(draft)

    assert [r.item.code for r in rows][:3] == ["E01", "E02", "E03"]
    assert [item.code for item in ev.missing_required(rows)] == ["E02", "E11", "E12"]


def test_removed_file_of_submitted_version_still_downloadable(accounts, filled, client):
    from clusterdesk.applications.domain import submit, withdraw

    upload_all_required(accounts, filled)
    first = EvidenceFile.objects.get(application=filled, item_code="E01")
    submit(actor=accounts["dunhua"], application=filled)
    withdraw(actor=accounts["dunhua"], application=filled)
    ev.remove_evidence(actor=accounts["dunhua"], application=filled, evidence=first)
    client.force_login(accounts["yanbian"])

    response = client.get(f"/applications/{filled.pk}/evidence/{first.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()


# --- Pages -----------------------------------------------------------------------------------


def page(client, application):
    return client.get(f"/applications/{application.pk}/evidence/")


def test_page_lists_items_files_and_controls(accounts, draft, client):
    evidence = upload(accounts, draft, "E01", "集群产值证明.pdf", pdf_bytes(3000))
    client.force_login(accounts["dunhua"])

    html = page(client, draft).content.decode()

    assert "统计部门出具的集群产值证明" in html and "必须" in html
    assert "允许的类型：PDF、JPG、PNG、OFD" in html
    assert "集群产值证明.pdf" in html and "3 KB" in html and evidence.sha256[:12] in html
    assert f"/applications/{draft.pk}/evidence/{evidence.pk}/" in html
    assert f"/applications/{draft.pk}/evidence/{evidence.pk}/remove/" in html
    assert 'enctype="multipart/form-data"' in html and " multiple " in html
    # htmx does the uploads (no hand-written evidence.js any more) and asks before a removal.
    assert f'hx-post="/applications/{draft.pk}/evidence/upload/" hx-encoding="multipart/form-data"' in html
    assert "js/evidence.js" not in html
    assert 'hx-confirm="确定删除“集群产值证明.pdf”？删除后不会随申报提交。"' in html


def test_page_summary_lists_required_items_missing(accounts, draft, client):
    client.force_login(accounts["dunhua"])
    assert "还有 5 项未上传" in page(client, draft).content.decode()

    upload(accounts, draft, "E01", "产值.pdf", pdf_bytes())
    html = page(client, draft).content.decode()
    assert "还有 4 项未上传" in html and "E01 统计部门" not in html.split("evidence-summary")[1].split("</div>")[0]

    for code in REQUIRED[1:]:
        upload(accounts, draft, code, f"{code}.pdf", pdf_bytes())
    assert "必须提供的 5 项材料均已上传" in page(client, draft).content.decode()


def test_page_read_only_after_submission(accounts, filled, client):
    from clusterdesk.applications.domain import submit

    upload_all_required(accounts, filled)
    submit(actor=accounts["dunhua"], application=filled)
    client.force_login(accounts["dunhua"])

    html = page(client, filled).content.decode()

    assert "当前只能查看和下载" in html and "已提交市州" in html
    assert '<form class="ev-upload"' not in html and "/remove/" not in html


def test_page_read_only_for_city_reviewer(accounts, draft, client):
    upload(accounts, draft, "E01", "产值.pdf", pdf_bytes())
    client.force_login(accounts["yanbian"])

    html = page(client, draft).content.decode()

    assert "产值.pdf" in html and '<form class="ev-upload"' not in html
    assert "只有申报单位的县级申报账号可以填写申报表" in html


@pytest.mark.parametrize("who", ["yanji", "tonghua", "meihekou", "expert"])
def test_page_and_download_out_of_scope_404(accounts, draft, client, who):
    evidence = upload(accounts, draft, "E01", "产值.pdf", pdf_bytes())
    client.force_login(accounts[who])

    assert page(client, draft).status_code == 404
    assert client.get(f"/applications/{draft.pk}/evidence/{evidence.pk}/").status_code == 404
    assert client.post(f"/applications/{draft.pk}/evidence/{evidence.pk}/remove/").status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()


def test_download_evidence_of_other_application_404(accounts, draft, client):
    from clusterdesk.applications.domain import create_application

    other = create_application(actor=accounts["dunhua"], round_=draft.round)
    evidence = upload(accounts, other, "E01", "产值.pdf", pdf_bytes())
    client.force_login(accounts["dunhua"])

    assert client.get(f"/applications/{draft.pk}/evidence/{evidence.pk}/").status_code == 404


def test_download_keeps_chinese_name_and_records_event(accounts, draft, client):
    content = pdf_bytes(100)
    evidence = upload(accounts, draft, "E01", "集群产值证明（2024）.pdf", content)
    client.force_login(accounts["yanbian"])

    response = client.get(f"/applications/{draft.pk}/evidence/{evidence.pk}/")

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('集群产值证明（2024）.pdf')}".lower() in disposition.lower()
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == content
    event = AuditEvent.objects.get(action="evidence.downloaded")
    assert event.actor_username == "yanbian_city" and event.after["id"] == evidence.pk


def test_page_upload_without_js_redirects_with_messages(accounts, draft, client):
    client.force_login(accounts["dunhua"])

    response = client.post(
        f"/applications/{draft.pk}/evidence/upload/",
        {"item": "E01", "file": [SimpleUploadedFile("产值证明.pdf", pdf_bytes()),
                                 SimpleUploadedFile("压缩包.pdf", plain_zip_bytes())]},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/applications/{draft.pk}/evidence/"
    html = response.content.decode()
    assert "E01：已上传“产值证明.pdf”" in html
    assert "E01：文件“压缩包.pdf”的内容是 ZIP 压缩包" in html
    assert EvidenceFile.objects.filter(application=draft).count() == 1


def test_page_upload_large_docx_spooled_to_disk_recognised(accounts, draft, client, settings):
    """Over FILE_UPLOAD_MAX_MEMORY_SIZE Django spools the upload to a temporary file; sniffing
    reads the ZIP directory from that file."""
    padding = bytes(range(256)) * (12 * 1024)  # 3 MB, stored uncompressed
    content = zip_of({"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": b"<w:document/>"})
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/image1.bin", padding)
    assert len(buffer.getvalue()) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(accounts["dunhua"])

    response = client.post(
        f"/applications/{draft.pk}/evidence/upload/",
        {"item": "E12", "file": SimpleUploadedFile("三年规划.docx", buffer.getvalue())},
        headers=HTMX,
    )

    assert response.status_code == 200, response.content.decode()
    stored = EvidenceFile.objects.get(application=draft, item_code="E12")
    assert stored.kind == "docx" and stored.sha256 == hashlib.sha256(buffer.getvalue()).hexdigest()
    assert f"已上传“三年规划.docx”（3.0 MB，SHA-256 {stored.sha256[:12]}）" in response.content.decode()


def test_page_upload_without_file_says_choose_one(accounts, draft, client):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/evidence/upload/", {"item": "E01"}, follow=True)

    assert "请先点“选择文件…”选好要上传的文件" in response.content.decode()


HTMX = {"HX-Request": "true"}


def test_page_upload_by_htmx_answers_the_results_and_the_item_list(accounts, draft, client):
    client.force_login(accounts["dunhua"])

    ok = client.post(f"/applications/{draft.pk}/evidence/upload/",
                     {"item": "E09", "file": SimpleUploadedFile("运营主体.pdf", pdf_bytes())}, headers=HTMX)

    assert ok.status_code == 200 and "Location" not in ok
    html = ok.content.decode()
    result, rest = html.split("</ul>", 1)  # the lines beside the input, then the out-of-band parts
    assert 'data-testid="evidence-upload-result"' in result and "已上传“运营主体.pdf”" in result
    files = rest.split('id="files-E09"', 1)[1].split('id="ev-summary"')[0]
    assert 'hx-swap-oob="true"' in files and "运营主体.pdf" in files and "尚未上传" not in files
    assert '<div id="ev-summary" data-testid="evidence-summary" hx-swap-oob="true">' in rest
    assert "还有 4 项未上传" in rest
    assert "<html" not in html and "<nav" not in html  # a fragment, not the page


def test_page_upload_by_htmx_names_the_refused_file_beside_the_input(accounts, draft, client):
    upload(accounts, draft, "E09", "运营主体.pdf", pdf_bytes())
    client.force_login(accounts["dunhua"])

    bad = client.post(f"/applications/{draft.pk}/evidence/upload/",
                      {"item": "E09", "file": SimpleUploadedFile("程序.pdf", ELF)}, headers=HTMX)

    assert bad.status_code == 400
    assert bad["HX-Reswap"] == "innerHTML"  # js/app.js swaps it into the form's .ev-result
    result, rest = bad.content.decode().split("</ul>", 1)
    assert '<li class="ev-err" role="alert">文件“程序.pdf”的内容是可执行程序' in result
    assert "运营主体.pdf" in rest.split('id="files-E09"', 1)[1]  # the list is unchanged
    assert list(EvidenceFile.objects.filter(application=draft).values_list("original_name", flat=True)) == [
        "运营主体.pdf"]


def test_page_upload_by_htmx_without_a_file_says_choose_one(accounts, draft, client):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/evidence/upload/", {"item": "E01"}, headers=HTMX)

    assert response.status_code == 400 and response["HX-Reswap"] == "innerHTML"
    assert "请先点“选择文件…”选好要上传的文件，再点“上传”" in response.content.decode()


def test_page_upload_without_htmx_redirects_back_to_the_page(accounts, draft, client):
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/evidence/upload/",
                           {"item": "E01", "file": SimpleUploadedFile("产值证明.pdf", pdf_bytes())})

    assert response.status_code == 302 and response["Location"] == f"/applications/{draft.pk}/evidence/"
    assert EvidenceFile.objects.filter(application=draft, original_name="产值证明.pdf").exists()


def test_page_upload_by_htmx_of_another_units_application_is_404(accounts, draft, client):
    client.force_login(accounts["tonghua"])  # 通化市 does not see 延边州 敦化市 applications (visible_to)
    response = client.post(f"/applications/{draft.pk}/evidence/upload/",
                           {"item": "E01", "file": SimpleUploadedFile("a.pdf", pdf_bytes())}, headers=HTMX)
    assert response.status_code == 404
    assert not EvidenceFile.objects.filter(application=draft).exists()


def test_page_upload_after_deadline_shows_message(accounts, draft, client, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=32))
    client.force_login(accounts["dunhua"])  # after the jump: sessions end after two idle hours

    response = client.post(
        f"/applications/{draft.pk}/evidence/upload/", {"item": "E01", "file": SimpleUploadedFile("a.pdf", pdf_bytes())},
        follow=True,
    )

    html = response.content.decode()
    assert "已超过截止时间" in html
    assert "当前只能查看和下载" in html


def test_page_remove_hides_file(accounts, draft, client):
    evidence = upload(accounts, draft, "E01", "旧证明.pdf", pdf_bytes())
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/evidence/{evidence.pk}/remove/", follow=True)

    html = response.content.decode()
    assert "已删除“旧证明.pdf”" in html
    assert f"/evidence/{evidence.pk}/remove/" not in html
    assert client.get(f"/applications/{draft.pk}/evidence/{evidence.pk}/").status_code == 404


def test_page_remove_by_htmx_answers_the_item_list(accounts, draft, client):
    evidence = upload(accounts, draft, "E01", "旧证明.pdf", pdf_bytes())
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/evidence/{evidence.pk}/remove/", headers=HTMX)

    assert response.status_code == 200 and "Location" not in response
    html = response.content.decode()
    files, summary = html.split('id="ev-summary"', 1)
    assert 'id="files-E01"' in files and "已删除“旧证明.pdf”" in files and "尚未上传（必须提供）" in files
    assert f"/evidence/{evidence.pk}/remove/" not in files
    assert "还有 5 项未上传" in summary
    assert AuditEvent.objects.filter(action="evidence.removed").count() == 1


def test_page_remove_by_htmx_after_the_deadline_says_why_above_the_list(accounts, draft, client, time_machine):
    evidence = upload(accounts, draft, "E01", "旧证明.pdf", pdf_bytes())
    time_machine.move_to(timezone.now() + timedelta(days=32))
    client.force_login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/evidence/{evidence.pk}/remove/", headers=HTMX)

    assert response.status_code == 409 and response["HX-Reswap"] == "outerHTML"
    files = response.content.decode().split('id="ev-summary"', 1)[0]
    assert 'data-testid="evidence-remove-error"' in files and "已超过截止时间" in files
    assert "旧证明.pdf" in files  # still listed, no longer removable
    assert EvidenceFile.objects.get(pk=evidence.pk).removed_at is None
