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
