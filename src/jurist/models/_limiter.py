"""An adaptive concurrency limiter: additive increase, multiplicative decrease on 429.

One limiter guards one provider connection. It starts at ``max_concurrency`` in flight; each rate
limit halves the allowance and pauses new requests until the provider's ``Retry-After`` has passed;
each run of successes as long as the allowance raises it by one again.

Slots are handed over, not offered: a waiter is woken only with a slot already counted as its own, and
only when the connection is not paused. While a pause is on, a timer wakes the queue when it ends, so a
queue with nothing in flight never waits for a release that cannot come.
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
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return sum(1 for f in self._waiters if not f.done())

    async def acquire(self) -> None:
        if not self._waiters and self.in_flight < self.limit and time.monotonic() >= self._paused_until:
            self.in_flight += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        self._wake()
        try:
            await fut
        except BaseException:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot was handed to us as we were cancelled: pass it on
            else:
                try:
                    self._waiters.remove(fut)
                except ValueError:
                    pass
            raise

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        """Hand free slots to the queue's head, or, while paused, make sure the pause's end wakes it."""
        delay = self._paused_until - time.monotonic()
        if delay > 0:
            if self._waiters and self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)
            return
        while self._waiters and self.in_flight < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self.in_flight += 1
                fut.set_result(None)

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()  # re-arms itself if the pause was extended meanwhile

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
            self._wake()  # arms the timer that ends the pause for whoever is queued
