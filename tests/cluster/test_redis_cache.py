"""The response cache in Redis (JURIST_CACHE_URL): shared by every process, so a re-run anywhere pays
nothing; a Redis that fails is a cache miss, never a failed judgment. Redis is the one at 127.0.0.1:6379."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import jurist
from jurist.judges import Correctness
from tests.fakes.openai import FakeOpenAI

URL = os.environ.get("JURIST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/7"
ROWS = [{"inputs": {"question": f"redis question {i}"}, "outputs": f"a{i}",
         "expectations": {"expected_response": "a"}} for i in range(8)]


@pytest.fixture
def redis_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """JURIST_CACHE_URL on a Redis database of the tests' own, emptied of cache keys before and after."""
    import redis

    client = redis.Redis.from_url(URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as e:
        pytest.fail(f"these tests need Redis at {URL} (set JURIST_TEST_REDIS_URL to another): {e}")

    def empty() -> None:
        keys = list(client.scan_iter(match="jurist:cache:*", count=500))
        if keys:
            client.delete(*keys)

    empty()
    monkeypatch.setenv("JURIST_CACHE_URL", URL)
    jurist.reset()
    yield URL
    jurist.reset()
    empty()
    client.close()


def test_a_rerun_with_another_cache_dir_pays_nothing(fake_openai: FakeOpenAI, redis_cache: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = jurist.evaluate(ROWS, [Correctness(model="openai:/gpt-4o-mini")], log=False)
    assert fake_openai.calls == 8
    monkeypatch.setenv("JURIST_CACHE_DIR", str(tmp_path / "elsewhere"))  # a disk cache that is empty
    jurist.reset()  # and no answer in memory: only Redis has them
    second = jurist.evaluate(ROWS, [Correctness(model="openai:/gpt-4o-mini")], log=False)
    assert fake_openai.calls == 8 and second.cached_judgments == 8
    assert [r.feedbacks[0].value for r in second.rows] == [r.feedbacks[0].value for r in first.rows]
    assert not (tmp_path / "elsewhere" / "responses.sqlite").exists()


def test_the_cluster_shares_the_redis_cache(fake_openai: FakeOpenAI, redis_cache: str, ray_address: str,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jurist.evaluate(ROWS, [Correctness(model="openai:/gpt-4o-mini")], log=False, ray_address=ray_address)
    assert fake_openai.calls == 8
    monkeypatch.setenv("JURIST_CACHE_DIR", str(tmp_path / "elsewhere"))
    again = jurist.evaluate(ROWS, [Correctness(model="openai:/gpt-4o-mini")], log=False, ray_address=ray_address)
    assert fake_openai.calls == 8 and again.cached_judgments == 8


def test_a_failing_redis_is_a_miss_not_an_error(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("JURIST_CACHE_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    jurist.reset()
    with caplog.at_level(logging.WARNING, logger="jurist.models"):
        result = jurist.evaluate(ROWS[:3], [Correctness(model="openai:/gpt-4o-mini")], log=False)
    assert [r.feedbacks[0].error for r in result.rows] == [None, None, None]
    assert fake_openai.calls == 3
    assert "JURIST_CACHE_URL failed" in caplog.text


def test_a_bad_cache_url_says_what_it_takes(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_CACHE_URL", "memcached://somewhere")
    jurist.reset()
    result = jurist.evaluate(ROWS[:1], [Correctness(model="openai:/gpt-4o-mini")], log=False)
    error = result.rows[0].feedbacks[0].error
    assert error is not None and "JURIST_CACHE_URL is not a Redis URL" in (error.error_message or "")
