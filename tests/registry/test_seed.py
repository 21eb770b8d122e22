"""The seed command and the import of earlier clusters."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from clusterdesk.core.errors import DomainError
from clusterdesk.registry import domain as registry
from clusterdesk.registry.models import Cluster, ClusterEvent, ClusterStatus, Level

SEED = {
    "敦化市医药产业集群": ("222403", Level.NATIONAL, 2022, date(2023, 1, 1), date(2025, 12, 31)),
    "辽源市龙山区高精铝轨道客车产业集群": ("220402", Level.PROVINCIAL, 2025, date(2026, 1, 1), date(2028, 12, 31)),
    "辽源市龙山区医药产业集群": ("220402", Level.PROVINCIAL, 2025, date(2026, 1, 1), date(2028, 12, 31)),
    "白山市抚松县人参产业集群": ("220621", Level.PROVINCIAL, 2025, date(2026, 1, 1), date(2028, 12, 31)),
    "延边州延吉市人参大健康产业集群": ("222401", Level.PROVINCIAL, 2025, date(2026, 1, 1), date(2028, 12, 31)),
    "长春新区光电信息产业集群": ("Z220101", Level.PROVINCIAL, 2025, date(2026, 1, 1), date(2028, 12, 31)),
}


def entries() -> dict:
    return {c.name: (c.org.code, c.level, c.batch_year, c.valid_from, c.valid_until)
            for c in Cluster.objects.select_related("org")}


def test_seed_command_is_idempotent_with_exactly_six_entries(jilin):
    out = StringIO()
    call_command("load_registry_seed", stdout=out)  # loads the industry catalogue itself when empty
    assert "新增 6 个" in out.getvalue()
    assert entries() == SEED
    assert set(Cluster.objects.values_list("status", flat=True)) == {ClusterStatus.RECOGNIZED}
    assert ClusterEvent.objects.count() == 6

    out = StringIO()
    call_command("load_registry_seed", stdout=out)
    assert "新增 0 个，更新 0 个，未变 6 个" in out.getvalue()
    assert entries() == SEED
    assert ClusterEvent.objects.count() == 6


def test_seed_has_no_invented_figures(jilin):
    call_command("load_registry_seed", stdout=StringIO())
    for cluster in Cluster.objects.all():
        assert cluster.plan_targets == [] and cluster.application_id is None
        assert "指标数据未公开" in cluster.note
        assert not cluster.reports.exists()


CSV = ("集群名称,单位代码,级别,认定批次,有效期起,有效期止,状态,主导产业代码,运营主体,涉及的其他县级单位,备注\n"
       "通化县葡萄酒产业集群,220521,省级,2021,,,,C15,通化县经济开发区,,历史集群（测试）\n")


def test_import_accepts_chinese_headers_and_defaults_validity(accounts, industries):
    result = registry.import_clusters(actor=accounts["province"], content=CSV.encode())

    cluster = result.created[0]
    assert (cluster.level, cluster.valid_from, cluster.valid_until) == (Level.PROVINCIAL, date(2022, 1, 1),
                                                                        date(2024, 12, 31))
    assert cluster.status == ClusterStatus.RECOGNIZED


def test_import_refuses_the_whole_file_with_every_problem_by_line(accounts, industries):
    bad = CSV + "某集群,999999,省级,2021,,,,,,,\n另一集群,220500,超级,,,,,Z99,,,\n"

    with pytest.raises(DomainError) as exc:
        registry.import_clusters(actor=accounts["province"], content=bad.encode())

    messages = [e["message"] for e in exc.value.errors]
    assert "第3行：单位代码“999999”不存在，请先导入单位" in messages
    assert any(m.startswith("第4行：“通化市”不是县级单位") for m in messages)
    assert any(m.startswith("第4行：级别“超级”无效") for m in messages)
    assert any("第4行：主导产业代码“Z99”" in m for m in messages)
    assert not Cluster.objects.exists()


def test_import_only_by_the_province(accounts, industries):
    with pytest.raises(registry.NotAllowed):
        registry.import_clusters(actor=accounts["yanbian"], content=CSV.encode())


def test_import_page(accounts, industries, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(accounts["province"])
    response = client.post("/registry/import/", {"file": SimpleUploadedFile("名录.csv", CSV.encode("gb18030"))},
                           follow=True)
    assert "新增 1 个" in response.content.decode()
    assert Cluster.objects.filter(name="通化县葡萄酒产业集群").exists()
