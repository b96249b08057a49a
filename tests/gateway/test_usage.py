"""Every request is recorded; summaries give latency percentiles, tokens and cost per endpoint and client."""

from __future__ import annotations

import time
from typing import Any

import pytest

from jurist.gateway._store import percentile
from tests.fakes.openai import server_error
from tests.gateway.conftest import Harness, admin, chat, new_client, target, usage_rows
from tests.gateway.test_limits import ONE


def test_each_request_is_recorded(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    fake["a"].latency = 0.05
    with new_client(gw, "ci") as c:
        assert chat(c, "judge").status_code == 200
        fake["a"].enqueue(server_error(500))
        assert chat(c, "judge").status_code == 200
    first, second = usage_rows(gw)
    assert (first["endpoint"], first["target"], first["client"], first["status"]) == ("judge", "a", "ci", 200)
    assert (first["input_tokens"], first["output_tokens"], first["attempts"], first["stream"]) == (42, 17, 1, False)
    assert first["cost_usd"] == pytest.approx(ONE)
    assert first["latency_ms"] >= 50
    assert (second["target"], second["attempts"]) == ("b", 2)
    assert first["ts"] <= second["ts"] <= time.time()


def test_summaries_per_endpoint_and_client(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"endpoints": [
        {"name": "fast", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]},
        {"name": "flaky", "targets": [target(fake["b"], "b", key_env="FAKE_B_KEY")]},
    ]})
    with new_client(gw, "alice") as alice, new_client(gw, "bob") as bob:
        for _ in range(10):
            assert chat(alice, "fast").status_code == 200
        for _ in range(4):
            assert chat(bob, "fast").status_code == 200
        fake["b"].enqueue(server_error(500))
        assert chat(bob, "flaky").status_code == 502
        assert chat(bob, "flaky").status_code == 200
    with admin(gw) as a:
        by_endpoint = a.get("/admin/usage").json()
        by_both = a.get("/admin/usage", params={"group_by": "endpoint,client"}).json()
        only_bob = a.get("/admin/usage", params={"client": "bob", "group_by": "client"}).json()
        recent = a.get("/admin/usage", params={"since": "1h"}).json()
        future = a.get("/admin/usage", params={"since": "2999-01-01T00:00:00Z"}).json()
        bad = a.get("/admin/usage", params={"group_by": "colour"})
    groups = {g["endpoint"]: g for g in by_endpoint["groups"]}
    assert groups["fast"]["requests"] == 14 and groups["fast"]["errors"] == 0
    assert groups["fast"]["input_tokens"] == 14 * 42 and groups["fast"]["output_tokens"] == 14 * 17
    assert groups["fast"]["cost_usd"] == pytest.approx(14 * ONE)
    assert groups["flaky"]["requests"] == 2 and groups["flaky"]["errors"] == 1
    lat = groups["fast"]["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    pairs = {(g["endpoint"], g["client"]): g["requests"] for g in by_both["groups"]}
    assert pairs == {("fast", "alice"): 10, ("fast", "bob"): 4, ("flaky", "bob"): 2}
    assert only_bob["groups"][0]["requests"] == 6
    assert sum(g["requests"] for g in recent["groups"]) == 16
    assert future["groups"] == []
    assert bad.status_code == 400 and "allowed: endpoint, client, target, status" in bad.json()["error"]["message"]


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([7.0], 95) == 7.0 and percentile([], 50) is None
