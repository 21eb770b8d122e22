"""The application's domain rules: create, save, validate, conflicts, submit, withdraw, versions."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from clusterdesk.applications import domain
from clusterdesk.applications.form_extra import EXTRA_FIELDS
from clusterdesk.applications.models import Application, ApplicationVersion, AppendOnlyVersion, Section, Status
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.rounds.domain import grant_extension
from clusterdesk.rounds.models import SHANGHAI, Stage
from tests.conftest import complete_body, make_uscc


def save(user, app, **data):
    return domain.save_fields(actor=user, application=app, data=data)


def errors_of(exc) -> dict:
    return {e["field"]: e["message"] for e in exc.value.errors}


# --- create ---------------------------------------------------------------------------------

def test_create_numbers_application_for_own_unit(accounts, round_open):
    app = domain.create_application(actor=accounts["dunhua"], round_=round_open)

    assert app.number == "2025-222403-01"
    assert app.org.code == "222403"
    assert sorted(app.sections.values_list("key", flat=True)) == sorted(
        ["basic", "contacts", "indicators", "enterprises", "aspects", "declaration", "plan"])
    assert AuditEvent.objects.filter(action="application.created", object_id=str(app.pk)).exists()


def test_create_for_other_county_refused(accounts, round_open, jilin):
    with pytest.raises(NotAllowed, match="不在您的权限范围内"):
        domain.create_application(actor=accounts["dunhua"], round_=round_open, org=jilin["222401"])


def test_create_by_city_reviewer_refused(accounts, round_open):
    with pytest.raises(NotAllowed, match="只有县级申报账号"):
        domain.create_application(actor=accounts["yanbian"], round_=round_open)


def test_create_functional_zone_account(make_user, round_open):
    zone = make_user("ccxq", "Z220101", "county_applicant")

    app = domain.create_application(actor=zone, round_=round_open)

    assert app.org.code == "Z220101"


def test_create_after_deadline_refused(accounts, round_open):
    deadline = round_open.stages.get(code="county_submission").closes_at
    with time_machine.travel(deadline + timedelta(seconds=1)):
        with pytest.raises(Conflict, match="已超过截止时间（.*24时），逾期不予受理"):
            domain.create_application(actor=accounts["dunhua"], round_=round_open)


# --- save and validate ----------------------------------------------------------------------

def test_save_complete_body_roundtrips(accounts, draft):
    body = complete_body()

    save(accounts["dunhua"], draft, **body)

    data = domain.load_data(draft)
    assert data == {**dict.fromkeys(EXTRA_FIELDS), **body}  # the optional fields added for 附件1 are unset
    assert Application.objects.get(pk=draft.pk).name == "敦化市医药产业集群"


def test_save_invalid_credit_code_refused_and_nothing_saved(accounts, draft):
    bad = make_uscc(1)[:-1] + ("0" if make_uscc(1)[-1] != "0" else "1")
    enterprises = [{"name": "甲公司", "uscc": bad, "qualifications": ["specialized"], "year": 2023}]

    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, name="新名字", quality_enterprises=enterprises)

    assert "校验位不正确" in errors_of(exc)["quality_enterprises.0.uscc"]
    assert "第1家企业" in errors_of(exc)["quality_enterprises.0.uscc"]
    assert domain.load_data(draft)["name"] is None


@pytest.mark.parametrize("key", ["sme_output", "leading_output"])
def test_save_part_above_cluster_output_refused(accounts, draft, key):
    row = {"year": 2024, "total_output": "40", "sme_output": "30", "leading_output": "30", key: "40.01"}

    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, indicators=[row])

    assert "不能大于集群产值（40亿元）" in errors_of(exc)[f"indicators.2024.{key}"]


def test_save_part_equal_to_cluster_output_accepted(accounts, draft):
    save(accounts["dunhua"], draft, indicators=[{"year": 2024, "total_output": "40", "sme_output": "40", "leading_output": "40"}])

    assert domain.load_data(draft)["indicators"][0]["sme_output"] == "40"


def test_save_negative_amount_refused(accounts, draft):
    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, indicators=[{"year": 2024, "total_output": "-1"}])

    assert errors_of(exc)["indicators.2024.total_output"] == "2024年集群产值不能为负数"


def test_save_years_not_consecutive_refused(accounts, draft):
    rows = [{"year": 2022, "total_output": "40"}, {"year": 2024, "total_output": "50"}]

    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, indicators=rows)

    assert errors_of(exc)["indicators"] == "主要指标的年份应连续，缺少 2023 年"


def test_save_year_outside_round_window_refused(accounts, draft):
    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, indicators=[{"year": 2019, "total_output": "40"}])

    assert "不在本批次的指标年份内（2021–2024年" in errors_of(exc)["indicators.2019.year"]


def test_save_not_a_number_names_the_field(accounts, draft):
    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, area_km2="八十")

    assert errors_of(exc)["area_km2"] == "集群面积“八十”不是数字，请填写数字（单位：平方公里）"


def test_save_unknown_industry_refused(accounts, draft):
    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, leading_industry_code="C99")

    assert "GB/T 4754-2017" in errors_of(exc)["leading_industry_code"]


def test_save_covered_org_of_other_city_refused(accounts, draft):
    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, covered_org_codes=["220521"])

    assert "不是本市（州）所辖的县级单位" in errors_of(exc)["covered_org_codes"]


def test_save_covered_org_of_same_city_accepted(accounts, draft):
    save(accounts["dunhua"], draft, covered_org_codes=["222401", "222426"])

    assert domain.load_data(draft)["covered_org_codes"] == ["222401", "222426"]


def test_save_duplicate_credit_code_refused(accounts, draft):
    rows = [{"name": n, "uscc": make_uscc(7), "qualifications": ["high_tech"]} for n in ("甲", "乙")]

    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, quality_enterprises=rows)

    assert "与第1家企业重复" in errors_of(exc)["quality_enterprises.1.uscc"]


def test_save_unknown_qualification_refused(accounts, draft):
    with pytest.raises(DomainError) as exc:
        save(accounts["dunhua"], draft, quality_enterprises=[{"name": "甲", "uscc": make_uscc(1), "qualifications": ["gazelle"]}])

    assert "资质“gazelle”无效" in errors_of(exc)["quality_enterprises.0.qualifications"]


def test_save_records_only_changed_fields(accounts, draft):
    save(accounts["dunhua"], draft, name="甲集群", niche="中成药")
    save(accounts["dunhua"], draft, name="乙集群", niche="中成药")

    event = AuditEvent.objects.filter(action="application.section_saved").order_by("-id").first()
    assert event.before == {"name": "甲集群"} and event.after == {"name": "乙集群"}


# --- two tabs ---------------------------------------------------------------------------------

def test_older_tab_save_refused_with_conflict(accounts, draft):
    loaded = domain.section_versions(draft)
    domain.save_fields(actor=accounts["dunhua"], application=draft, data={"name": "第一个窗口"}, expected_versions=loaded)

    with pytest.raises(Conflict, match="已于 .* 由 dunhua 在其他窗口保存"):
        domain.save_fields(actor=accounts["dunhua"], application=draft, data={"name": "第二个窗口"}, expected_versions=loaded)

    assert domain.load_data(draft)["name"] == "第一个窗口"


def test_identical_save_retried_after_a_lost_answer_is_a_success(accounts, draft):
    """The page's autosave sends the same data with the same version again when the answer to
    the first request was lost (issue 16 §4): the data is there, nothing is overwritten."""
    from clusterdesk.audit.models import AuditEvent

    loaded = domain.section_versions(draft)
    data = {"name": "敦化市医药产业集群", "negative_list_clear": True}
    first = domain.save_fields(actor=accounts["dunhua"], application=draft, data=data, expected_versions=loaded)
    events = AuditEvent.objects.count()

    again = domain.save_fields(actor=accounts["dunhua"], application=draft, data=data, expected_versions=loaded)

    assert again == first  # the versions the page continues with
    assert AuditEvent.objects.count() == events  # nothing changed, nothing recorded
    # A retry that differs in any field is still refused, and changes nothing.
    with pytest.raises(Conflict, match="您这次的修改没有保存"):
        domain.save_fields(actor=accounts["dunhua"], application=draft,
                           data={**data, "negative_list_clear": False}, expected_versions=loaded)
    assert domain.load_data(draft)["negative_list_clear"] is True


def test_two_tabs_on_different_sections_both_saved(accounts, draft):
    loaded = domain.section_versions(draft)
    domain.save_fields(actor=accounts["dunhua"], application=draft, data={"name": "甲"}, expected_versions=loaded)
    domain.save_fields(actor=accounts["dunhua"], application=draft, data={"negative_list_clear": True}, expected_versions=loaded)
    domain.save_fields(actor=accounts["dunhua"], application=draft,
                       data={"aspects": {"3": "丙"}}, expected_versions=loaded)

    data = domain.load_data(draft)
    assert (data["name"], data["negative_list_clear"], data["aspects"]) == ("甲", True, {"3": "丙"})


# --- readiness, submit, withdraw --------------------------------------------------------------

def test_readiness_lists_missing_fields_and_evidence(accounts, draft):
    ready = domain.readiness(draft)

    messages = ready.messages()
    assert not ready.ready
    assert "基本情况：请填写集群名称" in messages
    assert "主要指标：请填写2024年的指标" in messages
    assert "发展情况：请填写第5方面“数字化转型效果明显”" in messages
    assert "佐证材料：请上传“统计部门出具的集群产值证明”" in messages


def test_submit_refused_with_list_of_missing(accounts, filled):
    with pytest.raises(DomainError) as exc:
        domain.submit(actor=accounts["dunhua"], application=filled)

    assert exc.value.message.startswith("还不能提交，缺少 5 项内容：佐证材料：请上传“统计部门出具的集群产值证明”")
    assert [e["field"] for e in exc.value.errors] == ["evidence.E01", "evidence.E02", "evidence.E09", "evidence.E11", "evidence.E12"]
    assert Application.objects.get(pk=filled.pk).status == Status.DRAFT


def test_submit_stores_immutable_snapshot(accounts, ready):
    version = domain.submit(actor=accounts["dunhua"], application=ready)

    ready.refresh_from_db()
    assert ready.status == Status.SUBMITTED and ready.current_version == 1
    assert version.data == {**dict.fromkeys(EXTRA_FIELDS), **complete_body()}
    assert len(version.evidence) == 5 and all(len(f["sha256"]) == 64 for f in version.evidence)
    assert len(version.digest) == 64
    with pytest.raises(AppendOnlyVersion):
        version.save()
    with pytest.raises(AppendOnlyVersion):
        version.delete()


def test_submit_twice_is_harmless(accounts, ready):
    first = domain.submit(actor=accounts["dunhua"], application=ready)
    second = domain.submit(actor=accounts["dunhua"], application=ready)

    assert first.pk == second.pk
    assert ApplicationVersion.objects.filter(application=ready).count() == 1
    assert AuditEvent.objects.filter(action="application.submitted").count() == 1


def test_edit_after_submission_refused(accounts, ready):
    domain.submit(actor=accounts["dunhua"], application=ready)

    with pytest.raises(Conflict, match="不能修改；如需修改请先撤回"):
        save(accounts["dunhua"], ready, name="偷偷改名")

    assert domain.load_data(ready)["name"] == "敦化市医药产业集群"


def test_withdraw_then_resubmit_makes_new_version(accounts, ready):
    domain.submit(actor=accounts["dunhua"], application=ready)
    domain.withdraw(actor=accounts["dunhua"], application=ready)
    save(accounts["dunhua"], ready, niche="现代中药")
    second = domain.submit(actor=accounts["dunhua"], application=ready)

    first = ApplicationVersion.objects.get(application=ready, number=1)
    assert second.number == 2 and second.data["niche"] == "现代中药"
    assert first.data["niche"] == "中成药" and first.withdrawn_at is not None


def test_withdraw_by_city_refused(accounts, ready):
    domain.submit(actor=accounts["dunhua"], application=ready)

    with pytest.raises(NotAllowed, match="只有申报单位的县级申报账号可以撤回"):
        domain.withdraw(actor=accounts["yanbian"], application=ready)


def test_submit_at_last_second_accepted_and_after_refused(accounts, ready):
    stage = Stage.objects.get(round=ready.round, code="county_submission")
    last_second = stage.closes_at.replace(microsecond=0)
    with time_machine.travel(last_second, tick=False):
        assert domain.submit(actor=accounts["dunhua"], application=ready).number == 1


def test_submit_one_second_late_refused(accounts, ready):
    stage = Stage.objects.get(round=ready.round, code="county_submission")
    with time_machine.travel(stage.closes_at + timedelta(microseconds=1), tick=False):
        with pytest.raises(Conflict) as exc:
            domain.submit(actor=accounts["dunhua"], application=ready)

    day = stage.deadline
    assert exc.value.message == f"已超过截止时间（{day.year}年{day.month}月{day.day}日24时），逾期不予受理"


def test_extension_lets_only_that_unit_submit_late(accounts, ready, round_open, make_user):
    from clusterdesk.applications.domain import create_application

    stage = Stage.objects.get(round=round_open, code="county_submission")
    yanji_app = create_application(actor=accounts["yanji"], round_=round_open)
    grant_extension(actor=accounts["province"], round_=round_open, stage_code="county_submission",
                    org=ready.org, closes_at=stage.closes_at + timedelta(days=2), reason="暴雪停电")
    with time_machine.travel(stage.closes_at + timedelta(days=1), tick=False):
        assert domain.submit(actor=accounts["dunhua"], application=ready).number == 1
        with pytest.raises(Conflict, match="逾期不予受理"):
            save(accounts["yanji"], yanji_app, name="延吉集群")


# --- scoping ----------------------------------------------------------------------------------

def test_visible_to_follows_org_scope(accounts, draft):
    assert list(Application.objects.visible_to(accounts["dunhua"])) == [draft]
    assert list(Application.objects.visible_to(accounts["yanbian"])) == [draft]
    assert list(Application.objects.visible_to(accounts["yanji"])) == []
    assert list(Application.objects.visible_to(accounts["tonghua"])) == []
    assert list(Application.objects.visible_to(accounts["province"])) == [draft]
    assert list(Application.objects.visible_to(accounts["expert"])) == []


def test_an_empty_enterprise_list_is_not_ticked_done(accounts, filled):
    """Issue 15 §10: the progress list ticked 优质企业 on an empty list."""
    from clusterdesk.applications.domain import readiness, save_fields

    assert readiness(filled).complete_sections["enterprises"] is True
    save_fields(actor=accounts["dunhua"], application=filled, data={"quality_enterprises": []})

    ready = readiness(filled)
    assert ready.complete_sections["enterprises"] is False
    assert "优质企业：请至少填写一家优质企业（名称、信用代码和资质）" in ready.messages()
