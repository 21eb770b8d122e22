"""Expert review is confidential (issue 13 §1): expert identities, scores and comments are seen by
the province only; each expert sees their own; the county and the city see at most
"专家评审已完成" once every assigned expert has submitted."""

import pytest

from clusterdesk.experts import domain

from .conftest import full_scores

SECRET = "机密评语甲乙丙"
OTHER_SECRET = "另一位专家的评语"
DONE = "专家评审已完成"


@pytest.fixture
def scored(accounts, experts, passed):
    """Two experts assigned to 敦化's application; both submitted their scores."""
    a1 = domain.assign(actor=accounts["province"], application=passed, expert=experts["province"])
    a2 = domain.assign(actor=accounts["province"], application=passed, expert=experts["tonghua"])
    domain.save_scores(expert=experts["province"], assignment=a1, scores=full_scores([7] * 8, SECRET), submit=True)
    domain.save_scores(expert=experts["tonghua"], assignment=a2, scores=full_scores([9] * 8, OTHER_SECRET),
                       submit=True)
    return passed


LEAKS = ("expert_wang", "王专家", "expert_sun", "孙专家", SECRET, OTHER_SECRET, "expert.scored",
         "expert.assigned", "专家评分", "分配评审专家")


def _leaks(body: str) -> list[str]:
    return [word for word in LEAKS if word in body]


@pytest.mark.parametrize("who", ["dunhua", "yanbian"])
def test_application_page_hides_expert_review_from_county_and_city(accounts, client, scored, who):
    client.force_login(accounts[who])

    body = client.get(f"/applications/{scored.pk}/").content.decode()

    assert _leaks(body) == []
    assert DONE in body


@pytest.mark.parametrize("who", ["dunhua", "yanbian"])
def test_api_timeline_hides_expert_review_from_county_and_city(accounts, client, scored, who):
    client.force_login(accounts[who])

    response = client.get(f"/api/v1/applications/{scored.pk}/timeline")

    assert response.status_code == 200
    import json
    text = json.dumps(response.json(), ensure_ascii=False)
    assert _leaks(text) == []
    assert any(e["label"] == DONE for e in response.json())


def test_expert_review_done_only_when_every_expert_submitted(accounts, experts, passed, client):
    a1 = domain.assign(actor=accounts["province"], application=passed, expert=experts["province"])
    domain.assign(actor=accounts["province"], application=passed, expert=experts["tonghua"])
    domain.save_scores(expert=experts["province"], assignment=a1, scores=full_scores([7] * 8, SECRET), submit=True)
    client.force_login(accounts["dunhua"])

    events = client.get(f"/api/v1/applications/{passed.pk}/timeline").json()

    assert all(e["label"] != DONE for e in events)


def test_province_sees_the_whole_expert_review(accounts, client, scored):
    client.force_login(accounts["province"])

    text = client.get(f"/api/v1/applications/{scored.pk}/timeline").content.decode()

    assert "expert.scored" in text and "expert_wang" in text and "expert_sun" in text


def test_expert_sees_own_scores_only(experts, client, scored):
    client.force_login(experts["province"])

    response = client.get(f"/api/v1/applications/{scored.pk}/timeline")

    import json
    text = json.dumps(response.json(), ensure_ascii=False) if response.status_code == 200 else ""
    assert response.status_code == 200
    assert SECRET in text  # their own scores and comments
    assert OTHER_SECRET not in text and "expert_sun" not in text and "孙专家" not in text
    assert any(e["label"] == DONE for e in response.json())
    page = client.get(f"/applications/{scored.pk}/").content.decode()
    assert OTHER_SECRET not in page and "expert_sun" not in page and "孙专家" not in page


@pytest.mark.parametrize("who", ["dunhua", "yanbian"])
def test_application_detail_api_hides_expert_review(accounts, client, scored, who):
    client.force_login(accounts[who])

    response = client.get(f"/api/v1/applications/{scored.pk}")

    assert response.status_code == 200
    import json
    assert _leaks(json.dumps(response.json(), ensure_ascii=False)) == []


@pytest.mark.parametrize("who", ["dunhua", "yanbian"])
def test_notifications_and_mail_hide_expert_review(accounts, client, scored, who, mailoutbox):
    from clusterdesk.notifications.models import Message, OutboundEmail

    client.force_login(accounts[who])
    texts = [f"{n.title} {n.body}" for n in Message.objects.filter(recipient=accounts[who])]
    texts += [f"{m.subject} {m.body}" for m in OutboundEmail.objects.filter(recipient=accounts[who])]
    texts += [f"{m.subject} {m.body}" for m in mailoutbox if set(m.to) & {accounts[who].email or "-"}]
    page = client.get("/messages/")
    assert page.status_code == 200
    texts.append(page.content.decode())

    assert _leaks(" ".join(texts)) == []


@pytest.mark.parametrize("who", ["dunhua", "yanbian"])
@pytest.mark.parametrize("url", ["/documents/applications/{pk}/attachment1.docx",
                                 "/documents/applications/{pk}/attachment1.pdf",
                                 "/documents/applications/{pk}/reference.pdf", "/documents/rounds/{round}/summary.xlsx",
                                 "/documents/rounds/{round}/briefing.pdf",
                                 "/api/v1/applications/{pk}/documents/reference.pdf"])
def test_documents_hide_expert_review(accounts, client, scored, who, url, tmp_path):
    client.force_login(accounts[who])

    response = client.get(url.format(pk=scored.pk, round=scored.round_id))

    if "attachment1" in url or (who == "yanbian" and "reference" in url):
        assert response.status_code == 200
    elif response.status_code != 200:  # not this role's document
        assert response.status_code in (403, 404)
        return
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert _leaks(_text_of(content, tmp_path)) == []


def _text_of(content: bytes, tmp_path) -> str:
    import io
    import subprocess
    import zipfile

    if content.startswith(b"%PDF"):
        path = tmp_path / "doc.pdf"
        path.write_bytes(content)
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                              text=True).stdout
    with zipfile.ZipFile(io.BytesIO(content)) as archive:  # DOCX / XLSX: every XML part
        return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                        if n.endswith(".xml"))
