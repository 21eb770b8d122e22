"""Issue 13 §4: a fuzz corpus through every writable field of the API never gives a 500, and
every page and document that shows the object still renders afterwards.

The corpus: lone surrogates, NUL, numbers out of range (1e999, 2**70, 1e308, 400 digits, NaN,
Infinity, -1), a huge string, SQL/HTML/template injection strings, an RTL override, emoji.
Refusals must be 400 (or another 4xx); acceptances must leave the application's detail page,
its 附件1 PDF and the API GET rendering (checked once per endpoint, after the last value, and
after each acceptance for the cheap views).
"""

import pytest
import time_machine

from tests.conftest import complete_body

BIG_INT = 2**70
TEXTS = [
    "ok\ud800", "\udfff", "a\x00b", "1e999", "9" * 400, "x" * 20000,
    "'; DROP TABLE applications_application; --", "<script>alert(1)</script>", "{{ 7|add:7 }}{% now 'Y' %}",
    "\u202etxt.exe", "集群😀👨‍👩‍👧‍👦", "\ufeff\u200b", None, [],
]
NUMBERS = [
    "1e999", "-1e999", "9" * 400, "NaN", "Infinity", "-1", "1e308", "1e-300", "ok\ud800", "a\x00b",
    BIG_INT, -BIG_INT, 1e308, float("inf"), float("nan"), -1, 0, 2**63, 2**31, True, "<script>", {},
]
CORPUS = TEXTS + NUMBERS


def _send(client, method, path, body, headers):
    return getattr(client, method)(path, body, content_type="application/json", **headers)


def drive(client, method, path, template, fields, headers, check=None, corpus=CORPUS):
    """Send ``template`` with each field in ``fields`` (a dotted path) replaced by each corpus value.
    Returns the list of failures (never a 500; refusals are JSON with a Chinese ``detail``)."""
    failures = []
    for field in fields:
        for value in corpus:
            body = _replace(template, field, value)
            response = _send(client, method, path, body, headers)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path} {field}={value!r:.40}: {response.status_code}")
                continue
            if response.status_code == 400:
                assert response.json()["detail"], (field, value)
            elif response.status_code < 300 and check is not None:
                problem = check()
                if problem:
                    failures.append(f"after {method.upper()} {path} {field}={value!r:.40}: {problem}")
    return failures


def _replace(template, dotted, value):
    import copy

    body = copy.deepcopy(template)
    *parents, last = dotted.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


@pytest.fixture
def fuzz_client(client):
    client.raise_request_exception = False
    return client


def test_fuzz_application_fields_never_500_and_pages_render(accounts, fuzz_client, api_token, draft):
    client, headers = fuzz_client, api_token(accounts["dunhua"])
    path = f"/api/v1/applications/{draft.pk}"

    def views_render():
        response = client.get(f"/applications/{draft.pk}/")  # the PATCH answer itself is the API GET
        return None if response.status_code == 200 else f"GET /applications/{draft.pk}/ {response.status_code}"

    body = complete_body(enterprises=1)
    texts = ["name", "coordination_note", "leading_industry_code", "niche", "operating_body", "sub_cluster_code",
             "contacts.0.name", "contacts.0.phone", "quality_enterprises.0.name", "quality_enterprises.0.uscc",
             "aspects.3", "plan_targets.0.name"]
    numbers = ["area_km2", "indicators.0.year", "indicators.0.total_output", "indicators.3.enterprise_count",
               "quality_enterprises.0.year", "plan_targets.0.baseline", "plan_targets.0.target", "plan_targets.0.year"]
    client.force_login(accounts["dunhua"])
    failures = []
    for fields, corpus in ((texts, TEXTS), (numbers, NUMBERS)):
        for field in fields:  # each field alone, the rest of its section valid
            section = field.split(".")[0]
            failures += drive(client, "patch", path, {section: body[section]}, [field], headers,
                              check=views_render, corpus=corpus)
    failures += drive(client, "post", "/api/v1/applications", {"round": draft.round_id}, ["round"], headers)
    assert not failures, "\n".join(failures)

    # What was accepted (injection strings, emoji, RTL) renders everywhere, the PDF too.
    weird = {**body, "name": "<script>alert(1)</script>集群😀", "coordination_note": "'; DROP TABLE x; --\u202e",
             "niche": "{{ 7|add:7 }}", "operating_body": "\ufeff\u200b管委会"}
    assert _send(client, "patch", path, weird, headers).status_code == 200
    page = client.get(f"/applications/{draft.pk}/")
    assert page.status_code == 200 and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()
    pdf = client.get(f"/documents/applications/{draft.pk}/attachment1.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_fuzz_expert_scores_never_500_and_pages_render(accounts, experts, assigned, fuzz_client, api_token):
    client, headers = fuzz_client, api_token(experts["province"])
    path = f"/api/v1/experts/assignments/{assigned.pk}/scores"
    client.force_login(experts["province"])

    def views_render():
        for url in (f"/api/v1/experts/assignments/{assigned.pk}", f"/experts/assignments/{assigned.pk}/"):
            response = client.get(url, **headers)
            if response.status_code != 200:
                return f"GET {url} {response.status_code}"
        return None

    template = {"scores": [{"aspect": 2, "value": "8", "comment": "好"}], "submit": False}
    assert _send(client, "put", path, template, headers).status_code == 200  # the endpoint accepts valid input
    failures = drive(client, "put", path, template, ["scores.0.value", "scores.0.aspect"], headers,
                     check=views_render, corpus=NUMBERS)
    failures += drive(client, "put", path, template, ["scores.0.comment"], headers, check=views_render, corpus=TEXTS)
    assert not failures, "\n".join(failures)
    # The scoring page too: the same values typed into the form.
    for value in ("1e999", "9" * 400, "1e308", str(BIG_INT), "NaN", "-1"):
        response = client.post(f"/experts/assignments/{assigned.pk}/", {"value_2": value, "comment_2": "", "action": "save"})
        assert response.status_code in (200, 400), (value, response.status_code)
    assert client.get(f"/experts/assignments/{assigned.pk}/").status_code == 200


def test_fuzz_rereview_task_never_500_and_pages_render(accounts, jilin, criteria_sets, fuzz_client, api_token):
    from clusterdesk.rereview import domain as rr
    from tests.rereview.test_rereview import make_rereview_round, rereview_body, seed_registry

    seed_registry()
    (task,) = rr.open_rereview(actor=accounts["province"], round_=make_rereview_round(accounts["province"]))
    client, headers = fuzz_client, api_token(accounts["dunhua"])
    client.force_login(accounts["dunhua"])
    path = f"/api/v1/registry/rereview/tasks/{task.pk}"
    body = rereview_body()

    def views_render():
        response = client.get(f"/registry/rereview/tasks/{task.pk}/")
        return None if response.status_code == 200 else f"GET task page {response.status_code}"

    failures = []
    for field, corpus in (("plan_targets.0.achieved", NUMBERS), ("plan_targets.1.baseline", NUMBERS),
                          ("plan_targets.0.note", TEXTS), ("indicators.3.total_output", NUMBERS), ("area_km2", NUMBERS),
                          ("self_assessment", TEXTS)):
        section = field.split(".")[0]
        failures += drive(client, "patch", path, {section: body[section]}, [field], headers, check=views_render,
                          corpus=corpus)
    assert not failures, "\n".join(failures)
    assert _send(client, "patch", path, body, headers).status_code == 200
    pdf = client.get(f"/registry/rereview/tasks/{task.pk}/attachment3.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_fuzz_annual_report_never_500_and_page_renders(accounts, industries, fuzz_client, api_token):
    from tests.registry.conftest import at, full_report, seeded, yanji

    cluster = yanji.__wrapped__(seeded.__wrapped__(accounts, industries))
    client = fuzz_client
    with time_machine.travel(at(2027, 3, 2, 9), tick=False):
        headers = api_token(accounts["yanji"])
        client.force_login(accounts["yanji"])
        created = client.post(f"/api/v1/registry/clusters/{cluster.pk}/reports", {"year": 2026, "data": full_report()},
                              content_type="application/json", **headers)
        assert created.status_code == 201, created.content
        report_id = created.json()["id"]
        path = f"/api/v1/registry/reports/{report_id}"

        def views_render():
            response = client.get(f"/registry/reports/{report_id}/")
            return None if response.status_code == 200 else f"GET report page {response.status_code}"

        template = {"data": full_report()}
        failures = drive(client, "put", path, template, ["data.target_progress.0.achieved",
                                                          "data.indicators.0.total_output"],
                         headers, check=views_render, corpus=NUMBERS)
        failures += drive(client, "put", path, template, ["data.narrative", "data.target_progress.0.note"],
                          headers, check=views_render, corpus=TEXTS)
        failures += drive(client, "post", f"/api/v1/registry/clusters/{cluster.pk}/reports", {"year": 2026},
                          ["year"], headers, corpus=NUMBERS)
    assert not failures, "\n".join(failures)


def test_fuzz_round_fields_never_500_and_pages_render(accounts, round_open, fuzz_client, api_token):
    client, headers = fuzz_client, api_token(accounts["province"])
    client.force_login(accounts["province"])
    path = f"/api/v1/rounds/{round_open.pk}"

    def views_render():
        for url in (f"/rounds/{round_open.pk}/", path):
            response = client.get(url, **headers)
            if response.status_code != 200:
                return f"GET {url} {response.status_code}"
        return None

    template = {"name": "2025年度", "year": 2025, "national_quota": 8, "city_quota": 3,
                "stages": {"county_submission": "2099-01-01"}, "notice": "", "contact_phone": ""}
    failures = drive(client, "patch", path, template, ["year", "national_quota", "city_quota"], headers,
                     check=views_render, corpus=NUMBERS)
    failures += drive(client, "patch", path, template, ["name", "notice", "contact_phone", "stages.county_submission"],
                      headers, check=views_render, corpus=TEXTS)
    assert not failures, "\n".join(failures)


def test_fuzz_criteria_import_and_evidence_never_500(accounts, draft, fuzz_client, api_token):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clusterdesk.criteria.models import CriteriaSet
    from tests.conftest import PDF

    client = fuzz_client
    admin = api_token(accounts["province"])
    before = CriteriaSet.objects.count()
    texts = TEXTS + ["code: x\naspects: " + "[" * 3000 + "]" * 3000, "a: &a [1]\nb: *a", "code: [1, 2", ": : :"]
    failures = drive(client, "post", "/api/v1/criteria-sets/import", {"text": "code: x"}, ["text"], admin,
                     corpus=texts)
    assert CriteriaSet.objects.count() == before

    county = api_token(accounts["dunhua"])
    client.force_login(accounts["dunhua"])
    for name in ("报告\u202efdp.exe", "😀.pdf", "<script>.pdf", "../../x.pdf", "a\x00b.pdf", "x" * 300 + ".pdf"):
        for item in ("E01", "'; --", "E01\x00", "9" * 400):
            response = client.post(f"/api/v1/applications/{draft.pk}/evidence",
                                   {"item": item, "file": SimpleUploadedFile(name, PDF)}, **county)
            if response.status_code >= 500:
                failures.append(f"evidence item={item!r:.30} name={name!r:.30}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert client.get(f"/applications/{draft.pk}/").status_code == 200
    assert client.get(f"/api/v1/applications/{draft.pk}", **county).status_code == 200
