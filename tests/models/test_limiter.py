import asyncio
import time

from jurist.models._limiter import AdaptiveLimiter


async def test_limit_bounds_in_flight() -> None:
    lim = AdaptiveLimiter(3)
    peak = 0

    async def job() -> None:
        nonlocal peak
        await lim.acquire()
        peak = max(peak, lim.in_flight)
        await asyncio.sleep(0.01)
        lim.release()

    await asyncio.gather(*(job() for _ in range(20)))
    assert peak == 3 and lim.in_flight == 0


async def test_rate_limit_halves_and_pauses_then_recovers() -> None:
    lim = AdaptiveLimiter(8)
    for _ in range(8):
        await lim.acquire()
    lim.on_rate_limit(0.2)
    assert lim.limit == 4
    for _ in range(8):
        lim.release()
    start = time.monotonic()
    await lim.acquire()
    assert time.monotonic() - start >= 0.15
    lim.release()
    for _ in range(4):
        lim.on_success()
    assert lim.limit == 5


async def test_a_huge_retry_after_pauses_the_connection_at_most_a_minute() -> None:
    from jurist.models._limiter import MAX_PAUSE_S

    lim = AdaptiveLimiter(4)
    lim.on_rate_limit(86_400)
    assert lim._paused_until - time.monotonic() <= MAX_PAUSE_S


async def test_a_pause_with_nothing_in_flight_still_wakes_the_queue() -> None:
    # One request holds the only slots' worth of allowance; two wait. A 429 pauses the connection, then the
    # holder releases while the pause is on: nothing is in flight any more, so only the pause's end can
    # wake the queue. Before, the woken waiter went back to sleep at the queue's tail and all waited for good.
    lim = AdaptiveLimiter(2)
    await lim.acquire()
    await lim.acquire()
    done: list[str] = []

    async def waiter(name: str) -> None:
        await lim.acquire()
        done.append(name)
        lim.release()

    tasks = [asyncio.create_task(waiter(n)) for n in ("b", "c")]
    await asyncio.sleep(0)
    assert lim.waiting == 2
    lim.on_rate_limit(0.05)
    lim.release()
    lim.release()
    assert lim.in_flight == 0  # no slot is handed out while paused
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert sorted(done) == ["b", "c"] and lim.in_flight == 0 and lim.waiting == 0


async def test_every_request_rate_limited_at_first_still_finishes() -> None:
    # The retry loop's pattern: acquire, a 429 with Retry-After, release, sleep, try again. Each request's
    # first three attempts are refused; eight run at once.
    lim = AdaptiveLimiter(8)
    attempts: dict[int, int] = {}

    async def request(i: int) -> None:
        while True:
            await lim.acquire()
            await asyncio.sleep(0)
            attempts[i] = attempts.get(i, 0) + 1
            if attempts[i] <= 3:
                lim.on_rate_limit(0.02)
                lim.release()
                await asyncio.sleep(0.02)
                continue
            lim.release()
            lim.on_success()
            return

    await asyncio.wait_for(asyncio.gather(*(request(i) for i in range(8))), 20)
    assert attempts == {i: 4 for i in range(8)} and lim.in_flight == 0 and lim.waiting == 0


async def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    lim = AdaptiveLimiter(1)
    await lim.acquire()
    first = asyncio.create_task(lim.acquire())
    second = asyncio.create_task(lim.acquire())
    await asyncio.sleep(0)
    lim.release()  # hands the slot to ``first`` ...
    first.cancel()  # ... which is cancelled before it runs
    await asyncio.wait_for(second, 10)
    assert lim.in_flight == 1
    lim.release()
    assert lim.in_flight == 0
