"""The storage contract, on SQLite and on PostgreSQL: queues, multitask, run endings, logs."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from interlock.errors import ConflictError, NotFoundError
from interlock.models import (
    Decision,
    InterruptRecord,
    MultitaskStrategy,
    NewEvent,
    Run,
    RunStatus,
    Thread,
    ThreadStatus,
    new_id,
    utcnow,
)
from interlock.storage import RunOutcome, SQLiteStorage, Storage, ThreadQuery
from interlock.storage.base import DecisionQuery, InterruptClaim
from interlock.storage.postgres import PostgresStorage
from interlock.storage.sql import load_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """An open storage on a fresh SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        opened: Storage = SQLiteStorage(tmp_path / "s.db")
    else:
        opened = PostgresStorage(request.getfixturevalue("postgres_dsn"))
    async with opened:
        yield opened


def _thread(**kw: object) -> Thread:
    now = utcnow()
    base = Thread(
        thread_id=new_id(), created_at=now, updated_at=now, state_updated_at=now,
        metadata={}, status=ThreadStatus.IDLE, config={}, values=None,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def _run(thread_id: str, strategy: MultitaskStrategy = MultitaskStrategy.ENQUEUE) -> Run:
    now = utcnow()
    return Run(
        run_id=new_id(), thread_id=thread_id, assistant_id="a", graph_id="g",
        status=RunStatus.PENDING, metadata={}, kwargs={}, multitask_strategy=strategy,
        created_at=now, updated_at=now, available_at=now,
    )  # fmt: skip


async def _claim(storage: Storage, now: datetime, worker: str = "w1") -> Run | None:
    return await storage.claim_run(now, worker_id=worker, lease_until=now + timedelta(seconds=30))


async def _queue(storage: Storage, run: Run) -> Run:
    creation = await storage.create_run(run, new_thread=None, thread_metadata={}, thread_config={})
    return creation.run


async def test_thread_roundtrip_and_conflict(storage: Storage) -> None:
    """A created thread reads back equal; a second create with the same id conflicts."""
    thread = _thread(metadata={"user": "alice"})
    await storage.create_thread(thread, if_exists="raise")
    assert await storage.get_thread(thread.thread_id) == thread
    with pytest.raises(ConflictError):
        await storage.create_thread(thread, if_exists="raise")
    assert (
        await storage.create_thread(_thread(thread_id=thread.thread_id), if_exists="do_nothing")
        == thread
    )


async def test_run_on_missing_thread_is_not_found(storage: Storage) -> None:
    """Queueing a run on a thread that does not exist writes nothing."""
    run = _run(new_id())
    with pytest.raises(NotFoundError):
        await _queue(storage, run)
    assert await storage.get_run(run.run_id) is None


async def test_claim_order_and_one_run_per_thread(storage: Storage) -> None:
    """Claims take the oldest run, never two of one thread at once."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    first = await _queue(storage, _run(thread.thread_id))
    second = await _queue(storage, _run(thread.thread_id))
    assert (await storage.get_thread(thread.thread_id)).status == ThreadStatus.BUSY  # type: ignore[union-attr]
    claimed = await _claim(storage, utcnow())
    assert claimed is not None
    assert claimed.run_id == first.run_id
    assert claimed.status == RunStatus.RUNNING
    assert claimed.attempt == 1
    assert await _claim(storage, utcnow()) is None
    outcome = RunOutcome(status=RunStatus.SUCCESS, output={"x": 1},
                         thread_status=ThreadStatus.IDLE, thread_values={"x": 1})  # fmt: skip
    await storage.finish_run(first.run_id, outcome, utcnow())
    # Another run is queued, so the thread stays busy.
    assert (await storage.get_thread(thread.thread_id)).status == ThreadStatus.BUSY  # type: ignore[union-attr]
    claimed = await _claim(storage, utcnow())
    assert claimed is not None
    assert claimed.run_id == second.run_id


async def test_reject_leaves_nothing_behind(storage: Storage) -> None:
    """A rejected run conflicts and is not stored."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    await _queue(storage, _run(thread.thread_id))
    rejected = _run(thread.thread_id, MultitaskStrategy.REJECT)
    with pytest.raises(ConflictError):
        await _queue(storage, rejected)
    assert await storage.get_run(rejected.run_id) is None


async def test_interrupt_and_rollback_settle_pending_runs(storage: Storage) -> None:
    """A new run with interrupt marks pending runs interrupted; rollback deletes them."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    old = await _queue(storage, _run(thread.thread_id))
    await _queue(storage, _run(thread.thread_id, MultitaskStrategy.INTERRUPT))
    assert (await storage.get_run(old.run_id)).status == RunStatus.INTERRUPTED  # type: ignore[union-attr]
    other = await storage.create_thread(_thread(), if_exists="raise")
    doomed = await _queue(storage, _run(other.thread_id))
    await _queue(storage, _run(other.thread_id, MultitaskStrategy.ROLLBACK))
    assert await storage.get_run(doomed.run_id) is None


async def test_running_runs_are_returned_for_cancel(storage: Storage) -> None:
    """A running run displaced by `interrupt` is handed back for its worker to stop."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    running = await _queue(storage, _run(thread.thread_id))
    await _claim(storage, utcnow())
    creation = await storage.create_run(
        _run(thread.thread_id, MultitaskStrategy.INTERRUPT),
        new_thread=None, thread_metadata={}, thread_config={},
    )  # fmt: skip
    assert [r.run_id for r in creation.to_cancel] == [running.run_id]


async def test_finish_writes_interrupts_in_the_same_transaction(storage: Storage) -> None:
    """Ending a run at a pause records its interrupts; the next ending resolves them."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    run = await _queue(storage, _run(thread.thread_id))
    await _claim(storage, utcnow())
    record = InterruptRecord(
        interrupt_id="a" * 32, thread_id=thread.thread_id, run_id=run.run_id, assistant_id="a",
        graph_id="g", checkpoint_id="c", task_id="t", namespace="", node="human_node",
        when="during", value={"q": 1}, response_schema=None, status="pending", created_at=utcnow(),
    )  # fmt: skip
    paused = RunOutcome(
        status=RunStatus.SUCCESS, output={}, thread_status=ThreadStatus.INTERRUPTED,
        thread_values={}, thread_interrupts={"t": [{"id": "a" * 32, "value": {"q": 1}}]},
        pending_interrupts=[record],
    )  # fmt: skip
    await storage.finish_run(run.run_id, paused, utcnow())
    assert [i.interrupt_id for i in await storage.pending_interrupts(thread.thread_id)] == [
        "a" * 32
    ]
    stored = await storage.get_thread(thread.thread_id)
    assert stored is not None
    assert stored.status == ThreadStatus.INTERRUPTED
    resume = await _queue(storage, _run(thread.thread_id))
    await _claim(storage, utcnow())
    done = RunOutcome(status=RunStatus.SUCCESS, output={}, thread_status=ThreadStatus.IDLE,
                      thread_values={})  # fmt: skip
    await storage.finish_run(resume.run_id, done, utcnow())
    assert await storage.pending_interrupts(thread.thread_id) == []


async def test_delayed_runs_wait_for_their_time(storage: Storage) -> None:
    """A run with `available_at` in the future is not claimed before then."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    later = replace(_run(thread.thread_id), available_at=utcnow() + timedelta(hours=1))
    await _queue(storage, later)
    assert await _claim(storage, utcnow()) is None
    assert await storage.next_available_at() == later.available_at
    assert await _claim(storage, utcnow() + timedelta(hours=2)) is not None


async def test_requeue_running(storage: Storage) -> None:
    """Runs left running by a dead process go back to pending."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    run = await _queue(storage, _run(thread.thread_id))
    await _claim(storage, utcnow())
    assert await storage.requeue_running(utcnow()) == [run.run_id]
    again = await _claim(storage, utcnow())
    assert again is not None
    assert again.attempt == 2


async def test_search_threads_by_status_and_metadata(storage: Storage) -> None:
    """Thread search filters by status and by metadata values, and counts the total."""
    await storage.create_thread(_thread(metadata={"user": "alice", "n": 1}), if_exists="raise")
    await storage.create_thread(_thread(metadata={"user": "bob"}), if_exists="raise")
    found, total = await storage.search_threads(ThreadQuery(metadata={"user": "alice", "n": 1}))
    assert total == 1
    assert found[0].metadata["user"] == "alice"
    _, idle = await storage.search_threads(ThreadQuery(status=ThreadStatus.IDLE))
    assert idle == 2


async def test_migrations_match_schema_snapshot(tmp_path: Path) -> None:
    """Applying every migration gives the same tables, columns and indexes as schema.sql."""
    async with SQLiteStorage(tmp_path / "migrated.db"):
        pass
    snapshot = sqlite3.connect(tmp_path / "snapshot.db")
    snapshot.executescript(load_schema("sqlite"))
    migrated = sqlite3.connect(tmp_path / "migrated.db")
    assert _shape(migrated) == _shape(snapshot)
    snapshot.close()
    migrated.close()


def _shape(conn: sqlite3.Connection) -> dict[str, object]:
    # Column lists and index definitions, not CREATE texts: ALTER TABLE rewrites those.
    shape: dict[str, object] = {}
    names = conn.execute(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "AND name != 'interlock_migrations' ORDER BY name"
    ).fetchall()
    for kind, name, table in names:
        if kind == "table":
            shape[name] = conn.execute(f"PRAGMA table_info({name})").fetchall()
        elif kind == "index":
            shape[name] = (table, conn.execute(f"PRAGMA index_info({name})").fetchall())
    return shape


def _event(run: Run, name: str, n: int) -> NewEvent:
    return NewEvent(run_id=run.run_id, thread_id=run.thread_id, event=name, data=f'{{"n": {n}}}')


async def test_event_log_orders_reads_and_prunes(storage: Storage) -> None:
    """Events read back in order after an id, per run and per thread; old ones are pruned."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    run = await _queue(storage, _run(thread.thread_id))
    await _claim(storage, utcnow())
    last = await storage.append_events([_event(run, "values", n) for n in range(5)], utcnow())
    events = await storage.read_events(run_id=run.run_id, after=0, limit=100)
    assert [e.data for e in events] == [f'{{"n": {n}}}' for n in range(5)]
    assert events[-1].event_id == last
    tail = await storage.read_events(run_id=run.run_id, after=events[1].event_id, limit=2)
    assert [e.event_id for e in tail] == [events[2].event_id, events[3].event_id]
    by_thread = await storage.read_events(thread_id=thread.thread_id, after=0, limit=100)
    assert by_thread == events
    assert await storage.last_thread_event_id(thread.thread_id) == last
    # A running run keeps its events whatever their age.
    assert await storage.prune_events(utcnow() + timedelta(days=1)) == 0
    done = RunOutcome(
        status=RunStatus.SUCCESS, output={}, thread_status=ThreadStatus.IDLE, thread_values={}
    )
    await storage.finish_run(run.run_id, done, utcnow(), [_event(run, "end", 5)])
    assert len(await storage.read_events(run_id=run.run_id, after=0, limit=100)) == 6
    assert await storage.prune_events(utcnow() - timedelta(days=1)) == 0
    assert await storage.prune_events(utcnow() + timedelta(days=1)) == 6


async def test_decisions_follow_thread_deletion_unless_kept(storage: Storage) -> None:
    """A claimed answer records a decision; deleting the thread drops it unless asked to keep."""
    kept_ids = []
    for keep in (False, True):
        thread = await storage.create_thread(_thread(), if_exists="raise")
        run = await _queue(storage, _run(thread.thread_id))
        await _claim(storage, utcnow())
        record = InterruptRecord(
            interrupt_id=f"{int(keep):032x}", thread_id=thread.thread_id, run_id=run.run_id,
            assistant_id="a", graph_id="g", checkpoint_id="c", task_id="t", namespace="",
            node="n", when="during", value=1, response_schema=None, status="pending",
            created_at=utcnow(),
        )  # fmt: skip
        paused = RunOutcome(
            status=RunStatus.SUCCESS, output={}, thread_status=ThreadStatus.INTERRUPTED,
            thread_values={}, pending_interrupts=[record],
        )  # fmt: skip
        await storage.finish_run(run.run_id, paused, utcnow())
        resume = _run(thread.thread_id)
        decision = Decision(
            decision_id=new_id(), interrupt_id=record.interrupt_id, thread_id=thread.thread_id,
            run_id=resume.run_id, value="yes", actor="alice", source="api",
            payload_sha256="0" * 64, created_at=utcnow(),
        )  # fmt: skip
        await storage.create_run(
            resume, new_thread=None, thread_metadata={}, thread_config={},
            claims=[InterruptClaim(interrupt_id=record.interrupt_id, decision=decision)],
        )  # fmt: skip
        with pytest.raises(ConflictError):
            await storage.create_run(
                _run(thread.thread_id), new_thread=None, thread_metadata={}, thread_config={},
                claims=[InterruptClaim(interrupt_id=record.interrupt_id, decision=decision)],
            )  # fmt: skip
        await storage.cancel_pending_runs([resume.run_id], delete=False, now=utcnow())
        await storage.delete_thread(thread.thread_id, keep_decisions=keep)
        found, _ = await storage.search_decisions(DecisionQuery(thread_id=thread.thread_id))
        kept_ids.append([d.decision_id for d in found])
    assert kept_ids[0] == []
    assert len(kept_ids[1]) == 1


@pytest.mark.postgres
def test_postgres_migrations_match_schema_snapshot(postgres_admin: str) -> None:
    """On PostgreSQL too, the migrations give the same columns and indexes as schema.sql."""
    import asyncio
    import uuid

    import psycopg

    names = [f"interlock_m_{uuid.uuid4().hex[:10]}", f"interlock_s_{uuid.uuid4().hex[:10]}"]
    base = postgres_admin.rpartition("/")[0]
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:

        async def migrate() -> None:
            async with PostgresStorage(f"{base}/{names[0]}"):
                pass

        asyncio.run(migrate())
        with psycopg.connect(f"{base}/{names[1]}", autocommit=True) as conn:
            conn.execute(load_schema("postgres"))
        shapes = []
        for name in names:
            with psycopg.connect(f"{base}/{name}") as conn:
                columns = conn.execute(
                    "SELECT table_name, column_name, data_type, is_nullable, column_default "
                    "FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name != 'interlock_migrations' ORDER BY 1, 2"
                ).fetchall()
                indexes = conn.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                    "AND tablename != 'interlock_migrations' ORDER BY 1"
                ).fetchall()
                shapes.append((columns, indexes))
        assert shapes[0] == shapes[1]
    finally:
        with psycopg.connect(postgres_admin, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_leases_renew_expire_and_end_after_max_attempts(storage: Storage) -> None:
    """A held lease renews; an expired one requeues the run; out of attempts it ends in error."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    run = await _queue(storage, _run(thread.thread_id))
    now = utcnow()
    assert await _claim(storage, now, "w1") is not None
    held = await storage.renew_leases("w1", [run.run_id], now + timedelta(seconds=30))
    assert held == {run.run_id: None}
    assert await storage.renew_leases("w2", [run.run_id], now) == {}
    assert await storage.request_cancel(run.run_id, "interrupt")
    assert await storage.renew_leases("w1", [run.run_id], now + timedelta(seconds=30)) == {
        run.run_id: "interrupt"
    }
    later = now + timedelta(minutes=5)
    assert await storage.recover_expired(later, max_attempts=2) == []
    again = await _claim(storage, later, "w2")
    assert again is not None
    assert again.attempt == 2
    assert again.cancel_action is None
    # The first worker lost the run: its late ending writes nothing.
    done = RunOutcome(
        status=RunStatus.SUCCESS, output={}, thread_status=ThreadStatus.IDLE, thread_values={}
    )
    assert await storage.finish_run(run.run_id, done, later, worker_id="w1") is None
    much_later = later + timedelta(minutes=5)
    [ended] = await storage.recover_expired(much_later, max_attempts=2)
    assert ended.status == RunStatus.ERROR
    assert ended.output["__error__"]["error"] == "WorkerLost"
    stored = await storage.get_thread(thread.thread_id)
    assert stored is not None
    assert stored.status == ThreadStatus.ERROR


@pytest.mark.postgres
async def test_postgres_storage_reconnects_after_losing_its_connection(
    postgres_dsn: str, end_sessions: Callable[[str], int]
) -> None:
    """When the server drops the connection (a restart), the next operation reconnects."""
    async with PostgresStorage(postgres_dsn) as storage:
        thread = await storage.create_thread(_thread(), if_exists="raise")
        assert end_sessions(postgres_dsn)
        assert await storage.get_thread(thread.thread_id) == thread
        other = await storage.create_thread(_thread(), if_exists="raise")
        assert await storage.get_thread(other.thread_id) == other


async def test_unchecked_resume_behind_a_resume_run_conflicts(storage: Storage) -> None:
    """A resume queued behind the run that already answers the interrupt is refused."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    run = await _queue(storage, _run(thread.thread_id))
    await _claim(storage, utcnow())
    record = InterruptRecord(
        interrupt_id="c" * 32, thread_id=thread.thread_id, run_id=run.run_id,
        assistant_id="a", graph_id="g", checkpoint_id="c", task_id="t", namespace="",
        node="n", when="during", value=1, response_schema=None, status="pending",
        created_at=utcnow(),
    )  # fmt: skip
    paused = RunOutcome(
        status=RunStatus.SUCCESS, output={}, thread_status=ThreadStatus.INTERRUPTED,
        thread_values={}, pending_interrupts=[record],
    )  # fmt: skip
    await storage.finish_run(run.run_id, paused, utcnow())
    resume = _run(thread.thread_id)
    decision = Decision(
        decision_id=new_id(), interrupt_id=record.interrupt_id, thread_id=thread.thread_id,
        run_id=resume.run_id, value="yes", actor=None, source="api",
        payload_sha256="0" * 64, created_at=utcnow(),
    )  # fmt: skip
    await storage.create_run(
        resume, new_thread=None, thread_metadata={}, thread_config={},
        claims=[InterruptClaim(interrupt_id=record.interrupt_id, decision=decision)],
    )  # fmt: skip
    late = _run(thread.thread_id)
    with pytest.raises(ConflictError, match="already answered"):
        await storage.create_run(
            late, new_thread=None, thread_metadata={}, thread_config={},
            resume_unchecked=True,
        )  # fmt: skip
    assert await storage.get_run(late.run_id) is None


@pytest.mark.postgres
async def test_postgres_pool_serves_operations_while_a_connection_waits_on_a_lock(
    postgres_dsn: str,
) -> None:
    """A transaction stuck behind a row lock does not hold up the process's other calls."""
    import asyncio

    import psycopg

    async with PostgresStorage(postgres_dsn, pool_size=3) as storage:
        thread = await storage.create_thread(_thread(), if_exists="raise")
        with psycopg.connect(postgres_dsn) as blocker:
            # Hold the thread's row lock from outside, so a run for it waits in the pool.
            blocker.execute("SELECT 1 FROM threads WHERE thread_id = %s FOR UPDATE",
                            (thread.thread_id,))  # fmt: skip
            waiting = asyncio.create_task(_queue(storage, _run(thread.thread_id)))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            # Other calls go through the pool's other connections meanwhile.
            others = await asyncio.gather(
                *(storage.create_thread(_thread(), if_exists="raise") for _ in range(10))
            )
            assert len(others) == 10
            assert not waiting.done()
            blocker.rollback()
        run = await waiting
        assert (await storage.get_run(run.run_id)) is not None
        assert storage.open_connections <= 3


async def test_storage_without_migrate_refuses_a_schema_that_is_behind(tmp_path: Path) -> None:
    """`--no-migrate` on a database nobody upgraded: a clear error, and nothing created."""
    from interlock.errors import StorageError

    fresh = SQLiteStorage(tmp_path / "behind.db", migrate=False)
    with pytest.raises(StorageError, match="interlock db upgrade"):
        async with fresh:
            pass
    # Once upgraded, the same switch opens it.
    async with SQLiteStorage(tmp_path / "behind.db"):
        pass
    async with SQLiteStorage(tmp_path / "behind.db", migrate=False) as upgraded:
        assert await upgraded.get_thread("missing") is None


@pytest.mark.postgres
async def test_postgres_without_migrate_refuses_a_schema_that_is_behind(
    new_postgres_database: Callable[[], str],
) -> None:
    """The same refusal on an empty PostgreSQL database."""
    from interlock.errors import StorageError

    dsn = new_postgres_database()
    with pytest.raises(StorageError, match="interlock db upgrade"):
        async with PostgresStorage(dsn, migrate=False):
            pass
    async with PostgresStorage(dsn):
        pass
    async with PostgresStorage(dsn, migrate=False) as upgraded:
        assert await upgraded.get_thread("missing") is None


async def test_ending_a_run_twice_or_from_a_stale_attempt_writes_nothing(storage: Storage) -> None:
    """A retried end (its acknowledgement lost) and an earlier attempt's end are no-ops."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    run = await _queue(storage, _run(thread.thread_id))
    now = utcnow()
    first = await _claim(storage, now, "w1")
    assert first is not None
    # The lease ran out and the same worker claimed the run again: attempt 2.
    later = now + timedelta(minutes=5)
    await storage.recover_expired(later, max_attempts=5)
    second = await _claim(storage, later, "w1")
    assert second is not None
    assert second.attempt == first.attempt + 1
    done = RunOutcome(
        status=RunStatus.SUCCESS, output={"n": 1}, thread_status=ThreadStatus.IDLE,
        thread_values={},
    )  # fmt: skip
    stale = await storage.finish_run(
        run.run_id, done, later, [_event(run, "values", 0)], worker_id="w1", attempt=first.attempt
    )
    assert stale is None
    ended = await storage.finish_run(
        run.run_id, done, later, [_event(run, "values", 1)], worker_id="w1", attempt=second.attempt
    )
    assert ended is not None
    assert ended.status == RunStatus.SUCCESS
    again = await storage.finish_run(
        run.run_id, done, later, [_event(run, "values", 1)], worker_id="w1", attempt=second.attempt
    )
    assert again is None
    events = await storage.read_events(run_id=run.run_id, after=0, limit=10)
    assert [e.data for e in events] == ['{"n": 1}']


async def test_release_run_lets_go_of_one_attempt_only(storage: Storage) -> None:
    """Releasing an attempt requeues the run; a stale attempt's release changes nothing."""
    thread = await storage.create_thread(_thread(), if_exists="raise")
    run = await _queue(storage, _run(thread.thread_id))
    now = utcnow()
    first = await _claim(storage, now, "w1")
    assert first is not None
    assert await storage.release_run(run.run_id, worker_id="w1", attempt=first.attempt, now=now)
    [] = await storage.recover_expired(now + timedelta(milliseconds=1), max_attempts=5)
    second = await _claim(storage, now + timedelta(seconds=1), "w1")
    assert second is not None
    assert second.attempt == first.attempt + 1
    # The first attempt, late, tries to let go again: the second keeps the run.
    late = now + timedelta(seconds=2)
    assert not await storage.release_run(
        run.run_id, worker_id="w1", attempt=first.attempt, now=late
    )
    assert await storage.recover_expired(late + timedelta(milliseconds=1), max_attempts=5) == []
    held = await storage.get_run(run.run_id)
    assert held is not None
    assert held.status == RunStatus.RUNNING
