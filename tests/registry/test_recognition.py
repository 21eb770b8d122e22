"""Recognition decisions of the review chain create registry entries with the right validity."""

from datetime import date

import pytest

from clusterdesk.applications.models import Application, Status, NationalStatus
from clusterdesk.audit.models import AuditEvent
from clusterdesk.registry import domain as registry
from clusterdesk.registry.models import Cluster, ClusterEvent, ClusterStatus, EventKind, Level
from clusterdesk.reviews import domain as reviews
from clusterdesk.reviews import province

from .conftest import at


def propose(accounts, round_, apps):
    return province.propose_recognition(actor=accounts["province"], round_=round_, applications=apps,
                                        starts_on=date(2025, 9, 30), working_days=5, title="2025年度拟认定名单公示")


def test_validity_of_a_batch_is_the_three_following_years():
    assert registry.validity(2022) == (date(2023, 1, 1), date(2025, 12, 31))
    assert registry.validity(2025) == (date(2026, 1, 1), date(2028, 12, 31))


def test_finalize_recognition_creates_provincial_entries(accounts, round_open, passed):
    # 敦化 and 延吉: two counties. (passed[1] is 敦化 again with the same leading industry and
    # niche in the fixtures: the same cluster, see test_one_entry_per_cluster.py.)
    batch = propose(accounts, round_open, [passed[0], passed[2]])

    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))

    entries = list(Cluster.objects.order_by("pk"))
    assert sorted(c.application_id for c in entries) == [passed[0].pk, passed[2].pk]
    first = Cluster.objects.get(application=passed[0])
    assert (first.name, first.level, first.status, first.batch_year) == (
        "敦化市医药产业集群", Level.PROVINCIAL, ClusterStatus.RECOGNIZED, 2025)
    assert (first.valid_from, first.valid_until) == (date(2026, 1, 1), date(2028, 12, 31))
    assert first.org.code == "222403"
    assert first.leading_industry_code == "C27"
    assert first.operating_body == "敦化经济开发区管理委员会"
    assert first.plan_targets == [{"name": "集群产值", "unit": "亿元", "baseline": "56", "target": "80", "year": 2027}]
    event = ClusterEvent.objects.get(cluster=first)
    assert event.kind == EventKind.REGISTERED and event.after["valid_until"] == "2028-12-31"
    assert AuditEvent.objects.filter(action="registry.registered", object_id=str(first.pk)).exists()


def test_not_recognised_entry_creates_nothing(accounts, round_open, passed):
    batch = propose(accounts, round_open, passed[:2])
    entry = batch.entries.get(application=passed[0])
    objection = province.record_objection(actor=accounts["province"], entry=entry, received_on=date(2025, 10, 9),
                                          submitted_by="某企业", content="数据不实")
    province.resolve_objection(actor=accounts["province"], objection=objection, upheld=True, resolution="经核实数据不实")

    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))

    assert list(Cluster.objects.values_list("application_id", flat=True)) == [passed[1].pk]


def test_ministry_recognition_raises_the_provincial_entry_to_national(accounts, round_open, passed):
    a = passed[0]
    batch = propose(accounts, round_open, [a])
    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))
    province.select_national(actor=accounts["province"], round_=round_open, picks=[{"application": a.pk, "reason": ""}])
    province.mark_national_sent(actor=accounts["province"], round_=round_open)

    reviews.perform(actor=accounts["province"], application=Application.objects.get(pk=a.pk),
                    action="ministry_recognized")

    cluster = Cluster.objects.get()
    app = Application.objects.get(pk=a.pk)
    assert (app.status, app.national_status) == (Status.RECOGNIZED, NationalStatus.RECOGNIZED)
    assert (cluster.level, cluster.batch_year, cluster.valid_from, cluster.valid_until) == (
        Level.NATIONAL, 2025, date(2026, 1, 1), date(2028, 12, 31))
    kinds = list(cluster.events.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds == [EventKind.REGISTERED, EventKind.LEVEL_CHANGED]
    raised = cluster.events.get(kind=EventKind.LEVEL_CHANGED)
    assert (raised.before["level"], raised.after["level"]) == ("provincial", "national")


def test_ministry_recognition_without_provincial_creates_a_national_entry(accounts, round_open, passed):
    a = passed[0]  # initial_passed, flagged national: selected without provincial recognition
    province.select_national(actor=accounts["province"], round_=round_open, picks=[{"application": a.pk, "reason": ""}])
    province.mark_national_sent(actor=accounts["province"], round_=round_open)

    reviews.perform(actor=accounts["province"], application=Application.objects.get(pk=a.pk),
                    action="ministry_recognized")

    cluster = Cluster.objects.get()
    assert (cluster.level, cluster.status, cluster.application_id) == (Level.NATIONAL, ClusterStatus.RECOGNIZED, a.pk)
    assert cluster.validity_text == "2026-01-01 至 2028-12-31"


def test_ministry_not_recognized_creates_nothing(accounts, round_open, passed):
    a = passed[0]
    province.select_national(actor=accounts["province"], round_=round_open, picks=[{"application": a.pk, "reason": ""}])
    province.mark_national_sent(actor=accounts["province"], round_=round_open)

    reviews.perform(actor=accounts["province"], application=Application.objects.get(pk=a.pk),
                    action="ministry_not_recognized")

    assert not Cluster.objects.exists()


def test_recognition_promotes_the_cultivation_pool_entry(accounts, round_open, passed):
    pool = registry.add_to_pool(actor=accounts["yanbian"], org=passed[0].org, name="敦化市医药产业集群",
                                note="重点培育")
    batch = propose(accounts, round_open, passed[:1])

    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))

    pool.refresh_from_db()
    assert Cluster.objects.count() == 1
    assert (pool.level, pool.status, pool.application_id) == (Level.PROVINCIAL, ClusterStatus.RECOGNIZED, passed[0].pk)
    registered = pool.events.get(kind=EventKind.REGISTERED)
    assert registered.before["level"] == "pool"


def test_register_from_application_needs_the_province(accounts, round_open, passed):
    with pytest.raises(registry.NotAllowed, match="只有省厅管理员"):
        registry.register_from_application(application=passed[0], level="provincial", batch_year=2025,
                                           actor=accounts["yanbian"])
    assert not Cluster.objects.exists()


def test_expire_extend_and_revoke(accounts, seeded):
    dunhua = seeded["敦化市医药产业集群"]
    registry.EXPIRY_HOLDS.append(lambda today: [])
    try:
        assert registry.expire_due(today=date(2025, 12, 31)) == []
        expired = registry.expire_due(today=date(2026, 1, 1))
    finally:
        registry.EXPIRY_HOLDS.pop()
    assert [c.pk for c in expired] == [dunhua.pk]
    assert registry.expire_due(today=date(2026, 1, 2)) == []  # again: nothing new

    registry.extend_validity(cluster=dunhua, actor=accounts["province"])
    dunhua.refresh_from_db()
    assert (dunhua.status, dunhua.valid_until) == (ClusterStatus.RECOGNIZED, date(2028, 12, 31))

    with pytest.raises(registry.DomainError, match="请填写撤销原因"):
        registry.revoke(cluster=dunhua, reason=" ", actor=accounts["province"])
    registry.revoke(cluster=dunhua, reason="复核未通过", actor=accounts["province"])
    dunhua.refresh_from_db()
    assert dunhua.status == ClusterStatus.REVOKED
    assert list(dunhua.events.order_by("at", "pk").values_list("kind", flat=True))[-3:] == [
        EventKind.EXPIRED, EventKind.EXTENDED, EventKind.REVOKED]


def test_expiry_hold_keeps_a_cluster_under_rereview(seeded):
    dunhua = seeded["敦化市医药产业集群"]
    registry.EXPIRY_HOLDS.append(lambda today: [dunhua.pk])
    try:
        assert registry.expire_due(today=date(2026, 1, 1)) == []
    finally:
        registry.EXPIRY_HOLDS.pop()
    dunhua.refresh_from_db()
    assert dunhua.status == ClusterStatus.RECOGNIZED
