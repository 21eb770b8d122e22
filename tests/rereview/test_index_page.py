"""The 集群复核 index page: a plain title, the 附件4 export link once, in the page body."""

from datetime import timedelta

from django.utils import timezone

from clusterdesk.rereview import domain as rr
from tests.rereview.test_rereview import dunhua_cluster  # noqa: F401  (fixture)


def test_index_title_is_text_and_the_export_link_is_in_the_body(client, accounts, dunhua_cluster):  # noqa: F811
    rr.start_round(actor=accounts["province"], year=2025, deadline=timezone.localdate() + timedelta(days=20))
    client.force_login(accounts["dunhua"])
    page = client.get("/registry/rereview/").content.decode()
    title = page[page.index("<title>"):page.index("</title>")]
    assert "<p" not in title and "集群复核" in title
    assert page.count('data-testid="own-attachment4"') == 1
    assert page.index('data-testid="own-attachment4"') > page.index("<main")
