"""Removing a filled row (enterprise, contact, plan target) asks first (issue 15 §10)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_removing_a_filled_enterprise_row_asks_first(accounts, filled, live_server, browser):
    context, page = sign_in(browser, live_server, "dunhua", accept_dialogs=False)
    page.goto(f"{live_server.url}/applications/{filled.pk}/edit/")
    rows = page.get_by_test_id("enterprises").locator("tbody tr[data-row]")
    count = rows.count()
    assert count >= 2
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    rows.first.get_by_role("button", name="删除").click()
    expect(rows).to_have_count(count)  # the clerk said no: the row stays
    assert asked and asked[0].startswith("删除这家企业？")

    page.remove_listener("dialog", dismiss)
    page.on("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="删除").click()
    expect(rows).to_have_count(count - 1)
    context.close()
