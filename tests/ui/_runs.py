"""Real runs for the report and Evaluations tests: ``evaluate()`` on the offline ``fake:/`` model into the test's
own SQLite store, with passing and failing verdicts, a numeric score, a failed judgment and hostile text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jurist import evaluate, make_judge
from jurist.judges import Correctness
from jurist.models import ChatRequest, FakeModel

#: Markup that must show as text wherever a run is shown.
XSS_OUTPUT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
XSS_RATIONALE = '<b onmouseover="alert(1)">bold claim</b> and </pre></td><script>alert(2)</script>'


def _text(request: ChatRequest) -> str:
    """The row's message: the first from the user (a repair request adds more after it)."""
    return next(str(m.content) for m in request.messages if m.role == "user")


def grader(request: ChatRequest) -> Any:
    """Correctness: 'no' for answers that say 'wrong', a hostile rationale for the hostile output, and text
    that is no JSON (a failed judgment, after its one repair request) for 'garbled'."""
    text = _text(request)
    if "garbled" in text:
        return "I cannot decide"
    if "window.__pwned" in text:
        return {"rationale": XSS_RATIONALE, "result": "no"}
    return {"rationale": "Matches the expected answer." if "wrong" not in text else "It names the wrong city.",
            "result": "no" if "wrong" in text else "yes"}


def rater(request: ChatRequest) -> Any:
    """Quality from 1 to 5: the number of words in the answer, capped at 5."""
    text = _text(request)
    answer = text.rsplit("answer:", 1)[-1] if "answer:" in text else text
    return {"rationale": "Counted the words.", "result": max(1, min(5, len(answer.split()) - 1))}


def rows(version: int = 1) -> list[dict[str, Any]]:
    """Eight rows; ``version=2`` fixes two wrong answers (a better candidate run)."""
    answers = ["answer: Paris", "answer: wrong Lyon", "answer: Rome is it", "answer: wrong Madrid",
               "answer: Berlin", XSS_OUTPUT, "answer: garbled", "answer: Vienna, the capital of Austria"]
    if version == 2:
        answers[1] = "answer: Paris again"
        answers[3] = "answer: Madrid, the capital"
    return [{"inputs": {"question": f"Capital number {i}?"}, "outputs": a,
             "expectations": {"expected_response": "the capital"}} for i, a in enumerate(answers)]


@contextmanager
def fake_models() -> Iterator[None]:
    with FakeModel(grader, name="grader"), FakeModel(rater, name="rater"):
        yield


def judges() -> list[Any]:
    quality = make_judge(name="quality", instructions="Rate the answer {{ outputs }} from 1 to 5.",
                         feedback_value_type=int, model="fake:/rater")
    return [Correctness(model="fake:/grader"), quality]


def make_run(version: int = 1, experiment: str = "capitals") -> str:
    """A finished run in the tracking store the test set (``JURIST_TRACKING_URI``); its id."""
    with fake_models():
        result = evaluate(data=rows(version), scorers=judges(), experiment=experiment)
    assert result.run_id is not None
    return str(result.run_id)


