"""The audit log's hash chain (issue 13 §7).

Each event stores ``prev_hash`` (the ``hash`` of the event before it, by id; "" for the first)
and ``hash`` = SHA-256 over a canonical serialisation of its fields and ``prev_hash``
(:func:`canonical`). Removing, changing or inserting an event breaks the chain at that point;
removing the newest events is caught by the chain head (``AuditChainHead``), which a database
trigger moves to every inserted event (migration 0003).

Writers take the head under a lock (:func:`lock_head`, one query): ``SELECT … FOR UPDATE`` on
the head row on PostgreSQL; on SQLite every write transaction already holds the database's write
lock (``transaction_mode = IMMEDIATE``). So concurrent writers form one chain, in id order.
"""

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import timezone as dt_timezone

from django.db import connection

FIELDS = ("actor_id", "actor_username", "org_code", "org_name", "action", "object_type", "object_id",
          "object_repr", "before", "after", "ip_address", "comment")


def canonical(event, prev_hash: str) -> bytes:
    """The bytes hashed for ``event``: its fields, its time (UTC, microseconds) and ``prev_hash``,
    as JSON with sorted keys and ASCII escapes, so the same event always gives the same bytes
    whichever database stored it."""
    data = {name: getattr(event, name) for name in FIELDS}
    data["at"] = event.at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data["prev_hash"] = prev_hash or ""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode("ascii")


def digest(event, prev_hash: str) -> str:
    return hashlib.sha256(canonical(event, prev_hash)).hexdigest()


def lock_head() -> str:
    """The chain head's hash, locked for this transaction (call inside ``transaction.atomic``)."""
    postgresql = connection.vendor == "postgresql"
    suffix = " FOR UPDATE" if postgresql else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT hash FROM audit_auditchainhead WHERE id = 1{suffix}")
        row = cursor.fetchone()
        if row is None:
            # No head yet (an emptied database): create it, so concurrent first writers queue on it.
            # Were events left, the next one's empty prev_hash shows the break.
            insert = ("INSERT INTO audit_auditchainhead (id, hash) VALUES (1, '') ON CONFLICT (id) DO NOTHING"
                      if postgresql else "INSERT OR IGNORE INTO audit_auditchainhead (id, hash) VALUES (1, '')")
            cursor.execute(insert)
            cursor.execute(f"SELECT hash FROM audit_auditchainhead WHERE id = 1{suffix}")
            row = cursor.fetchone()
    return row[0]


@dataclass
class ChainState:
    ok: bool
    count: int
    broken_at: int | None = None      # 1-based position in id order of the first bad event
    event_id: int | None = None
    expected: str = ""
    stored: str = ""
    reason: str = ""
    last_id: int | None = None        # the last event walked (when ok)
    last_hash: str = ""

    @property
    def label(self) -> str:
        if self.ok:
            return f"完整（共 {self.count} 条）"
        return f"第 {self.broken_at} 条起断裂（事件编号 {self.event_id}：{self.reason}）"


def verify() -> ChainState:
    """Walk the whole log in id order; the first event whose link or content does not match."""
    from .models import AuditChainHead, AuditEvent

    prev = ""
    count = 0
    last_id = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != prev:
            return ChainState(False, count, count, event.pk, prev, event.prev_hash,
                              "前一条记录的哈希与本条保存的 prev_hash 不符，其前有记录被删除或改动")
        expected = digest(event, prev)
        if event.hash != expected:
            return ChainState(False, count, count, event.pk, expected, event.hash, "本条内容与其哈希不符，记录被改动")
        prev = event.hash
        last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and count and (head.hash != prev or head.event_id != last_id):
        return ChainState(False, count, count + 1, head.event_id, head.hash, prev,
                          "链头指向的最新记录已不存在，最新的记录被删除")
    return ChainState(True, count, last_id=last_id, last_hash=prev)


CHECKPOINT_KEY = "audit:chain:checkpoint"


def verify_for_page() -> ChainState:
    """The chain state the audit page shows, at a cost that does not grow with the log.

    The whole chain is walked (:func:`verify`) at most every ``AUDIT_CHAIN_RECHECK_SECONDS``
    (10 minutes) per process; the walk's end is kept in the cache as a checkpoint. In between,
    only the events added since are checked (links and hashes, from the checkpoint's hash),
    after checking that the checkpoint's event is unchanged, that the number of events is the
    checkpoint's plus the new ones (so no older event went; this COUNT of the whole log runs at
    most every ``AUDIT_CHAIN_RECOUNT_SECONDS``, 60, per process, as the page itself is cached up
    to a minute) and that the head is the last event.
    Any mismatch walks the whole chain at once. What the page can miss until the next walk:
    the content of an older event changed in the database without changing the count (the
    scheduled ``manage.py verify_audit`` walks everything every time)."""
    import time

    from django.conf import settings
    from django.core.cache import cache

    recheck = getattr(settings, "AUDIT_CHAIN_RECHECK_SECONDS", 600)
    recount = getattr(settings, "AUDIT_CHAIN_RECOUNT_SECONDS", 60)

    def from_checkpoint():
        checkpoint = cache.get(CHECKPOINT_KEY)
        now = time.time()
        if checkpoint and now - checkpoint["walked"] < recheck:
            counting = now - checkpoint.get("counted", 0) >= recount
            state = _extend(checkpoint, counting)
            if state is not None:
                cache.set(CHECKPOINT_KEY, {**checkpoint, "count": state.count, "last_id": state.last_id,
                                           "last_hash": state.last_hash,
                                           "counted": now if counting else checkpoint.get("counted", 0)}, recheck)
                return state
        return None

    state = from_checkpoint()
    if state is not None:
        return state
    # One walk at a time per process: the threads that waited use its checkpoint.
    with _walk_lock:
        state = from_checkpoint()
        if state is not None:
            return state
        walked = time.time()
        state = verify()
        if state.ok:
            cache.set(CHECKPOINT_KEY, {"walked": walked, "counted": walked, "count": state.count,
                                       "last_id": state.last_id, "last_hash": state.last_hash}, recheck)
        else:
            cache.delete(CHECKPOINT_KEY)
    return state


_walk_lock = threading.Lock()


def _extend(checkpoint: dict, counting: bool = True) -> ChainState | None:
    """The chain state from ``checkpoint`` on (three or four queries and the new events), or None
    when anything does not match (the caller then walks the whole chain). ``counting``: also
    compare the number of events (a COUNT of the whole log, so at most once a minute)."""
    from .models import AuditChainHead, AuditEvent

    if checkpoint["last_id"] is None:
        return None
    stored = AuditEvent.objects.filter(pk=checkpoint["last_id"]).values_list("hash", flat=True).first()
    if stored != checkpoint["last_hash"]:
        return None
    prev, last_id, added = checkpoint["last_hash"], checkpoint["last_id"], 0
    for event in AuditEvent.objects.filter(pk__gt=checkpoint["last_id"]).order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev or event.hash != digest(event, prev):
            return None
        prev, last_id, added = event.hash, event.pk, added + 1
    count = checkpoint["count"] + added
    if counting and AuditEvent.objects.count() != count:
        return None
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.hash != prev or head.event_id != last_id):
        return None
    return ChainState(True, count, last_id=last_id, last_hash=prev)


def append_many(events: list, batch_size: int = 2000) -> None:
    """Insert many new events in one go, chained in list order (for data generators such as
    ``seed_scale``; the application writes one event at a time through ``audit.domain.record``).

    Call inside ``transaction.atomic``: the head stays locked until the caller commits, and the
    insert trigger moves it to the last event."""
    from django.db.models import QuerySet
    from django.utils import timezone

    from .models import AuditEvent

    prev = lock_head()
    now = timezone.now()
    for event in events:
        event.at = event.at or now
        event.prev_hash = prev
        event.hash = prev = digest(event, prev)
    # The model's queryset refuses bulk_create so that nobody inserts unchained events.
    QuerySet(AuditEvent).bulk_create(events, batch_size=batch_size)
