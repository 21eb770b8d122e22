"""The round form's optional 专家评审 date."""

from datetime import timedelta

from django.utils import timezone

from clusterdesk.rounds.models import Stage


def _post(today, **extra):
    data = {
        "name": "2026年度中小企业特色产业集群申报推荐", "year": "2026", "status": "draft",
        "county_submission": today + timedelta(days=10), "name_list": today + timedelta(days=20),
        "formal_submission": today + timedelta(days=30), "national_recommendation": today + timedelta(days=50),
        "national_quota": "8",
    }
    return {k: str(v) for k, v in (data | extra).items()}


def test_round_without_expert_review_date(accounts, login):
    web = login(accounts["province"])
    response = web.post("/rounds/new/", _post(timezone.localdate()))
    assert response.status_code == 302
    assert not Stage.objects.filter(code="expert_review").exists()


def test_round_with_expert_review_date(accounts, login):
    web = login(accounts["province"])
    today = timezone.localdate()
    assert "专家评审" in web.get("/rounds/new/").content.decode()
    response = web.post("/rounds/new/", _post(today, expert_review=today + timedelta(days=40)))
    assert response.status_code == 302
    assert Stage.objects.get(code="expert_review").deadline == today + timedelta(days=40)
    response = web.post("/rounds/new/", _post(today, expert_review=today + timedelta(days=25)))
    assert "不能早于" in response.content.decode()
