"""/api/v1/criteria-sets: list, read, what-if evaluation, import."""

import pytest

from clusterdesk.criteria.models import CriteriaSet
from tests.conftest import complete_body, make_uscc

NATIONAL, JILIN = "national-2022", "jilin-provincial-2024"


@pytest.fixture
def criteria_sets(db):
    """The shipped criteria sets (national-2022, jilin-provincial-2024), version 1 each."""
    from clusterdesk.criteria.domain import SHIPPED_DIR, load_shipped

    load_shipped([p for p in sorted(SHIPPED_DIR.glob("*.yaml")) if ".v" not in p.stem])


@pytest.fixture
def county(accounts, api_token):
    return api_token(accounts["dunhua"])


@pytest.fixture
def admin(accounts, api_token):
    return api_token(accounts["province"])


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def what_if(**changes) -> dict:
    body = complete_body()
    data = {k: body[k] for k in ("indicators", "quality_enterprises", "area_km2", "negative_list_clear")}
    data.update(changes)
    return data


def result(report: dict, code: str) -> dict:
    return next(r for r in report["results"] if r["code"] == code)


def test_list_returns_every_version_in_order(client, criteria_sets, county):
    response = client.get("/api/v1/criteria-sets", **county)

    assert response.status_code == 200
    assert response.json() == [
        {"code": JILIN, "version": 1, "name": "吉林省省级中小企业特色产业集群认定标准（2024年，阈值待确认）",
         "level": "provincial", "status": "active", "placeholder": True},
        {"code": NATIONAL, "version": 1, "name": "国家级中小企业特色产业集群认定标准（2022年版）",
         "level": "national", "status": "active", "placeholder": False},
    ]


def test_list_requires_token(client, criteria_sets):
    assert client.get("/api/v1/criteria-sets").status_code == 401


def test_get_set_returns_aspects_and_exact_rule_fields(client, criteria_sets, county):
    response = client.get(f"/api/v1/criteria-sets/{NATIONAL}", **county)

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("code", "version", "level", "status", "placeholder", "source")} == {
        "code": NATIONAL, "version": 1, "level": "national", "status": "active", "placeholder": False,
        "source": "工信部企业〔2022〕119号附件"}
    assert body["versions"] == [{"version": 1, "status": "active"}]
    assert [a["number"] for a in body["aspects"]] == list(range(1, 10))
    rules = {r["code"]: r for a in body["aspects"] for r in a["rules"]}
    assert rules["sme_share"] == {
        "code": "sme_share", "kind": "share", "comparator": ">=", "threshold": "0.70", "unit": "", "severity": "hard",
        "wording": "中小企业产值占集群总产值比重70%以上", "indicator": "", "field": "", "years": "",
        "numerator": "sme_output", "denominator": "total_output", "alternatives": [],
    }
    assert (rules["output_each_year"]["threshold"], rules["output_each_year"]["unit"], rules["output_each_year"]["years"]) == ("40", "亿元", "each")
    assert rules["area"]["severity"] == "soft" and rules["supply_chain"]["threshold"] is None
    assert rules["quality_firms"]["alternatives"][1] == {
        "label": "专精特新中小企业、创新型中小企业或国家级高新技术企业",
        "qualifications": ["specialized", "innovative", "high_tech"], "in_leading_industry": False,
        "comparator": ">=", "threshold": "10"}


def test_get_set_version_query_and_default_latest_active(accounts, client, criteria_sets, county):
    from clusterdesk.criteria import domain

    v1 = CriteriaSet.objects.get(code=NATIONAL, version=1)
    domain.edit_set(actor=accounts["province"], cset=v1, changes={"sme_share": {"threshold": "0.65"}})

    default = client.get(f"/api/v1/criteria-sets/{NATIONAL}", **county).json()
    draft = client.get(f"/api/v1/criteria-sets/{NATIONAL}?version=2", **county).json()

    assert default["version"] == 1 and default["versions"] == [{"version": 1, "status": "active"}, {"version": 2, "status": "draft"}]
    assert draft["status"] == "draft"
    assert next(r for a in draft["aspects"] for r in a["rules"] if r["code"] == "sme_share")["threshold"] == "0.65"


def test_get_unknown_set_is_404(client, criteria_sets, county):
    response = client.get("/api/v1/criteria-sets/shanghai-2030", **county)

    assert response.status_code == 404
    assert "shanghai-2030" in response.json()["detail"] and "不存在" in response.json()["detail"]


def test_evaluate_complete_body_fails_on_quality_firms(client, criteria_sets, county):
    response = post(client, f"/api/v1/criteria-sets/{NATIONAL}/evaluate", what_if(), county)

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["criteria_set"] == {"code": NATIONAL, "version": 1, "name": "国家级中小企业特色产业集群认定标准（2022年版）",
                                      "level": "national", "placeholder": False}
    assert report["verdict"] == "fail"
    assert result(report, "quality_firms")["status"] == "fail"
    share = result(report, "sme_share")
    assert share["status"] == "pass" and "75.0%" in share["message"]
    assert set(share) >= {"code", "aspect", "status", "actual", "threshold", "comparator", "wording", "message", "gap", "formula"}
    assert result(report, "output_each_year")["status"] == "pass"
    assert result(report, "supply_chain")["status"] == "needs_review"
    assert CriteriaSet.objects.count() == 2  # nothing stored


def test_evaluate_provincial_set_by_version(client, criteria_sets, county):
    data = what_if(quality_enterprises=[
        {"name": f"企业{i}", "uscc": make_uscc(i), "qualifications": ["high_tech"], "year": 2024} for i in range(5)])

    report = post(client, f"/api/v1/criteria-sets/{JILIN}/evaluate?version=1", data, county).json()

    assert report["criteria_set"]["placeholder"] is True
    assert result(report, "quality_firms")["status"] == "pass"
    assert report["verdict"] == "needs_review"


def test_evaluate_negative_amount_is_400_naming_the_field(client, criteria_sets, county):
    data = what_if()
    data["indicators"][3]["total_output"] = "-5"

    response = post(client, f"/api/v1/criteria-sets/{NATIONAL}/evaluate", data, county)

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "indicators.2024.total_output"
    assert "2024年集群产值不能为负数" in body["detail"]


def test_evaluate_bad_credit_code_is_400(client, criteria_sets, county):
    data = what_if()
    data["quality_enterprises"][1]["uscc"] = "91222403MA0000001X"

    response = post(client, f"/api/v1/criteria-sets/{NATIONAL}/evaluate", data, county)

    assert response.status_code == 400
    assert response.json()["field"] == "quality_enterprises.1.uscc"
    assert "第2家企业的统一社会信用代码" in response.json()["detail"]


def test_evaluate_missing_year_gives_missing_data(client, criteria_sets, county):
    data = what_if()
    data["indicators"] = [r for r in data["indicators"] if r["year"] != 2023]

    response = post(client, f"/api/v1/criteria-sets/{NATIONAL}/evaluate", data, county)

    assert response.status_code == 200, response.content
    row = result(response.json(), "output_each_year")
    assert row["status"] == "missing_data" and "2023" in row["message"]


def test_evaluate_unknown_field_is_400(client, criteria_sets, county):
    response = post(client, f"/api/v1/criteria-sets/{NATIONAL}/evaluate", {"indicator": []}, county)

    assert response.status_code == 400 and "indicator" in response.json()["detail"]


def test_evaluate_unknown_set_is_404(client, criteria_sets, county):
    assert post(client, "/api/v1/criteria-sets/nope/evaluate", what_if(), county).status_code == 404


def test_import_creates_next_draft_version(client, criteria_sets, admin):
    from clusterdesk.criteria.domain import export_text

    text = export_text(CriteriaSet.objects.get(code=JILIN, version=1))

    response = post(client, "/api/v1/criteria-sets/import", {"text": text}, admin)

    assert response.status_code == 201, response.content
    assert response.json() == {"code": JILIN, "version": 2, "name": "吉林省省级中小企业特色产业集群认定标准（2024年，阈值待确认）",
                               "level": "provincial", "status": "draft", "placeholder": True}


def test_import_bad_file_is_400_with_line(client, criteria_sets, admin):
    from clusterdesk.criteria.domain import export_text

    text = export_text(CriteriaSet.objects.get(code=NATIONAL, version=1)).replace("kind: growth", "kind: speed")

    response = post(client, "/api/v1/criteria-sets/import", {"text": text}, admin)

    assert response.status_code == 400
    detail = response.json()["detail"]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "code: growth" in t)
    assert f"第{line}行" in detail and "speed" in detail
    assert CriteriaSet.objects.count() == 2


def test_import_by_city_reviewer_is_403(accounts, client, criteria_sets, api_token):
    response = post(client, "/api/v1/criteria-sets/import", {"text": "code: x"}, api_token(accounts["tonghua"]))

    assert response.status_code == 403 and "省厅管理员" in response.json()["detail"]
    assert CriteriaSet.objects.count() == 2


BOMBS = {
    "deep_flow": "code: x\naspects: " + "[" * 5000 + "]" * 5000,
    "deep_block": "code: x\n" + "".join(" " * i + f"k{i}:\n" for i in range(200)),
    "billion_laughs": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    "huge": "code: x\nname: '" + "x" * 600_000 + "'\n",
}


@pytest.mark.parametrize("name", BOMBS)
def test_import_deep_or_bomb_yaml_is_400_in_chinese(client, criteria_sets, admin, name):
    response = post(client, "/api/v1/criteria-sets/import", {"text": BOMBS[name]}, admin)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert any(word in detail for word in ("嵌套层数", "别名", "KB")), detail
    assert CriteriaSet.objects.count() == 2


def test_import_threshold_out_of_range_is_400_with_line(client, criteria_sets, admin):
    from clusterdesk.criteria.domain import export_text

    text = export_text(CriteriaSet.objects.get(code=NATIONAL, version=1))
    text = text.replace("threshold: '0.70'", "threshold: '1e999'", 1)

    response = post(client, "/api/v1/criteria-sets/import", {"text": text}, admin)

    assert response.status_code == 400 and "超出范围" in response.json()["detail"]
