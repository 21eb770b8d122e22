"""The authorization matrix: every route × every seat × an object of a foreign unit.

The routes are read from the URL conf (pages) and from the OpenAPI schema (the API), so a new
route that is not classified in ``PAGES`` or ``API`` below fails the test. Each entry says how
to build the route's parameters (from the objects of ``authz_world``, all of 敦化市 in 延边州)
and which seats may legitimately reach it with those objects. Every other seat must be refused
— 403 (not allowed) or 404 (out of scope; 405 for a method the route does not take) — and the
database must be exactly as before (every row of every table, sessions and tokens aside).

The seats sit outside 延边州 (``authz_world.SEATS``): a county applicant and a leader of
通化县, the city reviewer of 通化市, an expert of 长春市 (not assigned), and the province's
administrator and system administrator. Province-level seats legitimately see every unit's
objects; what they may not do (a county's own steps, an expert's scoring, another account's
messages) is refused like the rest.

Seats that may reach a route are not sent requests (they would change the world for the
others); their own tests cover them.
"""

import json

import pytest
from django.db import connection
from django.test import Client

from clusterdesk.api.models import ApiToken
from tests.core import authz_requests as R
from tests.core.authz_world import ROLES, build

ALL = frozenset(ROLES)
NOBODY = frozenset()
PROVINCE = frozenset({"province", "sysadmin"})  # province-level seats: they see every unit
ADMIN = frozenset({"province"})
CITY = frozenset({"city"})  # the city acting for its own unit (the object is the shared round)
COUNTY = frozenset({"county"})
EXPERT = frozenset({"expert"})
SELF = None  # acts on the caller's own session or token: not part of the matrix

REFUSED = {403, 404, 405}
MISSING = 987654  # an id no row has: a refusal must not differ between it and a foreign object
# The whole province's: every seat sees them (a publicity batch is published to everyone).
SHARED = {"round", "criteria_code", "criteria_version", "batch", "announcement"}

# --- pages: URL name → (kwargs from world keys, seats that may reach it) ----------------------
APP = {"pk": "app"}
ROUND = {"round_id": "round"}
TASK = {"pk": "task"}
PAGES = {
    "home": ({}, ALL),
    "healthz": ({}, ALL),  # the load balancer's: everyone, anonymous too; names and statuses only
    "login": ({}, SELF),
    "logout": ({}, SELF),
    "password_change": ({}, SELF),
    "org_tree": ({}, ALL),
    "org_detail": ({"code": "org_code"}, PROVINCE),
    "account_list": ({}, PROVINCE | CITY),  # a city lists its own counties' accounts
    "account_create": ({}, PROVINCE | CITY),
    "account_detail": ({"pk": "account"}, PROVINCE),
    "account_action": ({"pk": "account", "action": "disable"}, PROVINCE),
    "audit_log": ({}, PROVINCE),
    "application_list": ({}, ALL),
    "application_create": ({}, SELF),  # POST only, no object in the route: the caller creates for its own unit
    "application_detail": (APP, PROVINCE),
    "application_edit": (APP, PROVINCE),  # province: redirected to the read-only page
    "section_save": ({"pk": "app", "key": "basics"}, NOBODY),
    "application_check": (APP, PROVINCE),
    "application_evaluation": (APP, PROVINCE),
    "judgement_save": (APP, PROVINCE),
    "application_submit": (APP, PROVINCE),  # refused by the domain with a message (302)
    "application_withdraw": (APP, PROVINCE),
    "version_detail": ({"pk": "app", "number": "version"}, PROVINCE),
    "evidence_page": (APP, PROVINCE),
    "evidence_upload": (APP, PROVINCE),
    "evidence_download": ({"pk": "app", "evidence_id": "evidence"}, PROVINCE),
    "evidence_remove": ({"pk": "app", "evidence_id": "evidence"}, PROVINCE),
    "xlsx_template": (APP, PROVINCE),
    "xlsx_import": (APP, PROVINCE),
    "round_list": ({}, ALL),
    "round_create": ({}, PROVINCE),
    "round_detail": ({"pk": "round"}, ALL),  # a round is the whole province's
    "round_edit": ({"pk": "round"}, PROVINCE),
    "checklist_edit": ({"pk": "round"}, PROVINCE),
    "extension_grant": ({"pk": "round"}, PROVINCE),
    "county_deadlines": ({"pk": "round"}, CITY),  # its own counties' deadline
    "subcluster_list": ({}, ALL),  # GET for all; POST refused but to the province (checked here)
    "review_inbox": ({}, ALL),
    "city_lists": (ROUND, CITY),
    "name_list_submit": (ROUND, CITY),
    "formal_submit": (ROUND, CITY),
    "letter_download": ({"list_id": "list"}, ADMIN),
    "application_action": ({"pk": "app", "action": "province_pass"}, PROVINCE),
    "version_diff": (APP, PROVINCE),
    "province_overview": (ROUND, PROVINCE),
    "list_receive": ({"list_id": "list"}, PROVINCE),
    "publicity": (ROUND, PROVINCE),
    "national_selection": (ROUND, PROVINCE),
    "spot_checks": (APP, PROVINCE),
    "spot_check_file": ({"file_id": "spot_file"}, PROVINCE),
    "criteria_list": ({}, ALL),
    "criteria_import": ({}, PROVINCE),
    "criteria_detail": ({"code": "criteria_code", "version": "criteria_version"}, ALL),
    "criteria_export": ({"code": "criteria_code", "version": "criteria_version"}, ALL),
    "criteria_edit": ({"code": "criteria_code", "version": "criteria_version"}, PROVINCE),
    "criteria_status": ({"code": "criteria_code", "version": "criteria_version"}, PROVINCE),
    "attachment1_pdf": (APP, PROVINCE),
    "attachment1_docx": (APP, PROVINCE),
    "reference_pdf": (APP, PROVINCE),
    "summary_xlsx": (ROUND, PROVINCE | CITY),  # the city's own rows
    "letter_docx": (ROUND, PROVINCE | CITY),
    "letter_pdf": (ROUND, PROVINCE | CITY),
    "briefing_pdf": (ROUND, PROVINCE | CITY),
    "package_page": (ROUND, ADMIN | CITY),
    "package_stream": (ROUND, ADMIN | CITY),
    "package_status": ({"job_id": "job"}, ADMIN),
    "package_download": ({"job_id": "job"}, ADMIN),
    "cluster_registry": ({}, ALL),
    "registry_import": ({}, PROVINCE),
    "registry_dashboard": ({}, PROVINCE),
    "registry_map_svg": ({}, PROVINCE),
    "leader_dashboard": ({}, PROVINCE),
    "cultivation_pool": ({}, PROVINCE | CITY),  # the city's own pool
    "registry_cluster": ({"pk": "cluster"}, PROVINCE),
    "registry_report_start": ({"pk": "cluster"}, PROVINCE),
    "registry_change_new": ({"pk": "cluster"}, PROVINCE),
    "registry_report": ({"pk": "report"}, PROVINCE),
    "registry_change": ({"pk": "change"}, PROVINCE),
    "registry_change_evidence": ({"pk": "change", "evidence_id": "change_evidence"}, PROVINCE),
    "rereview_index": ({}, ALL),
    "rereview_start": ({}, PROVINCE),
    "rereview_round": (ROUND, PROVINCE),
    "rereview_attachment4": (ROUND, PROVINCE),
    "rereview_letter_docx": (ROUND, PROVINCE),
    "rereview_letter_pdf": (ROUND, PROVINCE),
    "rereview_task": (TASK, PROVINCE),
    "rereview_edit": (TASK, PROVINCE),
    "rereview_submit": (TASK, PROVINCE),
    "rereview_evidence_upload": (TASK, PROVINCE),
    "rereview_evidence_download": ({"pk": "task", "evidence_id": "task_evidence"}, PROVINCE),
    "rereview_evidence_remove": ({"pk": "task", "evidence_id": "task_evidence"}, PROVINCE),
    "rereview_forward": (TASK, PROVINCE),
    "rereview_decide": (TASK, PROVINCE),
    "rereview_confirm": (TASK, PROVINCE),
    "rereview_attachment3_pdf": (TASK, PROVINCE),
    "rereview_attachment3_docx": (TASK, PROVINCE),
    "expert_assignments": ({}, EXPERT),
    "expert_score": ({"pk": "assignment"}, NOBODY),  # another expert's assignment
    "expert_conflicts": ({}, EXPERT),
    "expert_admin": ({}, ADMIN),
    "expert_rubric": (ROUND, ADMIN),
    "expert_assign": (ROUND, ADMIN),
    "expert_results": (ROUND, ADMIN),
    "message_list": ({}, ALL),
    "message_read_all": ({}, ALL),  # the caller's own messages
    "message_open": ({"pk": "message"}, NOBODY),  # 延边州's message
    "message_read": ({"pk": "message"}, NOBODY),
    "notification_outbox": ({}, PROVINCE),
    "notification_retry": ({"pk": "email"}, PROVINCE),
    # issue 15: to-do list, announcements, exports, batch operations
    "todo": ({}, ALL),
    "todo_badge": ({}, ALL),
    "announcement_list": ({}, ALL),
    "announcement_detail": ({"pk": "announcement"}, ALL),  # a notice is the whole province's
    "announcement_new": ({}, ADMIN),
    "announcement_edit": ({"pk": "announcement"}, ADMIN),
    "application_list_xlsx": ({}, ALL),  # the caller's own rows, as the list page
    "cluster_registry_xlsx": ({}, ALL),
    "audit_log_csv": ({}, ADMIN),
    "expert_results_xlsx": (ROUND, ADMIN),
    "review_batch": ({}, ADMIN),
    "lists_receive": (ROUND, PROVINCE),
    "publicity_docx": ({"round_id": "round", "batch_id": "batch", "kind": "publicity"}, PROVINCE),
    "national_list_docx": (ROUND, PROVINCE),
}

# --- API: "METHOD path" → (path values from world keys, seats, body override) ------------------
A = {"application_id": "app"}
RID = {"round_id": "round"}
T = {"task_id": "task"}
API = {
    "POST /api/v1/auth/token": ({}, SELF, None),
    "POST /api/v1/auth/token/revoke": ({}, SELF, None),
    "GET /api/v1/me": ({}, ALL, None),
    "GET /api/v1/orgs": ({}, ALL, None),
    "GET /api/v1/orgs/{code}": ({"code": "org_code"}, PROVINCE, None),
    "GET /api/v1/rounds": ({}, ALL, None),
    "POST /api/v1/rounds": ({}, PROVINCE, None),
    "GET /api/v1/rounds/{round_id}": (RID, ALL, None),
    "PATCH /api/v1/rounds/{round_id}": (RID, PROVINCE, None),
    "POST /api/v1/rounds/{round_id}/extensions": (
        RID, PROVINCE, {"stage": "county_submission", "org_code": "222403", "closes_at": "2099-12-31", "reason": "x"}),
    "POST /api/v1/rounds/{round_id}/county-deadline": (RID, NOBODY, {"closes_at": "2025-01-01", "org_code": "222400"}),
    "GET /api/v1/applications": ({}, ALL, None),
    "POST /api/v1/applications": ({}, COUNTY, None),  # creates the county's own application
    "GET /api/v1/applications/{application_id}": (A, PROVINCE, None),
    "PATCH /api/v1/applications/{application_id}": (A, PROVINCE, None),
    "POST /api/v1/applications/{application_id}/submit": (A, PROVINCE, None),
    "POST /api/v1/applications/{application_id}/withdraw": (A, PROVINCE, None),
    "GET /api/v1/applications/{application_id}/versions": (A, PROVINCE, None),
    "GET /api/v1/applications/{application_id}/versions/{number}": ({**A, "number": "version"}, PROVINCE, None),
    "GET /api/v1/applications/{application_id}/evaluation": (A, PROVINCE, None),
    "POST /api/v1/applications/{application_id}/judgements": (A, PROVINCE, None),
    "POST /api/v1/applications/{application_id}/evidence": (A, PROVINCE, None),
    "GET /api/v1/applications/{application_id}/evidence": (A, PROVINCE, None),
    "GET /api/v1/applications/{application_id}/evidence/{evidence_id}": ({**A, "evidence_id": "evidence"}, PROVINCE, None),
    "DELETE /api/v1/applications/{application_id}/evidence/{evidence_id}": ({**A, "evidence_id": "evidence"}, PROVINCE, None),
    "GET /api/v1/criteria-sets": ({}, ALL, None),
    "POST /api/v1/criteria-sets/import": ({}, PROVINCE, None),
    "GET /api/v1/criteria-sets/{code}": ({"code": "criteria_code"}, ALL, None),
    "POST /api/v1/criteria-sets/{code}/evaluate": ({"code": "criteria_code"}, ALL, None),  # a calculator
    "GET /api/v1/experts/assignments": ({}, EXPERT, None),
    "POST /api/v1/experts/assignments": ({}, ADMIN, {"application": "app", "expert": "atk_expert"}),
    "GET /api/v1/experts/assignments/{assignment_id}": ({"assignment_id": "assignment"}, NOBODY, None),
    "DELETE /api/v1/experts/assignments/{assignment_id}": ({"assignment_id": "assignment"}, ADMIN, None),
    "PUT /api/v1/experts/assignments/{assignment_id}/scores": ({"assignment_id": "assignment"}, NOBODY, None),
    "POST /api/v1/experts/rounds/{round_id}/auto-assign": (RID, ADMIN, None),
    "GET /api/v1/experts/rounds/{round_id}/results": (RID, ADMIN, None),
    "GET /api/v1/workflow": ({}, ALL, None),
    "GET /api/v1/applications/{application_id}/actions": (A, PROVINCE, None),
    "POST /api/v1/applications/{application_id}/actions/{action}": (
        {**A, "action": "province_pass"}, PROVINCE, {"state_version": 0}),
    "GET /api/v1/applications/{application_id}/timeline": (A, PROVINCE, None),
    "POST /api/v1/rounds/{round_id}/name-list": (RID, CITY, None),
    "POST /api/v1/rounds/{round_id}/formal": (RID, CITY, None),
    "GET /api/v1/rounds/{round_id}/progress": (RID, PROVINCE, None),
    "GET /api/v1/rounds/{round_id}/lists": (RID, PROVINCE, None),
    "POST /api/v1/lists/{list_id}/receive": ({"list_id": "list"}, ADMIN, None),
    "GET /api/v1/applications/{application_id}/spot-checks": (A, PROVINCE, None),
    "POST /api/v1/applications/{application_id}/spot-checks": (A, ADMIN, None),
    "GET /api/v1/spot-check-files/{file_id}": ({"file_id": "spot_file"}, PROVINCE, None),
    "GET /api/v1/rounds/{round_id}/publicity-batches": (RID, PROVINCE, None),
    "POST /api/v1/rounds/{round_id}/publicity-batches": (RID, ADMIN, None),
    "GET /api/v1/publicity-batches/{batch_id}": ({"batch_id": "batch"}, PROVINCE, None),
    "POST /api/v1/publicity-entries/{entry_id}/objections": ({"entry_id": "entry"}, ADMIN, None),
    "POST /api/v1/objections/{objection_id}/resolution": ({"objection_id": "objection"}, ADMIN, None),
    "POST /api/v1/publicity-batches/{batch_id}/finalize": ({"batch_id": "batch"}, ADMIN, None),
    "GET /api/v1/rounds/{round_id}/national-candidates": (RID, PROVINCE, None),
    "PUT /api/v1/rounds/{round_id}/national-selection": (RID, ADMIN, None),
    "POST /api/v1/rounds/{round_id}/national-selection/sent": (RID, ADMIN, None),
    "GET /api/v1/applications/{application_id}/documents/attachment1.pdf": (A, PROVINCE, None),
    "GET /api/v1/applications/{application_id}/documents/attachment1.docx": (A, PROVINCE, None),
    "GET /api/v1/applications/{application_id}/documents/reference.pdf": (A, ADMIN, None),
    "GET /api/v1/rounds/{round_id}/documents/summary.xlsx": (RID, PROVINCE | CITY, None),
    "GET /api/v1/rounds/{round_id}/documents/letter.docx": (RID, PROVINCE | CITY, None),
    "GET /api/v1/rounds/{round_id}/documents/letter.pdf": (RID, PROVINCE | CITY, None),
    "GET /api/v1/rounds/{round_id}/documents/briefing.pdf": (RID, PROVINCE | CITY, None),
    "POST /api/v1/rounds/{round_id}/package": (RID, ADMIN | CITY, None),
    "GET /api/v1/packages/{job_id}": ({"job_id": "job"}, ADMIN, None),
    "GET /api/v1/packages/{job_id}/download": ({"job_id": "job"}, ADMIN, None),
    "GET /api/v1/registry/clusters": ({}, ALL, None),
    "GET /api/v1/registry/clusters/{cluster_id}": ({"cluster_id": "cluster"}, PROVINCE, None),
    "GET /api/v1/registry/clusters/{cluster_id}/reports": ({"cluster_id": "cluster"}, PROVINCE, None),
    "POST /api/v1/registry/clusters/{cluster_id}/reports": ({"cluster_id": "cluster"}, PROVINCE, None),
    "GET /api/v1/registry/reports/{report_id}": ({"report_id": "report"}, PROVINCE, None),
    "PUT /api/v1/registry/reports/{report_id}": ({"report_id": "report"}, PROVINCE, None),
    "POST /api/v1/registry/reports/{report_id}/submit": ({"report_id": "report"}, PROVINCE, None),
    "GET /api/v1/registry/clusters/{cluster_id}/changes": ({"cluster_id": "cluster"}, PROVINCE, None),
    "POST /api/v1/registry/clusters/{cluster_id}/changes": ({"cluster_id": "cluster"}, PROVINCE, None),
    "GET /api/v1/registry/changes/{change_id}": ({"change_id": "change"}, PROVINCE, None),
    "GET /api/v1/registry/changes/{change_id}/evidence/{evidence_id}": (
        {"change_id": "change", "evidence_id": "change_evidence"}, PROVINCE, None),
    "POST /api/v1/registry/changes/{change_id}/decision": ({"change_id": "change"}, ADMIN, {"approve": False, "note": "x"}),
    "GET /api/v1/registry/dashboard": ({}, PROVINCE, None),
    "POST /api/v1/registry/rereview/rounds/{round_id}/open": (RID, ADMIN, {"cluster_id": "cluster"}),
    "POST /api/v1/registry/rereview/start": ({}, ADMIN, None),
    "GET /api/v1/registry/rereview/tasks": ({}, ALL, None),
    "GET /api/v1/registry/rereview/tasks/{task_id}": (T, PROVINCE, None),
    "PATCH /api/v1/registry/rereview/tasks/{task_id}": (T, PROVINCE, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/evidence": (T, PROVINCE, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/submit": (T, PROVINCE, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/forward": (T, PROVINCE, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/return": (T, PROVINCE, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/report-to-ministry": (T, ADMIN, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/ministry-outcome": (T, ADMIN, None),
    "GET /api/v1/registry/rereview/tasks/{task_id}/evaluation": (T, PROVINCE, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/decision": (T, ADMIN, None),
    "POST /api/v1/registry/rereview/tasks/{task_id}/confirm-revocation": (T, ADMIN, None),
}


def _values(spec: dict, world: dict, missing: bool = False) -> dict:
    """Path values: world keys are replaced by the world's ids (by an id no row has when
    ``missing``), anything else is literal."""
    return {k: (MISSING if missing and v not in SHARED else world[v]) if v in world else v for k, v in spec.items()}


def _body(override, world: dict):
    return {k: world.get(v, v) if isinstance(v, str) and v in world and k != "expert" else v
            for k, v in override.items()}


def test_every_route_is_classified(client):
    pages = set(R.page_routes())
    api = set(R.api_routes(client.get("/api/v1/openapi.json").json()))

    assert sorted(pages - set(PAGES)) == [], "new pages: add them to PAGES with the seats that may reach them"
    assert sorted(api - set(API)) == [], "new API routes: add them to API with the seats that may reach them"
    assert sorted(set(PAGES) - pages) == [] and sorted(set(API) - api) == [], "routes gone: remove them"


@pytest.mark.timeout(300)
def test_foreign_objects_are_out_of_reach(accounts, make_user, industries, criteria_sets, client):
    world = build(accounts, make_user)
    schema = client.get("/api/v1/openapi.json").json()
    seats = world["seats"]
    clients, tokens = {}, {}
    for role, user in seats.items():
        clients[role] = Client()
        clients[role].force_login(user)
        tokens[role] = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}

    before = R.database_fingerprint()
    writes = R.WriteRecorder()
    wrong = []
    with connection.execute_wrapper(writes):
        for name, pattern in R.page_routes().items():
            spec, allowed = PAGES[name]
            if allowed is SELF:
                continue
            url = "/" + R.fill(pattern, _values(spec, world))
            absent = "/" + R.fill(pattern, _values(spec, world, missing=True))
            for role in ROLES:
                if role in allowed:
                    continue
                for method in ("get", "post"):
                    writes.who = f"{method.upper()} {url} as {role}"
                    status = getattr(clients[role], method)(url).status_code
                    if status not in REFUSED:
                        wrong.append(f"{writes.who}: {status}")
                    elif absent != url and role not in PROVINCE \
                            and status != getattr(clients[role], method)(absent).status_code:
                        wrong.append(f"{writes.who}: {status}, but another status for {absent}: tells it exists")
        for key, op in R.api_routes(schema).items():
            spec, allowed, override = API[key]
            if allowed is SELF:
                continue
            method, path = key.split(" ", 1)
            url = R.fill(path, _values(spec, world))
            for role in ROLES:
                if role in allowed:
                    continue
                content_type, body = R.api_body(op, schema)
                if override is not None:
                    body = {**(body or {}), **_body(override, world)}
                    content_type = content_type or "application/json"
                send = getattr(clients[role], method.lower())
                writes.who = f"{key} ({url}) as {role}"
                if content_type == "application/json":
                    response = send(url, json.dumps(body), content_type=content_type, **tokens[role])
                elif content_type == "multipart":
                    response = send(url, body, **tokens[role])
                else:
                    response = send(url, **tokens[role])
                if response.status_code not in REFUSED:
                    wrong.append(f"{writes.who}: {response.status_code} {response.content[:200]!r}")
                    continue
                absent = R.fill(path, _values(spec, world, missing=True))
                if absent != url and role not in PROVINCE:  # province-level seats see every unit's objects
                    if content_type == "multipart":
                        content_type, body = R.api_body(op, schema)  # a fresh upload
                    other = (send(absent, json.dumps(body), content_type=content_type, **tokens[role])
                             if content_type == "application/json" else send(absent, body, **tokens[role])
                             if content_type == "multipart" else send(absent, **tokens[role]))
                    if other.status_code != response.status_code:
                        wrong.append(f"{writes.who}: {response.status_code}, but {other.status_code} for {absent}: "
                                     "tells it exists")

    assert wrong == [], "reached a foreign object:\n" + "\n".join(wrong)
    assert R.database_fingerprint() == before, f"a refused request changed the database: {writes.writes}"
