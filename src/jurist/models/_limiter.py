"""An adaptive concurrency limiter: additive increase, multiplicative decrease on 429.

One limiter guards one provider connection. It starts at ``max_concurrency`` in flight; each rate
limit halves the allowance and pauses new requests until the provider's ``Retry-After`` has passed;
each run of successes as long as the allowance raises it by one again.
"""

from __future__ import annotations

import asyncio
import collections
import time

#: The longest a 429 pauses a whole connection. A provider asking for more (a daily quota spent) fails the
#: request that saw it, in the retry loop; the others must not sit in the limiter for hours.
MAX_PAUSE_S = 60.0


class AdaptiveLimiter:
    def __init__(self, max_concurrency: int = 64, min_concurrency: int = 1) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self.min_concurrency = max(1, min(min_concurrency, self.max_concurrency))
        self.limit = self.max_concurrency
        self.in_flight = 0
        self._successes = 0
        self._paused_until = 0.0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> None:
        while True:
            delay = self._paused_until - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            if self.in_flight < self.limit and not self._waiters:
                self.in_flight += 1
                return
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            except BaseException:
                if fut in self._waiters:
                    self._waiters.remove(fut)
                elif fut.done() and not fut.cancelled():
                    self._wake()  # pass on the slot we were handed
                raise
            if self.in_flight < self.limit and time.monotonic() >= self._paused_until:
                self.in_flight += 1
                return

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight + 0 < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def on_success(self) -> None:
        self._successes += 1
        if self.limit < self.max_concurrency and self._successes >= self.limit:
            self._successes = 0
            self.limit += 1
            self._wake()

    def on_rate_limit(self, retry_after: float | None) -> None:
        self._successes = 0
        self.limit = max(self.min_concurrency, min(self.limit, max(self.in_flight, 1)) // 2)
        if retry_after and retry_after > 0:
            pause = min(retry_after, MAX_PAUSE_S)
            self._paused_until = max(self._paused_until, time.monotonic() + pause)
