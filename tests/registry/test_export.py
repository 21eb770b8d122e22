"""The registry list as Excel: the page's scope and filters."""

import io

import pytest
from openpyxl import load_workbook

from clusterdesk.audit.models import AuditEvent


def names(response):
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
    assert rows[0][:4] == ["集群名称", "所在县级单位", "市（州）", "级别"]
    return sorted(r[0] for r in rows[1:])


@pytest.mark.django_db
def test_registry_export_scoped_like_the_page(accounts, seeded, login):
    from clusterdesk.registry.models import Cluster

    everything = names(login(accounts["province"]).get("/registry/export.xlsx"))
    assert everything == sorted(c.name for c in Cluster.objects.all())
    yanbian = names(login(accounts["yanbian"]).get("/registry/export.xlsx"))
    expected = sorted(c.name for c in Cluster.objects.filter(org__recommender__code="222400"))
    assert yanbian == expected and 0 < len(yanbian) < len(everything)
    national = names(login(accounts["province"]).get("/registry/export.xlsx?level=national"))
    assert national == sorted(c.name for c in Cluster.objects.filter(level="national"))
    assert AuditEvent.objects.filter(action="export.downloaded", object_id="registry").count() == 3
