"""The province's side: publicity in working days, recognition, national selection, sending,
spot checks, and the province's pages."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clusterdesk.applications.models import Application, NationalStatus as N, Status
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.reviews import domain, province
from clusterdesk.reviews.models import NationalPick, PublicityEntry, RecommendationList, ReviewComment, SpotCheckFile
from clusterdesk.rounds.domain import update_round
from tests.conftest import PDF

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def propose(accounts, round_, apps, starts_on=date(2025, 9, 30), days=5):
    return province.propose_recognition(actor=accounts["province"], round_=round_, applications=apps,
                                        starts_on=starts_on, working_days=days, title="2025年度拟认定名单公示")


def statuses(apps) -> list[str]:
    return [Application.objects.get(pk=a.pk).status for a in apps]


def national(apps) -> list[str]:
    return [Application.objects.get(pk=a.pk).national_status for a in apps]


# --- working days ----------------------------------------------------------------------------

def test_add_working_days_skips_national_day_holiday():
    # 2025: 10-01..10-08 off (National Day + Mid-autumn), Saturday 10-11 a make-up working day.
    span = province.count_working_days(date(2025, 9, 30), 5)

    assert province.add_working_days(date(2025, 9, 30), 5) == date(2025, 10, 13)
    assert span.days == (date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11),
                         date(2025, 10, 13))
    assert span.note == ""


def test_add_working_days_counts_make_up_sunday():
    # Saturday 09-27 is a rest day (not counted); Sunday 09-28 is a make-up working day.
    assert province.count_working_days(date(2025, 9, 27), 5).days == (
        date(2025, 9, 28), date(2025, 9, 29), date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 10))


def test_add_working_days_start_on_holiday_not_counted():
    assert province.add_working_days(date(2025, 10, 1), 1) == date(2025, 10, 9)
    assert province.add_working_days(date(2025, 10, 9), 1) == date(2025, 10, 9)


def test_add_working_days_unknown_year_falls_back_to_weekdays():
    span = province.count_working_days(date(2030, 9, 30), 5)  # Monday; the calendar has no 2030 data

    assert span.ends_on == date(2030, 10, 4)  # Monday–Friday, National Day not known
    assert span.fallback_years == (2030,)
    assert "2030年按周一至周五计算工作日" in span.note


# --- publicity and recognition ---------------------------------------------------------------

def test_propose_recognition_moves_applications_to_publicity(accounts, round_open, passed):
    versions = [a.state_version for a in passed[:2]]

    batch = propose(accounts, round_open, passed[:2])

    assert batch.ends_on == date(2025, 10, 13)
    assert statuses(passed[:2]) == [Status.PUBLICITY, Status.PUBLICITY]
    assert [Application.objects.get(pk=a.pk).state_version for a in passed[:2]] == [v + 1 for v in versions]
    assert batch.entries.count() == 2
    assert AuditEvent.objects.filter(action="review.publicity_started").count() == 3  # the round + each application


def test_propose_recognition_refuses_application_not_initial_passed(accounts, round_open, passed):
    propose(accounts, round_open, passed[:1])

    with pytest.raises(Conflict, match="只有省厅初审通过的申报可以拟认定公示") as exc:
        propose(accounts, round_open, passed[:2])
    assert exc.value.field == "applications"
    assert Application.objects.get(pk=passed[1].pk).status == Status.INITIAL_PASSED  # nothing half-done


def test_propose_recognition_by_city_reviewer_refused(accounts, round_open, passed):
    with pytest.raises(NotAllowed, match="省厅管理员"):
        province.propose_recognition(actor=accounts["yanbian"], round_=round_open, applications=passed[:1],
                                     starts_on=date(2025, 9, 30), title="公示")


def test_propose_recognition_without_title_names_the_field(accounts, round_open, passed):
    with pytest.raises(DomainError, match="请填写公示名称") as exc:
        province.propose_recognition(actor=accounts["province"], round_=round_open, applications=passed[:1],
                                     starts_on=date(2025, 9, 30), title=" ")
    assert exc.value.field == "title"


def test_finalize_recognition_refused_before_end_allowed_after(accounts, round_open, passed):
    batch = propose(accounts, round_open, passed[:2])  # 2025-09-30 + 5 working days → 2025-10-13

    with time_machine.travel(at(2025, 10, 13, 23, 59), tick=False):
        with pytest.raises(Conflict, match="公示期至2025年10月13日，尚未期满"):
            province.finalize_recognition(actor=accounts["province"], batch=batch)
    assert statuses(passed[:2]) == [Status.PUBLICITY, Status.PUBLICITY]

    with time_machine.travel(at(2025, 10, 14, 0, 0, 1), tick=False):
        province.finalize_recognition(actor=accounts["province"], batch=batch)

    batch.refresh_from_db()
    assert batch.finalized_at is not None
    assert statuses(passed[:2]) == [Status.RECOGNIZED, Status.RECOGNIZED]
    assert AuditEvent.objects.filter(action="review.recognized").count() == 3


def test_finalize_upheld_objection_leads_to_not_recognized_with_reason(accounts, round_open, passed):
    batch = propose(accounts, round_open, passed[:2])
    entry = PublicityEntry.objects.get(batch=batch, application=passed[0])
    objection = province.record_objection(actor=accounts["province"], entry=entry, received_on=date(2025, 10, 9),
                                          submitted_by="某企业", content="集群产值数据与统计部门不一致")
    province.resolve_objection(actor=accounts["province"], objection=objection, upheld=True,
                               resolution="经核查，2024年产值虚报，异议成立")

    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))

    entry.refresh_from_db()
    assert (entry.outcome, entry.reason) == (Status.NOT_RECOGNIZED, "经核查，2024年产值虚报，异议成立")
    assert statuses(passed[:2]) == [Status.NOT_RECOGNIZED, Status.RECOGNIZED]
    assert ReviewComment.objects.get(application=passed[0]).text == "未予认定：经核查，2024年产值虚报，异议成立"


def test_finalize_unresolved_objection_blocks(accounts, round_open, passed):
    batch = propose(accounts, round_open, passed[:1])
    entry = batch.entries.get()
    province.record_objection(actor=accounts["province"], entry=entry, received_on=date(2025, 10, 9),
                              submitted_by="匿名", content="运营主体未实际运营")

    with pytest.raises(Conflict, match="尚有未处理的异议"):
        province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))
    assert statuses(passed[:1]) == [Status.PUBLICITY]


def test_resolve_objection_without_resolution_refused(accounts, round_open, passed):
    batch = propose(accounts, round_open, passed[:1])
    objection = province.record_objection(actor=accounts["province"], entry=batch.entries.get(),
                                          received_on=date(2025, 10, 9), submitted_by="匿名", content="异议")

    with pytest.raises(DomainError, match="请填写处理意见") as exc:
        province.resolve_objection(actor=accounts["province"], objection=objection, upheld=False, resolution="  ")
    assert exc.value.field == "resolution"


def test_record_objection_before_publicity_start_refused(accounts, round_open, passed):
    batch = propose(accounts, round_open, passed[:1])

    with pytest.raises(DomainError, match="收到日期不能早于公示开始日期") as exc:
        province.record_objection(actor=accounts["province"], entry=batch.entries.get(),
                                  received_on=date(2025, 9, 1), submitted_by="匿名", content="异议")
    assert exc.value.field == "received_on"


# --- national selection ----------------------------------------------------------------------

def picks(*apps, reasons=None, ranks=None):
    reasons = reasons or {}
    out = []
    for i, a in enumerate(apps):
        item = {"application": a.pk, "reason": reasons.get(a.pk, "")}
        if ranks:
            item["rank"] = ranks[i]
        out.append(item)
    return out


def select(accounts, round_, *apps, **kw):
    return province.select_national(actor=accounts["province"], round_=round_, picks=picks(*apps, **kw))


def test_national_candidates_are_flagged_and_ordered_by_score(round_open, passed, expert_scores):
    a, b, c, d, unflagged = passed
    expert_scores({a: 80, b: 92, c: 85})

    rows = province.national_candidates(round_open)

    assert [r.application.pk for r in rows] == [b.pk, c.pk, a.pk, d.pk]  # unscored last; unflagged absent
    assert [str(r.score) if r.score is not None else None for r in rows] == ["92", "85", "80", None]
    assert all(r.selectable for r in rows)


def test_select_national_over_quota_refused(accounts, round_open, passed):
    update_round(actor=accounts["province"], round_=round_open, national_quota=2)

    with pytest.raises(Conflict, match="超出国家级推荐名额（2个）"):
        select(accounts, round_open, *passed[:3])
    assert not NationalPick.objects.exists()
    assert statuses(passed[:3]) == [Status.INITIAL_PASSED] * 3


def test_select_national_over_default_quota_of_eight_refused_whole(accounts, round_open, passed):
    nine = [{"application": passed[i % 4].pk + 1000 * i, "reason": ""} for i in range(9)]

    with pytest.raises(Conflict, match="超出国家级推荐名额（8个）"):
        province.select_national(actor=accounts["province"], round_=round_open, picks=nine)


def test_select_national_unflagged_pick_refused(accounts, round_open, passed):
    with pytest.raises(Conflict, match="该申报未被市州标注同步推荐国家级") as exc:
        select(accounts, round_open, passed[0], passed[4])
    assert exc.value.field == f"picks.{passed[4].pk}"


def test_select_national_skipping_higher_score_without_reason_refused(accounts, round_open, passed, expert_scores):
    a, b, c, d, _ = passed
    expert_scores({a: 90, b: 85, c: 80, d: 70})

    with pytest.raises(DomainError, match="调整排序须说明理由") as exc:
        select(accounts, round_open, a, c)  # b (85) left out while c (80) is chosen
    assert exc.value.field == f"picks.{c.pk}.reason"


def test_select_national_skipping_higher_score_with_reason_accepted(accounts, round_open, passed, expert_scores):
    a, b, c, d, _ = passed
    expert_scores({a: 90, b: 85, c: 80, d: 70})

    select(accounts, round_open, a, c, reasons={c.pk: "属吉政发〔2023〕13号重点子集群，细分领域全国领先"})

    rows = list(NationalPick.objects.order_by("rank").values_list("application_id", "rank", "override_reason"))
    assert rows == [(a.pk, 1, ""), (c.pk, 2, "属吉政发〔2023〕13号重点子集群，细分领域全国领先")]
    assert national([a, b, c]) == [N.SELECTED, N.CANDIDATE, N.SELECTED]
    assert statuses([a, b, c]) == [Status.INITIAL_PASSED] * 3  # the provincial track is untouched
    assert AuditEvent.objects.filter(action="review.national_selected", object_type="rounds.round").count() == 1


def test_select_national_rank_against_score_needs_reason(accounts, round_open, passed, expert_scores):
    a, b, c, d, _ = passed
    expert_scores({a: 90, b: 85, c: 80, d: 70})

    with pytest.raises(DomainError, match="调整排序须说明理由") as exc:
        select(accounts, round_open, a, b, c, d, ranks=[2, 1, 3, 4])  # b ranked ahead of a
    assert exc.value.field == f"picks.{b.pk}.reason"

    select(accounts, round_open, a, b, c, d, ranks=[2, 1, 3, 4], reasons={b.pk: "国家级专精特新小巨人数量最多"})
    ranked = NationalPick.objects.order_by("rank").values_list("application_id", flat=True)
    assert list(ranked) == [b.pk, a.pk, c.pk, d.pk]


def test_select_national_unranked_picks_follow_ranked_ones(accounts, round_open, passed):
    a, b, c, d, _ = passed  # no expert scores: every order is acceptable

    select(accounts, round_open, a, b, c, ranks=[None, 1, None])

    ranked = NationalPick.objects.order_by("rank").values_list("application_id", "rank")
    assert list(ranked) == [(b.pk, 1), (a.pk, 2), (c.pk, 3)]


def test_mark_national_sent_over_lowered_quota_refused(accounts, round_open, passed):
    select(accounts, round_open, *passed[:3])
    update_round(actor=accounts["province"], round_=round_open, national_quota=2)

    with pytest.raises(Conflict, match="超出国家级推荐名额（2个）"):
        province.mark_national_sent(actor=accounts["province"], round_=round_open)


def test_select_national_in_score_order_needs_no_reason(accounts, round_open, passed, expert_scores):
    a, b, c, d, _ = passed
    expert_scores({a: 90, b: 85, c: 80, d: 70})

    select(accounts, round_open, a, b)

    assert NationalPick.objects.count() == 2


def test_select_national_again_replaces_unsent_selection(accounts, round_open, passed, expert_scores):
    a, b, c, d, _ = passed
    expert_scores({a: 90, b: 90, c: 90, d: 90})
    select(accounts, round_open, a, b)

    select(accounts, round_open, b, c)

    assert list(NationalPick.objects.order_by("rank").values_list("application_id", flat=True)) == [b.pk, c.pk]
    assert national([a, b, c]) == [N.CANDIDATE, N.SELECTED, N.SELECTED]
    assert AuditEvent.objects.filter(action="review.national_deselected", object_id=str(a.pk)).exists()


def test_select_national_dropped_recognized_application_returns_to_recognized(accounts, round_open, passed):
    a = passed[0]
    batch = propose(accounts, round_open, [a])
    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))
    select(accounts, round_open, a)

    province.select_national(actor=accounts["province"], round_=round_open, picks=[])

    assert statuses([a]) == [Status.RECOGNIZED]
    assert national([a]) == [N.CANDIDATE]


def test_select_national_under_publicity_keeps_the_publicity(accounts, round_open, passed):
    """同步推荐: picking a candidate at 公示 leaves the provincial track in publicity."""
    batch = propose(accounts, round_open, passed[:1])

    select(accounts, round_open, passed[0])

    assert (statuses(passed[:1]), national(passed[:1])) == ([Status.PUBLICITY], [N.SELECTED])
    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))
    assert (statuses(passed[:1]), national(passed[:1])) == ([Status.RECOGNIZED], [N.SELECTED])


def test_select_national_at_initial_pass_does_not_skip_publicity(accounts, round_open, passed):
    """Selected for national at 初审通过, it can still be proposed for provincial recognition."""
    a = passed[0]
    select(accounts, round_open, a)

    batch = propose(accounts, round_open, [a])

    assert PublicityEntry.objects.filter(batch=batch, application=a).exists()
    assert (statuses([a]), national([a])) == ([Status.PUBLICITY], [N.SELECTED])


def test_national_recognition_during_publicity_ends_both_tracks(accounts, round_open, passed):
    """MIIT recognises the cluster while its provincial publicity runs: both tracks end
    recognised and the registry holds one national entry."""
    from clusterdesk.registry.models import Cluster, Level

    a = passed[0]
    select(accounts, round_open, a)
    province.mark_national_sent(actor=accounts["province"], round_=round_open)
    batch = propose(accounts, round_open, [a])
    app = Application.objects.get(pk=a.pk)
    domain.perform(actor=accounts["province"], application=app, action="ministry_recognized",
                   inputs={"document_number": "工信部企业函〔2025〕300号", "date": "2025-11-20"},
                   expected_state_version=app.state_version)
    assert (statuses([a]), national([a])) == ([Status.PUBLICITY], [N.RECOGNIZED])

    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))

    assert (statuses([a]), national([a])) == ([Status.RECOGNIZED], [N.RECOGNIZED])
    cluster = Cluster.objects.get()
    assert cluster.level == Level.NATIONAL


def test_unflagged_application_is_no_national_candidate(accounts, round_open, passed):
    unflagged = [a for a in passed if not a.national_flag]
    assert unflagged and national(unflagged) == [N.NONE] * len(unflagged)
    with pytest.raises(Conflict, match="未被市州标注同步推荐国家级"):
        select(accounts, round_open, unflagged[0])


def test_reopening_initial_review_withdraws_candidate_but_not_a_selected_one(accounts, round_open, passed):
    a, b = passed[0], passed[1]
    select(accounts, round_open, b)
    domain.perform(actor=accounts["province"], application=Application.objects.get(pk=a.pk),
                   action="province_reopen", inputs={"comment": "补充抽查"})
    assert (statuses([a]), national([a])) == ([Status.FORMAL], [N.NONE])
    with pytest.raises(Conflict, match="已列入国家级推荐名单"):
        domain.perform(actor=accounts["province"], application=Application.objects.get(pk=b.pk),
                       action="province_reopen", inputs={"comment": "补充抽查"})


def test_upheld_objection_stops_national_sending(accounts, round_open, passed, login):
    a = passed[0]
    select(accounts, round_open, a)
    batch = propose(accounts, round_open, [a])
    entry = batch.entries.get()
    objection = province.record_objection(actor=accounts["province"], entry=entry, received_on=batch.starts_on,
                                          submitted_by="匿名", content="产值数据不实")
    province.resolve_objection(actor=accounts["province"], objection=objection, upheld=True, resolution="核实属实")
    province.finalize_recognition(actor=accounts["province"], batch=batch, now=at(2025, 10, 20, 9))

    with pytest.raises(Conflict, match="省级认定已终止"):
        province.mark_national_sent(actor=accounts["province"], round_=round_open)


def test_mark_national_sent_moves_picks_and_ministry_outcome_follows(accounts, round_open, passed):
    select(accounts, round_open, passed[0], passed[1])

    province.mark_national_sent(actor=accounts["province"], round_=round_open)

    assert national(passed[:2]) == [N.SENT, N.SENT]
    assert statuses(passed[:2]) == [Status.INITIAL_PASSED, Status.INITIAL_PASSED]
    assert NationalPick.objects.filter(sent_at__isnull=True).count() == 0
    with pytest.raises(Conflict, match="不能再修改"):
        select(accounts, round_open, passed[0])
    app = domain.perform(actor=accounts["province"], application=passed[0], action="ministry_recognized")
    assert (app.status, app.national_status) == (Status.INITIAL_PASSED, N.RECOGNIZED)


def test_mark_national_sent_after_deadline_refused(accounts, round_open, passed):
    select(accounts, round_open, passed[0])
    deadline = round_open.stages.get(code="national_recommendation").closes_at

    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        with pytest.raises(Conflict, match="已超过截止时间"):
            province.mark_national_sent(actor=accounts["province"], round_=round_open)
    assert national(passed[:1]) == [N.SELECTED]


# --- spot checks -----------------------------------------------------------------------------

def spot_post(client, app, **extra):
    data = {"checked_on": "2025-06-03", "people": "王处长、李科长（省工信厅）", "findings": "现场核实运营主体在运营，产值与统计证明一致。",
            **extra}
    return client.post(reverse("spot_checks", args=[app.pk]), data)


def test_spot_check_file_stored_and_downloadable_by_province_only(accounts, passed, login, client, settings):
    app = passed[0]
    photo = SimpleUploadedFile("现场照片.pdf", PDF, content_type="application/pdf")
    response = spot_post(login(accounts["province"]), app, files=[photo])
    assert response.status_code == 302

    stored = SpotCheckFile.objects.get()
    assert stored.stored_name.startswith(f"spotchecks/{app.pk}/")
    assert (settings.PRIVATE_MEDIA_ROOT / stored.stored_name).read_bytes() == PDF
    assert AuditEvent.objects.filter(action="review.spot_check", object_id=str(app.pk)).exists()
    url = reverse("spot_check_file", args=[stored.pk])
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    assert login(accounts["leader"]).get(url).status_code == 200
    for seat in ("yanbian", "dunhua", "expert", "tonghua"):  # province-only: to others it does not exist
        assert login(accounts[seat]).get(url).status_code == 404
    assert login(accounts["yanbian"]).get(reverse("spot_checks", args=[app.pk])).status_code == 403
    assert login(accounts["tonghua"]).get(reverse("spot_checks", args=[app.pk])).status_code == 404  # out of scope


def test_application_page_shows_spot_checks_to_province_only(accounts, passed, login):
    app = passed[0]
    province.add_spot_check(actor=accounts["province"], application=app, checked_on=date(2025, 6, 3),
                            people="王处长", findings="运营主体在运营",
                            files=[SimpleUploadedFile("记录.pdf", PDF)])
    url = reverse("application_detail", args=[app.pk])

    page = login(accounts["province"]).get(url).content.decode()
    assert "运营主体在运营" in page and 'data-testid="spot-check-form"' in page
    assert reverse("spot_check_file", args=[SpotCheckFile.objects.get().pk]) in page
    page = login(accounts["leader"]).get(url).content.decode()
    assert "运营主体在运营" in page and 'data-testid="spot-check-form"' not in page
    assert "运营主体在运营" not in login(accounts["yanbian"]).get(url).content.decode()


def test_spot_check_refuses_executable_file(accounts, passed):
    exe = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00" + b"\x00" * 64)

    with pytest.raises(DomainError, match="可执行程序") as exc:
        province.add_spot_check(actor=accounts["province"], application=passed[0], checked_on=date(2025, 6, 3),
                                people="王处长", findings="情况", files=[exe])
    assert exc.value.field == "files"
    assert not SpotCheckFile.objects.exists()


def test_spot_check_without_findings_shows_error_and_keeps_input(accounts, passed, login):
    response = spot_post(login(accounts["province"]), passed[0], findings="")

    assert response.status_code == 400
    assert "请填写发现的情况" in response.content.decode()
    assert "王处长、李科长（省工信厅）" in response.content.decode()
    page = response.content.decode()  # the error sits under the findings box, not atop the form
    assert page.index('id="spot-findings"') < page.index(' id="error-spot-findings"') < page.index(">登记</button>")


def test_spot_check_by_leader_refused(accounts, passed):
    with pytest.raises(NotAllowed):
        province.add_spot_check(actor=accounts["leader"], application=passed[0], checked_on=date(2025, 6, 3),
                                people="王处长", findings="情况")


# --- pages -----------------------------------------------------------------------------------

def overview_queries(client, round_) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("province_overview", args=[round_.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_overview_query_count_same_for_1_and_30_applications(accounts, round_open, login):
    from clusterdesk.applications.domain import create_application

    client = login(accounts["province"])
    create_application(actor=accounts["dunhua"], round_=round_open)
    one = overview_queries(client, round_open)

    seats = ["dunhua", "yanji", "tonghua_county", "meihekou"]
    for i in range(29):
        create_application(actor=accounts[seats[i % 4]], round_=round_open)
    Application.objects.filter(org__code="222401").update(status=Status.SUBMITTED)  # shortcut: vary the statuses
    thirty = overview_queries(client, round_open)

    assert Application.objects.count() == 30
    assert one == thirty


def test_overview_forbidden_for_city_reviewer(accounts, round_open, login):
    assert login(accounts["yanbian"]).get(reverse("province_overview", args=[round_open.pk])).status_code == 403


def test_overview_shows_lists_and_receipt(accounts, round_open, passed, login, client):
    lst = RecommendationList.objects.get(org=accounts["yanbian"].org, kind="formal")
    page = login(accounts["leader"]).get(reverse("province_overview", args=[round_open.pk])).content.decode()
    assert page.count('data-state="done"') == 4  # two cities × (name list, formal)
    assert 'data-state="missed"' not in page
    assert reverse("letter_download", args=[lst.pk]) in page
    assert reverse("list_receive", args=[lst.pk]) not in page  # the leader reads only
    assert "<svg" in page and "省厅初审" in page

    client = login(accounts["province"])
    page = client.get(reverse("province_overview", args=[round_open.pk])).content.decode()
    assert reverse("list_receive", args=[lst.pk]) in page
    assert client.post(reverse("list_receive", args=[lst.pk])).status_code == 302
    lst.refresh_from_db()
    assert lst.received_at is not None
    assert login(accounts["leader"]).post(reverse("list_receive", args=[lst.pk])).status_code == 403


def test_selection_page_has_live_quota_counter(accounts, round_open, passed, login):
    select(accounts, round_open, passed[0])

    page = login(accounts["province"]).get(reverse("national_selection", args=[round_open.pk])).content.decode()

    assert "data-quota-counter" in page and 'data-quota="8"' in page
    assert "已选 <span data-count>1</span> / 8" in page
    assert "js/selection.js" in page
    assert "标记已报送工信部" in page


def test_selection_page_post_out_of_order_shows_error_on_row(accounts, round_open, passed, login, expert_scores):
    a, b, c, d, _ = passed
    expert_scores({a: 90, b: 85, c: 80, d: 70})
    client = login(accounts["province"])

    response = client.post(reverse("national_selection", args=[round_open.pk]),
                           {"action": "select", "pick": [str(a.pk), str(c.pk)], f"reason_{c.pk}": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert "调整排序须说明理由" in page
    # the error sits on its row and is marked for js/app.js to scroll into view and focus
    assert re.search(r'<p class="error" role="alert" tabindex="-1" data-error-here data-testid="selection-error">[^<]*调整排序须说明理由', page)
    response = client.post(reverse("national_selection", args=[round_open.pk]),
                           {"action": "select", "pick": [str(a.pk), str(c.pk)], f"reason_{c.pk}": "重点子集群"})
    assert response.status_code == 302
    assert NationalPick.objects.count() == 2


def test_publicity_page_proposes_and_finalizes(accounts, round_open, passed, login):
    client = login(accounts["province"])
    url = reverse("publicity", args=[round_open.pk])
    assert "敦化市医药产业集群" in client.get(url).content.decode()

    response = client.post(url, {"action": "propose", "applications": [str(passed[0].pk)], "title": "拟认定名单公示",
                                 "starts_on": "2025-09-30", "working_days": "5"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "2025年10月13日" in page and "公示期满，认定" in page

    batch = PublicityEntry.objects.get(application=passed[0]).batch
    assert client.post(url, {"action": "finalize", "target": str(batch.pk)}).status_code == 302
    assert statuses(passed[:1]) == [Status.RECOGNIZED]


def test_home_panel_for_province_admin(accounts, round_open, passed, login):
    page = login(accounts["province"]).get(reverse("home")).content.decode()

    assert "省厅审核" in page and "正式推荐：已报送 / 应报送单位" in page
    assert reverse("province_overview", args=[round_open.pk]) in page


def test_publicity_page_finalize_before_end_shows_error(accounts, round_open, passed, login):
    today = timezone.localdate()
    batch = propose(accounts, round_open, passed[:1], starts_on=today)
    client = login(accounts["province"])

    response = client.post(reverse("publicity", args=[round_open.pk]), {"action": "finalize", "target": str(batch.pk)})

    assert response.status_code == 409
    assert "尚未期满" in response.content.decode()
    assert statuses(passed[:1]) == [Status.PUBLICITY]


def test_publicity_page_read_only_for_leader(accounts, round_open, passed, login):
    client = login(accounts["leader"])
    url = reverse("publicity", args=[round_open.pk])

    page = client.get(url).content.decode()
    assert "敦化市医药产业集群" in page and "拟认定并开始公示" not in page
    response = client.post(url, {"action": "propose", "applications": [str(passed[0].pk)], "title": "公示",
                                 "starts_on": "2025-09-30", "working_days": "5"})
    assert response.status_code == 403


def test_api_application_carries_both_tracks(accounts, round_open, passed, client, api_token):
    a = passed[0]
    select(accounts, round_open, a)

    body = client.get(f"/api/v1/applications/{a.pk}", **api_token(accounts["province"])).json()
    listed = client.get(f"/api/v1/applications?national_status=selected", **api_token(accounts["province"])).json()

    assert (body["status"], body["national_status"]) == ("initial_passed", "selected")
    assert body["national_status_label"] == "拟推荐国家级"
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [i["id"] for i in items] == [a.pk]


def test_api_action_without_state_version_is_400(accounts, passed, client, api_token):
    response = client.post(f"/api/v1/applications/{passed[0].pk}/actions/province_reopen", {"comment": "补充材料"},
                           content_type="application/json", **api_token(accounts["province"]))

    assert response.status_code == 400
    assert "state_version" in response.json()["detail"]
    assert Application.objects.get(pk=passed[0].pk).status == Status.INITIAL_PASSED


def test_api_ministry_outcome_on_unsent_application_is_409(accounts, passed, client, api_token):
    app = passed[0]
    response = client.post(f"/api/v1/applications/{app.pk}/actions/ministry_recognized",
                           {"state_version": app.state_version}, content_type="application/json",
                           **api_token(accounts["province"]))

    assert response.status_code == 409
    assert "国家级候选" in response.json()["detail"]


def test_reason_against_expert_scores_hidden_from_county_and_city(accounts, round_open, passed, expert_scores,
                                                                   client):
    """Issue 13 §1: the reason for ranking against the expert scores says how the experts scored."""
    from clusterdesk.reviews.domain import timeline

    a, b, c, d, _ = passed
    expert_scores({a: 90, b: 85, c: 80, d: 70})
    select(accounts, round_open, a, c, reasons={c.pk: "专家评分低于乙集群，但属重点子集群"})
    app = Application.objects.get(pk=c.pk)

    def selected(viewer):
        return next(e for e in timeline(app, viewer=viewer) if e.action == "review.national_selected")

    assert selected(accounts["province"]).after["reason"] == "专家评分低于乙集群，但属重点子集群"
    county = app.created_by
    city = next(u for u in accounts.values() if u.role == "city_reviewer" and u.org_id == app.org.recommender_id)
    for viewer in (county, city):
        event = selected(viewer)
        assert "reason" not in event.after and event.after["rank"] == 2


def test_publicity_page_refused_objection_shows_on_its_entry_marked_to_scroll(accounts, round_open, passed, login):
    """Issue 15 §3: the refusal sits in the entry's own form, with what was typed, and carries the
    marker js/app.js scrolls into view (not an alert at the top of a long page)."""
    today = timezone.localdate()
    batch = propose(accounts, round_open, passed[:1], starts_on=today)
    entry = batch.entries.get()
    client = login(accounts["province"])

    response = client.post(reverse("publicity", args=[round_open.pk]), {
        "action": "objection", "target": str(entry.pk), "received_on": str(today - timedelta(days=3)),
        "submitted_by": "某企业", "content": "产值数据有误"})

    page = response.content.decode()
    assert response.status_code in (400, 409)
    assert re.search(r'<p class="error" role="alert" tabindex="-1" data-error-here data-testid="objection-error">'
                     r'收到日期不能早于公示开始日期', page)
    form = page[page.index('data-testid="objection-form"'):]
    form = form[:form.index("</form>")]
    assert 'value="某企业"' in form and "产值数据有误</textarea>" in form and 'data-error-here' in form
    assert PublicityEntry.objects.get(pk=entry.pk).objections.count() == 0
