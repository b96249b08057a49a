"""The event loop that jurist's async core runs on, and the sync doors into it.

All model calls run on one background event loop owned by jurist. That keeps one kept-alive HTTP
session per provider connection for the life of the process, whichever thread or loop the caller
uses, and makes the sync API work inside an already running loop (Jupyter).
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class _Runtime:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closers: list[Callable[[], Coroutine[Any, Any, None]]] = []

    def loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is not None:
            return loop
        with self._lock:
            if self._loop is None:
                ready = threading.Event()
                new_loop = asyncio.new_event_loop()

                def _run() -> None:
                    asyncio.set_event_loop(new_loop)
                    ready.set()
                    new_loop.run_forever()

                self._thread = threading.Thread(target=_run, name="jurist-runtime", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = new_loop
                atexit.register(self.shutdown)
            return self._loop

    @property
    def running(self) -> bool:
        """Whether the runtime loop exists and runs (it stops at interpreter exit)."""
        return self._loop is not None and self._loop.is_running()

    def in_runtime(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the runtime loop and wait for it (the sync door)."""
        if self.in_runtime():
            coro.close()
            raise RuntimeError(
                "A synchronous jurist call was made from inside jurist's own event loop; "
                "use the async form (await judge.acall(...)) in async code."
            )
        return self.submit(coro).result()

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the runtime loop from any other loop."""
        if self.in_runtime():
            return await coro
        return await asyncio.wrap_future(self.submit(coro))

    def on_shutdown(self, closer: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._closers.append(closer)

    def shutdown(self) -> None:
        loop = self._loop
        if loop is None or not loop.is_running():
            return

        async def _close_all() -> None:
            for closer in reversed(self._closers):
                try:
                    await closer()
                except Exception:
                    pass

        try:
            asyncio.run_coroutine_threadsafe(_close_all(), loop).result(timeout=5)
        except Exception:
            pass
        loop.call_soon_threadsafe(loop.stop)


RUNTIME = _Runtime()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    return RUNTIME.run(coro)
