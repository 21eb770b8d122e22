"""load_orgs: idempotent, all-or-nothing, with the line number of the first bad row."""

import pytest
from django.core.management import CommandError, call_command

from clusterdesk.audit.models import AuditEvent
from clusterdesk.orgs.domain import OrgFileError, load_orgs, parse_org_csv
from clusterdesk.orgs.models import Org
from tests.conftest import JILIN_CSV

HEADER = "code,name,kind,parent_code,recommends_to_province,longitude,latitude,note\n"


def write(tmp_path, body: str, name="orgs.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def state():
    return sorted(Org.objects.values_list("code", "name", "kind", "parent__code", "recommends_to_province", "path", "recommender__code"))


def test_load_orgs_jilin_builds_the_tree(db):
    call_command("load_orgs", str(JILIN_CSV))

    assert Org.objects.count() == 75
    assert Org.objects.filter(recommends_to_province=True).count() == 11
    meihekou = Org.objects.get(code="220581")
    assert meihekou.path == "/220000/220500/220581/"
    assert meihekou.recommender == meihekou
    assert Org.objects.get(code="220521").recommender.code == "220500"
    assert Org.objects.get(code="Z22A001").recommender.code == "Z22A000"
    assert Org.objects.get(code="Z220101").recommender.code == "220100"
    assert Org.objects.get(code="220000").recommender is None


def test_load_orgs_twice_changes_nothing(db):
    call_command("load_orgs", str(JILIN_CSV))
    before = state()
    events = AuditEvent.objects.count()

    result = load_orgs(parse_org_csv(JILIN_CSV))

    assert (result.created, result.updated, result.unchanged) == (0, 0, 75)
    assert state() == before
    assert AuditEvent.objects.count() == events


def test_load_orgs_changed_name_updates(db, tmp_path):
    call_command("load_orgs", str(JILIN_CSV))
    text = JILIN_CSV.read_text(encoding="utf-8").replace("220402,龙山区,", "220402,龙山区（新名）,")
    changed = tmp_path / "changed.csv"
    changed.write_text(text, encoding="utf-8")

    result = load_orgs(parse_org_csv(changed))

    assert (result.created, result.updated) == (0, 1)
    assert Org.objects.get(code="220402").name == "龙山区（新名）"
    event = AuditEvent.objects.get(action="org.loaded", after__updated=1)
    assert event.after["changes"][0]["before"]["name"] == "龙山区"


@pytest.mark.parametrize(
    "bad_row, line, words",
    [
        ("220999,某县,county,229999,,,,\n", 4, "上级单位代码“229999”不存在"),
        ("220102,重复区,district,220100,,,,\n", 4, "与第3行重复"),
        ("220999,某县,village,220100,,,,\n", 4, "单位类型"),
        (",无代码,county,220100,,,,\n", 4, "单位代码（code）为空"),
        ("220999,某县,county,220100,maybe,,,\n", 4, "recommends_to_province"),
        ("220999,某县,county,220100,,east,,\n", 4, "经度"),
        ("220999,,county,220100,,,,\n", 4, "名称"),
        ("220999,某县,county,,,,,\n", 4, "缺少上级单位代码"),
    ],
)
def test_load_orgs_malformed_row_loads_nothing(db, tmp_path, bad_row, line, words):
    path = write(tmp_path, "220000,吉林省,province,,,,,\n220102,南关区,district,220100,,,,\n" + bad_row
                 + "220100,长春市,city,220000,yes,,,\n")

    with pytest.raises(CommandError) as exc:
        call_command("load_orgs", str(path))

    assert f"第{line}行" in str(exc.value)
    assert words in str(exc.value)
    assert Org.objects.count() == 0


def test_load_orgs_malformed_update_keeps_existing_tree(db, tmp_path):
    call_command("load_orgs", str(JILIN_CSV))
    before = state()
    text = JILIN_CSV.read_text(encoding="utf-8").replace("220402,龙山区,", "220402,龙山区（新名）,")
    text += "229999,坏单位,county,NOPE,,,,\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")

    with pytest.raises(OrgFileError) as exc:
        load_orgs(parse_org_csv(bad))

    assert exc.value.line == 77
    assert state() == before


def test_load_orgs_parent_defined_later_in_file(db, tmp_path):
    path = write(tmp_path, "210102,和平区,district,210100,,,,\n210100,沈阳市,city,210000,yes,,,\n210000,辽宁省,province,,,,,\n")

    load_orgs(parse_org_csv(path))

    assert Org.objects.get(code="210102").path == "/210000/210100/210102/"
    assert Org.objects.get(code="210102").recommender.code == "210100"


def test_load_orgs_another_province_beside_jilin(db, tmp_path):
    call_command("load_orgs", str(JILIN_CSV))
    path = write(tmp_path, "210000,辽宁省,province,,,123.43,41.80,\n210100,沈阳市,city,210000,yes,,,\n210181,新民市,county_city,210100,,,,\n")

    call_command("load_orgs", str(path))

    assert Org.objects.count() == 78
    assert Org.objects.get(code="210181").path == "/210000/210100/210181/"


def test_load_orgs_accepts_gb18030_from_excel(db, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + "220000,吉林省,province,,,,,\n").encode("gb18030"))

    load_orgs(parse_org_csv(path))

    assert Org.objects.get(code="220000").name == "吉林省"


def test_load_orgs_missing_column_is_refused(db, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("code,name\n220000,吉林省\n", encoding="utf-8")

    with pytest.raises(CommandError, match="缺少列：kind, parent_code"):
        call_command("load_orgs", str(path))
