"""The re-review form (附件3) autosaves as the application form does (js/autosave.js): JSON
answers with the new version, errors with the input they concern, 409 on a stale version; rows
added in the browser are read from the posted names."""

import pytest

from tests.conftest import make_uscc
from tests.rereview.test_rereview import dunhua_cluster, rr_round, task  # noqa: F401  (fixtures)

JSON = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def form():
    return {"_version": "0", "t-count": "2", "e-count": "2", "ind-2024-total_output": "60",
            "ind-2024-sme_output": "43", "ind-2023-total_output": "55", "negative_list_clear": "yes"}


def test_autosave_answers_json_with_the_new_version(client, accounts, task, form):  # noqa: F811
    client.force_login(accounts["dunhua"])
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form, **JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["version"] == 1 and body["saved_at"]
    task.refresh_from_db()
    rows = {r["year"]: r for r in task.data["indicators"]}
    assert rows[2024]["total_output"] in ("60", 60, 60.0) and task.version == 1


def test_autosave_errors_name_the_input(client, accounts, task, form):  # noqa: F811
    client.force_login(accounts["dunhua"])
    form["ind-2024-sme_output"] = "80"
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form, **JSON)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(e["input"] == "ind-2024-sme_output" and "不能大于集群产值" in e["message"] for e in errors)
    task.refresh_from_db()
    assert task.version == 0  # nothing saved


def test_autosave_from_a_stale_tab_is_refused_with_409(client, accounts, task, form):  # noqa: F811
    client.force_login(accounts["dunhua"])
    assert client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form, **JSON).status_code == 200
    form["ind-2024-total_output"] = "61"  # the other tab still has version 0
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form, **JSON)
    assert response.status_code == 409 and response.json()["conflict"] is True
    assert "其他窗口保存" in response.json()["detail"]


def test_rows_added_in_the_browser_are_saved_and_errors_name_their_row(client, accounts, task, form):  # noqa: F811
    client.force_login(accounts["dunhua"])
    # the page said 2 enterprise rows (left blank); the clerk added a third (autosave.js names it e-2-…)
    form.update({"e-2-name": "敦化市第三制药有限公司", "e-2-uscc": "", "e-2-year": "2024"})
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form, **JSON)
    assert response.status_code == 400
    assert {e["input"] for e in response.json()["errors"]} == {"e-2-uscc", "e-2-qualifications"}  # the row typed in
    form.update({"e-2-uscc": make_uscc(3), "e-2-qual": "specialized"})
    response = client.post(f"/registry/rereview/tasks/{task.pk}/edit/", form, **JSON)
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert [e["name"] for e in task.data["quality_enterprises"]] == ["敦化市第三制药有限公司"]


def test_the_edit_page_is_an_autosave_form(client, accounts, task):  # noqa: F811
    client.force_login(accounts["dunhua"])
    page = client.get(f"/registry/rereview/tasks/{task.pk}/edit/").content.decode()
    assert "data-autosave" in page and 'name="_version"' in page and "js/autosave.js" in page
    assert 'data-input="ind-2024-total_output"' in page and 'data-row-template="enterprises"' in page
