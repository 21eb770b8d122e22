"""/api/v1/applications/{id}/evidence: upload, list, download, delete, scoping, errors."""

import hashlib
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clusterdesk.applications.models import EvidenceFile
from tests.applications.test_evidence import ELF, pdf_bytes, plain_zip_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def url(application, evidence_id=None) -> str:
    base = f"/api/v1/applications/{application.pk}/evidence"
    return f"{base}/{evidence_id}" if evidence_id is not None else base


def post(client, headers, application, item, name, content):
    return client.post(url(application), {"item": item, "file": SimpleUploadedFile(name, content)}, **headers)


def test_api_upload_returns_201_with_fields(accounts, draft, client, api_token):
    content = pdf_bytes(500)

    response = post(client, api_token(accounts["dunhua"]), draft, "E01", "集群产值证明.pdf", content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "item", "name", "kind", "size", "sha256", "uploaded_at"}
    assert (body["item"], body["name"], body["kind"], body["size"]) == ("E01", "集群产值证明.pdf", "pdf", len(content))
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert EvidenceFile.objects.get(pk=body["id"]).application == draft


def test_api_upload_zip_named_pdf_refused_in_chinese(accounts, draft, client, api_token):
    response = post(client, api_token(accounts["dunhua"]), draft, "E01", "报告.pdf", plain_zip_bytes())

    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert response.json()["detail"].startswith("文件“报告.pdf”的内容是 ZIP 压缩包，不是本项允许的类型（PDF、JPG、PNG、OFD）")


def test_api_upload_executable_refused(accounts, draft, client, api_token):
    response = post(client, api_token(accounts["dunhua"]), draft, "E01", "报告.pdf", ELF)

    assert response.status_code == 400
    assert "可执行程序" in response.json()["detail"]


def test_api_upload_over_limit_refused(accounts, draft, client, api_token, settings):
    settings.MAX_UPLOAD_MB = 1

    response = post(client, api_token(accounts["dunhua"]), draft, "E01", "扫描件.pdf", pdf_bytes(int(1.5 * 1024 * 1024)))

    assert response.status_code == 400
    assert "文件“扫描件.pdf”大小为 1.5 MB，超过了单个文件 1 MB 的上限" in response.json()["detail"]


def test_api_upload_missing_file_400(accounts, draft, client, api_token):
    response = client.post(url(draft), {"item": "E01"}, **api_token(accounts["dunhua"]))

    assert response.status_code == 400
    assert response.json()["field"] == "file" and "请求中没有文件" in response.json()["detail"]


def test_api_upload_unknown_item_400(accounts, draft, client, api_token):
    response = post(client, api_token(accounts["dunhua"]), draft, "X1", "a.pdf", pdf_bytes())

    assert response.status_code == 400 and response.json()["field"] == "item"


def test_api_upload_after_deadline_409(accounts, draft, client, api_token, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=32))
    headers = api_token(accounts["dunhua"])  # after the jump: tokens expire after API_TOKEN_DAYS

    response = post(client, headers, draft, "E01", "a.pdf", pdf_bytes())

    assert response.status_code == 409
    assert response.json()["detail"].startswith("已超过截止时间")


def test_api_upload_by_city_reviewer_403(accounts, draft, client, api_token):
    response = post(client, api_token(accounts["yanbian"]), draft, "E01", "a.pdf", pdf_bytes())

    assert response.status_code == 403
    assert "县级申报账号" in response.json()["detail"]


def test_api_list_in_checklist_order(accounts, draft, client, api_token):
    headers = api_token(accounts["dunhua"])
    post(client, headers, draft, "E02", "名单.xlsx", xlsx_bytes())
    post(client, headers, draft, "E01", "产值.pdf", pdf_bytes())

    listing = client.get(url(draft), **headers).json()

    assert [(f["item"], f["name"], f["kind"]) for f in listing] == [
        ("E01", "产值.pdf", "pdf"), ("E02", "名单.xlsx", "xlsx"),
    ]


def test_api_download_keeps_chinese_name(accounts, draft, client, api_token):
    headers = api_token(accounts["dunhua"])
    content = pdf_bytes(50)
    created = post(client, headers, draft, "E01", "统计局产值证明.pdf", content).json()

    response = client.get(url(draft, created["id"]), **api_token(accounts["yanbian"]))

    assert response.status_code == 200
    assert f"filename*=utf-8''{quote('统计局产值证明.pdf')}".lower() in response["Content-Disposition"].lower()
    assert b"".join(response.streaming_content) == content


@pytest.mark.parametrize("who", ["yanji", "tonghua", "expert"])
def test_api_out_of_scope_404(accounts, draft, client, api_token, who):
    created = post(client, api_token(accounts["dunhua"]), draft, "E01", "产值.pdf", pdf_bytes()).json()
    headers = api_token(accounts[who])

    responses = [
        client.get(url(draft), **headers),
        client.get(url(draft, created["id"]), **headers),
        client.delete(url(draft, created["id"]), **headers),
        post(client, headers, draft, "E01", "b.pdf", pdf_bytes()),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert responses[1].json() == {"detail": "对象不存在或不在您的权限范围内"}
    assert EvidenceFile.objects.filter(removed_at__isnull=True).count() == 1


def test_api_evidence_of_other_application_404(accounts, draft, client, api_token):
    from clusterdesk.applications.domain import create_application

    headers = api_token(accounts["dunhua"])
    other = create_application(actor=accounts["dunhua"], round_=draft.round)
    created = post(client, headers, other, "E01", "产值.pdf", pdf_bytes()).json()

    assert client.get(url(draft, created["id"]), **headers).status_code == 404
    assert client.delete(url(draft, created["id"]), **headers).status_code == 404


def test_api_delete_204_hides_file(accounts, draft, client, api_token):
    headers = api_token(accounts["dunhua"])
    created = post(client, headers, draft, "E01", "产值.pdf", pdf_bytes()).json()

    response = client.delete(url(draft, created["id"]), **headers)

    assert response.status_code == 204
    assert client.get(url(draft), **headers).json() == []
    assert client.get(url(draft, created["id"]), **headers).status_code == 404


def test_api_upload_after_submission_409(accounts, filled, client, api_token):
    from clusterdesk.applications.domain import submit

    headers = api_token(accounts["dunhua"])
    for code in ["E01", "E02", "E09", "E11", "E12"]:
        assert post(client, headers, filled, code, f"{code}.pdf", pdf_bytes()).status_code == 201
    submit(actor=accounts["dunhua"], application=filled)

    response = post(client, headers, filled, "E03", "研发.pdf", pdf_bytes())

    assert response.status_code == 409
    assert "不能修改" in response.json()["detail"]
