
import logging
import sqlite3
from pathlib import Path

import pytest

from jurist.models._cache import ResponseCache


def test_each_answer_is_on_disk_as_soon_as_it_is_cached(tmp_path: Path) -> None:
    # A process killed right after an answer came back must not pay for it again: the next process (here,
    # another connection) reads it without any flush or close.
    cache = ResponseCache(tmp_path / "responses.sqlite")
    cache.put("k1", {"text": "yes"})
    other = sqlite3.connect(str(tmp_path / "responses.sqlite"))
    try:
        assert other.execute("SELECT count(*) FROM responses WHERE key = 'k1'").fetchone() == (1,)
    finally:
        other.close()
    assert ResponseCache(tmp_path / "responses.sqlite").get("k1") == {"text": "yes"}
    cache.close()


def test_memory_holds_the_most_recent_answers_and_disk_the_rest(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "responses.sqlite", max_entries=3)
    for i in range(5):
        cache.put(f"k{i}", {"text": str(i)})
    assert len(cache) == 3
    assert cache.get("k4") == {"text": "4"}
    assert cache.get("k0") == {"text": "0"}  # forgotten in memory, read from disk (and kept again)
    assert len(cache) == 3
    none = ResponseCache(tmp_path / "responses.sqlite", max_entries=0)
    assert none.get("k1") == {"text": "1"} and len(none) == 0
    cache.close()
    none.close()


def test_the_event_loop_runs_on_while_an_answer_waits_for_the_database(tmp_path: Path) -> None:
    import asyncio

    path = tmp_path / "responses.sqlite"
    cache = ResponseCache(path)
    cache.put("warm", {"text": "x"})  # the file exists and is in WAL mode
    blocker = sqlite3.connect(str(path), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    async def main() -> None:
        put = asyncio.ensure_future(cache.aput("k1", {"text": "yes"}))
        ticks = 0
        for _ in range(20):  # the loop keeps turning while the write waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not put.done()
        assert cache.get("k1") == {"text": "yes"}  # served from memory meanwhile
        blocker.execute("COMMIT")
        await put  # returns once the answer is committed

    try:
        asyncio.run(main())
        other = sqlite3.connect(str(path))
        assert other.execute("SELECT count(*) FROM responses WHERE key = 'k1'").fetchone() == (1,)
        other.close()
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
        cache.close()


def test_answers_arriving_together_are_all_committed(tmp_path: Path) -> None:
    import asyncio

    cache = ResponseCache(tmp_path / "responses.sqlite")

    async def main() -> None:
        await asyncio.gather(*(cache.aput(f"k{i}", {"text": str(i)}) for i in range(200)))

    asyncio.run(main())
    other = sqlite3.connect(str(tmp_path / "responses.sqlite"))
    assert other.execute("SELECT count(*) FROM responses").fetchone() == (200,)
    other.close()
    cache.close()


def test_a_cache_that_cannot_be_read_is_a_miss_with_a_warning_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"this is not a database, " * 100)
    cache = ResponseCache(path)
    with caplog.at_level(logging.WARNING, logger="jurist.cache"):
        assert cache.get("k1") is None
        assert cache.get("k2") is None
    warnings = [r for r in caplog.records if r.name == "jurist.cache"]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()  # said once, not per judgment
    cache.put("k1", {"text": "yes"})  # kept in memory, its write left pending
    assert cache.get("k1") == {"text": "yes"}


def test_processes_opening_a_new_cache_together_all_read_and_write_it(tmp_path: Path) -> None:
    """Workers of a cluster open the shared file at once: none may fail on SQLite's race to switch it to
    WAL, which it reports as 'locked' without waiting."""
    import multiprocessing

    path = tmp_path / "shared" / "responses.sqlite"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(6) as pool:
        results = pool.starmap(_open_read_write, [(str(path), i) for i in range(24)])
    assert results == [None] * 24
    other = sqlite3.connect(str(path))
    assert other.execute("SELECT count(*) FROM responses").fetchone() == (24,)
    other.close()


def _open_read_write(path: str, i: int) -> None:
    cache = ResponseCache(Path(path))
    cache.get(f"k{i}")
    cache.put(f"k{i}", {"text": str(i)})
    cache.close()
