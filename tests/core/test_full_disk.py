"""A full disk says so (issue 16 §5, uploads): 507 with a Chinese message naming the file, JSON for
the API, per file on a multi-file page upload, and nothing half-stored. The disk is a stub: the
storage's ``open`` gives files whose writes fail with ENOSPC."""

import errno

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clusterdesk.applications.models import EvidenceFile
from clusterdesk.core import files
from tests.applications.test_evidence import pdf_bytes


class FullDisk:
    """``open`` for the storage module: the first ``room`` files are written, later ones hit ENOSPC
    after a few bytes (a partial file is left on disk, as a real full disk leaves it)."""

    def __init__(self, room: int = 0):
        self.room = room
        self.opened = 0
        self.paths = []

    def __call__(self, path, mode="r", *args, **kwargs):
        handle = open(path, mode, *args, **kwargs)  # noqa: SIM115 - handed to the caller
        self.opened += 1
        self.paths.append(path)
        if self.opened <= self.room:
            return handle
        real_write = handle.write

        def write(data):
            real_write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write
        return handle


@pytest.fixture
def full_disk(monkeypatch):
    def install(room=0):
        disk = FullDisk(room)
        monkeypatch.setattr(files, "open", disk, raising=False)
        return disk

    return install


def stored_files(settings):
    root = settings.PRIVATE_MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_api_upload_on_a_full_disk_is_507_json_and_nothing_is_stored(accounts, draft, client, api_token,
                                                                     full_disk, settings):
    disk = full_disk()
    response = client.post(f"/api/v1/applications/{draft.pk}/evidence",
                           {"item": "E01", "file": SimpleUploadedFile("产值证明.pdf", pdf_bytes())},
                           **api_token(accounts["dunhua"]))

    assert response.status_code == 507
    assert response.json() == {"detail": "服务器存储空间已满，文件“产值证明.pdf”没有保存；请联系系统管理员清理空间后重新上传",
                               "field": "file"}
    assert disk.opened == 1 and not disk.paths[0].exists()  # the partial file is gone
    assert stored_files(settings) == []
    assert not EvidenceFile.objects.exists()


def test_page_upload_of_two_files_says_which_was_stored(accounts, draft, client, full_disk, settings):
    full_disk(room=1)
    client.force_login(accounts["dunhua"])
    response = client.post(
        f"/applications/{draft.pk}/evidence/upload/",
        {"item": "E01", "file": [SimpleUploadedFile("产值证明.pdf", pdf_bytes()),
                                 SimpleUploadedFile("补充证明.pdf", pdf_bytes(300))]},
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "E01：已上传“产值证明.pdf”" in html
    assert "E01：服务器存储空间已满，文件“补充证明.pdf”没有保存" in html
    assert list(EvidenceFile.objects.values_list("original_name", flat=True)) == ["产值证明.pdf"]
    assert len(stored_files(settings)) == 1


def test_htmx_upload_of_two_files_answers_507_listing_the_stored_one(accounts, draft, client, full_disk):
    full_disk(room=1)
    client.force_login(accounts["dunhua"])
    response = client.post(
        f"/applications/{draft.pk}/evidence/upload/",
        {"item": "E01", "file": [SimpleUploadedFile("产值证明.pdf", pdf_bytes()),
                                 SimpleUploadedFile("补充证明.pdf", pdf_bytes(300))]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 507 and response["HX-Reswap"] == "innerHTML"  # shown beside the input
    result, rest = response.content.decode().split("</ul>", 1)
    assert "已上传“产值证明.pdf”" in result
    assert '<li class="ev-err" role="alert">服务器存储空间已满，文件“补充证明.pdf”没有保存' in result
    assert "产值证明.pdf" in rest.split('id="files-E01"', 1)[1]  # the stored one is listed


def test_a_stored_upload_is_fsynced(monkeypatch, settings):
    synced = []
    real = files.os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    stored = files.store_upload(SimpleUploadedFile("a.pdf", pdf_bytes()), "evidence/x", "pdf", "a.pdf")
    assert synced and files.private_path(stored.relative).read_bytes() == pdf_bytes()
