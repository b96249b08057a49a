"""The gateway mounted at /gateway inside another FastAPI app (as ``jurist server`` does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from jurist.gateway._store import GatewayStore
from tests.gateway.conftest import ADMIN_TOKEN, Harness, Served, target


def test_mounted_at_gateway(harness: Harness, fake: dict[str, Any]) -> None:
    from jurist.gateway import create_gateway_app

    path = harness.write({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await gateway_app.state.gateway.aclose()  # writes the usage still queued

    parent = FastAPI(lifespan=lifespan)

    @parent.get("/api/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    gateway_app = create_gateway_app(path)
    parent.mount("/gateway", gateway_app)
    served = Served(parent).start()
    try:
        # The parent's lifespan does not run the mounted app's: the gateway starts on its first request.
        with httpx.Client(base_url=f"{served.url}/gateway", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as a:
            token = a.post("/admin/clients", json={"name": "ui"}).json()["token"]
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}) as c:
            body = {"model": "judge", "messages": [{"role": "user", "content": "hi"}]}
            assert c.post("/gateway/v1/chat/completions", json=body).status_code == 200
            assert c.post("/gateway/judge/invocations", json=body).status_code == 200
            assert c.post("/gateway/v1/chat/completions", json={**body, "stream": True}).status_code == 200
            assert [m["id"] for m in c.get("/gateway/v1/models").json()["data"]] == ["judge"]
            assert c.post("/v1/chat/completions", json=body).status_code == 404  # only under the mount
            assert c.get("/api/ping").json() == {"pong": "yes"}
        assert fake["a"].calls == 3
    finally:
        served.stop()
    store = GatewayStore()
    try:
        (group,) = store.usage_summary(group_by=["endpoint", "client"])
    finally:
        store.close()
    assert (group["endpoint"], group["client"], group["requests"]) == ("judge", "ui", 3)


def test_the_router_alone_answers_the_same(harness: Harness, fake: dict[str, Any]) -> None:
    """Served by plain FastAPI routing (no ASGI fast path), the chat paths behave the same."""
    from jurist.gateway._app import _router
    from jurist.gateway._service import Gateway

    gw = Gateway.from_file(harness.write({"endpoints": [
        {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]}))
    plain = FastAPI()
    plain.include_router(_router(gw))
    plain.state.gateway = gw
    served = Served(plain).start()
    try:
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as a:
            token = a.post("/admin/clients", json={"name": "x"}).json()["token"]
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}) as c:
            body = {"model": "judge", "messages": [{"role": "user", "content": "hi"}]}
            assert c.post("/v1/chat/completions", json=body).status_code == 200
            assert c.post("/judge/invocations", json=body).status_code == 200
            streamed = c.post("/v1/chat/completions", json={**body, "stream": True})
            assert streamed.status_code == 200 and streamed.text.rstrip().endswith("data: [DONE]")
            assert c.post("/v1/chat/completions", content=b"{not json").status_code == 400
        assert httpx.post(f"{served.url}/v1/chat/completions", json=body).status_code == 401
    finally:
        served.stop()
