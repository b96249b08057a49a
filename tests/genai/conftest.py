"""The MLflow-shaped examples run as jurist code: every judge answers from the loopback OpenAI fake, every
run and trace goes to the test's own SQLite store (see tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.openai import FakeOpenAI
from tests.genai._helpers import JudgeSays


@pytest.fixture
def judge_says(fake_openai: FakeOpenAI) -> JudgeSays:
    """``judge_says(result)`` makes every unscripted judgment answer ``result``."""

    def set_result(result: Any, rationale: str = "Because the fake judge says so.") -> None:
        fake_openai.responder = lambda body: json.dumps({"rationale": rationale, "result": result})

    return set_result


@pytest.fixture(autouse=True)
def _fresh_experiment() -> Iterator[None]:
    from jurist.tracking._store import set_active_experiment

    set_active_experiment(None)
    yield
    set_active_experiment(None)
