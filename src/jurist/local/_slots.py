"""Which of the engine's slots each judgment runs on, so that a judge's instructions are evaluated once.

llama.cpp keeps each slot's last prompt in its KV cache and reuses the longest common prefix, but left to
itself it gives the next queued task to whichever slot frees first. When all of a judge's judgments arrive
at once, every slot starts on the same instructions and evaluates them at the same time; on a CPU that
costs as much compute as evaluating them one after another. When judges interleave, a slot that held one
judge's instructions is given another's, and both are evaluated again.

So jurist places every judgment on a slot itself (llama.cpp's ``id_slot``), at most one per slot:

- a judgment goes to a free slot whose cache holds its prefix (the judge's system prompt);
- the first judgment of a prefix no slot holds goes to a slot nobody waits for, and the other judgments of
  that prefix wait for it rather than evaluating the same prefix beside it;
- when a judgment ends and more of its prefix wait than free slots hold it, its slot's state is copied to
  free slots nobody needs (llama.cpp's slot save and restore: a few MB, milliseconds), so those slots start
  on the row.

Judgments are taken oldest first, but one that must wait for its prefix does not hold up those behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("jurist.local")


@dataclass
class _Waiting:
    key: str | None
    slot: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class SlotScheduler:
    """Places judgments on ``n`` slots. ``copy(source, targets)`` copies one slot's prompt state to others."""

    def __init__(self, n: int, copy: Callable[[int, list[int]], Awaitable[None]]) -> None:
        self.n = n
        self._copy = copy
        #: The prefix each slot's cache holds (or is evaluating), None when unknown.
        self.keys: list[str | None] = [None] * n
        self.busy: list[bool] = [False] * n
        self._queue: list[_Waiting] = []
        self._copying: set[asyncio.Future[None]] = set()
        #: Off after a copy fails: judgments then evaluate their prefix on any free slot, as llama.cpp would.
        self.can_copy = True
        #: Slot states copied to other slots.
        self.copies = 0

    async def run(self, key: str | None, send: Callable[[int], Awaitable[T]]) -> T:
        """``send(slot)`` once a slot is this judgment's; the slot is freed when it returns or raises."""
        w = _Waiting(key)
        self._queue.append(w)
        self._dispatch()
        try:
            slot = await w.slot
        except asyncio.CancelledError:
            if w in self._queue:
                self._queue.remove(w)
            elif w.slot.done() and not w.slot.cancelled():  # placed just as it was cancelled
                self._release(w.slot.result(), key, ok=False)
            raise
        ok = False
        try:
            result = await send(slot)
            ok = True
            return result
        finally:
            self._release(slot, key, ok)

    def _release(self, slot: int, key: str | None, ok: bool) -> None:
        self.keys[slot] = key if ok else None
        waiting = sum(1 for w in self._queue if w.key == key) if ok and key is not None else 0
        holders = sum(1 for s in range(self.n) if not self.busy[s] and s != slot and self.keys[s] == key)
        spare = self._spare(exclude=slot)[: max(0, waiting - 1 - holders)] if self.can_copy else []
        if spare:
            for s in spare:  # taken while the copy runs, and already holding the prefix it will hold
                self.busy[s] = True
                self.keys[s] = key
            task = asyncio.ensure_future(self._copy_then_free(slot, spare, key))
            self._copying.add(task)
            task.add_done_callback(self._copying.discard)
            return
        self.busy[slot] = False
        self._dispatch()

    async def _copy_then_free(self, source: int, targets: list[int], key: str | None) -> None:
        try:
            await self._copy(source, targets)
            self.copies += len(targets)
        except Exception as e:  # a failed copy costs speed, never a judgment
            log.warning("could not copy a slot of the local engine (%s); each slot now evaluates its judge's "
                        "instructions itself", e)
            self.can_copy = False
            for s in targets:
                self.keys[s] = None
        finally:
            self.busy[source] = False
            for s in targets:
                self.busy[s] = False
            self._dispatch()

    def _spare(self, exclude: int | None = None) -> list[int]:
        """Free slots whose prefix no waiting judgment needs, emptiest first."""
        wanted = {w.key for w in self._queue if w.key is not None}
        free = [s for s in range(self.n) if not self.busy[s] and s != exclude and self.keys[s] not in wanted]
        return sorted(free, key=lambda s: self.keys[s] is not None)

    def _dispatch(self) -> None:
        for w in list(self._queue):
            if w.slot.done():
                self._queue.remove(w)
                continue
            free = [s for s in range(self.n) if not self.busy[s]]
            if not free:
                return
            same = [s for s in free if self.keys[s] == w.key]
            if same and w.key is not None:
                slot = same[0]
            elif self.can_copy and w.key is not None and w.key in (self.keys[s] for s in range(self.n) if self.busy[s]):
                continue  # its prefix is being evaluated, or used, on a busy slot: wait for that one
            else:
                spare = self._spare()
                if not spare:
                    continue
                slot = spare[0]
            self._queue.remove(w)
            self.busy[slot] = True
            self.keys[slot] = w.key
            w.slot.set_result(slot)
