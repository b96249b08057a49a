"""The runtime: the one object that owns jurist's process state, and the sync doors into its event loop.

All model calls run on one background event loop owned by jurist. That keeps one kept-alive HTTP
session per provider connection for the life of the process, whichever thread or loop the caller
uses, and makes the sync API work inside an already running loop (Jupyter).

Besides the loop, the runtime owns everything else a process keeps between calls: the settings (the
``JURIST_*`` variables, read once on first use), and the state of each layer, made on first use and
registered here as a *part*: the model layer's HTTP sessions, limiters, schema fallbacks and response
cache; the fake models registered by name (``fake:/<name>``); the tracking URI, experiment and open
stores; the tracing provider and its trace buffer; the local engines. :func:`reset` forgets it all (the
settings are read again on next use) except the loaded local models; :func:`close` closes everything,
local models included. The runtime imports nothing of the layers above it: each layer hands it a
factory.

Example:
    >>> import jurist
    >>> jurist.reset()   # after changing JURIST_* variables, or between tests
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from jurist._settings import Settings

T = TypeVar("T")


class Part(Protocol):
    """State a layer keeps for the process; ``close`` releases what it holds (called from a thread that is
    not the runtime loop's when there is one)."""

    def close(self) -> None: ...


P = TypeVar("P", bound=Part)


class Runtime:
    """The process's event loop, settings and parts. There is one, :data:`RUNTIME`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closers: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._settings: Settings | None = None
        self._parts: dict[str, Part] = {}
        #: Parts that survive :meth:`reset` (loaded local models); :meth:`close` ends them too.
        self._kept: set[str] = set()

    # -- settings and parts -------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The ``JURIST_*`` settings, read on first use after start or :meth:`reset`."""
        s = self._settings
        if s is None:
            from jurist._settings import Settings

            with self._lock:
                if self._settings is None:
                    self._settings = Settings.from_env()
                s = self._settings
        return s

    def part(self, name: str, factory: Callable[[], P], *, keep_on_reset: bool = False) -> P:
        """The part ``name``, made by ``factory`` on first use (and again after a reset that dropped it)."""
        found = self._parts.get(name)
        if found is None:
            with self._lock:
                found = self._parts.get(name)
                if found is None:
                    found = self._parts[name] = factory()
                    if keep_on_reset:
                        self._kept.add(name)
        return found  # type: ignore[return-value]

    def peek(self, name: str) -> Part | None:
        """The part ``name`` if it exists; never makes it."""
        return self._parts.get(name)

    def reset(self) -> None:
        """Forget the settings and every part but the loaded local models; each is made again on next use.

        Rate limits learnt, schema fallbacks, the response cache's memory (its disk stays), the fake models
        registered by name, the tracking URI and experiment set in code, open stores, HTTP sessions and the
        buffer of finished traces are all dropped (traces already queued for the store are still written).
        """
        with self._lock:
            dropped = [(n, p) for n, p in self._parts.items() if n not in self._kept]
            for n, _ in dropped:
                del self._parts[n]
            self._settings = None
        self._close_parts(dropped)

    def close(self) -> None:
        """:meth:`reset`, and stop the local models too. The runtime stays usable."""
        with self._lock:
            parts = list(self._parts.items())
            self._parts.clear()
            self._kept.clear()
            self._settings = None
        self._close_parts(parts)

    @staticmethod
    def _close_parts(parts: list[tuple[str, Part]]) -> None:
        for _, part in reversed(parts):
            try:
                part.close()
            except Exception:  # closing is best effort: a broken part must not keep the rest open
                pass

    # -- the loop -----------------------------------------------------------------------------------
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

    def close_soon(self, coro: Coroutine[Any, Any, None], timeout: float = 5.0) -> None:
        """Run a closing coroutine on the loop: waited for from another thread, scheduled from the loop's
        own, dropped when the loop is gone."""
        loop = self._loop
        if loop is None or not loop.is_running():
            coro.close()
            return
        if self.in_runtime():
            loop.create_task(coro)
            return
        try:
            asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=timeout)
        except Exception:
            pass

    def on_shutdown(self, closer: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._closers.append(closer)

    def shutdown(self) -> None:
        """Close every part and stop the loop (at interpreter exit)."""
        self.close()
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


#: The process's one runtime.
RUNTIME = Runtime()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    return RUNTIME.run(coro)


def settings() -> Settings:
    """The settings in force (read from the environment on first use after start or :func:`reset`)."""
    return RUNTIME.settings


def reset() -> None:
    """Forget jurist's process state and read the ``JURIST_*`` variables again on next use; loaded local
    models stay loaded (:func:`close` stops them).

    Example:
        >>> import os, jurist
        >>> os.environ["JURIST_TIMEOUT"] = "30"; jurist.reset()   # doctest: +SKIP
    """
    RUNTIME.reset()


def close() -> None:
    """Close everything jurist holds in this process: HTTP sessions, the response cache, open stores, the
    local models. jurist stays usable: what is needed next is made again."""
    RUNTIME.close()
