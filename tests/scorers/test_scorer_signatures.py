"""A Scorer subclass names just the arguments its ``__call__`` takes (MLflow's shape) and is called with
keywords; a positional call is refused with a message that says how to call it."""

from __future__ import annotations

from typing import Any

import pytest

from jurist import evaluate
from jurist.entities import Feedback
from jurist.scorers import Scorer


class MinWords(Scorer):
    name: str = "min_words"
    minimum: int = 2

    def __call__(self, outputs: str) -> bool:  # an override of Scorer.__call__ that type-checks
        return len(outputs.split()) >= self.minimum


class Shouting(Scorer):
    name: str = "shouting"

    async def ascore(self, **kwargs: Any) -> list[Feedback]:
        return [Feedback(name=self.name, value=str(kwargs.get("outputs", "")).isupper())]


def test_a_subclass_call_with_its_own_arguments_runs_in_evaluate() -> None:
    scorer = MinWords(minimum=3)
    assert scorer(outputs="one two three") is True
    result = evaluate([{"outputs": "one two three"}, {"outputs": "one"}], [scorer], progress=False, log=False)
    assert [r.feedbacks[0].value for r in result.rows] == [True, False]


def test_the_base_call_takes_keywords_and_refuses_positions() -> None:
    shouting = Shouting()
    assert [f.value for f in shouting(outputs="HEY")] == [True]
    with pytest.raises(TypeError, match=r"call Shouting with keywords \(inputs=, outputs=, \.\.\.\)"):
        shouting("HEY")
