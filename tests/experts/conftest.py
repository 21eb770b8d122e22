"""Fixtures for expert review: experts at various units, applications ready for review.

Shortcut, documented: an application reaches ``initial_passed`` by a real submission and then
a direct status update. The province's initial review (and the city's recommendation before
it) is tested in tests/reviews; here only the expert review that follows matters.
"""

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def experts(accounts, make_user):
    """Experts named after where they work (``changchun`` is the shared ``accounts["expert"]``)."""
    return {
        "changchun": accounts["expert"],                                  # 220100 长春市
        "province": make_user("expert_wang", "220000", "expert", display_name="王专家"),   # 吉林省
        "yanbian": make_user("expert_zhao", "222400", "expert", display_name="赵专家"),    # 延边州
        "yanji": make_user("expert_qian", "222401", "expert", display_name="钱专家"),      # 延吉市
        "tonghua": make_user("expert_sun", "220500", "expert", display_name="孙专家"),     # 通化市
    }


@pytest.fixture
def passed(accounts, ready):
    """敦化's complete application, submitted, then set to 省厅初审通过 (shortcut, see module doc)."""
    from clusterdesk.applications.domain import submit
    from clusterdesk.applications.models import Application

    submit(actor=accounts["dunhua"], application=ready)
    Application.objects.filter(pk=ready.pk).update(status="initial_passed")
    ready.refresh_from_db()
    return ready


@pytest.fixture
def make_app(accounts, round_open, jilin):
    """Bare applications straight in a reviewable state (shortcut for volume: statistics, balancing)."""
    from clusterdesk.applications.models import Application

    counter = {"n": 0}

    def make(code: str = "222403", status: str = "initial_passed", name: str = ""):
        counter["n"] += 1
        n = counter["n"]
        return Application.objects.create(
            round=round_open, org=jilin[code], number=f"2025-{code}-T{n:03d}", name=name or f"测试集群{n:03d}",
            status=status, created_by=accounts["dunhua"],
        )

    return make


@pytest.fixture
def expert_stage(accounts, round_open):
    """Give the round a 专家评审 deadline 70 days ahead (between formal submission and national)."""
    from clusterdesk.rounds.domain import update_round

    day = timezone.localdate() + timedelta(days=70)
    update_round(actor=accounts["province"], round_=round_open, deadlines={"expert_review": day})
    round_open.refresh_from_db()
    return day


@pytest.fixture
def assigned(accounts, experts, passed):
    """The province expert assigned to 敦化's application."""
    from clusterdesk.experts.domain import assign

    return assign(actor=accounts["province"], application=passed, expert=experts["province"])


def full_scores(values, comment: str = "") -> dict:
    """{aspect: (value, comment)} for aspects 1..8 from eight values."""
    return {aspect: (str(v), comment) for aspect, v in zip(range(1, 9), values)}
