"""A 2025 round with fixed deadlines (name_list closes on 2025-04-10), for deadline semantics."""

from datetime import date

import pytest

DEADLINES = {
    "county_submission": date(2025, 3, 31),
    "name_list": date(2025, 4, 10),
    "formal_submission": date(2025, 4, 30),
    "national_recommendation": date(2025, 5, 31),
}


@pytest.fixture
def round_2025(accounts):
    from clusterdesk.rounds.domain import create_round

    return create_round(
        actor=accounts["province"],
        name="2025年度中小企业特色产业集群申报推荐",
        year=2025,
        status="open",
        deadlines=DEADLINES,
    )
