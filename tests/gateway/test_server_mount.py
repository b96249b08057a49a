"""`jurist server --gateway-config`: the gateway at /gateway of the tracking server, and gateway:/ judges
finding it through the tracking URI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import jurist
from tests.gateway.conftest import ADMIN_TOKEN, Harness, target


def test_server_mounts_the_gateway(harness: Harness, fake: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jurist.judges import Correctness
    from jurist.server._serve import ServerThread

    path = harness.write({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    with ServerThread(f"sqlite:///{tmp_path / 'jurist.db'}", gateway_config=str(path), token="") as server:
        with httpx.Client(base_url=f"{server.url}/gateway", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as a:
            token = a.post("/admin/clients", json={"name": "judges"}).json()["token"]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
            body = {"model": "judge", "messages": [{"role": "user", "content": "hi"}]}
            assert c.post("/gateway/v1/chat/completions", json=body).status_code == 200
            assert c.get("/health").json()["status"] == "ok"  # the tracking API is still there

        monkeypatch.delenv("JURIST_GATEWAY_URL", raising=False)
        monkeypatch.setenv("JURIST_TRACKING_URI", server.url)
        monkeypatch.setenv("JURIST_GATEWAY_TOKEN", token)
        jurist.reset()  # settings are read once: a change midway takes a reset
        fb = Correctness(model="gateway:/judge")(inputs="q", outputs="a", expectations={"expected_response": "a"})
        assert fb.error is None and fb.value == "yes"
    assert fake["a"].calls == 2
    assert fake["a"].requests[-1].headers["Authorization"] != f"Bearer {token}"  # the server's key, not the client's
