"""The to-do list (待办事项): what waits for a user, as counts with a link.

Apps register providers with :func:`todo_provider`; a provider receives the user and returns
:class:`Todo` rows (or nothing). Each kind is one cheap query (a count, or one query per kind
whose rows are counted in Python), never a query per row. The top bar shows the total through
``/todo/badge/`` (loaded by htmx after the page), so pages do not pay for it.
"""

from dataclasses import dataclass

__all__ = ["Todo", "todo_provider", "todos_for", "todo_total"]


@dataclass
class Todo:
    kind: str  # "review", "fix", "score", "report", "send", "rereview", "receive"
    label: str
    count: int
    url: str
    order: int = 100


_providers = []


def todo_provider(func):
    _providers.append(func)
    return func


def todos_for(user) -> list[Todo]:
    """Every kind of work waiting for ``user`` (zero counts included), in display order."""
    if user is None or not user.is_authenticated or not user.is_active or not user.org_id:
        return []
    rows: list[Todo] = []
    for provider in _providers:
        rows.extend(provider(user) or [])
    rows.sort(key=lambda t: t.order)
    return rows


def todo_total(user) -> int:
    return sum(t.count for t in todos_for(user))
