"""Fixtures for the criteria pages: the shipped sets installed through the real loader."""

import pytest


@pytest.fixture
def criteria_sets(db):
    """The shipped criteria sets (national-2022, jilin-provincial-2024), version 1 each (the
    later shipped versions, such as national-2022.v2.yaml, are installed by tests that use them)."""
    from clusterdesk.criteria.domain import SHIPPED_DIR, load_shipped

    first_versions = [p for p in sorted(SHIPPED_DIR.glob("*.yaml")) if ".v" not in p.stem]

    return {c.code: c for c in load_shipped(first_versions)}
