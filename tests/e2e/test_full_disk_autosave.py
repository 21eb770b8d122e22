"""In a real Chromium: the autosave on a full database disk says so (507 from the server's
``DiskFullMiddleware``) and the clerk's input stays in the page; once there is room, the next save
goes through."""

import sqlite3

import pytest
from django.db.utils import OperationalError
from playwright.sync_api import expect

from clusterdesk.applications import domain as apps
from clusterdesk.core.diskfull import MESSAGE
from tests.e2e.session import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_autosave_on_a_full_disk_keeps_the_input_and_says_so(accounts, round_open, live_server, browser, monkeypatch):
    application = apps.create_application(actor=accounts["dunhua"], round_=round_open)
    real_save = apps.save_fields

    def full(**kwargs):
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError as exc:
            raise OperationalError(*exc.args) from exc

    context, page = sign_in(browser, live_server, "dunhua")
    page.goto(f"{live_server.url}/applications/{application.pk}/edit/")
    monkeypatch.setattr(apps, "save_fields", full)
    field = page.get_by_label("运营主体")
    field.fill("敦化经济开发区管委会")

    status = page.locator("#basic .save-status")
    expect(status).to_contain_text("服务器存储空间已满", timeout=10000)
    expect(page.locator("#basic .section-errors")).to_contain_text(MESSAGE)
    expect(field).to_have_value("敦化经济开发区管委会")

    monkeypatch.setattr(apps, "save_fields", real_save)
    field.fill("敦化经济开发区管理委员会")
    expect(status).to_contain_text("已保存", timeout=10000)
    context.close()
    assert apps.load_data(application)["operating_body"] == "敦化经济开发区管理委员会"
