"""Change filings: evidence required, the province approves (applied, both states kept) or
refuses (a note required, the entry unchanged)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.registry import domain as registry
from clusterdesk.registry.models import ChangeEvidence, ChangeFiling, ChangeStatus, ClusterEvent, EventKind

from .conftest import pdf


def file_body(accounts, cluster, **kw):
    args = {"actor": accounts["yanji"], "cluster": cluster, "kind": "operating_body",
            "after": {"operating_body": "延吉高新技术产业开发区管理委员会"}, "reason": "运营主体调整（测试）",
            "evidence_files": [pdf()]}
    return registry.file_change(**{**args, **kw})


def test_change_without_evidence_is_refused(accounts, yanji):
    with pytest.raises(DomainError, match="请上传变更的佐证材料") as exc:
        file_body(accounts, yanji, evidence_files=[])
    assert exc.value.field == "evidence"
    assert not ChangeFiling.objects.exists()


def test_change_evidence_is_checked_by_content(accounts, yanji, settings):
    fake = SimpleUploadedFile("批复.pdf", b"MZ\x90\x00 this is a program", content_type="application/pdf")
    with pytest.raises(DomainError, match="佐证材料“批复.pdf”的内容是可执行程序"):
        file_body(accounts, yanji, evidence_files=[fake])
    assert not ChangeFiling.objects.exists()
    assert not list((settings.PRIVATE_MEDIA_ROOT).glob("**/*.pdf")) if settings.PRIVATE_MEDIA_ROOT.exists() else True


def test_change_needs_an_actual_change_and_a_reason(accounts, yanji):
    with pytest.raises(DomainError, match="请填写变更后的运营主体"):
        file_body(accounts, yanji, after={"operating_body": " "})
    with pytest.raises(DomainError, match="请填写变更原因"):
        file_body(accounts, yanji, reason="")
    with pytest.raises(DomainError, match="与名录登记的一致，无需报备"):
        file_body(accounts, yanji, kind="spatial_scope", after={"covered_org_codes": []})


def test_change_filed_by_the_county_only(accounts, yanji):
    with pytest.raises(NotAllowed):
        file_body(accounts, yanji, actor=accounts["yanbian"])
    with pytest.raises(DomainError) as exc:
        file_body(accounts, yanji, actor=accounts["dunhua"])
    assert exc.value.status == 404


def test_approval_applies_the_change_and_history_keeps_both_states(accounts, yanji):
    filing = file_body(accounts, yanji)
    assert filing.before == {"operating_body": ""}
    assert ChangeEvidence.objects.get(filing=filing).sha256
    with pytest.raises(Conflict, match="等待省厅审核"):
        file_body(accounts, yanji)  # one pending filing per kind

    with pytest.raises(NotAllowed):
        registry.decide_change(actor=accounts["yanbian"], filing=filing, approve=True)
    registry.decide_change(actor=accounts["province"], filing=filing, approve=True)

    yanji.refresh_from_db()
    filing.refresh_from_db()
    assert yanji.operating_body == "延吉高新技术产业开发区管理委员会"
    assert filing.status == ChangeStatus.APPROVED and filing.decided_by == accounts["province"]
    approved = ClusterEvent.objects.get(cluster=yanji, kind=EventKind.CHANGE_APPROVED)
    assert approved.before == {"operating_body": ""}
    assert approved.after == {"operating_body": "延吉高新技术产业开发区管理委员会"}
    assert ClusterEvent.objects.filter(cluster=yanji, kind=EventKind.CHANGE_FILED).exists()
    with pytest.raises(Conflict, match="当前状态为“已同意”"):
        registry.decide_change(actor=accounts["province"], filing=filing, approve=False, note="x")


def test_refusal_needs_a_note_and_keeps_the_entry(accounts, yanji, jilin):
    filing = file_body(accounts, yanji, kind="spatial_scope", after={"covered_org_codes": ["222402", "222405"]})

    with pytest.raises(DomainError, match="请填写审核意见") as exc:
        registry.decide_change(actor=accounts["province"], filing=filing, approve=False, note="  ")
    assert exc.value.field == "decision_note"
    registry.decide_change(actor=accounts["province"], filing=filing, approve=False, note="佐证材料不足")

    yanji.refresh_from_db()
    filing.refresh_from_db()
    assert yanji.covered_org_codes == []
    assert (filing.status, filing.decision_note) == (ChangeStatus.REFUSED, "佐证材料不足")
    refused = ClusterEvent.objects.get(cluster=yanji, kind=EventKind.CHANGE_REFUSED)
    assert (refused.before, refused.after) == ({"covered_org_codes": []}, {"covered_org_codes": ["222402", "222405"]})


def test_spatial_scope_validated_like_the_application(accounts, yanji):
    with pytest.raises(DomainError, match="不是本市（州）所辖的县级单位"):
        file_body(accounts, yanji, kind="spatial_scope", after={"covered_org_codes": ["220521"]})


# --- pages and API ---------------------------------------------------------------------------

def test_change_pages(accounts, yanji, login):
    client = login(accounts["yanji"])
    url = f"/registry/{yanji.pk}/changes/new/?kind=operating_body"
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "operating_body", "operating_body": "新主体", "reason": "调整"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请上传变更的佐证材料" in page
    # beside the file input, the typed values kept, and a word that the files must be chosen again
    assert page.index('id="f-evidence"') < page.index(' id="error-evidence"') < page.index("提交报备")
    assert 'value="新主体"' in page and "调整</textarea>" in page and 'data-testid="reselect-files"' in page
    response = client.post(url, {"kind": "operating_body", "operating_body": "新主体", "reason": "调整",
                                 "evidence": [pdf("设立文件.pdf")]})
    filing = ChangeFiling.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/changes/{filing.pk}/"

    evidence = filing.evidence.get()
    download = client.get(f"/registry/changes/{filing.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")

    admin = login(accounts["province"])
    response = admin.post(f"/registry/changes/{filing.pk}/", {"decision": "refuse", "decision_note": ""})
    assert response.status_code == 400 and "不予同意时请填写审核意见" in response.content.decode()
    page = response.content.decode()
    assert page.index('id="f-note"') < page.index(' id="error-decision_note"') < page.index("同意变更</button>")
    response = admin.post(f"/registry/changes/{filing.pk}/", {"decision": "approve", "decision_note": ""})
    assert response.status_code == 302
    page = admin.get(f"/registry/{yanji.pk}/").content.decode()
    assert "变更获准" in page and "新主体" in page

    other = login(accounts["dunhua"])
    assert other.get(f"/registry/changes/{filing.pk}/").status_code == 404
    assert other.get(f"/registry/changes/{filing.pk}/evidence/{evidence.pk}/").status_code == 404


def test_change_api(accounts, yanji, api_token, client):
    county = api_token(accounts["yanji"])
    url = f"/api/v1/registry/clusters/{yanji.pk}/changes"
    response = client.post(url, {"kind": "operating_body", "after": "新主体", "reason": "调整"}, **county)
    assert response.status_code == 400
    assert response.json() == {"detail": "请上传变更的佐证材料", "field": "evidence"}

    response = client.post(url, {"kind": "operating_body", "after": "新主体", "reason": "调整",
                                 "evidence": [pdf("a.pdf"), pdf("b.pdf")]}, **county)
    assert response.status_code == 201, response.content
    change = response.json()
    assert change["before"] == {"operating_body": ""} and len(change["evidence"]) == 2

    province = api_token(accounts["province"])
    decision = f"/api/v1/registry/changes/{change['id']}/decision"
    assert client.post(decision, {"approve": True}, content_type="application/json", **county).status_code == 403
    response = client.post(decision, {"approve": False}, content_type="application/json", **province)
    assert response.status_code == 400 and response.json()["field"] == "decision_note"
    response = client.post(decision, {"approve": True}, content_type="application/json", **province)
    assert response.status_code == 200 and response.json()["status"] == "approved"
    detail = client.get(f"/api/v1/registry/clusters/{yanji.pk}", **province).json()
    assert detail["operating_body"] == "新主体"
    assert detail["history"][0]["kind"] == "change_approved"
    assert detail["history"][0]["before"] == {"operating_body": ""}
