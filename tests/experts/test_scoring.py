"""Scoring: range checks naming the aspect, submission, double submits, scope and deadline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError
from clusterdesk.experts import domain
from clusterdesk.experts.models import Score

from .conftest import full_scores


@pytest.mark.parametrize("value, text", [("10.5", "应在 0–10 分之间，您填写的是 10.5"),
                                         ("-1", "应在 0–10 分之间，您填写的是 -1"),
                                         ("7.125", "最多保留两位小数"),
                                         ("abc", "应为数字")])
def test_out_of_range_is_refused_naming_the_aspect(experts, assigned, value, text):
    with pytest.raises(DomainError) as exc:
        domain.save_scores(expert=experts["province"], assignment=assigned, scores={3: (value, "")})
    assert exc.value.status == 400
    assert exc.value.field == "scores.3.value"
    assert "第3方面“产业链供应链协作高效”的评分" in exc.value.message and text in exc.value.message
    assert not Score.objects.exists()


def test_unknown_aspect_is_refused(experts, assigned):
    with pytest.raises(DomainError) as exc:
        domain.save_scores(expert=experts["province"], assignment=assigned, scores={9: ("5", "")})
    assert exc.value.field == "scores.9" and "没有第9方面" in exc.value.message


def test_draft_then_submit(experts, assigned):
    domain.save_scores(expert=experts["province"], assignment=assigned, scores={1: ("8.5", "链条完整"), 2: (None, "待核实")})
    assigned.refresh_from_db()
    assert assigned.submitted_at is None
    assert Score.objects.get(item__aspect=1).value == Decimal("8.50")
    assert Score.objects.get(item__aspect=2).value is None and Score.objects.get(item__aspect=2).comment == "待核实"
    with pytest.raises(DomainError) as exc:
        domain.save_scores(expert=experts["province"], assignment=assigned, scores={}, submit=True)
    assert exc.value.field == "scores.2.value" and "请为第2方面" in exc.value.message
    assert len(exc.value.errors) == 7
    domain.save_scores(expert=experts["province"], assignment=assigned,
                       scores={a: (v, None) for a, v in zip(range(1, 9), [8.5, 7, 6, 5, 9, 10, 0, 3])}, submit=True)
    assigned.refresh_from_db()
    assert assigned.submitted_at is not None
    assert Score.objects.get(item__aspect=1).comment == "链条完整"  # a comment not sent is kept


def test_double_submit_is_harmless(experts, assigned):
    scores = full_scores([8, 8, 8, 8, 8, 8, 8, 8], "好")
    domain.save_scores(expert=experts["province"], assignment=assigned, scores=scores, submit=True)
    assigned.refresh_from_db()
    first = assigned.submitted_at
    domain.save_scores(expert=experts["province"], assignment=assigned, scores=scores, submit=True)
    assigned.refresh_from_db()
    assert assigned.submitted_at == first
    assert Score.objects.count() == 8
    assert AuditEvent.objects.filter(action="expert.scored").count() == 1


def test_changes_after_submission_are_audited_and_stay_complete(experts, assigned):
    domain.save_scores(expert=experts["province"], assignment=assigned, scores=full_scores([8] * 8), submit=True)
    domain.save_scores(expert=experts["province"], assignment=assigned, scores={4: ("9", "补充材料后上调")})
    events = list(AuditEvent.objects.filter(action="expert.scored").order_by("id"))
    assert [e.comment for e in events] == ["提交评分", "修改已提交的评分"]
    assert events[1].before["scores"]["4"]["value"] == "8" and events[1].after["scores"]["4"]["value"] == "9"
    assert events[0].after["total"] == "80"
    with pytest.raises(DomainError) as exc:
        domain.save_scores(expert=experts["province"], assignment=assigned, scores={4: ("", "")})
    assert exc.value.field == "scores.4.value"


def test_another_expert_cannot_score(experts, assigned):
    with pytest.raises(DomainError) as exc:
        domain.save_scores(expert=experts["changchun"], assignment=assigned, scores={1: ("5", "")})
    assert exc.value.status == 404


def test_unassigned_expert_gets_404_in_page_and_api(experts, assigned, passed, login, client, api_token):
    web = login(experts["changchun"])
    assert web.get(f"/experts/assignments/{assigned.pk}/").status_code == 404
    assert web.post(f"/experts/assignments/{assigned.pk}/", {"value_1": "5", "action": "save"}).status_code == 404
    assert web.get(f"/applications/{passed.pk}/").status_code == 404
    assert "当前没有需要您评审的申报" in web.get("/experts/").content.decode()
    client.logout()
    headers = api_token(experts["changchun"])
    assert client.get(f"/api/v1/experts/assignments/{assigned.pk}", **headers).status_code == 404
    response = client.put(f"/api/v1/experts/assignments/{assigned.pk}/scores", {"scores": [{"aspect": 1, "value": 5}]},
                          content_type="application/json", **headers)
    assert response.status_code == 404
    assert client.get("/api/v1/experts/assignments", **headers).json() == []


def test_assigned_expert_sees_the_application_and_its_evidence(experts, assigned, passed, login):
    web = login(experts["province"])
    page = web.get(f"/experts/assignments/{assigned.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "敦化市医药产业集群" in text and "认定标准对照" in text and "佐证材料" in text
    evidence = passed.evidence.first()
    assert f"/applications/{passed.pk}/evidence/{evidence.pk}/" in text
    download = web.get(f"/applications/{passed.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_scoring_page_saves_and_shows_errors_beside_the_field(experts, assigned, login):
    web = login(experts["province"])
    url = f"/experts/assignments/{assigned.pk}/"
    response = web.post(url, {"value_1": "12", "comment_1": "", "action": "save"})
    assert response.status_code == 400
    assert "第1方面“具有较强核心竞争力”的评分应在 0–10 分之间，您填写的是 12" in response.content.decode()
    data = {f"value_{a}": "7" for a in range(1, 9)} | {f"comment_{a}": "意见" for a in range(1, 9)}
    response = web.post(url, data | {"action": "submit"})
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.submitted
    listing = web.get("/experts/").content.decode()
    assert "已提交" in listing


def test_after_the_deadline_the_expert_sees_nothing(experts, assigned, passed, expert_stage, login, client, api_token,
                                                     time_machine):
    web = login(experts["province"])
    assert web.get(f"/experts/assignments/{assigned.pk}/").status_code == 200
    assert "还剩" in web.get("/experts/").content.decode()
    time_machine.move_to(timezone.now() + timedelta(days=71, hours=1))
    web = login(experts["province"])  # the session of 71 days ago has expired
    listing = web.get("/experts/")
    assert assigned.application.number not in listing.content.decode()
    assert web.get(f"/experts/assignments/{assigned.pk}/").status_code == 404
    assert web.get(f"/applications/{passed.pk}/").status_code == 404
    evidence = passed.evidence.first()
    assert web.get(f"/applications/{passed.pk}/evidence/{evidence.pk}/").status_code == 404
    response = web.post(f"/experts/assignments/{assigned.pk}/", {"value_1": "5", "action": "save"}, follow=True)
    assert "评分已截止" in response.content.decode()
    with pytest.raises(Conflict) as exc:
        domain.save_scores(expert=experts["province"], assignment=assigned, scores={1: ("5", "")})
    assert exc.value.message.startswith("评分已截止（")
    assert not Score.objects.exists()
    web.logout()
    headers = api_token(experts["province"])
    assert client.get("/api/v1/experts/assignments", **headers).json() == []
    assert client.get(f"/api/v1/experts/assignments/{assigned.pk}", **headers).status_code == 404
    response = client.put(f"/api/v1/experts/assignments/{assigned.pk}/scores",
                          {"scores": [{"aspect": 1, "value": 5}]}, content_type="application/json", **headers)
    assert response.status_code == 409 and "评分已截止" in response.json()["detail"]


def test_deadline_day_is_open_until_its_end(experts, assigned, expert_stage, time_machine):
    from datetime import datetime, time

    from clusterdesk.rounds.models import SHANGHAI

    time_machine.move_to(datetime.combine(expert_stage, time(23, 59, 59), tzinfo=SHANGHAI), tick=False)
    domain.save_scores(expert=experts["province"], assignment=assigned, scores={1: ("5", "")})
    time_machine.move_to(datetime.combine(expert_stage + timedelta(days=1), time(0, 0, 0), tzinfo=SHANGHAI), tick=False)
    with pytest.raises(Conflict):
        domain.save_scores(expert=experts["province"], assignment=assigned, scores={1: ("6", "")})
