"""Rounds: deadline semantics, per-unit extensions, the checklist, sub-cluster import."""

import io
from datetime import date, datetime, timezone

import pytest
import time_machine

from clusterdesk.audit.models import AuditEvent
from clusterdesk.catalog.domain import CatalogFileError, import_subclusters
from clusterdesk.catalog.models import SubCluster
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.rounds.domain import (
    check_open,
    create_round,
    grant_extension,
    parse_criteria_sets,
    remove_checklist_item,
    save_checklist_item,
    update_round,
)
from clusterdesk.rounds.models import SHANGHAI, Round

from .conftest import DEADLINES

LATE = "已超过截止时间（2025年4月10日24时），逾期不予受理"


# --- Deadlines ---------------------------------------------------------------------------------

def test_check_open_at_last_second_of_deadline_day_passes(round_2025, accounts):
    with time_machine.travel(datetime(2025, 4, 10, 23, 59, 59, tzinfo=SHANGHAI), tick=False):
        check_open(round_2025, "name_list", accounts["tonghua"].org)


def test_check_open_at_midnight_after_deadline_refuses_with_exact_text(round_2025, accounts):
    with time_machine.travel(datetime(2025, 4, 11, 0, 0, 0, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(Conflict) as refused:
            check_open(round_2025, "name_list", accounts["tonghua"].org)

    assert refused.value.message == LATE
    assert refused.value.status == 409


def test_check_open_uses_beijing_time_not_utc(round_2025, accounts):
    # 16:00 UTC on the deadline day is already midnight of the next day in Beijing.
    with time_machine.travel(datetime(2025, 4, 10, 16, 0, 0, tzinfo=timezone.utc), tick=False):
        with pytest.raises(Conflict):
            check_open(round_2025, "name_list", accounts["tonghua"].org)


def test_extension_lets_only_that_unit_act_after_deadline(round_2025, accounts, jilin):
    grant_extension(
        actor=accounts["province"], round_=round_2025, stage_code="county_submission", org=jilin["220521"],
        closes_at=datetime(2025, 4, 3, 23, 59, 59, 999999, tzinfo=SHANGHAI), reason="系统故障，经请示同意延期",
    )

    with time_machine.travel(datetime(2025, 4, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        check_open(round_2025, "county_submission", jilin["220521"])  # 通化县: extended
        with pytest.raises(Conflict) as refused:
            check_open(round_2025, "county_submission", jilin["220523"])  # 辉南县, same city: not

    assert refused.value.message == "已超过截止时间（2025年3月31日24时），逾期不予受理"


def test_extension_ends_at_its_own_time(round_2025, accounts, jilin):
    grant_extension(
        actor=accounts["province"], round_=round_2025, stage_code="name_list", org=jilin["220500"],
        closes_at=datetime(2025, 4, 12, 18, 0, tzinfo=SHANGHAI), reason="材料补正",
    )

    with time_machine.travel(datetime(2025, 4, 12, 18, 0, 1, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(Conflict) as refused:
            check_open(round_2025, "name_list", jilin["220500"])

    assert refused.value.message == "已超过截止时间（2025年4月12日 18:00），逾期不予受理"


def test_extension_not_later_than_deadline_refused(round_2025, accounts, jilin):
    with pytest.raises(DomainError) as refused:
        grant_extension(
            actor=accounts["province"], round_=round_2025, stage_code="name_list", org=jilin["220500"],
            closes_at=datetime(2025, 4, 10, 20, 0, tzinfo=SHANGHAI), reason="材料补正",
        )

    assert refused.value.field == "closes_at"
    assert refused.value.message == "延期时间应晚于原截止时间（2025年4月10日24时）"


def test_extension_without_reason_refused(round_2025, accounts, jilin):
    with pytest.raises(DomainError) as refused:
        grant_extension(
            actor=accounts["province"], round_=round_2025, stage_code="name_list", org=jilin["220500"],
            closes_at=datetime(2025, 4, 15, 23, 59, 59, tzinfo=SHANGHAI), reason="  ",
        )

    assert refused.value.field == "reason"
    assert "延期原因" in refused.value.message


def test_extension_by_city_reviewer_refused(round_2025, accounts, jilin):
    with pytest.raises(NotAllowed):
        grant_extension(
            actor=accounts["tonghua"], round_=round_2025, stage_code="name_list", org=jilin["220500"],
            closes_at=datetime(2025, 4, 15, tzinfo=SHANGHAI), reason="自己延期",
        )


# --- Creating and changing rounds -------------------------------------------------------------

def test_create_round_with_stages_out_of_order_refused(accounts):
    with pytest.raises(DomainError) as refused:
        create_round(
            actor=accounts["province"], name="2025年度", year=2025,
            deadlines={**DEADLINES, "formal_submission": date(2025, 4, 1)},
        )

    assert refused.value.field == "stages.formal_submission"
    assert "不能早于" in refused.value.message
    assert not Round.objects.exists()


def test_update_round_moving_one_stage_before_previous_refused(round_2025, accounts):
    with pytest.raises(DomainError) as refused:
        update_round(actor=accounts["province"], round_=round_2025, deadlines={"name_list": date(2025, 3, 1)})

    assert refused.value.field == "stages.name_list"
    assert round_2025.stages.get(code="name_list").deadline == date(2025, 4, 10)


def test_create_round_by_city_reviewer_refused(accounts):
    with pytest.raises(NotAllowed) as refused:
        create_round(actor=accounts["tonghua"], name="2025年度", year=2025, deadlines=DEADLINES)

    assert refused.value.message == "只有省厅管理员可以管理申报批次"


def test_draft_round_hidden_from_city_and_county_open_round_visible(accounts):
    draft = create_round(actor=accounts["province"], name="2026年度", year=2026, status="draft", deadlines={})
    opened = create_round(actor=accounts["province"], name="2025年度", year=2025, status="open", deadlines=DEADLINES)

    for who in ("tonghua", "dunhua"):
        assert list(Round.objects.visible_to(accounts[who])) == [opened]
    assert set(Round.objects.visible_to(accounts["province"])) == {draft, opened}
    assert set(Round.objects.visible_to(accounts["leader"])) == {draft, opened}


def test_parse_criteria_sets_reads_codes_with_versions():
    assert parse_criteria_sets("national-2022@1, jilin-provincial-2024@2") == [
        {"code": "national-2022", "version": 1}, {"code": "jilin-provincial-2024", "version": 2},
    ]
    assert parse_criteria_sets("") == []


@pytest.mark.parametrize("text", ["national-2022", "national-2022@v1", "@1", "a@1, a@2"])
def test_parse_criteria_sets_malformed_refused(text):
    with pytest.raises(DomainError) as refused:
        parse_criteria_sets(text)

    assert refused.value.field == "criteria_sets"


# --- Checklist ---------------------------------------------------------------------------------

def test_new_round_gets_default_checklist(round_2025):
    codes = list(round_2025.checklist.values_list("code", flat=True))

    assert codes[:3] == ["E01", "E02", "E03"] and len(codes) == 12


def test_save_checklist_item_adds_and_audits(round_2025, accounts):
    item = save_checklist_item(
        actor=accounts["province"], round_=round_2025, code="E13", title="集群品牌证明", required=True,
        allowed_types=["ofd", "pdf", "pdf"], order=13,
    )

    assert item.allowed_types == ["pdf", "ofd"]
    event = AuditEvent.objects.filter(action="round.checklist_changed").get()
    assert event.before is None and event.after["code"] == "E13"


def test_save_checklist_item_same_code_updates(round_2025, accounts):
    save_checklist_item(
        actor=accounts["province"], round_=round_2025, code="E03", title="研发投入专项审计报告", required=True,
        allowed_types=["pdf"], order=3,
    )

    item = round_2025.checklist.get(code="E03")
    assert (item.title, item.required, item.allowed_types) == ("研发投入专项审计报告", True, ["pdf"])
    assert round_2025.checklist.count() == 12


def test_save_checklist_item_unknown_file_type_refused(round_2025, accounts):
    with pytest.raises(DomainError) as refused:
        save_checklist_item(
            actor=accounts["province"], round_=round_2025, code="E13", title="视频", required=False,
            allowed_types=["pdf", "mp4"], order=13,
        )

    assert refused.value.field == "allowed_types"
    assert "mp4" in refused.value.message
    assert not round_2025.checklist.filter(code="E13").exists()


def test_save_checklist_item_no_file_type_refused(round_2025, accounts):
    with pytest.raises(DomainError) as refused:
        save_checklist_item(
            actor=accounts["province"], round_=round_2025, code="E13", title="视频", required=False,
            allowed_types=[], order=13,
        )

    assert refused.value.field == "allowed_types"


def test_save_checklist_item_by_county_refused(round_2025, accounts):
    with pytest.raises(NotAllowed):
        save_checklist_item(
            actor=accounts["dunhua"], round_=round_2025, code="E13", title="x", required=False,
            allowed_types=["pdf"], order=13,
        )


def test_remove_checklist_item_deletes_and_audits(round_2025, accounts):
    remove_checklist_item(actor=accounts["province"], round_=round_2025, code="E10")

    assert not round_2025.checklist.filter(code="E10").exists()
    event = AuditEvent.objects.filter(action="round.checklist_changed").get()
    assert event.before["code"] == "E10" and event.after is None


def test_remove_checklist_item_unknown_code_refused(round_2025, accounts):
    with pytest.raises(DomainError) as refused:
        remove_checklist_item(actor=accounts["province"], round_=round_2025, code="E99")

    assert refused.value.status == 404 and "E99" in refused.value.message


# --- Sub-cluster catalogue ----------------------------------------------------------------------

CSV = "编号,名称,所属产业,备注\n01,长春汽车零部件子集群,汽车,\n02,敦化中成药子集群,医药健康,示例\n"


def test_import_subclusters_from_csv(db):
    result = import_subclusters(CSV.encode("utf-8"), "subclusters.csv")

    assert result == {"created": 2, "updated": 0}
    assert list(SubCluster.objects.values_list("code", "name", "chain", "note")) == [
        ("01", "长春汽车零部件子集群", "汽车", ""), ("02", "敦化中成药子集群", "医药健康", "示例"),
    ]


def test_import_subclusters_from_gbk_csv(db):
    import_subclusters(CSV.encode("gb18030"), "subclusters.csv")

    assert SubCluster.objects.get(code="02").name == "敦化中成药子集群"


def test_import_subclusters_from_xlsx(db):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "名称", "所属产业", "备注"])
    sheet.append(["A01", "长春汽车零部件子集群", "汽车", None])
    sheet.append(["A02", "吉林碳纤维子集群", "化工", "新增"])
    buffer = io.BytesIO()
    book.save(buffer)

    result = import_subclusters(buffer.getvalue(), "subclusters.xlsx")

    assert result == {"created": 2, "updated": 0}
    assert SubCluster.objects.get(code="A02").chain == "化工"


def test_import_subclusters_duplicate_code_refused_with_line_and_nothing_imported(db):
    raw = (CSV + "01,重复的子集群,汽车,\n").encode("utf-8")

    with pytest.raises(CatalogFileError) as refused:
        import_subclusters(raw, "subclusters.csv")

    assert refused.value.message == "第4行：编号“01”与第2行重复"
    assert not SubCluster.objects.exists()


def test_one_deadline_wording_everywhere():
    """Issue 15 §10: "2025年4月10日 23:59:59" everywhere → "2025年4月10日24时" (an extension to
    another time keeps its hour and minute)."""
    from clusterdesk.core.workflow import _format
    from clusterdesk.rounds.domain import format_deadline
    from clusterdesk.rounds.models import SHANGHAI, end_of_day

    end = end_of_day(date(2025, 4, 10))
    assert format_deadline(end) == "2025年4月10日24时" == _format(end)
    assert format_deadline(datetime(2025, 4, 12, 17, 30, tzinfo=SHANGHAI)) == "2025年4月12日 17:30"


def test_no_template_or_form_words_a_deadline_as_23_59_59():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "clusterdesk"
    offenders = [str(p) for p in root.rglob("*.html") if "23:59:59" in p.read_text(encoding="utf-8")
                 or 'H:i:s"|default:"未设置"' in p.read_text(encoding="utf-8")]
    assert offenders == []
