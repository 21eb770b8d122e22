"""The criteria pages: list, detail, export/import round trip, edit (new version), activation, refusals."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clusterdesk.criteria import domain
from clusterdesk.criteria.definition import strip_lines
from clusterdesk.criteria.models import CriteriaSet

NATIONAL, JILIN = "national-2022", "jilin-provincial-2024"


def page(response) -> str:
    return html.unescape(response.content.decode())


def rule(cset: CriteriaSet, code: str) -> dict:
    return next(r for a in cset.definition["aspects"] for r in a["rules"] if r["code"] == code)


def edit_post(cset: CriteriaSet, **overrides) -> dict:
    """The edit form as the page renders it (unchanged), with ``overrides`` applied."""
    from clusterdesk.criteria.forms import CriteriaEditForm

    form = CriteriaEditForm(cset)
    data = {}
    for name, field in form.fields.items():
        value = form[name].initial
        if value in (None, False):
            continue
        data[name] = value
    data.update(overrides)
    return data


def field_name(cset: CriteriaSet, code: str, key: str) -> str:
    codes = [r["code"] for a in cset.definition["aspects"] for r in a["rules"]]
    return f"r{codes.index(code)}_{key}"


def without_version(definition: dict) -> dict:
    return {k: v for k, v in strip_lines(definition).items() if k not in ("version", "status")}


# --- reading ------------------------------------------------------------------------------

def test_list_shows_both_sets_with_placeholder_badge_on_provincial(accounts, criteria_sets, login):
    response = login(accounts["tonghua"]).get("/criteria/")

    assert response.status_code == 200
    text = page(response)
    assert "国家级中小企业特色产业集群认定标准（2022年版）" in text and NATIONAL in text
    assert JILIN in text
    jilin = text.split('data-testid="criteria-jilin-provincial-2024"')[1].split("</section>")[0]
    national = text.split('data-testid="criteria-national-2022"')[1].split("</section>")[0]
    assert "阈值待确认（占位值）" in jilin
    assert "阈值待确认（占位值）" not in national
    assert "启用" in national and "国家级" in national and "省级" in jilin


def test_list_requires_login(client, criteria_sets):
    response = client.get("/criteria/")

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_detail_shows_rules_with_symbols_and_percent(accounts, criteria_sets, login):
    response = login(accounts["dunhua"]).get(f"/criteria/{NATIONAL}/1/")

    assert response.status_code == 200
    text = page(response)
    row = text.split('data-testid="rule-output_each_year"')[1].split("</tr>")[0]
    assert "近3年集群产值均在40亿元以上" in row and "≥ 40" in row and "亿元" in row and "必须满足" in row
    leading = text.split('data-testid="rule-leading_share"')[1].split("</tr>")[0]
    assert "> 70%" in leading
    assert "≥ 70%" in text.split('data-testid="rule-sme_share"')[1].split("</tr>")[0]
    area = text.split('data-testid="rule-area"')[1].split("</tr>")[0]
    assert "≤ 100" in area and "一般要求" in area
    firms = text.split('data-testid="rule-quality_firms"')[1].split("</tr>")[0]
    assert "≥ 1家" in firms and "≥ 10家" in firms
    assert 'data-testid="placeholder-banner"' not in text
    assert "criteria-actions" not in text  # a county applicant reads, does not manage


def test_detail_of_placeholder_set_shows_banner(accounts, criteria_sets, login):
    response = login(accounts["province"]).get(f"/criteria/{JILIN}/1/")

    text = page(response)
    assert 'data-testid="placeholder-banner"' in text and "占位值" in text and "省厅管理员" in text
    assert "≥ 20" in text.split('data-testid="rule-output_each_year"')[1].split("</tr>")[0]
    assert 'data-testid="criteria-actions"' in text


def test_detail_unknown_version_is_404(accounts, criteria_sets, login):
    assert login(accounts["province"]).get(f"/criteria/{NATIONAL}/9/").status_code == 404


# --- export / import ----------------------------------------------------------------------

def test_export_import_round_trip_gives_identical_definition(accounts, criteria_sets, login):
    client = login(accounts["province"])
    exported = client.get(f"/criteria/{JILIN}/1/export/")

    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/yaml; charset=utf-8"
    assert f'filename="{JILIN}-v1.yaml"' in exported["Content-Disposition"]
    upload = SimpleUploadedFile(f"{JILIN}-v1.yaml", exported.content, content_type="text/yaml")
    response = client.post("/criteria/import/", {"file": upload})

    assert response.status_code == 302 and response["Location"] == f"/criteria/{JILIN}/2/"
    original = CriteriaSet.objects.get(code=JILIN, version=1)
    imported = CriteriaSet.objects.get(code=JILIN, version=2)
    assert imported.status == "draft" and imported.placeholder and imported.created_by == accounts["province"]
    assert without_version(imported.definition) == without_version(original.definition)


def test_import_pasted_text_creates_next_version(accounts, criteria_sets, login):
    text = domain.export_text(CriteriaSet.objects.get(code=NATIONAL, version=1))

    response = login(accounts["sysadmin"]).post("/criteria/import/", {"text": text})

    assert response.status_code == 302
    assert CriteriaSet.objects.get(code=NATIONAL, version=2).status == "draft"


def rule_line(text: str, marker: str) -> int:
    """The 1-based line of the ``- code:`` that starts the rule containing ``marker``."""
    lines = text.splitlines()
    at = next(i for i, t in enumerate(lines) if marker in t)
    return next(i for i in range(at, -1, -1) if lines[i].strip().startswith("- code:")) + 1


@pytest.mark.parametrize(("old", "new", "reason"), [
    ("kind: growth", "kind: ratio", "类型“ratio”未知"),
    ("comparator: '>='\n    threshold: '0.70'", "comparator: '=>'\n    threshold: '0.70'", "比较符“=>”无效"),
    ("indicator: total_output\n    years: each", "indicator: gross_output\n    years: each", "指标“gross_output”未知"),
])
def test_import_bad_rule_is_refused_with_line(accounts, criteria_sets, login, old, new, reason):
    text = domain.export_text(CriteriaSet.objects.get(code=NATIONAL, version=1))
    assert text.count(old) == 1
    bad = text.replace(old, new)
    line = rule_line(bad, new.splitlines()[0])
    assert line > 10

    response = login(accounts["province"]).post(
        "/criteria/import/", {"file": SimpleUploadedFile("bad.yaml", bad.encode(), content_type="text/yaml")})

    assert response.status_code == 200
    text_out = page(response)
    assert f"第{line}行" in text_out and reason in text_out and "整个文件都没有导入" in text_out
    assert CriteriaSet.objects.filter(code=NATIONAL).count() == 1


def test_import_refuses_other_file_types(accounts, criteria_sets, login):
    response = login(accounts["province"]).post(
        "/criteria/import/", {"file": SimpleUploadedFile("rules.xlsx", b"PK\x03\x04", content_type="application/zip")})

    assert response.status_code == 200
    assert "请上传 .yaml、.yml 或 .json 文件" in page(response)
    assert CriteriaSet.objects.count() == 2


# --- editing and activation ---------------------------------------------------------------

def test_edit_active_version_creates_draft_version_2(accounts, criteria_sets, login):
    cset = CriteriaSet.objects.get(code=NATIONAL, version=1)
    client = login(accounts["province"])
    form_page = client.get(f"/criteria/{NATIONAL}/1/edit/")
    assert form_page.status_code == 200
    assert "新的草稿版本" in page(form_page)
    assert f'name="{field_name(cset, "sme_share", "threshold")}"' in page(form_page)
    assert 'value="70"' in page(form_page)  # 0.70 shown as percent

    response = client.post(f"/criteria/{NATIONAL}/1/edit/", edit_post(cset, **{
        field_name(cset, "sme_share", "threshold"): "65",
        field_name(cset, "output_each_year", "threshold"): "45",
    }))

    assert response.status_code == 302 and response["Location"] == f"/criteria/{NATIONAL}/2/"
    new = CriteriaSet.objects.get(code=NATIONAL, version=2)
    assert new.status == "draft" and new.created_by == accounts["province"]
    assert rule(new, "sme_share")["threshold"] == "0.65"
    assert rule(new, "output_each_year")["threshold"] == "45"
    assert rule(new, "leading_share")["threshold"] == "0.70"
    old = CriteriaSet.objects.get(code=NATIONAL, version=1)
    assert old.status == "active" and old.definition == cset.definition
    assert rule(old, "sme_share")["threshold"] == "0.70"


def test_edit_percent_converts_to_fraction(accounts, criteria_sets, login):
    cset = CriteriaSet.objects.get(code=JILIN, version=1)

    login(accounts["province"]).post(f"/criteria/{JILIN}/1/edit/", edit_post(cset, **{
        field_name(cset, "sme_share", "threshold"): "70", field_name(cset, "growth", "threshold"): "10",
        "confirmed": "on",
    }))

    new = CriteriaSet.objects.get(code=JILIN, version=2)
    assert rule(new, "sme_share")["threshold"] == "0.70" and rule(new, "growth")["threshold"] == "0.10"
    assert new.placeholder is False and CriteriaSet.objects.get(code=JILIN, version=1).placeholder is True


def test_edit_without_changes_creates_nothing(accounts, criteria_sets, login):
    cset = CriteriaSet.objects.get(code=JILIN, version=1)

    response = login(accounts["province"]).post(f"/criteria/{JILIN}/1/edit/", edit_post(cset))

    assert response.status_code == 302 and response["Location"] == f"/criteria/{JILIN}/1/"
    assert CriteriaSet.objects.filter(code=JILIN).count() == 1


def test_edit_bad_threshold_shows_error_beside_field(accounts, criteria_sets, login):
    cset = CriteriaSet.objects.get(code=NATIONAL, version=1)

    response = login(accounts["province"]).post(f"/criteria/{NATIONAL}/1/edit/", edit_post(cset, **{
        field_name(cset, "sme_share", "threshold"): "七十", field_name(cset, "growth", "wording"): "",
    }))

    assert response.status_code == 200
    text = page(response)
    row = text.split('data-testid="edit-rule-sme_share"')[1].split("</tr>")[0]
    assert "规则 sme_share 的阈值“七十”不是数字" in row
    assert "官方表述不能为空" in text.split('data-testid="edit-rule-growth"')[1].split("</tr>")[0]
    assert CriteriaSet.objects.filter(code=NATIONAL).count() == 1


def test_edit_draft_changes_it_in_place(accounts, criteria_sets, login):
    client = login(accounts["province"])
    cset = CriteriaSet.objects.get(code=NATIONAL, version=1)
    client.post(f"/criteria/{NATIONAL}/1/edit/", edit_post(cset, **{field_name(cset, "output_each_year", "threshold"): "45"}))
    draft = CriteriaSet.objects.get(code=NATIONAL, version=2)

    response = client.post(f"/criteria/{NATIONAL}/2/edit/", edit_post(draft, **{field_name(draft, "output_each_year", "threshold"): "50"}))

    assert response["Location"] == f"/criteria/{NATIONAL}/2/"
    assert rule(CriteriaSet.objects.get(code=NATIONAL, version=2), "output_each_year")["threshold"] == "50"
    assert CriteriaSet.objects.filter(code=NATIONAL).count() == 2


def test_activate_makes_new_version_active(accounts, criteria_sets, login):
    client = login(accounts["province"])
    cset = CriteriaSet.objects.get(code=NATIONAL, version=1)
    client.post(f"/criteria/{NATIONAL}/1/edit/", edit_post(cset, **{field_name(cset, "output_each_year", "threshold"): "45"}))

    response = client.post(f"/criteria/{NATIONAL}/2/status/", {"status": "active"})

    assert response.status_code == 302
    assert CriteriaSet.objects.get(code=NATIONAL, version=2).status == "active"
    assert domain.get_set(NATIONAL).version == 2
    detail = page(client.get(f"/criteria/{NATIONAL}/2/"))
    assert "≥ 45" in detail and "已启用第2版" in detail and "第1版仍处于启用状态" in detail

    client.post(f"/criteria/{NATIONAL}/1/status/", {"status": "retired"})
    assert CriteriaSet.objects.get(code=NATIONAL, version=1).status == "retired"


@pytest.mark.parametrize(("method", "url", "data"), [
    ("get", f"/criteria/{NATIONAL}/1/edit/", None),
    ("post", f"/criteria/{NATIONAL}/1/edit/", {"name": "改名"}),
    ("get", "/criteria/import/", None),
    ("post", "/criteria/import/", {"text": "code: x"}),
    ("post", f"/criteria/{NATIONAL}/1/status/", {"status": "retired"}),
])
def test_city_reviewer_cannot_manage(accounts, criteria_sets, login, method, url, data):
    client = login(accounts["tonghua"])

    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)

    assert response.status_code == 403
    assert "只有省厅管理员" in page(response)
    assert CriteriaSet.objects.count() == 2
    assert CriteriaSet.objects.get(code=NATIONAL, version=1).status == "active"


def test_nav_shows_criteria_to_reviewers_not_applicants(accounts, criteria_sets, login, client):
    assert 'href="/criteria/"' in login(accounts["tonghua"]).get("/").content.decode()
    client.logout()
    assert 'href="/criteria/"' not in login(accounts["dunhua"]).get("/").content.decode()


@pytest.mark.parametrize(("setting", "field"), [
    ("growth_method: average_of_rates\n", "growth_method"),
    ("validity:\n  specialized: 0\n", "validity.specialized"),
])
def test_import_bad_setting_is_refused_naming_the_field(accounts, criteria_sets, setting, field):
    from clusterdesk.core.errors import DomainError

    text = domain.export_text(CriteriaSet.objects.get(code=NATIONAL, version=1))
    bad = text.replace("aspects:\n", setting + "aspects:\n", 1)
    before = CriteriaSet.objects.count()
    with pytest.raises(DomainError) as exc:
        domain.import_set(actor=accounts["province"], text=bad)
    assert exc.value.field == field and field in exc.value.message
    assert CriteriaSet.objects.count() == before


def test_detail_states_growth_method_share_years_and_validity(accounts, criteria_sets, login):
    domain.load_shipped()  # the shipped version 2 as well
    text = page(login(accounts["province"]).get(f"/criteria/{NATIONAL}/2/"))
    assert "按申报的三个年度计算复合年均增速" in text and "最近一个申报年度" in text and "小巨人3年" in text
    assert "有较高的集群品牌知名度" in text


@pytest.mark.parametrize(("change", "field"), [
    ({"growth_method": "geometric_guess"}, "growth_method"),
    ({"validity": {"high_tech": -1}}, "validity.high_tech"),
    ({"validity": {"high_tech": "three"}}, "validity.high_tech"),
])
def test_edit_bad_setting_is_refused_naming_the_field(accounts, criteria_sets, change, field):
    from clusterdesk.core.errors import DomainError

    v1 = CriteriaSet.objects.get(code=NATIONAL, version=1)
    before = CriteriaSet.objects.count()
    with pytest.raises(DomainError) as exc:
        domain.edit_set(actor=accounts["province"], cset=v1, changes={}, settings=change)
    assert exc.value.field == field
    assert CriteriaSet.objects.count() == before


def test_edit_growth_method_makes_a_new_version(accounts, criteria_sets):
    v1 = CriteriaSet.objects.get(code=NATIONAL, version=1)
    new = domain.edit_set(actor=accounts["province"], cset=v1, changes={}, settings={"growth_method": "from_base_year"})
    assert new.version == 2 and new.definition["growth_method"] == "from_base_year"
    assert "growth_method" not in CriteriaSet.objects.get(code=NATIONAL, version=1).definition


def test_edit_page_changes_the_set_wide_settings(accounts, criteria_sets, login):
    """Growth method, share years and each qualification's validity are edited on the page."""
    cset = CriteriaSet.objects.get(code=NATIONAL, version=1)
    client = login(accounts["province"])
    page = client.get(f"/criteria/{NATIONAL}/1/edit/").content.decode()
    assert "增速计算方法" in page and "占比核对年度" in page and "小巨人资质有效期（年）" in page

    response = client.post(f"/criteria/{NATIONAL}/1/edit/", edit_post(
        cset, growth_method="from_base_year", share_years="each", validity_little_giant="3", validity_high_tech="3"))

    assert response.status_code == 302
    new = CriteriaSet.objects.get(code=NATIONAL, version=2)
    assert new.definition["growth_method"] == "from_base_year" and new.definition["share_years"] == "each"
    assert {k: v for k, v in new.definition["validity"].items() if k != "__line__"} == {
        "little_giant": 3, "high_tech": 3}
    # Clearing a validity means "does not expire"; nothing else changes.
    client.post(f"/criteria/{NATIONAL}/2/edit/", edit_post(new, validity_high_tech=""))
    assert CriteriaSet.objects.get(code=NATIONAL, version=2).definition["validity"] == {"little_giant": 3}


@pytest.mark.parametrize("value", ["0", "-2", "three", "21"])
def test_edit_page_refuses_a_bad_validity_beside_its_box(accounts, criteria_sets, login, value):
    cset = CriteriaSet.objects.get(code=NATIONAL, version=1)
    response = login(accounts["province"]).post(f"/criteria/{NATIONAL}/1/edit/",
                                                edit_post(cset, validity_specialized=value))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["validity_specialized"] and "专精特新资质有效期（年）" in response.content.decode()
    assert CriteriaSet.objects.filter(code=NATIONAL).count() == 1


@pytest.mark.parametrize("text", ["code: x\naspects: " + "[" * 5000 + "]" * 5000,
                                  "code: x\n" + "".join(" " * i + f"k{i}:\n" for i in range(200))])
def test_import_page_deeply_nested_yaml_is_refused_in_chinese(accounts, criteria_sets, login, text):
    response = login(accounts["sysadmin"]).post("/criteria/import/", {"text": text})

    assert response.status_code in (200, 400)
    assert "嵌套层数超过 32 层" in response.content.decode()
