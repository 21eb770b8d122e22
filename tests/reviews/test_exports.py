"""Exports where people work: scoped like their pages, filters respected, attachment with a
Chinese file name, audited, not cached."""

import csv
import io
from datetime import date, datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from docx import Document
from openpyxl import load_workbook

from clusterdesk.audit.models import AuditEvent
from clusterdesk.reviews import province

SH = ZoneInfo("Asia/Shanghai")


def filename(response) -> str:
    header = response["Content-Disposition"]
    assert header.startswith("attachment;") and "filename*=utf-8''" in header, header
    return unquote(header.split("filename*=utf-8''", 1)[1])


def assert_download(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Cache-Control"] == "private, no-store"
    return filename(response)


def sheet_rows(response, header_row: int = 1):
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[header_row - 1], rows[header_row:]


def docx_table(response):
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs]
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    return texts, rows


@pytest.mark.django_db
def test_application_list_export_is_scoped_and_filtered(accounts, round_open, submit_new, login):
    from clusterdesk.reviews import domain

    a1 = submit_new("dunhua", "敦化市医药产业集群")
    submit_new("yanji", "延吉市人参大健康产业集群")
    submit_new("tonghua_county", "通化县葡萄酒产业集群")
    domain.perform(actor=accounts["yanbian"], application=a1, action="city_recommend", inputs={"national": False})

    client = login(accounts["yanbian"])
    response = client.get("/applications/export.xlsx")
    name = assert_download(response)
    assert name.startswith("申报列表_") and name.endswith(".xlsx")
    headers, rows = sheet_rows(response)
    assert headers[:7] == ["申报编号", "集群名称", "申报单位", "推荐单位", "批次", "年度", "状态"]
    assert sorted(r[1] for r in rows) == ["延吉市人参大健康产业集群", "敦化市医药产业集群"]  # not 通化's
    assert {r[3] for r in rows} == {"延边朝鲜族自治州"}

    response = client.get("/applications/export.xlsx?status=recommended")
    _, rows = sheet_rows(response)
    assert [(r[1], r[6]) for r in rows] == [("敦化市医药产业集群", "市州拟推荐")]
    event = AuditEvent.objects.filter(action="export.downloaded").latest("pk")
    assert event.object_id == "applications" and event.after == {"rows": 1, "filters": {"status": "recommended"}}
    assert event.actor_username == accounts["yanbian"].username

    _, rows = sheet_rows(login(accounts["province"]).get("/applications/export.xlsx"))
    assert len(rows) == 3
    _, rows = sheet_rows(login(accounts["dunhua"]).get("/applications/export.xlsx"))
    assert [r[1] for r in rows] == ["敦化市医药产业集群"]
    page = login(accounts["yanbian"]).get("/applications/?status=recommended").content.decode()
    assert 'href="/applications/export.xlsx?status=recommended"' in page


def propose(accounts, round_, apps):
    return province.propose_recognition(actor=accounts["province"], round_=round_, applications=apps,
                                        starts_on=date(2025, 9, 30), working_days=5, title="2025年度吉林省中小企业特色产业集群拟认定名单公示")


@pytest.mark.django_db
def test_publicity_and_recognition_lists_as_word(accounts, round_open, passed, login, industries):
    batch = propose(accounts, round_open, passed[:3])
    client = login(accounts["province"])
    response = client.get(f"/reviews/rounds/{round_open.pk}/publicity/{batch.pk}/publicity.docx")
    assert assert_download(response) == "2025年度吉林省中小企业特色产业集群拟认定名单公示.docx"
    texts, rows = docx_table(response)
    assert texts[0].startswith("吉工信中小企〔") and texts[1] == batch.title  # 文号 line, then the title
    assert rows[0] == ["序号", "集群名称", "所在县（市、区）", "所属市（州）", "主导产业"]
    assert sorted(r[1] for r in rows[1:]) == sorted(a.name for a in passed[:3])
    dunhua = next(r for r in rows[1:] if r[1] == "敦化市医药产业集群")
    assert dunhua[2:4] == ["敦化市", "延边朝鲜族自治州"] and "医药制造业" in dunhua[4] and "中成药" in dunhua[4]

    # The recognition list exists once the batch is finalised.
    recognition = f"/reviews/rounds/{round_open.pk}/publicity/{batch.pk}/recognition.docx"
    assert client.get(recognition).status_code == 302
    with time_machine.travel(datetime(2025, 10, 14, 9, tzinfo=SH), tick=False):
        province.finalize_recognition(actor=accounts["province"], batch=batch)
    response = client.get(recognition)
    assert assert_download(response) == "2025年度省级中小企业特色产业集群认定名单.docx"
    texts, rows = docx_table(response)
    assert "认定名单" in texts[1] and len(rows) == 4
    assert AuditEvent.objects.filter(action="export.downloaded", object_id="recognition_list").count() == 1

    # Same readers as the publicity page: a city may not.
    assert login(accounts["yanbian"]).get(recognition).status_code == 403


@pytest.mark.django_db
def test_national_list_as_word(accounts, round_open, passed, login, expert_scores):
    expert_scores({passed[0]: 90, passed[1]: 80})
    province.select_national(actor=accounts["province"], round_=round_open,
                             picks=[{"application": passed[0].pk}, {"application": passed[1].pk}])
    response = login(accounts["province"]).get(f"/reviews/rounds/{round_open.pk}/selection/list.docx")
    assert assert_download(response).endswith("推荐国家级中小企业特色产业集群名单.docx")
    _, rows = docx_table(response)
    assert [r[1] for r in rows[1:]] == [passed[0].name, passed[1].name]
