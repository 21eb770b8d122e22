"""Issue 13 §6: uploads are evidence, never active content. PDFs with scripts, launch actions or
embedded files, Office files with macros or embedded objects, and ZIP containers that expand
beyond the size limit are refused with the reason, naming the file, in the one upload check
(``evidence.check_upload``) that evidence, letters, spot-check files and re-review uploads share."""

import io
import zipfile
import zlib

import pytest

from clusterdesk.core.errors import DomainError
from clusterdesk.rereview import domain as rr
from tests.applications.test_evidence import docx_bytes, pdf_bytes, stored_files, upload, xlsx_bytes

CATALOG = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R EXTRA >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
TRAILER = b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf_with(extra: bytes, more: bytes = b"") -> bytes:
    return CATALOG.replace(b"EXTRA", extra) + more + TRAILER


def object_stream_pdf(inner: bytes) -> bytes:
    """A PDF 1.5 whose action dictionary is packed, compressed, in an object stream."""
    packed = zlib.compress(b"3 0 " + inner)
    stream = b"4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
    return pdf_with(b"/OpenAction 3 0 R", stream + packed + b"\nendstream\nendobj\n")


def office(base: bytes, extra: dict[str, bytes], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO(base)
    with zipfile.ZipFile(buffer, "a", method) as archive:
        for name, data in extra.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("content, reason", [
    (pdf_with(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "含有 JavaScript 脚本"),
    (pdf_with(b"/OpenAction << /S /Jav#61Script /J#53 (app.alert(1)) >>"), "含有 JavaScript 脚本"),
    (pdf_with(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "含有启动外部程序的动作（/Launch）"),
    (pdf_with(b"/Names << /EmbeddedFiles << /Names [(a.exe) 3 0 R] >> >>"), "内嵌了其他文件（PDF 附件）"),
    (object_stream_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"), "含有 JavaScript 脚本"),
])
def test_pdf_with_active_content_is_refused_naming_the_file(accounts, draft, settings, content, reason):
    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E01", "产值证明.pdf", content)

    assert caught.value.message.startswith(f"文件“产值证明.pdf”{reason}；")
    assert caught.value.field == "file"
    assert stored_files(settings.PRIVATE_MEDIA_ROOT) == []


def test_pdf_with_plain_open_action_and_big_stream_is_accepted(accounts, draft):
    content = pdf_with(b"/OpenAction [2 0 R /FitH 0]", pdf_bytes(padding=200_000)[9:])

    assert upload(accounts, draft, "E01", "产值证明.pdf", content).kind == "pdf"


@pytest.mark.parametrize("base, extra, reason", [
    (docx_bytes, {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}, "含有宏（VBA 代码）"),
    (xlsx_bytes, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}, "含有宏（VBA 代码）"),
    (docx_bytes, {"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0ole"}, "内嵌了其他对象或程序"),
    (xlsx_bytes, {"xl/activeX/activeX1.bin": b"x"}, "内嵌了其他对象或程序"),
    (docx_bytes, {"word/media/setup.exe": b"MZ\x90\x00"}, "内嵌了其他对象或程序"),
])
def test_office_file_with_macros_or_embedded_programs_is_refused(accounts, draft, base, extra, reason):
    name = "规划.docx" if base is docx_bytes else "名单.xlsx"
    item = "E12" if base is docx_bytes else "E02"

    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, item, name, office(base(), extra))

    assert caught.value.message.startswith(f"文件“{name}”{reason}")


def test_zip_bomb_in_an_office_container_is_refused(accounts, draft):
    bomb = office(docx_bytes(), {"word/media/image1.xml": b"\x00" * (30 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024

    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E12", "规划.docx", bomb)

    assert "压缩炸弹" in caught.value.message and caught.value.message.startswith("文件“规划.docx”")


def test_office_container_expanding_beyond_the_limit_is_refused(accounts, draft, settings):
    settings.MAX_UPLOAD_MB = 1
    big = office(docx_bytes(), {f"word/media/image{i}.xml": b"\x00" * 900_000 for i in range(3)})
    assert len(big) < 100 * 1024  # each member under 1 MB: no single bomb, too big together

    with pytest.raises(DomainError) as caught:
        upload(accounts, draft, "E12", "规划.docx", big)

    assert "解压后大小为" in caught.value.message and "超过了 1 MB 的上限" in caught.value.message


def test_a_plain_office_file_is_accepted(accounts, draft):
    assert upload(accounts, draft, "E12", "规划.docx", docx_bytes()).kind == "docx"


def test_rereview_evidence_uses_the_same_check(accounts, jilin, criteria_sets):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.rereview.test_rereview import make_rereview_round, seed_registry

    seed_registry()
    (task,) = rr.open_rereview(actor=accounts["province"], round_=make_rereview_round(accounts["province"]))
    item = task.round.checklist.filter(required=True).first()

    with pytest.raises(DomainError) as caught:
        rr.upload_evidence(actor=accounts["dunhua"], task=task, item_code=item.code,
                           upload=SimpleUploadedFile("报告.pdf", pdf_with(b"/AA << /O << /S /JavaScript /JS (x) >> >>")))

    assert "含有 JavaScript 脚本" in caught.value.message
