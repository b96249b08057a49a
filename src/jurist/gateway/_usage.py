"""Recording usage without slowing requests: rows are queued in memory and written in batches from a
worker thread, every ``interval`` seconds or sooner when many are waiting."""

from __future__ import annotations

import asyncio
import logging

from jurist.gateway._store import GatewayStore, UsageRecord

log = logging.getLogger("jurist.gateway")

#: Rows kept while the database is unreachable; beyond this the oldest are dropped (and said so).
MAX_PENDING = 100_000


class UsageRecorder:
    def __init__(self, store: GatewayStore, interval: float = 0.5, batch: int = 2_000) -> None:
        self.store = store
        self.interval = interval
        self.batch = batch
        self._pending: list[UsageRecord] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self.written = 0

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="jurist-gateway-usage")

    def record(self, rec: UsageRecord) -> None:
        self._pending.append(rec)
        if len(self._pending) >= self.batch and self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write every queued row now."""
        if self._lock is None:
            return
        async with self._lock:
            while self._pending:
                rows, self._pending = self._pending[: self.batch], self._pending[self.batch:]
                try:
                    self.written += await asyncio.to_thread(self.store.insert_usage, rows)
                except Exception as e:
                    self._pending[:0] = rows
                    if len(self._pending) > MAX_PENDING:
                        dropped = len(self._pending) - MAX_PENDING
                        del self._pending[:dropped]
                        log.error("gateway usage: dropped %d unrecorded rows", dropped)
                    log.error("gateway usage could not be recorded (will retry): %s", e)
                    return

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()
