"""A refused review action on the application page: back to the same action box, opened, with
what was typed and the reason beside the input that caused it (core/formkeep.py)."""

import re

import pytest

from clusterdesk.applications import domain as apps
from clusterdesk.applications.models import Status


@pytest.fixture
def submitted(accounts, ready):
    apps.submit(actor=accounts["dunhua"], application=ready)
    ready.refresh_from_db()
    return ready


def _box(page: str, action: str) -> str:
    start = page.index(f'data-testid="box-{action}"')
    return page[page.rindex("<details", 0, start):page.index("</details>", start)]


def test_a_return_without_comment_keeps_the_typed_field_comments_beside_the_error(accounts, client, submitted):
    client.force_login(accounts["yanbian"])
    response = client.post(f"/reviews/applications/{submitted.pk}/actions/city_return/",
                           {"state_version": submitted.state_version, "comment": "  ",
                            "fc_path": ["area_km2", ""], "fc_text": ["与统计证明不一致，请核对", ""]})
    assert response.status_code == 302
    assert response["Location"] == f"/applications/{submitted.pk}/#error-review"
    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    box = _box(page, "city_return")
    assert re.search(r"<details[^>]*open", box), "the refused action's box is open"
    # the 逐项意见 row typed before the refusal comes back: its field chosen, its comment filled
    assert re.search(r'<option value="area_km2" selected>', box)
    assert 'name="fc_text" maxlength="1000" value="与统计证明不一致，请核对"' in box
    comment = box.index('id="act-city_return-comment"')
    error = box.index('id="error-review"')
    assert comment < error < box.index('id="act-city_return-field_comments"'), "the error sits under the comment box"
    assert 'data-error-for="act-city_return-comment"' in box and "请填写意见" in box[error:]
    assert page.count(' id="error-review"') == 1 and 'class="messages"' not in page  # not at the top
    other = _box(page, "city_recommend")
    assert not re.search(r"<details[^>]*open", other) and "error-review" not in other
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    # shown once: a reload is the clean page
    assert "error-review" not in client.get(f"/applications/{submitted.pk}/").content.decode()


def test_a_refusal_whose_box_is_gone_shows_atop_the_review_panel(accounts, client, submitted):
    client.force_login(accounts["yanbian"])
    data = {"state_version": submitted.state_version, "national": "1", "comment": "同意推荐"}
    client.post(f"/reviews/applications/{submitted.pk}/actions/city_recommend/", data)
    again = client.post(f"/reviews/applications/{submitted.pk}/actions/city_recommend/", data)
    assert again["Location"].endswith("#error-review")
    page = client.get(f"/applications/{submitted.pk}/").content.decode()
    review = page.index('id="review"')
    assert review < page.index('id="error-review"') < page.index("审核操作", review)
    assert "该申报已被处理" in page
