"""Private files through Django's storage API only (issue 14 §6): with a storage that keeps
nothing on disk (``InMemoryStorage``, standing in for an S3 bucket; its ``path()`` names no file), evidence is uploaded and
downloaded, the electronic package is built, stored and streamed in bounded memory, and
cleanup_files lists and removes orphans; nothing is written under PRIVATE_MEDIA_ROOT."""

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from datetime import datetime, timezone as dt_timezone
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from clusterdesk.applications.models import EvidenceFile
from clusterdesk.core.files import local_root, private_storage, walk_private
from clusterdesk.documents import package
from clusterdesk.documents.models import PackageJob
from tests.applications.test_evidence import pdf_bytes
from tests.documents.test_package import formal  # noqa: F401 - the fixture

MB = 1024 * 1024


@pytest.fixture
def memory_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    storage = private_storage()
    assert isinstance(storage, InMemoryStorage)
    assert local_root() is None  # not a FileSystemStorage: its path() names no file on disk
    return storage


def local_files(settings) -> list[str]:
    root = settings.PRIVATE_MEDIA_ROOT
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, api_token, accounts, draft, data, name="产值证明.pdf"):
    return client.post(f"/api/v1/applications/{draft.pk}/evidence",
                       {"item": "E01", "file": SimpleUploadedFile(name, data)}, **api_token(accounts["dunhua"]))


def test_evidence_upload_and_download_without_a_local_path(memory_storage, accounts, draft, client, api_token,
                                                           login, settings):
    data = pdf_bytes()
    response = upload(client, api_token, accounts, draft, data)
    assert response.status_code == 201, response.content
    evidence = EvidenceFile.objects.get()
    assert evidence.sha256 == hashlib.sha256(data).hexdigest() and evidence.crc32 == zlib.crc32(data)
    assert evidence.size == len(data)
    with memory_storage.open(evidence.stored_name, "rb") as handle:
        assert handle.read() == data
    assert local_files(settings) == []

    page = login(accounts["dunhua"]).get(reverse("evidence_download", args=[draft.pk, evidence.pk]))
    assert page.status_code == 200
    assert b"".join(page.streaming_content) == data
    api = client.get(f"/api/v1/applications/{draft.pk}/evidence/{evidence.pk}", **api_token(accounts["dunhua"]))
    assert api.status_code == 200 and b"".join(api.streaming_content) == data


def test_a_file_gone_from_the_store_is_a_named_404(memory_storage, accounts, draft, client, api_token, login):
    assert upload(client, api_token, accounts, draft, pdf_bytes()).status_code == 201
    evidence = EvidenceFile.objects.get()
    memory_storage.delete(evidence.stored_name)
    page = login(accounts["dunhua"]).get(reverse("evidence_download", args=[draft.pk, evidence.pk]))
    assert page.status_code == 404
    assert "在服务器上找不到了" in page.content.decode()


def test_an_oversized_stream_leaves_nothing_in_the_store(memory_storage, accounts, draft, client, api_token,
                                                         settings):
    from clusterdesk.core.errors import DomainError
    from clusterdesk.core.files import store_upload

    settings.MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("大文件.pdf", pdf_bytes() + b"0" * (2 * MB))
    with pytest.raises(DomainError, match="超过了单个文件 1 MB 的上限"):
        store_upload(big, f"evidence/{draft.pk}", "pdf", "大文件.pdf")
    assert list(walk_private("")) == []


def test_package_job_builds_stores_and_streams_through_the_storage(memory_storage, formal, accounts,  # noqa: F811
                                                                   round_open, login, settings):
    client = login(accounts["yanbian"])
    client.post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    assert job.status == "done", job.error
    kept = [name.rsplit("/", 1)[1] for name in walk_private(job.folder)]
    assert "members.json" in kept and "manifest.csv" in kept
    response = client.get(reverse("package_download", args=[job.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert len(body) == job.size == int(response["Content-Length"])
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert z.testzip() is None and len(z.namelist()) == job.file_count
        assert job.manifest_sha256 == hashlib.sha256(z.read("manifest.csv")).hexdigest()
        evidence = EvidenceFile.objects.filter(application=formal[0]).first()
        assert any(z.read(n) == memory_storage.open(evidence.stored_name).read() for n in z.namelist()
                   if n.endswith(".pdf"))
    assert local_files(settings) == []

    # A newer package replaces the older one's folder, through the storage too.
    client.post(reverse("package_page", args=[round_open.pk]))
    assert list(walk_private(job.folder)) == []


def test_a_changed_file_fails_the_build_and_leaves_no_folder(memory_storage, formal, accounts,  # noqa: F811
                                                             round_open, login):
    changed = EvidenceFile.objects.filter(application=formal[0]).first()
    data = memory_storage.open(changed.stored_name).read()
    memory_storage.delete(changed.stored_name)
    memory_storage.save(changed.stored_name, ContentFile(data[:-1] + bytes([data[-1] ^ 1])))  # same size
    login(accounts["yanbian"]).post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    assert job.status == "failed" and changed.original_name in job.error
    assert list(walk_private("packages")) == []


def test_streaming_a_large_package_keeps_memory_bounded(memory_storage):
    """Three 16 MB files stream as a 48 MB ZIP while the process allocates < 6 MB more: each
    file is read in 1 MB chunks from storage.open(), never read whole."""
    entries = []
    for n in range(3):
        data = os.urandom(16 * MB)
        name = memory_storage.save(f"evidence/big/{n}.bin", ContentFile(data))
        entries.append(package.Entry(f"文件{n}.bin", package.FILE, size=len(data), sha256="", stored=name,
                                     crc32=zlib.crc32(data), what=f"文件{n}"))
        del data
    expected = package.archive_size(entries)
    digest = hashlib.sha256()
    total = 0
    tracemalloc.start()
    try:
        for chunk in package.zip_chunks(entries):
            total += len(chunk)
            digest.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == expected > 48 * MB
    assert peak < 6 * MB, f"peak {peak / MB:.1f} MB while streaming a {total / MB:.0f} MB package"


def test_cleanup_lists_and_removes_orphans_through_the_storage(memory_storage, accounts, draft, client, api_token,
                                                               settings, tmp_path):
    settings.CLEANUP_GRACE_HOURS = 24
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploadtmp")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    assert upload(client, api_token, accounts, draft, pdf_bytes()).status_code == 201
    recorded = EvidenceFile.objects.get().stored_name
    old = datetime.fromtimestamp(time.time() - 3 * 24 * 3600, tz=dt_timezone.utc)

    def put(name, when=old):
        saved = memory_storage.save(name, ContentFile(b"x" * 100))
        memory_storage._resolve(saved).modified_time = when  # InMemoryStorage has no utime()
        return saved

    memory_storage._resolve(recorded).modified_time = old
    orphan = put(f"evidence/{draft.pk}/0123abcd.pdf")
    letter = put("letters/1/220000/feed.pdf")
    young = put(f"evidence/{draft.pk}/4567ef.pdf", when=datetime.now(tz=dt_timezone.utc))
    kept_package = put("packages/1/220000/package.zip")

    out = StringIO()
    call_command("cleanup_files", "--dry-run", stdout=out)
    assert f"将删除（无记录的上传文件）{orphan}" in out.getvalue()
    assert memory_storage.exists(orphan)

    out = StringIO()
    call_command("cleanup_files", stdout=out)
    assert "已删除 2 个无记录文件" in out.getvalue() and "释放 200 字节" in out.getvalue()
    assert not memory_storage.exists(orphan) and not memory_storage.exists(letter)
    assert all(memory_storage.exists(n) for n in (recorded, young, kept_package))
    assert local_files(settings) == []


# --- S3 (django-storages), without a network: botocore's Stubber answers the client's calls ---

def s3_storage():
    from storages.backends.s3 import S3Storage

    return S3Storage(bucket_name="clusterdesk", endpoint_url="http://minio.invalid:9000", region_name="us-east-1",
                     access_key="test", secret_key="test", addressing_style="path", location="cd",
                     file_overwrite=False, default_acl=None)


def test_s3_reads_stream_the_object_body_in_chunks(settings):
    """open_private on S3 is one GET whose body is read as it goes (django-storages' S3File would
    download the whole object first); a missing key is FileNotFoundError."""
    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    from clusterdesk.core import files

    storage = s3_storage()
    data = os.urandom(3 * MB)
    with Stubber(storage.connection.meta.client) as stub:
        stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(data), len(data)),
                                         "ContentLength": len(data)},
                          {"Bucket": "clusterdesk", "Key": "cd/evidence/1/a.pdf"})
        stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
        settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "storages.backends.s3.S3Storage"}}
        from django.core.files.storage import storages

        storages._storages["private"] = storage  # the stubbed instance
        assert files.local_root() is None
        with files.open_private("evidence/1/a.pdf") as handle:
            first = handle.read(1 * MB)
            assert len(first) == MB
            rest = b"".join(iter(lambda: handle.read(MB), b""))
        assert first + rest == data
        with pytest.raises(FileNotFoundError):
            files.open_private("evidence/1/gone.pdf")


def test_s3_settings_from_the_environment(tmp_path):
    """CLUSTERDESK_STORAGE=s3 with the CLUSTERDESK_S3_* variables configures django-storages;
    without a bucket the settings refuse, naming the variable; the default stays local."""
    code = ("import django, json; django.setup(); from django.conf import settings; "
            "from django.core.files.storage import storages; s = storages['private']; "
            "print(json.dumps([type(s).__module__ + '.' + type(s).__name__, s.bucket_name, s.endpoint_url, "
            "s.location, s.addressing_style, s.file_overwrite]))")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERDESK_S3", "CLUSTERDESK_STORAGE"))}
    base.update(DJANGO_SETTINGS_MODULE="clusterdesk.settings", CLUSTERDESK_VAR_DIR=str(tmp_path))
    env = dict(base, CLUSTERDESK_STORAGE="s3", CLUSTERDESK_S3_BUCKET="clusterdesk",
               CLUSTERDESK_S3_ENDPOINT_URL="http://minio.intra:9000", CLUSTERDESK_S3_PREFIX="prod",
               CLUSTERDESK_S3_ADDRESSING_STYLE="path", CLUSTERDESK_S3_ACCESS_KEY="k", CLUSTERDESK_S3_SECRET_KEY="s")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "storages.backends.s3.S3Storage", "clusterdesk", "http://minio.intra:9000", "prod", "path", False]

    missing = subprocess.run([sys.executable, "-c", code], env=dict(base, CLUSTERDESK_STORAGE="s3"),
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "CLUSTERDESK_S3_BUCKET" in missing.stderr

    local = subprocess.run([sys.executable, "-c", code.replace(", s.bucket_name, s.endpoint_url, "
                                                               "s.location, s.addressing_style, s.file_overwrite", "")],
                           env=base, capture_output=True, text=True, timeout=120)
    assert local.returncode == 0, local.stderr
    assert json.loads(local.stdout.strip().splitlines()[-1]) == ["clusterdesk.core.files.PrivateFileSystemStorage"]


def test_s3_uploads_stream_through_the_hashing_reader_and_oversized_ones_leave_nothing(settings):
    """store_upload on S3: one PUT of exactly the upload's bytes, SHA-256 and CRC-32 computed on the
    way; over MAX_UPLOAD_MB it is refused naming the file, nothing is PUT and the key is removed."""
    from botocore.stub import ANY, Stubber
    from django.core.files.storage import storages

    from clusterdesk.core import files
    from clusterdesk.core.errors import DomainError

    storage = s3_storage()
    client = storage.connection.meta.client
    sent = []
    client.meta.events.register("before-parameter-build.s3.PutObject",
                                lambda params, **kw: sent.append(params["Body"].read()))
    data = pdf_bytes()
    settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "storages.backends.s3.S3Storage"}}
    storages._storages["private"] = storage
    with Stubber(client) as stub:
        stub.add_client_error("head_object", http_status_code=404)  # the name is free
        stub.add_response("put_object", {}, {"Bucket": "clusterdesk", "Key": ANY, "Body": ANY, "ContentType": ANY,
                                             "ChecksumAlgorithm": ANY})
        stored = files.store_upload(SimpleUploadedFile("产值证明.pdf", data), "evidence/7", "pdf", "产值证明.pdf")
        stub.assert_no_pending_responses()
    assert sent == [data]
    assert stored.relative.startswith("evidence/7/") and stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.crc32 == zlib.crc32(data)

    settings.MAX_UPLOAD_MB = 1
    storages._storages["private"] = storage
    sent.clear()
    with Stubber(client) as stub:
        stub.add_client_error("head_object", http_status_code=404)
        stub.add_response("delete_object", {}, {"Bucket": "clusterdesk", "Key": ANY})
        with pytest.raises(DomainError, match="“大文件.pdf”超过了单个文件 1 MB 的上限"):
            files.store_upload(SimpleUploadedFile("大文件.pdf", b"0" * (3 * MB)), "evidence/7", "pdf", "大文件.pdf")
        stub.assert_no_pending_responses()
    assert sent == []
