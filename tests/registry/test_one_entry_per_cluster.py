"""One registry entry per cluster: recognitions of the same county's cluster (same leading
industry or niche) in any round raise or renew its one entry; the county and the city are warned
before a later round's application of a cluster already in the registry goes further."""

from datetime import date

import pytest

from clusterdesk.applications.models import Application, Section
from clusterdesk.orgs.models import Org
from clusterdesk.registry import domain as registry
from clusterdesk.registry import service
from clusterdesk.registry.models import Cluster, ClusterStatus, EventKind, Level
from clusterdesk.reviews import domain as reviews
from clusterdesk.reviews import province
from clusterdesk.rounds.models import Round

from .conftest import at


def earlier_application(accounts, *, applicant="dunhua", code="222403", name="敦化市医药产业集群",
                        industry="C27", niche="中成药") -> Application:
    """A 2024 round's application of the same county (its chain is not under test: only what the
    registry reads, the basic section, is made)."""
    user = accounts[applicant]
    round_ = Round.objects.create(name="2024年度中小企业特色产业集群申报推荐", year=2024, status="closed",
                                  province=accounts["province"].org)
    app = Application.objects.create(round=round_, org=Org.objects.get(code=code), number=f"2024-{code}-01",
                                     name=name, status="recognized", created_by=user)
    Section.objects.create(application=app, key="basic", data={
        "name": name, "leading_industry_code": industry, "niche": niche, "operating_body": "敦化经济开发区管理委员会"})
    return app


@pytest.fixture
def provincial_2024(accounts, round_open):
    """敦化市医药产业集群, recognised provincial in the 2024 round (valid 2025–2027)."""
    old = earlier_application(accounts)
    return registry.register_from_application(application=old, level="provincial", batch_year=2024,
                                              actor=accounts["province"])


def send_to_ministry(accounts, round_, app):
    province.select_national(actor=accounts["province"], round_=round_, picks=[{"application": app.pk, "reason": ""}])
    province.mark_national_sent(actor=accounts["province"], round_=round_)


def test_national_recognition_raises_the_previous_rounds_provincial_entry(accounts, round_open, passed,
                                                                          provincial_2024):
    a = passed[0]  # 敦化, C27 中成药, 2025 round, flagged national
    send_to_ministry(accounts, round_open, a)

    reviews.perform(actor=accounts["province"], application=Application.objects.get(pk=a.pk),
                    action="ministry_recognized")

    assert Cluster.objects.count() == 1
    cluster = Cluster.objects.get()
    assert cluster.pk == provincial_2024.pk
    assert (cluster.level, cluster.status, cluster.batch_year, cluster.valid_until, cluster.application_id) == (
        Level.NATIONAL, ClusterStatus.RECOGNIZED, 2025, date(2028, 12, 31), a.pk)
    raised = cluster.events.get(kind=EventKind.LEVEL_CHANGED)
    assert (raised.before["level"], raised.after["level"]) == ("provincial", "national")
    assert raised.before["valid_until"] == "2027-12-31"


def test_niche_alone_finds_the_entry(accounts, round_open, passed, provincial_2024):
    Cluster.objects.filter(pk=provincial_2024.pk).update(leading_industry_code="C2740")  # changed by a filing

    registry.on_national_recognized(passed[0], accounts["province"])

    assert Cluster.objects.get().level == Level.NATIONAL


def test_provincial_recognition_after_national_keeps_national_and_one_row(accounts, round_open, passed):
    a = passed[0]
    registry.on_national_recognized(a, accounts["province"], document_number="工信厅企业函〔2025〕300号",
                                    date="2025-11-20")

    registry.on_recognized(a, accounts["province"])
    registry.on_recognized(a, accounts["province"])  # again: nothing more

    cluster = Cluster.objects.get()
    assert (cluster.level, cluster.batch_year, cluster.valid_until) == (Level.NATIONAL, 2025, date(2028, 12, 31))
    kinds = list(cluster.events.order_by("at", "pk").values_list("kind", "comment"))
    assert [k for k, _ in kinds] == [EventKind.REGISTERED, EventKind.REGISTERED]
    assert "工信厅企业函〔2025〕300号" in kinds[0][1] and "2025-11-20" in kinds[0][1]
    assert cluster.events.order_by("at", "pk").first().after["document_number"] == "工信厅企业函〔2025〕300号"
    assert "级别和有效期不变" in kinds[1][1]


def test_provincial_recognition_in_a_later_round_renews_the_entry(accounts, round_open, passed, provincial_2024):
    batch = province.propose_recognition(actor=accounts["province"], round_=round_open, applications=[passed[0]],
                                         starts_on=date(2025, 9, 30), working_days=5, title="2025年度拟认定名单公示")

    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))

    cluster = Cluster.objects.get()
    assert (cluster.pk, cluster.level, cluster.batch_year, cluster.valid_until, cluster.application_id) == (
        provincial_2024.pk, Level.PROVINCIAL, 2025, date(2028, 12, 31), passed[0].pk)
    assert "再次认定为省级集群" in cluster.events.order_by("-at", "-pk").first().comment


def test_expired_and_revoked_entries(accounts, round_open, passed, provincial_2024):
    Cluster.objects.filter(pk=provincial_2024.pk).update(status=ClusterStatus.EXPIRED)
    registry.on_recognized(passed[0], accounts["province"])
    cluster = Cluster.objects.get()
    assert (cluster.status, cluster.valid_until) == (ClusterStatus.RECOGNIZED, date(2028, 12, 31))

    registry.revoke(cluster=cluster, reason="负面清单事项（测试）", actor=accounts["province"])
    assert service.existing_entry(cluster.org, "C27", "中成药") is None  # a revoked entry is not looked for
    with pytest.raises(registry.Conflict, match="当前状态为“已撤销”"):  # its own application's entry: revoked stays
        registry.on_national_recognized(passed[0], accounts["province"])
    assert Cluster.objects.get().status == ClusterStatus.REVOKED


def test_existing_entry_matches_county_and_industry_or_niche_in_one_query(accounts, provincial_2024,
                                                                         django_assert_num_queries):
    dunhua, yanji = Org.objects.get(code="222403"), Org.objects.get(code="222401")
    with django_assert_num_queries(1):
        assert service.existing_entry(dunhua, "C27", "") == provincial_2024
    assert service.existing_entry(dunhua, "", "中成药") == provincial_2024
    assert service.existing_entry(dunhua, "C15", "葡萄酒") is None
    assert service.existing_entry(dunhua, "", "") is None
    assert service.existing_entry(yanji, "C27", "中成药") is None


# --- the warning before submission ------------------------------------------------------------------

NOTICE = "名录中已有敦化市的“敦化市医药产业集群”（省级，有效期至2027年12月31日）：本次认定后将更新该记录，不会新增一条"


def test_county_is_warned_on_the_form_and_before_submitting(accounts, provincial_2024, ready, login):
    client = login(accounts["dunhua"])

    form = client.get(f"/applications/{ready.pk}/edit/").content.decode()
    detail = client.get(f"/applications/{ready.pk}/").content.decode()

    assert NOTICE in form and 'data-testid="registry-notice"' in form
    readiness = detail.split('data-testid="readiness"')[1].split("</section>")[0]
    assert NOTICE in readiness
    confirm = readiness.split("data-confirm=\"")[1].split('"')[0]
    assert confirm.startswith("确定提交给市（州）审核？") and NOTICE in confirm


def test_city_reviewer_sees_the_warning_on_the_application_page(accounts, provincial_2024, ready, login):
    from clusterdesk.applications.domain import submit

    submit(actor=accounts["dunhua"], application=ready)

    page = login(accounts["yanbian"]).get(f"/applications/{ready.pk}/").content.decode()

    assert "集群名录核对" in page and NOTICE in page


def test_no_warning_without_an_entry_or_for_the_entrys_own_application(accounts, round_open, passed, ready, login):
    client = login(accounts["dunhua"])
    assert "registry-notice" not in client.get(f"/applications/{ready.pk}/edit/").content.decode()

    registry.on_national_recognized(passed[0], accounts["province"])
    page = login(accounts["yanbian"]).get(f"/applications/{passed[0].pk}/").content.decode()
    assert "集群名录核对" not in page  # its own entry
    form = login(accounts["dunhua"]).get(f"/applications/{ready.pk}/edit/").content.decode()
    assert "（国家级，有效期至2028年12月31日）：本次认定后将更新该记录" in form and "不会改变其国家级登记" in form


def test_pool_entry_for_a_cluster_already_in_the_registry_is_refused(accounts, seeded):
    dunhua = seeded["敦化市医药产业集群"]  # national 2022, C27

    with pytest.raises(registry.Conflict, match="已登记在名录中") as exc:
        registry.add_to_pool(actor=accounts["yanbian"], org=dunhua.org, name="敦化市中成药产业集群",
                             leading_industry_code="C27")
    assert exc.value.field == "leading_industry_code"
    registry.add_to_pool(actor=accounts["yanbian"], org=dunhua.org, name="敦化市林下经济产业集群",
                         leading_industry_code="A02")
    assert Cluster.objects.filter(org=dunhua.org).count() == 2
