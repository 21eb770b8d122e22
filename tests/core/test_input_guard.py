"""Issue 13 §4: input no page can store or show is refused at input, in one place
(``clusterdesk.core.input_guard``), on the API and on pages, with a Chinese message naming the field."""

import pytest

from clusterdesk.applications.models import Application, Section

HUGE = "18446744073709551616"


@pytest.fixture
def county(accounts, api_token):
    return api_token(accounts["dunhua"])


@pytest.mark.parametrize("value, what", [("ok\ud800", "U+D800"), ("a\x00b", "空字符"), ("\udfff", "U+DFFF")])
def test_api_text_with_lone_surrogate_or_nul_is_400_naming_the_field(client, county, draft, value, what):
    response = client.patch(f"/api/v1/applications/{draft.pk}", {"coordination_note": value},
                            content_type="application/json", **county)

    assert response.status_code == 400
    assert response.json()["field"] == "coordination_note"
    assert "字段 coordination_note" in response.json()["detail"] and what in response.json()["detail"]
    assert not Section.objects.filter(application=draft, data__coordination_note__isnull=False).exists()


def test_nested_field_is_named_with_its_path(client, county, draft):
    rows = [{"name": "张三", "title": "科长", "phone": "0433-6220000", "email": "x\ud800@example.cn"}]

    response = client.patch(f"/api/v1/applications/{draft.pk}", {"contacts": rows}, content_type="application/json",
                            **county)

    assert response.status_code == 400 and response.json()["field"] == "contacts.0.email"


@pytest.mark.parametrize("raw", [b'{"area_km2": 1e999}', b'{"area_km2": NaN}', b'{"area_km2": -Infinity}',
                                 b'{"area_km2": 1180591620717411303424}'])
def test_api_non_finite_or_huge_json_number_is_400(client, county, draft, raw):
    response = client.patch(f"/api/v1/applications/{draft.pk}", raw, content_type="application/json", **county)

    assert response.status_code == 400
    assert response.json()["field"] == "area_km2" and "超出范围" in response.json()["detail"]


def test_api_deeply_nested_json_is_400(client, county, draft):
    raw = b'{"aspects": ' + b"[" * 100000 + b"]" * 100000 + b"}"

    response = client.patch(f"/api/v1/applications/{draft.pk}", raw, content_type="application/json", **county)

    assert response.status_code == 400 and "嵌套层数" in response.json()["detail"]


def test_page_form_with_nul_is_400_page_naming_the_field(accounts, login, draft):
    client = login(accounts["dunhua"])

    response = client.post(f"/applications/{draft.pk}/", {"name": "集群\x00"})

    assert response.status_code == 400
    assert "字段 name 含有空字符（NUL），无法保存" in response.content.decode()


def test_page_form_with_encoded_surrogate_never_stores_one(accounts, login, draft):
    """A browser can only send a lone surrogate as bytes that are not UTF-8 (%ED%A0%80): Django
    decodes form data with replacement, so the guard sees U+FFFD and the page still renders."""
    client = login(accounts["dunhua"])

    client.post(f"/applications/{draft.pk}/", b"name=%ED%A0%80&section=basic",
                content_type="application/x-www-form-urlencoded")

    assert client.get(f"/applications/{draft.pk}/").status_code == 200


def test_query_string_with_nul_is_400(accounts, login, draft):
    response = login(accounts["dunhua"]).get("/applications/", {"status": "draft\x00"})

    assert response.status_code == 400 and "status（查询参数）" in response.content.decode()


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "99999999999999999999", "²", "١٢", "9" * 5000])
def test_integer_query_parameter_beyond_64_bits_is_400_on_pages_and_api(accounts, login, county, draft, value):
    client = login(accounts["dunhua"])

    for url in ("/applications/", "/reviews/", "/api/v1/applications", "/api/v1/registry/rereview/tasks"):
        response = client.get(url, {"round": value}, **county)
        assert response.status_code == 400, url
    assert client.get(f"/documents/applications/{draft.pk}/attachment1.pdf", {"version": value}).status_code == 400


@pytest.mark.parametrize("value", ["-1", "abc", "0", "1e5", "1.5"])
def test_other_bad_integer_query_parameters_are_not_500(accounts, login, county, draft, value):
    client = login(accounts["dunhua"])

    for url in ("/applications/", "/reviews/", "/api/v1/applications", f"/reviews/applications/{draft.pk}/diff/",
                f"/applications/{draft.pk}/"):
        response = client.get(url, {"round": value, "to": value, "from": value, "version": value, "page": value},
                              **county)
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)


@pytest.mark.parametrize("path", ["/applications/99999999999999999999/", "/applications/" + "9" * 5000 + "/", "/api/v1/applications/99999999999999999999",
                                  "/documents/applications/18446744073709551616/attachment1.pdf",
                                  "/registry/rereview/tasks/99999999999999999999/"])
def test_path_id_beyond_64_bits_is_404(accounts, login, county, path):
    response = login(accounts["province"]).get(path, **county)

    assert response.status_code == 404


def test_ordinary_input_passes(client, county, draft):
    response = client.patch(f"/api/v1/applications/{draft.pk}", {"coordination_note": "集群😀 <b>ok</b>"},
                            content_type="application/json", **county)

    assert response.status_code == 200
    assert Application.objects.get(pk=draft.pk).sections.get(key="basic").data["coordination_note"] == "集群😀 <b>ok</b>"


@pytest.mark.parametrize("value", ["²", "abc", "99999999999999999999", "-1"])
def test_ids_posted_by_forms_are_read_safely(accounts, login, round_open, value):
    """Form fields carrying ids or counts (not covered by the query-string rule: a text field may
    hold any digits) are read with ``core.numbers.query_int``: a bad one is "not found", never a 500."""
    county = login(accounts["dunhua"])
    assert county.post("/applications/new/", {"round": value}).status_code in (302, 400, 404)

    province = login(accounts["province"])
    for url, data in ((f"/reviews/rounds/{round_open.pk}/publicity/",
                       {"action": "propose", "applications": [value], "working_days": value, "starts_on": "2025-06-01",
                        "title": "公示"}),
                      (f"/experts/rounds/{round_open.pk}/assignments/",
                       {"action": "add", "application": value, "expert": value}),
                      (f"/experts/rounds/{round_open.pk}/assignments/", {"action": "remove", "assignment": value})):
        response = province.post(url, data)
        assert response.status_code in (200, 302, 400, 404, 409), (url, response.status_code)
