import asyncio
import time

from jurist.models._limiter import AdaptiveLimiter


async def test_limit_bounds_in_flight():
    lim = AdaptiveLimiter(3)
    peak = 0

    async def job():  # type: ignore[no-untyped-def]
        nonlocal peak
        await lim.acquire()
        peak = max(peak, lim.in_flight)
        await asyncio.sleep(0.01)
        lim.release()

    await asyncio.gather(*(job() for _ in range(20)))
    assert peak == 3 and lim.in_flight == 0


async def test_rate_limit_halves_and_pauses_then_recovers():
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


async def test_a_huge_retry_after_pauses_the_connection_at_most_a_minute():
    from jurist.models._limiter import MAX_PAUSE_S

    lim = AdaptiveLimiter(4)
    lim.on_rate_limit(86_400)
    assert lim._paused_until - time.monotonic() <= MAX_PAUSE_S
