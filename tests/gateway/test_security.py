"""Keys never leave the gateway; clients need a known token; the admin API needs the admin token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes._server import Reply
from tests.fakes.anthropic import FakeAnthropic, anthropic_error
from tests.fakes.openai import openai_error
from tests.gateway._fakes import StreamingOpenAI
from tests.gateway.conftest import Harness, admin, chat, new_client, on_loop, target

PLANTED = "sk-planted-9c1f4e7a2b8d6035aa"


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[StreamingOpenAI]:
    """A fake provider whose key is the planted one, also in PLANTED_KEY."""
    server = StreamingOpenAI(api_key=PLANTED).start()
    monkeypatch.setenv("PLANTED_KEY", PLANTED)
    yield server
    server.stop()


@pytest.fixture
def planted_anthropic() -> Iterator[FakeAnthropic]:
    """A fake Anthropic API whose key is the planted one too."""
    server = FakeAnthropic(api_key=PLANTED).start()
    yield server
    server.stop()


def test_a_planted_key_appears_in_no_response_log_line_or_database_row(
    harness: Harness, fake: dict[str, Any], planted: StreamingOpenAI, planted_anthropic: FakeAnthropic,
    caplog: pytest.LogCaptureFixture, tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    config = {"endpoints": [
        {"name": "from-env", "targets": [target(planted, "p-env", key_env="PLANTED_KEY")]},
        {"name": "from-secret", "targets": [{"name": "p-secret", "model": "openai:/gpt-4o-mini",
                                             "base_url": planted.base_url, "key": "secret:prod-key"}],
         "fallbacks": [target(fake["b"], "b", key_env="FAKE_B_KEY")]},
        {"name": "claude", "targets": [{"name": "p-claude", "model": "anthropic:/claude-3-5-haiku",
                                        "base_url": planted_anthropic.base_url, "key": "secret:prod-key"}]},
    ]}
    gw = harness.start(config)
    responses: list[httpx.Response] = []
    with admin(gw) as a:
        # Before the secret exists the target is unusable, and says why without any key.
        responses.append(a.get("/admin/endpoints"))
        responses.append(a.put("/admin/secrets/prod-key", json={"value": PLANTED}))
        responses.append(a.get("/admin/secrets"))
        responses.append(a.get("/admin/endpoints"))
        responses.append(a.get("/admin/endpoints/from-secret"))
    with new_client(gw) as c:
        for endpoint in ("from-env", "from-secret"):
            responses.append(chat(c, endpoint))
            responses.append(chat(c, endpoint, stream=True))
            # Providers that echo the key back in their errors: every status the gateway maps.
            for status, etype in ((500, "server_error"), (401, "invalid_request_error"),
                                  (400, "invalid_request_error"), (429, "requests")):
                planted.enqueue(openai_error(status, f"Incorrect API key provided: {PLANTED}.", etype))
                if endpoint == "from-secret" and status in (500, 429):
                    fake["b"].enqueue(openai_error(status, "no", etype))
                responses.append(chat(c, endpoint))
            planted.enqueue(Reply(status=500, raw=f"<html>{PLANTED}</html>".encode()))
            responses.append(chat(c, endpoint, stream=True))
        claude = [chat(c, "claude", max_tokens=10), chat(c, "claude", max_tokens=10, stream=True)]
        assert [r.status_code for r in claude] == [200, 200]
        responses += claude
        for status, etype in ((500, "api_error"), (401, "authentication_error"), (400, "invalid_request_error"),
                              (429, "rate_limit_error")):
            planted_anthropic.enqueue(anthropic_error(status, etype, f"invalid x-api-key {PLANTED}"))
            responses.append(chat(c, "claude", max_tokens=10))
        responses.append(c.get("/v1/models"))
    with admin(gw) as a:
        responses.append(a.get("/admin/usage", params={"group_by": ["endpoint", "target", "client"]}))
        responses.append(a.get("/admin/clients"))
        responses.append(a.post("/admin/reload"))
        responses.append(a.put("/admin/endpoints/new", json={"targets": [{"model": "openai:/x", "key": PLANTED}]}))
        responses.append(a.put("/admin/secrets/bad", json={"value": PLANTED, "extra": PLANTED}))
    responses.append(httpx.get(f"{gw.url}/openapi.json"))
    assert any(r.status_code == 200 for r in responses)
    assert planted_anthropic.calls == 6
    assert planted.calls > 0 and any(r.headers.get("Authorization") == f"Bearer {PLANTED}" for r in planted.requests)

    for r in responses:
        assert PLANTED not in r.text, (r.request.url, r.text)
        assert PLANTED not in str(r.headers)
    for rec in caplog.records:
        assert PLANTED not in rec.getMessage()
        assert PLANTED not in (caplog.text or "")
    on_loop(gw, gw.gateway.recorder.flush())
    from sqlalchemy import MetaData, select

    engine = gw.gateway.store.engine
    meta = MetaData()
    meta.reflect(engine)
    rows = 0
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                rows += 1
                for value in row:
                    shown = bytes(value).decode("latin-1") if isinstance(value, (bytes, memoryview)) else str(value)
                    assert PLANTED not in shown, (table.name, row)
    assert rows > 0
    for f in tmp_path.glob("gateway.db*"):
        assert PLANTED.encode() not in f.read_bytes(), f


def test_an_unknown_or_missing_token_gets_401(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    none = httpx.post(f"{gw.url}/v1/chat/completions", json={"model": "judge", "messages": []})
    wrong = httpx.post(f"{gw.url}/v1/chat/completions", headers={"Authorization": "Bearer jgw-not-a-token"},
                       json={"model": "judge", "messages": [{"role": "user", "content": "hi"}]})
    models = httpx.get(f"{gw.url}/v1/models", headers={"Authorization": "Bearer nope"})
    for r in (none, wrong, models):
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "invalid_client_token"
    assert fake["a"].calls == 0


def test_client_tokens_are_hashed_at_rest_and_revocable(harness: Harness, fake: dict[str, Any]) -> None:
    import hashlib

    from sqlalchemy import select

    from jurist.gateway._db import clients_table

    gw = harness.start({"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    c = new_client(gw, "ci")
    token = c.headers["Authorization"].split()[1]
    assert chat(c, "judge").status_code == 200
    with gw.gateway.store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(clients_table))]
    assert len(rows) == 1 and rows[0][1] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(rows)
    with admin(gw) as a:
        listed = a.get("/admin/clients").json()["clients"]
        assert [x["name"] for x in listed] == ["ci"] and "token" not in str(listed)
        assert a.post("/admin/clients", json={"name": "ci"}).status_code == 400  # exists
        assert a.delete("/admin/clients/ci").status_code == 200
    assert chat(c, "judge").status_code == 401
    c.close()


def test_anonymous_callers_when_allowed(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start({"auth": {"allow_anonymous": True},
                        "endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]})
    ok = httpx.post(f"{gw.url}/v1/chat/completions",
                    json={"model": "judge", "messages": [{"role": "user", "content": "hi"}]})
    wrong = httpx.post(f"{gw.url}/v1/chat/completions", headers={"Authorization": "Bearer jgw-bad"},
                       json={"model": "judge", "messages": [{"role": "user", "content": "hi"}]})
    assert ok.status_code == 200
    assert wrong.status_code == 401


def test_the_admin_api_needs_its_token(harness: Harness, fake: dict[str, Any],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    gw = harness.start({"endpoints": []})
    assert httpx.get(f"{gw.url}/admin/secrets").status_code == 401
    assert httpx.get(f"{gw.url}/admin/secrets", headers={"Authorization": "Bearer wrong"}).status_code == 401
    monkeypatch.delenv("JURIST_GATEWAY_ADMIN_TOKEN")
    off = httpx.get(f"{gw.url}/admin/secrets", headers={"Authorization": "Bearer anything"})
    assert off.status_code == 403 and "JURIST_GATEWAY_ADMIN_TOKEN" in off.json()["error"]["message"]


def test_secrets_need_a_master_key(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JURIST_SECRET_KEY")
    gw = harness.start({"endpoints": []})
    with admin(gw) as a:
        r = a.put("/admin/secrets/k", json={"value": "sk-something-long"})
    assert r.status_code == 400 and "JURIST_SECRET_KEY" in r.json()["error"]["message"]


def _streamed_text(r: httpx.Response) -> str:
    """The text a client puts together from a stream's deltas."""
    import json

    text = ""
    for line in r.text.splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices") or []:
                text += (choice.get("delta") or {}).get("content") or ""
    return text


def test_a_key_past_the_cut_of_an_error_message_is_still_taken_out(
    harness: Harness, planted: StreamingOpenAI, planted_anthropic: FakeAnthropic,
) -> None:
    """Provider messages are trimmed to 500 characters: the key is taken out first, so no piece of it
    survives the cut."""
    gw = harness.start({"endpoints": [
        {"name": "oa", "targets": [target(planted, "p", key_env="PLANTED_KEY")], "retries": 0},
        {"name": "claude", "retries": 0, "targets": [{"name": "c", "model": "anthropic:/claude-3-5-haiku",
                                                      "base_url": planted_anthropic.base_url,
                                                      "key": "env:PLANTED_KEY"}]},
    ]})
    with new_client(gw) as c:
        answers = []
        for status in (400, 500):
            for stream in (False, True):
                planted.enqueue(openai_error(status, "x" * 490 + f" key {PLANTED} was refused", "server_error"))
                answers.append(chat(c, "oa", stream=stream))
                planted_anthropic.enqueue(anthropic_error(status, "api_error", "y" * 490 + f" key {PLANTED}"))
                answers.append(chat(c, "claude", max_tokens=10, stream=stream))
    assert [r.status_code for r in answers] == [400] * 4 + [502] * 4
    for r in answers:
        assert "***" in r.text, r.text
        assert PLANTED[:8] not in r.text, r.text  # not even the start of it


def test_an_answer_that_repeats_the_key_reaches_the_client_without_it(
    harness: Harness, planted: StreamingOpenAI, planted_anthropic: FakeAnthropic,
) -> None:
    gw = harness.start({"endpoints": [
        {"name": "oa", "targets": [target(planted, "p", key_env="PLANTED_KEY")]},
        {"name": "claude", "targets": [{"name": "c", "model": "anthropic:/claude-3-5-haiku",
                                        "base_url": planted_anthropic.base_url, "key": "env:PLANTED_KEY"}]},
    ]})
    echo = f"Your header was: Authorization: Bearer {PLANTED} (thanks)"
    planted.responder = lambda body: echo
    planted_anthropic.responder = lambda body: echo
    with new_client(gw) as c:
        plain = [chat(c, "oa"), chat(c, "claude", max_tokens=10)]
        streamed = [chat(c, "oa", stream=True), chat(c, "claude", max_tokens=10, stream=True)]
    for r in plain:
        assert r.status_code == 200
        assert r.json()["choices"][0]["message"]["content"] == echo.replace(PLANTED, "***")
    for r in streamed:
        assert r.status_code == 200
        # The fake splits the text into three chunks, and the key with it: the client still never sees it.
        assert _streamed_text(r) == echo.replace(PLANTED, "***"), r.text
        assert PLANTED[:10] not in r.text and PLANTED[-10:] not in r.text
        assert r.text.rstrip().endswith("data: [DONE]")


def test_a_stream_scrubber_holds_back_only_what_could_start_a_key() -> None:
    from jurist.gateway._dispatch import _StreamScrubber
    from jurist.gateway._secrets import Redactor

    scrub = _StreamScrubber(Redactor([PLANTED]))
    pieces = ["hello s", "k-plan", "ted-9c1f4e7a2b8d6035aa and sk", " more", "sk-pl"]
    sent = []
    for i, piece in enumerate(pieces):
        event: dict[str, Any] = {"choices": [{"index": 0, "delta": {"content": piece},
                              "finish_reason": "stop" if i == len(pieces) - 1 else None}]}
        scrub.event(event)
        sent.append(event["choices"][0]["delta"]["content"])
    assert sent == ["hello ", "", "*** and ", "sk more", "sk-pl"]
    assert not scrub.pending


def test_a_key_given_as_a_reference_over_the_admin_api_is_never_repeated(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    gw = harness.start({"endpoints": []})
    with admin(gw) as a:
        answers = [a.put("/admin/endpoints/x", json={"targets": [{"model": "openai:/m", "key": f"{kind}:{PLANTED}"}]})
                   for kind in ("env", "secret")]
    for r in answers:
        assert r.status_code == 422 and "looks like an API key" in r.text
        assert PLANTED[3:] not in r.text
    assert PLANTED[3:] not in caplog.text


def test_the_server_start_line_hides_the_store_password(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.gateway.conftest import free_port

    uri = f"postgresql+psycopg://jurist:S3cret-pw-{PLANTED}@127.0.0.1:{free_port()}/nowhere"
    out = subprocess.run([sys.executable, "-m", "jurist.cli", "server", "--port", str(free_port()),
                          "--backend-store-uri", uri], capture_output=True, text=True, timeout=120)
    shown = out.stdout + out.stderr
    assert "jurist server on" in shown and "jurist:***@127.0.0.1" in shown
    assert "S3cret" not in shown and PLANTED not in shown


def test_held_back_is_the_longest_end_that_could_start_a_key() -> None:
    from jurist.gateway._secrets import Redactor

    r = Redactor([PLANTED, "abcdefgh"])
    cases = {"hello s": 1, "x sk-plan": 7, PLANTED[:-1]: len(PLANTED) - 1, "nothing": 0, "zzabc": 3, "ssss": 1,
             PLANTED + "!": 0, "xa": 1}
    assert {t: r.held_back(t) for t in cases} == cases


def test_the_redactor_takes_out_every_key_a_longer_one_first() -> None:
    from jurist.gateway._secrets import Redactor

    r = Redactor(["sk-abc12345", "xyzsk-abc12345", "AIzaSyA-0123456789", "AIzaSyB-9876543210"])
    text = "a xyzsk-abc12345 b sk-abc12345 c AIzaSyB-9876543210 d AIzaSyA-0123456789"
    assert r(text) == "a *** b *** c *** d ***"
    assert r("nothing here") == "nothing here"
