"""evaluate() under a provider that answers 429 with Retry-After: every row ends, none waits for good."""

from __future__ import annotations

import concurrent.futures as cf
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from jurist import evaluate
from jurist.judges import Correctness
from tests._helpers import some
from tests.fakes._server import raw_reply
from tests.fakes.openai import FakeOpenAI, rate_limited


class RefusingOpenAI(FakeOpenAI):
    """Answers each distinct request's first ``refusals`` attempts (all, when None) with 429 + Retry-After."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals: int | None = 0
        self.retry_after = "0.05"
        self.attempts: Counter[str] = Counter()

    def reset(self) -> None:
        super().reset()
        self.refusals, self.retry_after = 0, "0.05"
        self.attempts.clear()

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())  # aiohttp keeps the body: the real handler reads it again
        key = json.dumps(body.get("messages"), sort_keys=True)
        with self._lock:
            self.attempts[key] += 1
            refuse = self.refusals is None or self.attempts[key] <= self.refusals
            if refuse:
                self.count += 1
        if refuse:
            return raw_reply(rate_limited(self.retry_after))
        return await super().chat(request)


@pytest.fixture(scope="module")
def _refusing() -> Iterator[RefusingOpenAI]:
    server = RefusingOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def refusing(_refusing: RefusingOpenAI, monkeypatch: pytest.MonkeyPatch) -> RefusingOpenAI:
    _refusing.reset()
    monkeypatch.setenv("OPENAI_API_KEY", _refusing.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", _refusing.base_url)
    return _refusing


def rows(n: int) -> list[dict[str, Any]]:
    return [{"inputs": {"question": f"q{i}"}, "outputs": f"a{i}", "expectations": {"expected_response": f"a{i}"}}
            for i in range(n)]


def run(data: list[dict[str, Any]]) -> Any:
    # A hang is the defect under test: fail it instead of waiting for good.
    pool = cf.ThreadPoolExecutor(1)
    try:
        return pool.submit(evaluate, data, [Correctness()], concurrency=8, cache=False).result(timeout=90)
    finally:
        pool.shutdown(wait=False)


@pytest.mark.parametrize("refusals, retry_after", [(2, "0.05"), (3, "0.05"), (2, "1")])
def test_each_request_refused_at_first_still_gets_its_verdict(refusing: RefusingOpenAI, refusals: int,
                                                               retry_after: str) -> None:
    refusing.refusals, refusing.retry_after = refusals, retry_after
    n = 8 if retry_after == "1" else 24
    result = run(rows(n))
    assert [some(r.feedback("correctness")).value for r in result.rows] == ["yes"] * n
    assert refusing.calls == n * (refusals + 1)


def test_every_request_refused_ends_every_row_with_an_error(refusing: RefusingOpenAI) -> None:
    refusing.refusals = None
    result = run(rows(24))
    feedbacks = [r.feedback("correctness") for r in result.rows]
    assert all(f is not None and f.value is None and f.error is not None for f in feedbacks)
    assert {f.error.error_code for f in feedbacks if f and f.error} == {"RATE_LIMITED"}
    assert refusing.calls == 24 * 6  # the retry loop's six attempts each, no more
