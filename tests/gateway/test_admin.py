"""The admin API: endpoints and secrets made, changed and removed over REST, in force at once."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.gateway.conftest import Harness, admin, chat, new_client, target


def test_endpoint_crud(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"endpoints": [{"name": "filed", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    spec = {"targets": [target(fake["b"], "b", key_env="FAKE_B_KEY")], "timeout": 5}
    with admin(gw) as a, new_client(gw) as c:
        assert chat(c, "made").status_code == 404
        put = a.put("/admin/endpoints/made", json=spec)
        assert put.status_code == 200, put.text
        assert put.json()["source"] == "api" and put.json()["targets"][0]["usable"] is True
        assert chat(c, "made").status_code == 200 and fake["b"].calls == 1
        listed = {e["name"]: e["source"] for e in a.get("/admin/endpoints").json()["endpoints"]}
        assert listed == {"filed": "file", "made": "api"}
        assert sorted(m["id"] for m in c.get("/v1/models").json()["data"]) == ["filed", "made"]
        # Replace it: now to c.
        assert a.put("/admin/endpoints/made", json={"targets": [target(fake["c"], "c", key_env="FAKE_C_KEY")]}
                     ).status_code == 200
        assert chat(c, "made").status_code == 200 and fake["c"].calls == 1
        assert a.delete("/admin/endpoints/made").status_code == 200
        assert chat(c, "made").status_code == 404
        assert a.delete("/admin/endpoints/made").status_code == 404


def test_admin_mistakes_are_named(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"endpoints": [{"name": "filed", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    with admin(gw) as a:
        bad = a.put("/admin/endpoints/x", json={"targets": [{"model": "openai:/m", "weight": "heavy"}]})
        assert bad.status_code == 422
        assert "request body: targets[0].weight: Input should be a valid number" in bad.json()["error"]["message"]
        clash = a.put("/admin/endpoints/filed", json={"targets": [{"model": "openai:/m"}]})
        assert clash.status_code == 409 and "gateway.yaml" in clash.json()["error"]["message"]
        assert a.delete("/admin/endpoints/filed").status_code == 409
        other = a.put("/admin/endpoints/x", json={"name": "y", "targets": [{"model": "openai:/m"}]})
        assert other.status_code == 400
        assert a.put("/admin/secrets/bad name", json={"value": "sk-0123456789"}).status_code == 400
        assert a.post("/admin/clients", json={"name": "no/slash"}).status_code in (400, 404)


def test_secret_crud_turns_a_target_on_and_off(harness: Harness, fake: dict[str, Any]) -> None:
    ep = {"name": "judge", "targets": [{"name": "a", "model": "openai:/gpt-4o-mini", "base_url": fake["a"].base_url,
                                        "key": "secret:team-a"}],
          "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]}
    gw = harness.start({"endpoints": [ep]})
    with admin(gw) as a, new_client(gw) as c:
        view = a.get("/admin/endpoints/judge").json()
        assert view["targets"][0]["usable"] is False and "secret 'team-a' is not stored" in view["targets"][0]["problem"]
        assert chat(c, "judge").status_code == 200 and (fake["a"].calls, fake["b"].calls) == (0, 1)
        assert a.put("/admin/secrets/team-a", json={"value": fake["a"].api_key}).status_code == 200
        assert [s["name"] for s in a.get("/admin/secrets").json()["secrets"]] == ["team-a"]
        assert chat(c, "judge").status_code == 200 and fake["a"].calls == 1
        # A rotated (wrong) key: the target refuses it, and the answer says so without the key.
        assert a.put("/admin/secrets/team-a", json={"value": "sk-rotated-but-wrong-1234"}).status_code == 200
        r = chat(c, "judge")
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_auth_error"
        assert "sk-rotated" not in r.text
        assert a.delete("/admin/secrets/team-a").status_code == 200
        assert a.delete("/admin/secrets/team-a").status_code == 404
        assert chat(c, "judge").status_code == 200 and fake["b"].calls == 2


def test_a_change_on_one_replica_reaches_the_others(harness: Harness, fake: dict[str, Any]) -> None:
    path = harness.write({"reload_interval": 0.1, "endpoints": []})
    one = harness.start(path=path)
    two = harness.start(path=path)
    with admin(one) as a:
        token = a.post("/admin/clients", json={"name": "shared"}).json()["token"]
        assert a.put("/admin/endpoints/made", json={"targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}
                     ).status_code == 200
    with httpx.Client(base_url=two.url, headers={"Authorization": f"Bearer {token}"}) as c:
        deadline = time.monotonic() + 5
        while chat(c, "made").status_code != 200:
            assert time.monotonic() < deadline, "replica two never saw the endpoint made on replica one"
            time.sleep(0.05)
    with admin(one) as a:
        assert a.delete("/admin/clients/shared").status_code == 200
    with httpx.Client(base_url=two.url, headers={"Authorization": f"Bearer {token}"}) as c:
        deadline = time.monotonic() + 5
        while chat(c, "made").status_code != 401:
            assert time.monotonic() < deadline, "replica two kept honouring a revoked token"
            time.sleep(0.05)
