"""The audit log's hash chain: verify_audit, the audit page, tampering detected (issue 13 §7)."""

import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections, transaction

from clusterdesk.audit import chain
from clusterdesk.audit.domain import record
from clusterdesk.audit.models import AuditChainHead, AuditEvent


@pytest.fixture
def events(accounts):
    """Ten events after the ones the accounts fixture wrote."""
    for i in range(10):
        record(action="auth.login_failed", object_type="orgs.user", object_repr=f"user{i}", comment=f"第{i}次")
    return list(AuditEvent.objects.order_by("id"))


def raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def allow_tampering():
    """What an intruder with database access does first: switch the append-only guards off."""
    if connection.vendor == "postgresql":
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign-key checks pending before ALTER TABLE
        raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
        raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_delete")
    else:
        raw("DROP TRIGGER audit_event_no_update")


def test_each_event_links_to_the_one_before(events):
    assert events[0].prev_hash == ""
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
        assert after.hash == chain.digest(after, before.hash) and len(after.hash) == 64
    assert AuditChainHead.objects.get(pk=1).hash == events[-1].hash


def test_verify_audit_ok(events, capsys):
    call_command("verify_audit")

    assert f"OK：审计日志哈希链完整，共 {len(events)} 条" in capsys.readouterr().out


def test_deleted_middle_event_is_detected(events, capsys):
    allow_tampering()
    victim, follower = events[5], events[6]
    raw("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])

    with pytest.raises(CommandError, match=f"自第 6 条（事件编号 {follower.pk}）起断裂"):
        call_command("verify_audit")

    err = capsys.readouterr().err
    assert f"期望：{events[4].hash}" in err and f"保存：{victim.hash}" in err


def test_updated_event_is_detected(events):
    allow_tampering()
    raw("UPDATE audit_auditevent SET comment = %s WHERE id = %s", ["改过的说明", events[3].pk])

    state = chain.verify()

    assert not state.ok and state.event_id == events[3].pk and state.broken_at == 4
    assert state.stored == events[3].hash and state.expected != events[3].hash


def test_updated_and_rehashed_event_breaks_the_next_link(events):
    allow_tampering()
    forged = events[3]
    forged.comment = "伪造"
    new_hash = chain.digest(forged, forged.prev_hash)
    raw("UPDATE audit_auditevent SET comment = %s, hash = %s WHERE id = %s", ["伪造", new_hash, forged.pk])

    state = chain.verify()

    assert not state.ok and state.event_id == events[4].pk


def test_deleted_newest_event_is_detected(events):
    allow_tampering()
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])

    state = chain.verify()

    assert not state.ok and state.event_id == events[-1].pk and "最新的记录被删除" in state.reason


def test_audit_page_shows_the_chain_state(accounts, client, events, settings):
    client.force_login(accounts["province"])
    intact = client.get("/audit/").content.decode()
    settings.AUDIT_CHAIN_RECOUNT_SECONDS = 0  # a minute later: the page counts the log again
    allow_tampering()
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[5].pk])

    broken = client.get("/audit/").content.decode()

    assert "哈希链：完整" in intact
    assert f"哈希链：第 6 条起断裂（事件编号 {events[6].pk}" in broken


def _counting_digest(monkeypatch) -> list:
    calls = []
    real = chain.digest

    def counting(event, prev_hash):
        calls.append(event.pk)
        return real(event, prev_hash)

    monkeypatch.setattr(chain, "digest", counting)
    return calls


def test_audit_page_checks_only_the_events_added_since_its_last_walk(accounts, client, events, monkeypatch):
    # Issue 14 §4: walking the whole chain on every view cost 1.5 s at 40,000 events.
    from django.core.cache import cache

    cache.delete(chain.CHECKPOINT_KEY)
    client.force_login(accounts["province"])
    calls = _counting_digest(monkeypatch)
    client.get("/audit/")
    assert len(calls) == AuditEvent.objects.count()  # the first view walks everything
    record(action="auth.login_failed", object_repr="新的一条")
    newest = AuditEvent.objects.order_by("id").last()
    calls.clear()

    page = client.get("/audit/").content.decode()

    assert calls == [newest.pk]
    assert f"哈希链：完整（共 {AuditEvent.objects.count()} 条）" in page


def test_audit_page_walks_the_whole_chain_again_after_the_recheck_time(accounts, client, events, monkeypatch, settings):
    from django.core.cache import cache

    cache.delete(chain.CHECKPOINT_KEY)
    client.force_login(accounts["province"])
    client.get("/audit/")
    settings.AUDIT_CHAIN_RECHECK_SECONDS = 0
    calls = _counting_digest(monkeypatch)

    client.get("/audit/")

    assert len(calls) == AuditEvent.objects.count()


def test_audit_page_detects_a_changed_event_added_since_its_last_walk(accounts, client, events):
    from django.core.cache import cache

    cache.delete(chain.CHECKPOINT_KEY)
    client.force_login(accounts["province"])
    client.get("/audit/")
    record(action="auth.login_failed", object_repr="新的一条")
    newest = AuditEvent.objects.order_by("id").last()
    allow_tampering()
    raw("UPDATE audit_auditevent SET comment = %s WHERE id = %s", ["改过的说明", newest.pk])

    page = client.get("/audit/").content.decode()

    assert f"事件编号 {newest.pk}：本条内容与其哈希不符" in page


def test_audit_page_counts_the_whole_log_at_most_once_a_minute(accounts, client, events, settings):
    """The COUNT of every event (14 ms at 160,000) runs once a minute; a deleted older event is then
    found (on PostgreSQL deleting needs the no-delete trigger switched off first)."""
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    cache.delete(chain.CHECKPOINT_KEY)
    client.force_login(accounts["province"])
    client.get("/audit/")

    def counts_all() -> bool:
        with CaptureQueriesContext(connection) as captured:
            state = chain.verify_for_page()
        return state, any(q["sql"].strip().upper() == 'SELECT COUNT(*) AS "__COUNT" FROM "AUDIT_AUDITEVENT"'
                          for q in captured.captured_queries)

    state, counted = counts_all()
    assert state.ok and not counted  # counted by the walk just now
    allow_tampering()
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    assert counts_all()[0].ok  # within the minute: not yet looked for
    settings.AUDIT_CHAIN_RECOUNT_SECONDS = 0  # the minute has passed
    state, counted = counts_all()
    assert counted and not state.ok


def test_rolled_back_event_leaves_the_chain_intact(events):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action="auth.login_failed", object_repr="rolled back")
        raise RuntimeError

    record(action="auth.login_failed", object_repr="after")

    assert chain.verify().ok
    assert AuditEvent.objects.order_by("-id").first().prev_hash == events[-1].hash


def test_one_extra_query_per_event(accounts, django_assert_num_queries):
    with django_assert_num_queries(2):  # the head (locked), the insert
        record(action="auth.login_failed", object_repr="x")


def _record_retrying(**kwargs):
    """The test database on SQLite is a shared-cache in-memory database, which answers "table is
    locked" at once instead of waiting as the file database of a deployment does (busy timeout):
    the writer tries again, as waiting would. PostgreSQL waits on the head row's lock."""
    for _ in range(500):
        try:
            return record(**kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.002)
    raise AssertionError("could not write")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_form_one_chain():
    errors = []

    def writer(n):
        try:
            for i in range(10):
                _record_retrying(action="auth.login_failed", object_repr=f"w{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    state = chain.verify()
    assert state.ok and state.count == 40
