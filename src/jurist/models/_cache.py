"""The on-disk response cache: SQLite under the user cache dir (or ``JURIST_CACHE_DIR``).

Keyed by a hash of the model URI and the full request (messages, schema, parameters, endpoint), so a
re-run of the same judgments makes no provider call. Reads hit memory first. Each answer is committed as
it arrives (one small WAL transaction, tens of microseconds), so that a process killed mid-run has paid
for no answer it did not keep: its resume finds every answer that had come back.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    env = os.environ.get("JURIST_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("jurist"))


def cache_key(model_uri: str, endpoint: str, fingerprint: dict[str, Any]) -> str:
    blob = json.dumps([model_uri, endpoint, fingerprint], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (cache_dir() / "responses.sqlite")
        self._mem: dict[str, dict[str, Any]] = {}
        self._pending: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL)")
            self._db = db
        return self._db

    def get(self, key: str) -> dict[str, Any] | None:
        hit = self._mem.get(key)
        if hit is not None:
            return hit
        with self._lock:
            row = self._conn().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value: dict[str, Any] = json.loads(row[0])
        self._mem[key] = value
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._mem[key] = value
        self._pending.append((key, json.dumps(value, ensure_ascii=False), time.time()))
        try:
            self.flush()
        except sqlite3.Error:
            pass  # the cache is busy or unwritable: the answer stays pending, tried again with the next one

    def flush(self) -> None:
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
        with self._lock:
            self._mem.clear()
            self._pending.clear()
            self._conn().execute("DELETE FROM responses")

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
