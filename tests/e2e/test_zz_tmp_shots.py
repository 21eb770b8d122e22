"""TEMPORARY (not committed): screenshots of the two tracks at 1366x768."""
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clusterdesk.applications.models import Application
from clusterdesk.reviews import domain, province
from tests.conftest import PDF
from tests.e2e.session import sign_in
from tests.e2e.test_review_chain import two_ready  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_shots(accounts, two_ready, live_server, browser, round_open):  # noqa: F811
    for who, city in (("dunhua", "yanbian"), ("tonghua_county", "tonghua")):
        app = two_ready[who]
        apps_mod = __import__("clusterdesk.applications.domain", fromlist=["submit"])
        apps_mod.submit(actor=accounts[who], application=app)
        domain.perform(actor=accounts[city], application=Application.objects.get(pk=app.pk), action="city_recommend",
                       inputs={"national": True})
        domain.submit_name_list(actor=accounts[city], round_=round_open)
        domain.submit_formal(actor=accounts[city], round_=round_open, confirm_final=True,
                             letter=SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf"))
        domain.perform(actor=accounts["province"], application=Application.objects.get(pk=app.pk),
                       action="province_pass")
    d = two_ready["dunhua"]
    province.select_national(actor=accounts["province"], round_=round_open, picks=[{"application": d.pk}])
    province.propose_recognition(actor=accounts["province"], round_=round_open, applications=[d.pk],
                                 starts_on=timezone.localdate(), title="2025年拟认定名单公示")
    province.mark_national_sent(actor=accounts["province"], round_=round_open)
    context, page = sign_in(browser, live_server, "jl_admin")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/applications/{d.pk}/")
    page.screenshot(path="/tmp/shots/app_two_tracks.png")
    page.get_by_test_id("action-ministry_recognized").click()
    page.locator("#review").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/shots/app_ministry_form.png")
    page.goto(f"{live_server.url}/reviews/rounds/{round_open.pk}/selection/")
    page.screenshot(path="/tmp/shots/selection.png", full_page=True)
    page.goto(f"{live_server.url}/reviews/rounds/{round_open.pk}/overview/")
    page.screenshot(path="/tmp/shots/overview.png", full_page=True)
    page.goto(f"{live_server.url}/applications/?round={round_open.pk}")
    page.screenshot(path="/tmp/shots/list.png")
    context.close()
