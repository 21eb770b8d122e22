"""Pagination in the database for API lists that shape each row in Python.

django-ninja's paginators slice what the view returns and count it. Returning a list built from
the whole queryset builds every row first (20,000 applications for one page of 50); returning
``Rows(queryset, shape)`` makes the paginator's slice a LIMIT/OFFSET query and its count a
``COUNT(*)``, and shapes only the rows of the page.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet


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
