"""The audit log as CSV: UTF-8 with BOM, the page's filters, province administrators only."""

import csv
import io

import pytest

from clusterdesk.audit.domain import record


@pytest.mark.django_db
def test_audit_csv_with_filters_for_province_admins_only(accounts, login):
    # Actions the test's own requests do not write (a forced login writes auth.login).
    record(action="org.letterhead", actor=accounts["yanbian"], comment="测试修改")
    record(action="org.letterhead", actor=accounts["dunhua"])
    record(action="catalog.subclusters_imported", actor=accounts["dunhua"])
    for key in ("sysadmin", "leader", "yanbian", "dunhua"):
        assert login(accounts[key]).get("/audit/export.csv").status_code == 403, key

    client = login(accounts["province"])
    response = client.get("/audit/export.csv?action=org.letterhead")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"].startswith("text/csv")
    assert "filename*=utf-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97_" in response["Content-Disposition"]  # 审计日志_
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["时间", "操作", "操作代码", "操作账号"]
    assert sorted(r[3] for r in rows[1:]) == sorted([accounts["yanbian"].username, accounts["dunhua"].username])
    assert {r[1] for r in rows[1:]} == {"修改单位发文机关代字和签发人"}
    assert any(r[9] == "测试修改" for r in rows[1:])

    rows = list(csv.reader(io.StringIO(client.get("/audit/export.csv?actor=dunhua&action=catalog.subclusters_imported")
                                       .content.decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["catalog.subclusters_imported"]
    # The export itself is audited, with its filters.
    from clusterdesk.audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="export.downloaded").latest("pk")
    assert event.after == {"rows": 1, "filters": {"actor": "dunhua", "action": "catalog.subclusters_imported"}}
    assert 'data-testid="export-audit"' in client.get("/audit/?action=org.letterhead").content.decode()
