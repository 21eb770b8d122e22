"""Fixtures for the criteria pages: the shipped sets installed through the real loader."""

import pytest


@pytest.fixture
def criteria_sets(db):
    """The shipped criteria sets (national-2022, jilin-provincial-2024), version 1 each."""
    from clusterdesk.criteria.domain import load_shipped

    return {c.code: c for c in load_shipped()}
