"""A new judge's instructions are evaluated once, even when all its judgments arrive at once.

On the tiny SmolLM2-135M smoke model: these tests check how the engine spends its prompt evaluation, never
a verdict.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jurist.local import LocalEngine, ModelSpec
from tests.local.helpers import JUDGE_A, JUDGE_B, body


def _together(engine: LocalEngine, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(engine.achat(b) for b in bodies)))

    return asyncio.run(main())


def test_concurrent_judgments_of_a_new_judge_evaluate_its_instructions_once(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, slots=4)
    try:
        outs = _together(engine, [body(JUDGE_A, f"Row {i}: is {i} an even number?", max_tokens=2)
                                  for i in range(4)])
        timings = sorted((o["timings"] for o in outs), key=lambda t: t["cache_n"])
        first, rest = timings[0], timings[1:]
        assert first["cache_n"] == 0  # the first evaluated the instructions...
        for t in rest:  # ...and the others, on other slots, restored them and evaluated only their row
            assert t["cache_n"] > 3 * t["prompt_n"], t
        assert engine.stats.prompt_eval_tokens < 2 * first["prompt_n"]
    finally:
        engine.close()


def test_different_judges_start_together(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, slots=2)
    try:
        outs = _together(engine, [body(JUDGE_A, "Row 1 for A", max_tokens=2),
                                  body(JUDGE_B, "Row 1 for B", max_tokens=2)])
        assert [o["timings"]["cache_n"] for o in outs] == [0, 0]  # nothing to share: neither waited
        # A request without a long first message is never held back.
        short = _together(engine, [body("Be brief.", f"Say {i}", max_tokens=2) for i in range(3)])
        assert len(short) == 3
    finally:
        engine.close()


def test_two_judges_judging_together_evaluate_their_instructions_once_each(smoke_spec: ModelSpec) -> None:
    engine = LocalEngine(smoke_spec, slots=4)
    try:
        bodies = [body(judge, f"Row {i}: is {i} an even number?", max_tokens=2)
                  for judge in (JUDGE_A, JUDGE_B) for i in range(6)]
        outs = _together(engine, bodies)
        full = max(o["timings"]["prompt_n"] + o["timings"]["cache_n"] for o in outs)
        row = min(o["timings"]["prompt_n"] for o in outs)
        # Two judges' instructions and twelve rows; without placement every slot evaluated both judges'.
        assert engine.stats.prompt_eval_tokens < 2 * full + 12 * row + 24, [o["timings"] for o in outs]
        assert engine.stats.slot_copies > 0
    finally:
        engine.close()
