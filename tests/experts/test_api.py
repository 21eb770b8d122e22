"""The expert review API: the expert's assignments and scores, the province's assignment and results."""

import pytest

from clusterdesk.experts.models import ExpertAssignment, Score


def test_expert_lists_and_scores_over_the_api(experts, assigned, client, api_token):
    headers = api_token(experts["province"])
    listing = client.get("/api/v1/experts/assignments", **headers).json()
    assert [a["id"] for a in listing] == [assigned.pk]
    detail = client.get(f"/api/v1/experts/assignments/{assigned.pk}", **headers).json()
    assert [s["aspect"] for s in detail["scores"]] == list(range(1, 9))
    assert detail["scores"][0] == {"aspect": 1, "title": "具有较强核心竞争力", "weight": "20", "max_score": "10",
                                   "value": None, "comment": ""}
    url = f"/api/v1/experts/assignments/{assigned.pk}/scores"
    body = {"scores": [{"aspect": a, "value": 8, "comment": "好"} for a in range(1, 9)], "submit": True}
    response = client.put(url, body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["submitted"] is True and out["weighted_total"] == "80"
    # a double submit changes nothing
    assert client.put(url, body, content_type="application/json", **headers).status_code == 200
    assert Score.objects.count() == 8


@pytest.mark.parametrize("entry, field", [({"aspect": 2, "value": 11}, "scores.2.value"),
                                          ({"aspect": 2, "value": "-0.5"}, "scores.2.value"),
                                          ({"aspect": 2, "value": 9.999}, "scores.2.value")])
def test_out_of_range_is_400_naming_the_aspect(experts, assigned, client, api_token, entry, field):
    headers = api_token(experts["province"])
    response = client.put(f"/api/v1/experts/assignments/{assigned.pk}/scores", {"scores": [entry]},
                          content_type="application/json", **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field and "第2方面“优质中小企业梯度培育成效显著”" in body["detail"]


def test_duplicate_aspect_and_incomplete_submit(experts, assigned, client, api_token):
    headers = api_token(experts["province"])
    url = f"/api/v1/experts/assignments/{assigned.pk}/scores"
    response = client.put(url, {"scores": [{"aspect": 1, "value": 5}, {"aspect": 1, "value": 6}]},
                          content_type="application/json", **headers)
    assert response.status_code == 400 and "重复" in response.json()["detail"]
    response = client.put(url, {"scores": [{"aspect": 1, "value": 5}], "submit": True},
                          content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["field"] == "scores.2.value"


def test_province_assigns_over_the_api(accounts, experts, passed, client, api_token):
    headers = api_token(accounts["province"])
    response = client.post("/api/v1/experts/assignments", {"application": passed.pk, "expert": "expert_qian"},
                           content_type="application/json", **headers)
    assert response.status_code == 409 and "同属延边朝鲜族自治州" in response.json()["detail"]
    response = client.post("/api/v1/experts/assignments", {"application": passed.pk, "expert": experts["province"].pk},
                           content_type="application/json", **headers)
    assert response.status_code == 201 and response.json()["expert"] == "expert_wang"
    response = client.post(f"/api/v1/experts/rounds/{passed.round_id}/auto-assign", {"per_application": 4},
                           content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {a["expert"] for a in body["created"]} == {"expert_li", "expert_sun"}
    assert body["short"][0]["have"] == 3 and body["short"][0]["needed"] == 4
    assert ExpertAssignment.objects.filter(application=passed).count() == 3
    results = client.get(f"/api/v1/experts/rounds/{passed.round_id}/results", **headers).json()
    assert results["results"][0]["assigned"] == 3 and results["results"][0]["rank"] is None


def test_province_endpoints_refuse_others(accounts, experts, passed, client, api_token):
    headers = api_token(accounts["tonghua"])
    response = client.post(f"/api/v1/experts/rounds/{passed.round_id}/auto-assign", {"per_application": 3},
                           content_type="application/json", **headers)
    assert response.status_code in (403, 404)
    headers = api_token(experts["province"])
    response = client.get(f"/api/v1/experts/rounds/{passed.round_id}/results", **headers)
    assert response.status_code in (403, 404)
    response = client.get("/api/v1/experts/assignments", **api_token(accounts["province"]))
    assert response.status_code == 403 and "专家" in response.json()["detail"]


def test_province_unassigns_over_the_api(accounts, experts, assigned, client, api_token):
    response = client.delete(f"/api/v1/experts/assignments/{assigned.pk}", **api_token(experts["province"]))
    assert response.status_code in (403, 404)
    response = client.delete(f"/api/v1/experts/assignments/{assigned.pk}", **api_token(accounts["province"]))
    assert response.status_code == 204
    assert not ExpertAssignment.objects.exists()


def test_api_needs_a_token(client, assigned):
    assert client.get("/api/v1/experts/assignments").status_code == 401
