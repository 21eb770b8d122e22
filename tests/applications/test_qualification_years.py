"""Issue 12: each qualification of an enterprise has its own award year (the old single year
still accepted for all of them); a year in the future or before 2000 is refused naming the field."""

from types import SimpleNamespace

import pytest

from clusterdesk.applications import xlsx
from clusterdesk.applications.validation import Context, clean_fields
from tests.conftest import make_uscc


def ctx(year: int = 2025) -> Context:
    return Context(round=SimpleNamespace(year=year, base_year=year - 4, window_years=[year - 3, year - 2, year - 1]),
                   org=None)


def firm(**kw) -> dict:
    return {"name": "示例企业", "uscc": make_uscc(1), "qualifications": ["little_giant", "specialized"],
            "in_leading_industry": True, **kw}


def test_per_qualification_years_are_kept():
    clean, errors = clean_fields({"quality_enterprises": [firm(year=2021, qualification_years={"little_giant": 2023})]}, ctx())
    assert errors == []
    assert clean["quality_enterprises"][0]["qualification_years"] == {"little_giant": 2023}
    assert clean["quality_enterprises"][0]["year"] == 2021  # the year of the others


def test_old_single_year_shape_is_unchanged():
    clean, errors = clean_fields({"quality_enterprises": [firm(year=2023)]}, ctx())
    assert errors == [] and "qualification_years" not in clean["quality_enterprises"][0]


@pytest.mark.parametrize("year", [2026, 2030, 1999, 1990])
def test_qualification_year_in_the_future_or_before_2000_is_refused_naming_the_field(year):
    _, errors = clean_fields({"quality_enterprises": [firm(qualification_years={"little_giant": year})]}, ctx())
    assert [e.field for e in errors] == ["quality_enterprises.0.qualification_years.little_giant"]
    assert "专精特新“小巨人””获评年份应在 2000 到 2025 之间" in errors[0].message


@pytest.mark.parametrize("year", [2026, 1999])
def test_old_single_year_out_of_range_is_refused_naming_the_field(year):
    _, errors = clean_fields({"quality_enterprises": [firm(year=year)]}, ctx())
    assert [e.field for e in errors] == ["quality_enterprises.0.year"]


def test_year_for_a_qualification_not_held_is_refused():
    _, errors = clean_fields({"quality_enterprises": [firm(qualification_years={"high_tech": 2023})]}, ctx())
    assert [e.field for e in errors] == ["quality_enterprises.0.qualification_years.high_tech"]


def test_form_post_reads_a_year_next_to_each_qualification():
    from clusterdesk.applications.forms import _rows

    class Post(dict):
        def getlist(self, key):
            value = self[key]
            return value if isinstance(value, list) else [value]

    post = Post({"quality_enterprises-0-name": "甲", "quality_enterprises-0-qualifications": ["little_giant", "specialized"],
                 "quality_enterprises-0-qy_little_giant": "2023", "quality_enterprises-0-qy_specialized": "",
                 "quality_enterprises-0-year": "2022"})
    assert _rows(post, "quality_enterprises")[0]["qualification_years"] == {"little_giant": "2023"}


def test_xlsx_cell_reads_a_year_after_each_qualification():
    assert xlsx._qualifications("小巨人（2023）、专精特新(2022)、高新") == (
        ["little_giant", "specialized", "high_tech"], {"little_giant": 2023, "specialized": 2022})
    assert xlsx._qualifications("小巨人 2023，专精特新2021年") == (
        ["little_giant", "specialized"], {"little_giant": 2023, "specialized": 2021})


def test_api_accepts_a_year_per_qualification_and_refuses_a_future_one(accounts, client, round_open, api_token):
    from tests.conftest import complete_body

    county = api_token(accounts["dunhua"])
    body = complete_body()
    body["quality_enterprises"] = [firm(year=2022, qualification_years={"little_giant": 2024})]
    response = client.post("/api/v1/applications", {"round": round_open.pk, **body}, content_type="application/json", **county)
    assert response.status_code == 201, response.content
    stored = response.json()["data"]["quality_enterprises"][0]
    assert stored["qualification_years"] == {"little_giant": 2024} and stored["year"] == 2022

    body["quality_enterprises"] = [firm(qualification_years={"little_giant": 2030})]
    app_id = response.json()["id"]
    response = client.patch(f"/api/v1/applications/{app_id}", {"quality_enterprises": body["quality_enterprises"]},
                            content_type="application/json", **county)
    assert response.status_code == 400
    assert "quality_enterprises.0.qualification_years.little_giant" in response.content.decode()
