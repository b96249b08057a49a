"""The lock a process holds on a run while it judges it, so that two processes never judge one run.

The operating system or the database holds it, never a row that could outlive its owner: on SQLite an
exclusive ``flock`` on a file beside the database (``jurist.db-run-<id>.lock``, removed on release); on
PostgreSQL a session advisory lock. Either is released the moment its process dies, even by ``kill -9``,
so a killed run can be resumed at once. A run in a store behind a ``jurist server`` is not locked.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from jurist.errors import ConfigError

log = logging.getLogger("jurist.evaluation")


class RunLock:
    """Held until :meth:`release` (or the process ends)."""

    def release(self) -> None:
        """Let another process judge the run."""


def _held(run_id: str, holder: str) -> ConfigError:
    return ConfigError(f"run {run_id} is being judged right now by another process{holder}; wait for it to end "
                       "(or stop it), then resume the run")


class _FileLock(RunLock):
    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still held: a later taker makes a fresh file
        finally:
            os.close(self.fd)
            self.fd = -1


class _AdvisoryLock(RunLock):
    def __init__(self, conn: Any, key: int) -> None:
        self.conn, self.key = conn, key

    def release(self) -> None:
        if self.conn is None:
            return
        from sqlalchemy import text

        conn, self.conn = self.conn, None
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            conn.commit()
            conn.close()
        except Exception:
            conn.invalidate()  # closing the session releases the lock with it


def lock_run(store: Any, run_id: str) -> RunLock:
    """Take ``run_id``'s lock in ``store``; a ConfigError when another live process holds it."""
    engine = getattr(store, "engine", None)
    dialect = getattr(store, "dialect", None)
    if engine is None:
        return RunLock()
    if dialect == "sqlite":
        db = engine.url.database
        if not db or db == ":memory:" or db.startswith("file:"):
            return RunLock()
        return _lock_file(Path(f"{db}-run-{run_id}.lock"), run_id)
    if dialect == "postgresql":
        return _lock_advisory(engine, run_id)
    return RunLock()


def _lock_file(path: Path, run_id: str) -> RunLock:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; runs go unlocked there
        return RunLock()
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:  # a folder we may read but not write: judge unlocked rather than not at all
            log.warning("run %s is not locked against a second process: cannot create %s (%s)", run_id, path, e)
            return RunLock()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                pid = os.read(fd, 32).decode(errors="replace").strip()
            finally:
                os.close(fd)
            raise _held(run_id, f" (pid {pid})" if pid else "") from None
        except BaseException:
            os.close(fd)
            raise
        # The holder before us may have removed the file between our open and our lock: lock the new one.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            return _FileLock(path, fd)
        os.close(fd)


def _lock_advisory(engine: Any, run_id: str) -> RunLock:
    from sqlalchemy import text

    key = int.from_bytes(hashlib.sha256(f"jurist-run:{run_id}".encode()).digest()[:8], "big", signed=True)
    conn = engine.connect()
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()  # the lock is the session's, not the transaction's: never sit idle in a transaction
    except BaseException:
        conn.invalidate()
        raise
    if not got:
        conn.close()
        raise _held(run_id, "")
    return _AdvisoryLock(conn, key)
