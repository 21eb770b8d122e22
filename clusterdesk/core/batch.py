"""Batch operations (批量办理): one office action on several objects, all or nothing.

Decision: a batch is one transaction. Each object goes through its own domain function (for
workflow steps, the one engine's ``perform`` with the ``state_version`` the page showed), in a
savepoint, so every refusal is collected; if any object is refused, nothing of the batch is
kept and the refusal lists each object by name with its reason ("2025-222403-001 敦化市医药产业集群：
该申报已被处理…"). An office expects to fix the list and send it again rather than to find half
a batch done.
"""

from collections.abc import Callable, Iterable

from django.db import transaction

from .errors import Conflict, DomainError, NotAllowed

__all__ = ["BatchRefused", "all_or_nothing"]

MAX_ITEMS = 200


class BatchRefused(Conflict):
    """The batch was refused as a whole; ``errors`` lists ``{"object", "detail"}`` per refusal."""


def all_or_nothing(items: Iterable, do: Callable, describe: Callable[[object], str], *, what: str,
                   field: str = "items") -> list:
    """Run ``do(item)`` for every item inside one transaction and answer the results; if any
    item is refused (``DomainError``), roll everything back and raise :class:`BatchRefused`
    (or :class:`NotAllowed` when every refusal is a 403) naming each refused item."""
    items = list(items)
    if not items:
        raise DomainError(f"请先勾选要{what}的项目", field=field)
    if len(items) > MAX_ITEMS:
        raise DomainError(f"一次最多批量{what} {MAX_ITEMS} 项，请分批办理", field=field)
    refusals: list[tuple[str, DomainError]] = []
    results = []
    with transaction.atomic():
        for item in items:
            try:
                with transaction.atomic():
                    results.append(do(item))
            except DomainError as exc:
                refusals.append((describe(item), exc))
        if refusals:
            lines = "；".join(f"{name}：{exc.message}" for name, exc in refusals)
            message = f"以下 {len(refusals)} 项不能{what}，整批未办理（共 {len(items)} 项），请处理后重新提交：{lines}"
            errors = [{"object": name, "detail": exc.message, "field": exc.field} for name, exc in refusals]
            if all(exc.status == 403 for _, exc in refusals):
                raise NotAllowed(message, field=field, errors=errors)
            raise BatchRefused(message, field=field, errors=errors)
    return results
