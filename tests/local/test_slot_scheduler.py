"""How the slot scheduler places judgments: no model, a fake send that records what ran where."""

from __future__ import annotations

import asyncio

import pytest

from jurist.local._slots import SlotScheduler


class Engine:
    """Records each judgment's slot and what each slot's cache held when it started."""

    def __init__(self, n: int, fail_copies: bool = False) -> None:
        self.cache: list[str | None] = [None] * n
        self.evaluated: list[str | None] = []  # prefixes evaluated from scratch
        self.copies: list[tuple[int, list[int]]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail_copies = fail_copies
        self.sched = SlotScheduler(n, self.copy)

    async def copy(self, source: int, targets: list[int]) -> None:
        await asyncio.sleep(0)
        if self.fail_copies:
            raise OSError("no room for the slot file")
        self.copies.append((source, targets))
        for t in targets:
            self.cache[t] = self.cache[source]

    async def judge(self, key: str | None, fail: bool = False) -> int:
        async def send(slot: int) -> int:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                if self.cache[slot] != key or key is None:
                    self.evaluated.append(key)
                self.cache[slot] = key
                await asyncio.sleep(0.001)
                if fail:
                    self.cache[slot] = None
                    raise RuntimeError("the engine crashed")
                return slot
            finally:
                self.in_flight -= 1

        return await self.sched.run(key, send)


def test_a_judges_instructions_are_evaluated_once_and_copied_to_the_other_slots() -> None:
    async def main() -> Engine:
        e = Engine(4)
        await asyncio.gather(*(e.judge("A") for _ in range(12)))
        return e

    e = asyncio.run(main())
    assert e.evaluated == ["A"]
    assert e.copies and sorted(e.copies[0][1]) == [s for s in range(4) if s != e.copies[0][0]]
    assert e.most_in_flight == 4


def test_two_judges_start_together_and_each_is_evaluated_once() -> None:
    async def main() -> Engine:
        e = Engine(4)
        await asyncio.gather(*(e.judge(k) for k in ["A"] * 6 + ["B"] * 6))
        return e

    e = asyncio.run(main())
    assert sorted(e.evaluated, key=str) == ["A", "B"]


def test_judgments_without_a_shared_prefix_use_every_slot() -> None:
    async def main() -> Engine:
        e = Engine(3)
        await asyncio.gather(*(e.judge(None) for _ in range(9)))
        return e

    e = asyncio.run(main())
    assert e.most_in_flight == 3 and len(e.evaluated) == 9


def test_a_failed_judgment_frees_its_slot_and_the_next_one_evaluates_the_prefix() -> None:
    async def main() -> tuple[Engine, list[int | BaseException]]:
        e = Engine(2)
        first = asyncio.ensure_future(e.judge("A", fail=True))
        await asyncio.sleep(0)
        rest = [asyncio.ensure_future(e.judge("A")) for _ in range(3)]
        out = await asyncio.gather(first, *rest, return_exceptions=True)
        return e, out

    e, out = asyncio.run(main())
    assert isinstance(out[0], RuntimeError)
    assert all(isinstance(o, int) for o in out[1:])
    assert e.evaluated.count("A") == 2  # the failure's, and the next one's: never more than needed


def test_a_failed_copy_costs_speed_not_judgments() -> None:
    async def main() -> Engine:
        e = Engine(3, fail_copies=True)
        await asyncio.gather(*(e.judge("A") for _ in range(9)))
        return e

    e = asyncio.run(main())
    assert not e.copies and e.evaluated.count("A") >= 2


def test_a_cancelled_judgment_gives_its_place_back() -> None:
    async def main() -> Engine:
        e = Engine(1)
        running = asyncio.ensure_future(e.judge("A"))
        waiting = asyncio.ensure_future(e.judge("B"))
        await asyncio.sleep(0)
        waiting.cancel()
        await running
        assert await e.judge("C") == 0  # the cancelled one holds no slot
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return e

    e = asyncio.run(main())
    assert e.evaluated == ["A", "C"]
