"""电子材料包: layout and order, UTF-8 names, the manifest against the bytes, odd names,
a missing file failing loudly with nothing left behind, job reuse, downloads and scope.

Fixtures drive the real chain: the counties upload evidence through ``upload_evidence`` and
submit; 延边州 recommends (national), sends its name list and its formal recommendation with a
signed letter. Only the odd-name test also writes two evidence rows directly (names the upload
path would already have cleaned), to check the package's own sanitising.
"""

import csv
import hashlib
import io
import subprocess
import unicodedata
import uuid
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from clusterdesk.core.errors import DomainError
from clusterdesk.documents import package
from clusterdesk.documents.models import PackageJob
from tests.conftest import complete_body

LETTER = b"%PDF-1.4\n% signed letter\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
YANBIAN_ZIP = "延边朝鲜族自治州-2025年度推荐材料包.zip"


def pdf(tag: str) -> bytes:
    """A small PDF whose bytes (and so SHA-256) differ per ``tag``."""
    return b"%PDF-1.4\n% " + tag.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_formal(accounts, round_open, clusters, extra=None, direct=None):
    """Drive ``clusters`` [(applicant, name)] of 延边州 through submission, recommendation
    (national), the name list and the formal recommendation with ``LETTER``.

    ``extra`` {name: [(item, filename, bytes)]} uploads more evidence through ``upload_evidence``;
    ``direct`` {name: [(item, raw name, bytes)]} writes files into private storage and creates the
    ``EvidenceFile`` rows directly (a raw name the upload path would have cleaned). Returns the
    applications in list order.
    """
    from clusterdesk.applications import domain as apps
    from clusterdesk.applications.evidence import upload_evidence
    from clusterdesk.applications.models import Application, EvidenceFile
    from clusterdesk.core.files import private_path
    from clusterdesk.reviews import domain

    made = []
    for applicant, name in clusters:
        user = accounts[applicant]
        app = apps.create_application(actor=user, round_=round_open)
        apps.save_fields(actor=user, application=app, data={**complete_body(), "name": name})
        for item in round_open.checklist.filter(required=True):
            upload_evidence(actor=user, application=app, item_code=item.code,
                            upload=SimpleUploadedFile(f"{item.title[:10]}.pdf", pdf(f"{name}{item.code}")))
        for item, filename, data in (extra or {}).get(name, []):
            upload_evidence(actor=user, application=app, item_code=item, upload=SimpleUploadedFile(filename, data))
        for item, raw, data in (direct or {}).get(name, []):
            stored = f"evidence/{app.pk}/{uuid.uuid4().hex}.pdf"
            path = private_path(stored)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            EvidenceFile.objects.create(application=app, item_code=item, original_name=raw, stored_name=stored,
                                        kind="pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                        uploaded_by=user)
        apps.submit(actor=user, application=app)
        domain.perform(actor=accounts["yanbian"], application=Application.objects.get(pk=app.pk),
                       action="city_recommend", inputs={"national": True})
        made.append(app)
    domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    domain.submit_formal(actor=accounts["yanbian"], round_=round_open, confirm_final=True,
                         letter=SimpleUploadedFile("延边州推荐函（盖章）.pdf", LETTER, content_type="application/pdf"))
    return [Application.objects.get(pk=a.pk) for a in made]


EXTRA = {
    "敦化市医药产业集群": [
        ("E03", "研发投入专项审计报告.pdf", pdf("rd")),
        ("E01", "统计局产值证明（补充）.pdf", pdf("e01-more")),
    ],
}


@pytest.fixture
def formal(accounts, round_open):
    """延边州's formal recommendation of two applications (敦化 with extra evidence, 延吉)."""
    return make_formal(accounts, round_open, [("dunhua", "敦化市医药产业集群"), ("yanji", "延吉市人参大健康产业集群")],
                       extra=EXTRA)


def zip_of(entries, tmp_path, name="package.zip"):
    """What a user gets: the job's ``prepare``, then the ZIP assembled from the prepared package."""
    result = package.prepare(entries, f"packages/test/{uuid.uuid4().hex}")
    out = tmp_path / name
    with open(out, "wb") as handle:
        for chunk in package.zip_chunks(result.members):
            handle.write(chunk)
    return out, result


@pytest.fixture
def built(formal, round_open, accounts, tmp_path):
    entries = package.plan(round_open, accounts["yanbian"].org)
    package.check(entries)
    out, result = zip_of(entries, tmp_path)
    return entries, out, result


def evidence_names(names, folder):
    prefix = f"{folder}/佐证材料/"
    return [n[len(prefix):] for n in names if n.startswith(prefix)]


# --- layout ----------------------------------------------------------------------------------

def test_layout_order_and_original_chinese_names(built, formal, round_open, tmp_path):
    from clusterdesk.applications.models import ApplicationVersion

    entries, out, result = built
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        names = z.namelist()
    dunhua, yanji = formal
    # The formal list's order (by number: 延吉 222401 before 敦化 222403).
    second, first = f"01-{yanji.number}-延吉市人参大健康产业集群", f"02-{dunhua.number}-敦化市医药产业集群"
    assert names[:2] == [f"{second}/附件1申报表.pdf", f"{second}/附件1申报表.docx"]
    i = names.index(f"{first}/附件1申报表.pdf")
    assert names[i + 1] == f"{first}/附件1申报表.docx"
    assert names[2] == f"{second}/审核参考.pdf" and names[i + 2] == f"{first}/审核参考.pdf"  # for the province's reviewers
    assert all(n.startswith(second + "/") for n in names[:i])
    assert all(n.startswith(first + "/") for n in names[i:-5])
    assert names[-5:] == ["附件2推荐汇总表.xlsx", "推荐文件（盖章件）.pdf", "推荐文件（草稿）.docx", "清单.xlsx", "manifest.csv"]
    assert [e.arcname for e in entries] == names  # the plan is the archive, in order

    # Evidence: checklist order, the submitted names, under "{code}-{title}".
    checklist = list(round_open.checklist.order_by("order", "id"))
    titles = {c.code: c.title for c in checklist}
    version = ApplicationVersion.objects.get(application=dunhua, number=dunhua.current_version)
    listed = evidence_names(names, first)
    expected = []
    for item in checklist:
        for f in version.evidence:
            if f["item"] == item.code:
                expected.append(f"{item.code}-{package.safe_name(titles[item.code], package.ITEM_CHARS, keep_extension=False)}/{f['name']}")
    assert listed == expected
    assert "E01-统计部门出具的集群产值证明/统计局产值证明（补充）.pdf" in listed
    assert listed.index("E01-统计部门出具的集群产值证明/统计局产值证明（补充）.pdf") < listed.index(
        "E03-中小企业研发投入证明/研发投入专项审计报告.pdf")
    with zipfile.ZipFile(out) as z:
        assert z.read(f"{first}/佐证材料/E03-中小企业研发投入证明/研发投入专项审计报告.pdf") == pdf("rd")
        assert z.read("推荐文件（盖章件）.pdf") == LETTER
        assert z.read(f"{first}/附件1申报表.pdf").startswith(b"%PDF")
        assert z.read(f"{first}/附件1申报表.docx")[:2] == b"PK"
        reference = z.read(f"{first}/审核参考.pdf")
        load_workbook(io.BytesIO(z.read("附件2推荐汇总表.xlsx")))
    (tmp_path / "reference.pdf").write_bytes(reference)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "reference.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "审核参考" in text and dunhua.number in text and "SHA-256" in text
    assert result.files == len(names)


def test_non_ascii_names_carry_the_utf8_flag(built):
    _, out, _ = built
    with zipfile.ZipFile(out) as z:
        infos = z.infolist()
    assert infos
    for info in infos:
        if not info.filename.isascii():
            assert info.flag_bits & 0x800, info.filename
        assert info.compress_type == zipfile.ZIP_STORED


def test_manifest_matches_every_file(built):
    _, out, result = built
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        raw = z.read("manifest.csv")
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Windows reads it as UTF-8
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        assert [r["path"] for r in rows] == [n for n in names if n != "manifest.csv"]
        for row in rows:
            data = z.read(row["path"])
            assert int(row["size"]) == len(data), row["path"]
            assert row["sha256"] == hashlib.sha256(data).hexdigest(), row["path"]
        book = load_workbook(io.BytesIO(z.read("清单.xlsx")), read_only=True)
        sheet = book["清单"]
        listed = list(sheet.iter_rows(values_only=True))
        assert listed[0] == ("序号", "文件", "大小（字节）", "SHA-256")
        assert [(r[1], r[2], r[3]) for r in listed[1:]] == [
            (r["path"], int(r["size"]), r["sha256"]) for r in rows if r["path"] != "清单.xlsx"]
        assert "说明" in book.sheetnames
    assert result.size == out.stat().st_size
    assert result.size == out.stat().st_size


# --- odd names ---------------------------------------------------------------------------------

LONG = "很长的文件名" * 50 + ".pdf"  # 304 characters


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd.pdf", "_._etc_passwd.pdf"),
    ("..", "未命名"),
    ("a\x00b\x1f\u202ec.pdf", "abc.pdf"),
    ("证书😀🏭.pdf", "证书😀🏭.pdf"),
    ("👨\u200d👩\u200d👧 家庭.pdf", "👨\u200d👩\u200d👧 家庭.pdf"),
    ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
    (" .hidden. ", "hidden"),
    ("CON.pdf", "_CON.pdf"),
    ("", "未命名"),
    ("e\u0301.pdf", "\u00e9.pdf"),  # NFC
])
def test_safe_name(raw, expected):
    assert package.safe_name(raw) == expected


def test_safe_name_shortens_keeping_the_extension():
    name = package.safe_name(LONG)
    assert name.endswith(".pdf") and len(name) <= package.NAME_CHARS
    emoji = package.safe_name("😀" * 200 + ".pdf")
    assert emoji.endswith(".pdf") and len(emoji.encode()) <= package.NAME_BYTES


def test_folder_disambiguates_and_never_overwrites():
    folder = package.Folder()
    taken = [folder.take(n) for n in ("证书.pdf", "证书.pdf", "证书（2）.pdf", "证书.PDF", "证书.pdf")]
    assert taken == ["证书.pdf", "证书（2）.pdf", "证书（2）（2）.pdf", "证书（3）.PDF", "证书（4）.pdf"]
    long = package.safe_name(LONG)
    twice = [folder.take(long), folder.take(long)]
    assert twice[0] != twice[1] and all(len(t) <= package.NAME_CHARS for t in twice)
    assert twice[1].endswith("（2）.pdf")


def test_odd_evidence_names_are_safe_and_disambiguated(accounts, round_open, tmp_path):
    uploads = [
        ("E03", "📄产值证明😀.pdf", pdf("emoji")),
        ("E03", "../../etc/passwd.pdf", pdf("traversal")),
        ("E03", LONG, pdf("long")),
        ("E03", "专利证书.pdf", pdf("same-1")),
        ("E03", "专利证书.pdf", pdf("same-2")),
    ]
    direct = [  # raw names straight into the rows: the package must cope on its own
        ("E04", "../../etc/passwd.pdf", pdf("direct-traversal")),
        ("E04", "..\\..\\windows\\a|b.pdf", pdf("direct-backslash")),
        ("E04", "平台证书" * 60 + ".pdf", pdf("direct-long")),  # 244 characters: the longest a row holds (255)
        ("E04", "平台证书" * 60 + ".pdf", pdf("direct-long-2")),
    ]
    (app,) = make_formal(accounts, round_open, [("dunhua", "敦化市医药产业集群")],
                         extra={"敦化市医药产业集群": uploads}, direct={"敦化市医药产业集群": direct})
    entries = package.plan(round_open, accounts["yanbian"].org)
    out, _ = zip_of(entries, tmp_path, "odd.zip")
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        folder = f"01-{app.number}-敦化市医药产业集群"  # the only one
        e03 = [n.rsplit("/", 1)[1] for n in names if "/E03-" in n]
        e04 = [n.rsplit("/", 1)[1] for n in names if "/E04-" in n]
        assert "📄产值证明😀.pdf" in e03
        assert "passwd.pdf" in e03  # the upload kept only the last part
        assert "专利证书.pdf" in e03 and "专利证书（2）.pdf" in e03
        assert z.read(f"{folder}/佐证材料/E03-中小企业研发投入证明/专利证书.pdf") == pdf("same-1")
        assert z.read(f"{folder}/佐证材料/E03-中小企业研发投入证明/专利证书（2）.pdf") == pdf("same-2")
        assert any(n.startswith("很长的文件名") and n.endswith(".pdf") for n in e03)
        assert "_._etc_passwd.pdf" in e04
        assert "_._windows_a_b.pdf" in e04
        longs = [n for n in e04 if n.startswith("平台证书")]
        assert len(longs) == 2 and longs[0] != longs[1] and longs[1].endswith("（2）.pdf")
        assert len(names) == len(set(n.casefold() for n in names))  # nothing overwritten
        assert len(names) == len(entries)
        for name in names:
            for part in name.split("/"):
                assert part and part not in (".", "..") and ".." not in part, name
                assert "\\" not in part and len(part) <= package.NAME_CHARS and len(part.encode()) <= 240, name
                assert not any(unicodedata.category(c) == "Cc" for c in part), name
        rows = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode("utf-8-sig"))))
        for row in rows:
            assert hashlib.sha256(z.read(row["path"])).hexdigest() == row["sha256"]


# --- failures leave nothing ------------------------------------------------------------------

def _package_dir(round_, org):
    from clusterdesk.core.files import private_path

    return private_path(f"packages/{round_.pk}/{org.code}")


def test_missing_evidence_fails_the_job_naming_the_file_and_leaves_nothing(formal, accounts, round_open, login):
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    dunhua = formal[0]
    lost = EvidenceFile.objects.filter(application=dunhua, item_code="E03").get()
    private_path(lost.stored_name).unlink()
    client = login(accounts["yanbian"])
    response = client.post(reverse("package_page", args=[round_open.pk]))
    assert response.status_code == 302
    job = PackageJob.objects.get()
    assert job.status == "failed"
    assert job.error.startswith("佐证材料文件缺失：")
    assert dunhua.number in job.error and "E03" in job.error and "研发投入专项审计报告.pdf" in job.error
    assert lost.stored_name in job.error and job.error.endswith("材料包未生成")
    assert job.folder == "" and job.size == 0
    folder = _package_dir(round_open, accounts["yanbian"].org)
    assert not folder.exists() or list(folder.iterdir()) == []
    page = client.get(reverse("package_page", args=[round_open.pk]))
    assert "佐证材料文件缺失" in page.content.decode()
    with pytest.raises(DomainError, match="研发投入专项审计报告.pdf"):
        package.check(package.plan(round_open, accounts["yanbian"].org))


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[-2] ^= 1  # same size, other bytes
    path.write_bytes(bytes(data))


def test_file_changed_since_submission_fails_and_removes_the_partial_folder(formal, accounts, round_open):
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    changed = EvidenceFile.objects.filter(application=formal[1], item_code="E01").get()
    flip_a_byte(private_path(changed.stored_name))
    entries = package.plan(round_open, accounts["yanbian"].org)
    package.check(entries)  # sizes agree: only the hash can tell
    with pytest.raises(DomainError, match="佐证材料文件与提交时不一致") as caught:
        package.prepare(entries, "packages/pk/changed")
    assert formal[1].number in caught.value.message and caught.value.message.endswith("材料包未生成")
    assert "CRC-32 校验值应为" in caught.value.message  # the checksum recorded at upload tells
    assert list(private_path("packages/pk").iterdir()) == []  # no folder, no .part left


# --- jobs, downloads, scope ----------------------------------------------------------------------

def test_job_builds_and_downloads_with_the_chinese_filename(formal, accounts, round_open, login):
    client = login(accounts["yanbian"])
    client.post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    assert job.status == "done" and job.progress == 100 and job.folder
    row = client.get(reverse("package_status", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert row.lstrip().startswith(f'<tr data-package-job="{job.pk}" data-status="done">')  # no trigger: polling stops
    assert f'<a href="{reverse("package_download", args=[job.pk])}" data-testid="package-download">' in row
    assert 'id="package-start" hx-swap-oob="true">生成材料包</button>' in row  # nothing runs any more
    response = client.get(reverse("package_download", args=[job.pk]))
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "%E5%BB%B6%E8%BE%B9" in response["Content-Disposition"]  # 延边…
    body = b"".join(response.streaming_content)
    assert len(body) == job.size == int(response["Content-Length"])  # the exact size, known before the first byte
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert z.testzip() is None
        assert z.namelist()[-1] == "manifest.csv" and job.file_count == len(z.namelist())
        assert job.manifest_sha256 == hashlib.sha256(z.read("manifest.csv")).hexdigest()
    page = client.get(reverse("package_page", args=[round_open.pk])).content.decode()
    assert 'data-testid="package-download"' in page
    assert package.download_name(round_open, accounts["yanbian"].org) == YANBIAN_ZIP


def test_second_post_reuses_the_running_job(formal, accounts, round_open, login, settings, api_token):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # stays queued
    client = login(accounts["yanbian"])
    client.post(reverse("package_page", args=[round_open.pk]))
    client.post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    assert job.status == "queued"
    answer = client.post(f"/api/v1/rounds/{round_open.pk}/package", **api_token(accounts["yanbian"]))
    assert answer.status_code == 200 and answer.json()["id"] == job.pk
    assert PackageJob.objects.count() == 1
    page = client.get(reverse("package_page", args=[round_open.pk])).content.decode()
    status_url = reverse("package_status", args=[job.pk])
    assert "js/package.js" not in page  # htmx polls the row, no hand-written script
    assert f'hx-get="{status_url}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    row = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{status_url}" hx-trigger="every 2s"' in row and "排队中 0%" in row  # still polling
    assert "package-download" not in row and "hx-swap-oob" not in row
    assert client.get(status_url)["Location"] == reverse("package_page", args=[round_open.pk])  # without htmx
    early = client.get(reverse("package_download", args=[job.pk]), follow=True).content.decode()
    assert "材料包尚未生成完成，请在生成记录中等待进度到 100% 后再下载" in early


def test_new_package_replaces_the_older_file(formal, accounts, round_open, login):
    from clusterdesk.core.files import private_path

    client = login(accounts["yanbian"])
    client.post(reverse("package_page", args=[round_open.pk]))
    client.post(reverse("package_page", args=[round_open.pk]))
    old, new = PackageJob.objects.order_by("pk")
    assert old.folder == "" and new.folder and private_path(new.folder).is_dir()
    assert sorted(p.name for p in _package_dir(round_open, accounts["yanbian"].org).iterdir()) == [
        private_path(new.folder).name]
    back = client.get(reverse("package_download", args=[old.pk]), follow=True)  # back to the page, saying why
    assert back.status_code == 200 and "请下载生成记录中最新的一个" in back.content.decode()
    page = client.get(reverse("package_page", args=[round_open.pk])).content.decode()
    assert "已被更新的材料包取代" in page


def test_direct_stream_matches_and_respects_the_limit(formal, accounts, round_open, login, settings):
    client = login(accounts["yanbian"])
    page = client.get(reverse("package_page", args=[round_open.pk])).content.decode()
    assert "直接下载" in page
    response = client.get(reverse("package_stream", args=[round_open.pk]))
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode("utf-8-sig"))))
        assert all(hashlib.sha256(z.read(r["path"])).hexdigest() == r["sha256"] for r in rows)
    settings.PACKAGE_STREAM_MAX_MB = 0
    assert "直接下载" not in client.get(reverse("package_page", args=[round_open.pk])).content.decode()
    refused = client.get(reverse("package_stream", args=[round_open.pk]), follow=True)
    assert "不能直接下载" in refused.content.decode()


def test_api_start_status_download(formal, accounts, round_open, client, api_token):
    auth = api_token(accounts["yanbian"])
    started = client.post(f"/api/v1/rounds/{round_open.pk}/package", **auth)
    assert started.status_code == 201
    job = started.json()
    assert {"id", "status", "progress"} <= set(job) and job["status"] == "done" and job["progress"] == 100
    status = client.get(f"/api/v1/packages/{job['id']}", **auth)
    assert status.status_code == 200 and status.json()["size"] > 0
    download = client.get(f"/api/v1/packages/{job['id']}/download", **auth)
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert len(body) == status.json()["size"] == int(download["Content-Length"])
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert z.testzip() is None
        assert hashlib.sha256(z.read("manifest.csv")).hexdigest() == status.json()["manifest_sha256"]
    other = api_token(accounts["tonghua"])
    assert client.get(f"/api/v1/packages/{job['id']}", **other).status_code == 404
    assert client.get(f"/api/v1/packages/{job['id']}/download", **other).status_code == 404


def test_out_of_scope_is_404(formal, accounts, round_open, login, client):
    yanbian = accounts["yanbian"]
    login(yanbian).post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    for who in ("tonghua", "dunhua", "expert", "leader"):
        client.force_login(accounts[who])
        assert client.get(reverse("package_status", args=[job.pk])).status_code == 404, who
        assert client.get(reverse("package_download", args=[job.pk])).status_code == 404, who
    for who in ("dunhua", "expert"):
        client.force_login(accounts[who])
        assert client.get(reverse("package_page", args=[round_open.pk])).status_code == 404, who
        assert client.post(reverse("package_page", args=[round_open.pk])).status_code == 404, who
    client.force_login(accounts["tonghua"])
    url = reverse("package_page", args=[round_open.pk])
    assert client.get(f"{url}?org={yanbian.org.code}").status_code == 404
    assert client.get(reverse("package_stream", args=[round_open.pk]) + f"?org={yanbian.org.code}").status_code == 404
    own = client.get(url)  # its own page: nothing formally recommended yet
    assert own.status_code == 200 and "尚未正式推荐" in own.content.decode()
    client.force_login(accounts["province"])
    assert client.get(reverse("package_download", args=[job.pk])).status_code == 200
    assert client.get(f"{url}?org={yanbian.org.code}").status_code == 200


def test_province_packages_the_national_list(formal, accounts, round_open, tmp_path):
    from clusterdesk.applications.models import Application
    from clusterdesk.reviews import domain, province

    for app in formal:
        domain.perform(actor=accounts["province"], application=Application.objects.get(pk=app.pk),
                       action="province_pass")
    province.select_national(actor=accounts["province"], round_=round_open,
                             picks=[{"application": formal[1].pk, "rank": 1, "reason": "综合实力更强"},
                                    {"application": formal[0].pk, "rank": 2, "reason": "排序调整"}])
    entries = package.plan(round_open, accounts["province"].org)
    out, _ = zip_of(entries, tmp_path, "national.zip")
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert names[0].startswith(f"01-{formal[1].number}-") and any(n.startswith(f"02-{formal[0].number}-") for n in names)
    assert "推荐文件（盖章件）.pdf" not in names
    assert not any(n.endswith("/审核参考.pdf") for n in names)  # the ministry gets the forms, not the self-check
    assert names[-4:] == ["附件2推荐汇总表.xlsx", "推荐文件（草稿）.docx", "清单.xlsx", "manifest.csv"]
    assert package.download_name(round_open, accounts["province"].org) == "吉林省-2025年度国家级推荐材料包.zip"


def test_nothing_to_package_is_refused(accounts, round_open, login):
    client = login(accounts["yanbian"])
    response = client.post(reverse("package_page", args=[round_open.pk]), follow=True)
    assert "尚未正式推荐" in response.content.decode()
    assert not PackageJob.objects.exists()


def test_file_lost_after_the_check_fails_the_build_naming_it(formal, accounts, round_open, tmp_path):
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    entries = package.plan(round_open, accounts["yanbian"].org)
    package.check(entries)
    lost = EvidenceFile.objects.filter(application=formal[0], item_code="E03").get()
    private_path(lost.stored_name).unlink()  # gone while the job waited in the queue
    with pytest.raises(DomainError, match="佐证材料文件缺失：.*研发投入专项审计报告.pdf") as caught:
        package.prepare(entries, "packages/pk/lost")
    assert lost.stored_name in caught.value.message
    assert list(private_path("packages/pk").iterdir()) == []


# --- a prepared package, downloaded later --------------------------------------------------------

def test_prepared_package_holds_no_copy_of_the_evidence(formal, accounts, round_open, login):
    """The job keeps only what it generated; the evidence stays where it was uploaded."""
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    login(accounts["yanbian"]).post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    kept = sorted(p.name for p in private_path(job.folder).iterdir())
    # 附件1 PDF and Word and 审核参考 for each of 2 applications, 附件2, the draft letter, 2 manifests, members.json
    assert len(kept) == 2 * 3 + 2 + 2 + 1 and "members.json" in kept and "manifest.csv" in kept
    evidence = {e.sha256 for e in EvidenceFile.objects.all()}
    kept_hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in private_path(job.folder).iterdir()}
    assert evidence and not evidence & kept_hashes


def test_download_refused_naming_a_file_lost_since_the_job(formal, accounts, round_open, login, api_token):
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    client = login(accounts["yanbian"])
    client.post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    folder = private_path(job.folder)
    lost = EvidenceFile.objects.filter(application=formal[0], item_code="E03").get()
    private_path(lost.stored_name).unlink()
    answer = client.get(f"/api/v1/packages/{job.pk}/download", **api_token(accounts["yanbian"]))
    assert answer.status_code == 409
    message = answer.json()["detail"]
    assert message.startswith("佐证材料文件缺失：") and "研发投入专项审计报告.pdf" in message
    assert message.endswith("材料包无法下载：请重新生成材料包")
    job.refresh_from_db()
    assert job.status == "failed" and job.folder == "" and "研发投入专项审计报告.pdf" in job.error
    assert not folder.exists()
    page = client.get(reverse("package_download", args=[job.pk]), follow=True).content.decode()
    assert "该材料包无法下载：佐证材料文件缺失" in page  # a second try says why, naming the file again
    assert "研发投入专项审计报告.pdf" in client.get(reverse("package_page", args=[round_open.pk])).content.decode()


def test_download_stops_before_listing_a_file_changed_since_the_job(formal, accounts, round_open, login):
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    client = login(accounts["yanbian"])
    client.post(reverse("package_page", args=[round_open.pk]))
    job = PackageJob.objects.get()
    changed = EvidenceFile.objects.filter(application=formal[0], item_code="E01", original_name__contains="补充").get()
    flip_a_byte(private_path(changed.stored_name))  # same size: only its SHA-256 can tell
    response = client.get(reverse("package_download", args=[job.pk]))
    assert response.status_code == 200  # the header went out before the file was reached
    received = bytearray()
    with pytest.raises(DomainError, match="佐证材料文件与提交时不一致：.*统计局产值证明（补充）.pdf"):
        for chunk in response.streaming_content:
            received += chunk
    assert 0 < len(received) < job.size
    job.refresh_from_db()
    assert job.status == "failed" and "统计局产值证明（补充）.pdf" in job.error and job.folder == ""


def test_uploads_record_the_crc32_the_package_checks_by(formal):
    import zlib

    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path
    from clusterdesk.reviews.models import RecommendationList

    for row in EvidenceFile.objects.all():
        assert row.crc32 == zlib.crc32(private_path(row.stored_name).read_bytes()), row.original_name
    letter = RecommendationList.objects.get(kind="formal")
    assert letter.letter_crc32 == zlib.crc32(LETTER)


def test_files_stored_before_crc32s_are_checked_by_sha256(formal, accounts, round_open):
    """Rows without a CRC-32 (stored before it was recorded): unchanged, they are packaged and
    their CRC-32 is taken into the member list; changed, their SHA-256 tells."""
    import zlib

    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.core.files import private_path

    EvidenceFile.objects.update(crc32=None)
    entries = package.plan(round_open, accounts["yanbian"].org)
    result = package.prepare(entries, "packages/legacy/ok")
    listed = {m.arcname: m for m in result.members}
    for entry in entries:
        if entry.source == package.FILE and entry.kind == "佐证材料文件":
            assert entry.crc32 is None
            assert listed[entry.arcname].crc32 == zlib.crc32(entry.path.read_bytes())
    changed = EvidenceFile.objects.filter(application=formal[1], item_code="E01").get()
    flip_a_byte(private_path(changed.stored_name))
    with pytest.raises(DomainError, match="佐证材料文件与提交时不一致：.*SHA-256 应为"):
        package.prepare(package.plan(round_open, accounts["yanbian"].org), "packages/legacy/changed")
    assert not private_path("packages/legacy/changed").exists()
