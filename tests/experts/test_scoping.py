"""The scoping rule (one query condition) agrees with the conflict rule (Python) everywhere."""

from clusterdesk.applications.models import Application
from clusterdesk.experts import rules
from clusterdesk.experts.models import ExpertAssignment

EXPERT_UNITS = ["220000", "220100", "220122", "Z220101", "220500", "220581", "220521", "222400", "222401",
                "Z22A000", "Z22A002"]
APPLICANT_UNITS = ["220122", "Z220101", "220182", "220521", "220581", "222401", "222403", "Z22A001", "220402"]


def test_visibility_equals_assigned_minus_conflicts(accounts, make_user, make_app, jilin):
    apps = [make_app(code) for code in APPLICANT_UNITS]
    for n, unit in enumerate(EXPERT_UNITS):
        expert = make_user(f"scope_{n}", unit, "expert")
        # every application assigned straight in the table, conflicts included (bypassing the domain)
        ExpertAssignment.objects.bulk_create([ExpertAssignment(application=a, expert=expert,
                                                               assigned_by=accounts["province"]) for a in apps])
        visible = set(Application.objects.visible_to(expert).values_list("org__code", flat=True))
        free = {a.org.code for a in apps if rules.conflict(expert, a) is None}
        assert visible == free, unit
    # spot checks of the rule itself
    at = {u: make_user(f"spot_{u}", u, "expert") for u in ("220000", "Z22A002", "220581")}
    by = {a.org.code: a for a in apps}
    assert rules.conflict(at["220000"], by["222403"]) is None
    assert "同属长白山保护开发区管理委员会" in rules.conflict(at["Z22A002"], by["Z22A001"])
    assert rules.conflict(at["220581"], by["220581"]).startswith("专家所在单位即申报单位")


def test_expert_home_panel(experts, assigned, login):
    web = login(experts["province"])
    text = web.get("/").content.decode()
    assert "专家评审：" in text and "待评分" in text
    assert "评审任务" in text  # the navigation entry
