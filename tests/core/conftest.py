"""The fuzz test reaches every app's objects: it borrows the apps' fixtures."""

from tests.experts.conftest import assigned, experts, passed  # noqa: F401
