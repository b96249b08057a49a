"""The on-disk response cache: SQLite under the user cache dir (or ``JURIST_CACHE_DIR``).

Keyed by a hash of the model URI and the full request (messages, schema, parameters, endpoint), so a
re-run of the same judgments makes no provider call. Reads hit memory first (the most recent
``JURIST_CACHE_MAX_ENTRIES`` answers), then disk. Each answer is committed as it arrives, by a writer
thread so that the event loop never waits on SQLite, and before the judge that asked for it gets it: a
process killed mid-run has paid for no answer it did not keep, and its resume finds every one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from pathlib import Path
from typing import Any

log = logging.getLogger("jurist.cache")
#: Tries at opening the cache file before its error is given (about 1.4 s in all).
SETUP_ATTEMPTS = 8
#: Answers kept in memory by default (``JURIST_CACHE_MAX_ENTRIES``); older ones are read from disk again.
DEFAULT_MAX_ENTRIES = 10_000


def cache_dir() -> Path:
    """The response cache's directory in force (``JURIST_CACHE_DIR``, else the user cache dir)."""
    from jurist._runtime import RUNTIME

    return RUNTIME.settings.response_cache_dir


def cache_key(model_uri: str, endpoint: str, fingerprint: dict[str, Any]) -> str:
    blob = json.dumps([model_uri, endpoint, fingerprint], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


_Row = tuple[str, str, float]


class ResponseCache:
    """Answers by key: the most recent ``max_entries`` in memory, every one in SQLite.

    :meth:`put` writes through in the caller's thread; :meth:`aput` (the model client's) hands the write to
    the cache's writer thread and returns once it is committed, so the event loop never waits on SQLite and
    an answer is on disk before it is used. Answers arriving together are committed in one transaction.
    """

    def __init__(self, path: Path | None = None, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.path = path or (cache_dir() / "responses.sqlite")
        self.max_entries = max(0, int(max_entries))
        self._mem: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._mem_lock = threading.Lock()
        self._pending: list[_Row] = []  # failed writes, tried again with the next one
        self._lock = threading.Lock()  # the connection and _pending
        self._db: sqlite3.Connection | None = None
        self._queue: list[tuple[_Row, Future[None]]] = []
        self._wake = threading.Condition()
        self._writer: threading.Thread | None = None
        self._stopping = False
        self._warned = False

    def __len__(self) -> int:
        """Answers held in memory."""
        return len(self._mem)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False, isolation_level=None)
            try:
                # Processes opening a new cache file together (a cluster's workers) race to switch it to
                # WAL; SQLite reports the loser "locked" at once instead of waiting, so wait here.
                for attempt in range(SETUP_ATTEMPTS):
                    try:
                        db.execute("PRAGMA journal_mode=WAL")
                        db.execute("PRAGMA synchronous=NORMAL")
                        db.execute("CREATE TABLE IF NOT EXISTS responses "
                                   "(key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL)")
                        break
                    except sqlite3.OperationalError:
                        if attempt == SETUP_ATTEMPTS - 1:
                            raise
                        time.sleep(0.05 * (attempt + 1))
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def _remember(self, key: str, value: dict[str, Any]) -> None:
        if self.max_entries == 0:
            return
        with self._mem_lock:
            self._mem[key] = value
            self._mem.move_to_end(key)
            while len(self._mem) > self.max_entries:
                self._mem.popitem(last=False)

    def get(self, key: str) -> dict[str, Any] | None:
        with self._mem_lock:
            hit = self._mem.get(key)
            if hit is not None:
                self._mem.move_to_end(key)
                return hit
        try:
            with self._lock:
                row = self._conn().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as e:
            # A cache that cannot be read is a miss, never a failed judgment: the answer is asked for again.
            if not self._warned:
                self._warned = True
                log.warning("the response cache %s could not be read (%s: %s); answers are asked for again",
                            self.path, type(e).__name__, e)
            return None
        if row is None:
            return None
        value: dict[str, Any] = json.loads(row[0])
        self._remember(key, value)
        return value

    async def aget(self, key: str) -> dict[str, Any] | None:
        """:meth:`get`, for callers that also take the Redis cache (whose reads are awaited)."""
        return self.get(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Keep ``value`` and commit it now, in this thread."""
        self._remember(key, value)
        with self._lock:
            self._pending.append((key, json.dumps(value, ensure_ascii=False), time.time()))
        try:
            self.flush()
        except sqlite3.Error:
            pass  # the cache is busy or unwritable: the answer stays pending, tried again with the next one

    async def aput(self, key: str, value: dict[str, Any]) -> None:
        """Keep ``value`` and return once the writer thread has committed it (or failed to: it stays
        pending, tried again with the next write). The event loop is free meanwhile."""
        import asyncio

        done: Future[None] = Future()
        row = (key, json.dumps(value, ensure_ascii=False), time.time())
        with self._wake:
            closed = self._stopping
            if not closed:
                self._remember(key, value)
                self._queue.append((row, done))
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_loop, name="jurist-cache-writer",
                                                    daemon=True)
                    self._writer.start()
                self._wake.notify()
        if closed:  # the runtime was reset meanwhile: write through, as put does
            self.put(key, value)
            return
        await asyncio.wrap_future(done)

    def _write_loop(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._stopping:
                    self._wake.wait()
                if not self._queue:
                    return
            self._drain()

    def _drain(self) -> None:
        """Commit the queued answers (with any pending) in one transaction and release their waiters."""
        with self._wake:
            batch, self._queue = self._queue, []
        if not batch:
            return
        try:
            with self._lock:
                self._pending.extend(row for row, _ in batch)
            self.flush()
        except sqlite3.Error:
            pass  # they stay pending
        finally:
            for _, done in batch:
                done.set_result(None)

    def flush(self) -> None:
        """Commit every answer not yet on disk, in this thread."""
        with self._lock:
            pending, self._pending = self._pending, []
            if not pending:
                return
            try:
                db = self._conn()
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)", pending)
                db.execute("COMMIT")
            except sqlite3.Error:
                if self._db is not None and self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._pending[:0] = pending
                raise

    def clear(self) -> None:
        with self._mem_lock:
            self._mem.clear()
        with self._lock:
            self._pending.clear()
            self._conn().execute("DELETE FROM responses")

    def close(self) -> None:
        """Stop the writer (after it commits what is queued), commit what is pending, close the database."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
            writer = self._writer
        if writer is not None and writer is not threading.current_thread():
            writer.join(timeout=30)
        self._drain()
        try:
            self.flush()
        finally:
            with self._lock:
                if self._db is not None:
                    self._db.close()
                    self._db = None
