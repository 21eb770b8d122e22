"""Pagination in the database: API lists that shape each row in Python, and pages whose total would
cost a count of an ever-growing table.

django-ninja's paginators slice what the view returns and count it. Returning a list built from
the whole queryset builds every row first (20,000 applications for one page of 50); returning
``Rows(queryset, shape)`` makes the paginator's slice a LIMIT/OFFSET query and its count a
``COUNT(*)``, and shapes only the rows of the page.
"""

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class Rows:
    def __init__(self, queryset: QuerySet, shape: Callable[[Any], dict]):
        self.queryset = queryset
        self.shape = shape

    def all(self) -> "Rows":  # ninja counts with queryset.all().count()
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict]:
        if not isinstance(index, slice):
            raise TypeError("Rows supports slices only")
        return [self.shape(row) for row in self.queryset[index]]


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``).

    For logs that only grow (the audit log: eight events per application and more): the newest
    ``cap`` rows can be paged through and the total reads "10000+" (``capped``); older rows are
    reached by the filters or the CSV export. Counting every event would make each view cost
    more the longer the system runs.
    """

    def __init__(self, object_list, per_page, cap: int = 10_000, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @cached_property
    def capped(self) -> bool:
        """More rows than ``cap`` exist; only the first ``cap`` can be paged to."""
        return self._counted > self.cap
