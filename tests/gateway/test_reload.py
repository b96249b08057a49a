"""Hot reload: the file or the admin API changes the routing table under traffic, and no request fails."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from tests.gateway.conftest import Harness, admin, chat, new_client, target


def config(fake: dict[str, Any], name: str, **extra: Any) -> dict[str, Any]:
    return {"reload_interval": 0.05,
            "endpoints": [{"name": "judge", "targets": [target(fake[name], name, key_env=f"FAKE_{name.upper()}_KEY")],
                           **extra}]}


def wait_for(gw: Any, label: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while gw.gateway.table.routes["judge"].targets[0].label != label:
        assert time.monotonic() < deadline, f"the gateway never switched to target {label!r}"
        time.sleep(0.02)


def test_a_reload_under_traffic_fails_no_request(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(config(fake, "a"))
    for f in fake.values():
        f.latency = 0.01
    statuses: list[int] = []
    stop = threading.Event()
    with new_client(gw) as c:

        def hammer() -> None:
            while not stop.is_set():
                statuses.append(chat(c, "judge").status_code)

        workers = [threading.Thread(target=hammer) for _ in range(6)]
        for w in workers:
            w.start()
        try:
            for name in ("b", "c", "a", "b"):
                time.sleep(0.3)
                harness.write(config(fake, name))
                wait_for(gw, name)
            with admin(gw) as a:  # and changes over the admin API while the file is being read
                for i in range(5):
                    time.sleep(0.05)
                    assert a.put(f"/admin/endpoints/extra-{i}",
                                 json={"targets": [target(fake["c"], "c", key_env="FAKE_C_KEY")]}).status_code == 200
            time.sleep(0.3)
        finally:
            stop.set()
            for w in workers:
                w.join()
        calls_before = fake["b"].calls
        assert chat(c, "judge").status_code == 200
    assert len(statuses) > 100
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert all(fake[n].calls > 0 for n in "abc")
    assert fake["b"].calls == calls_before + 1  # the last configuration is in force


def test_a_request_in_flight_keeps_its_table(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(config(fake, "a"))
    fake["a"].latency = 1.0
    result: list[Any] = []
    with new_client(gw) as c:
        slow = threading.Thread(target=lambda: result.append(chat(c, "judge")))
        slow.start()
        time.sleep(0.2)
        harness.write(config(fake, "b"))
        wait_for(gw, "b")
        assert chat(c, "judge").status_code == 200 and fake["b"].calls == 1
        slow.join()
    assert result[0].status_code == 200
    assert fake["a"].calls == 1


def test_a_broken_edit_keeps_the_configuration_in_force(harness: Harness, fake: dict[str, Any],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="jurist.gateway")
    gw = harness.start(config(fake, "a"))
    path = harness.tmp_path / "gateway.yaml"
    path.write_text("endpoints: [{name: judge, targets: [{model: 'openai:/m', weight: -1}]}]\n")
    deadline = time.monotonic() + 5
    while not any("keeping the configuration in force" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    message = next(r.getMessage() for r in caplog.records if "keeping" in r.getMessage())
    assert f"{path}: endpoints[0].targets[0].weight" in message
    with new_client(gw) as c:
        assert chat(c, "judge").status_code == 200 and fake["a"].calls == 1
    harness.write(config(fake, "b"))
    wait_for(gw, "b")


def test_reload_on_request(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({**config(fake, "a"), "reload_interval": 3600})
    harness.write({**config(fake, "b"), "reload_interval": 3600})
    with admin(gw) as a:
        assert a.post("/admin/reload").json() == {"endpoints": ["judge"]}
    assert gw.gateway.table.routes["judge"].targets[0].label == "b"
