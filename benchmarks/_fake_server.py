"""A loopback fake OpenAI Chat Completions server for the benchmarks, in processes of its own.

Frameworks that call a judge model over HTTP (jurist's ``openai:/`` judges, MLflow, DeepEval, a proxy)
are measured against it side by side. It answers ``POST /v1/chat/completions`` after a simulated
latency with a verdict that fits the request's schema (the first ``enum`` option of ``result``), or with
what a ``responder`` (``"module:function"`` computing the model's text from the request body) says.
It checks nothing and keeps nothing but a count: its CPU, in separate processes, is not the client's.

For jurist's own overhead without HTTP, the benchmarks use the in-process ``fake:/`` provider instead.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import multiprocessing as mp
import time
from collections.abc import Callable
from typing import Any

USAGE = {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}


def verdict(body: dict[str, Any]) -> str:
    """A judge's verdict that fits the request's schema."""
    rf = body.get("response_format") or {}
    schema = (rf.get("json_schema") or {}).get("schema") or {} if isinstance(rf, dict) else {}
    result = (schema.get("properties") or {}).get("result") or {}
    value = result["enum"][0] if result.get("enum") else "yes"
    return json.dumps({"rationale": "The fake judge looked at it.", "result": value})


def completion(content: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": USAGE,
    }


def _serve(latency: float, conn: Any, port: int, responder: str | None) -> None:
    from aiohttp import web

    answer: Callable[[dict[str, Any]], str] = verdict
    if responder:
        module, _, name = responder.partition(":")
        answer = getattr(importlib.import_module(module), name)
    calls = 0

    async def chat(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        body = json.loads(await request.read())
        if latency:
            await asyncio.sleep(latency)
        return web.json_response(completion(answer(body), str(body.get("model") or "fake")))

    async def main() -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024, reuse_port=True)
        await site.start()
        bound = runner.addresses[0][1]
        conn.send(f"http://127.0.0.1:{bound}/v1")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # wait until told to stop
        conn.send(calls)
        await runner.cleanup()

    asyncio.run(main())


class FakeProcess:
    """The fake in ``workers`` processes sharing one port (SO_REUSEPORT), so that the fake's own CPU does
    not hold back the client being measured."""

    def __init__(self, latency: float, workers: int = 2, responder: str | None = None) -> None:
        ctx = mp.get_context("spawn")
        self.pipes, self.procs = [], []
        port = 0
        for _ in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(latency, child, port, responder), daemon=True)
            proc.start()
            url: str = parent.recv()
            port = int(url.rsplit(":", 1)[1].split("/")[0])
            self.base_url = url
            self.pipes.append(parent)
            self.procs.append(proc)

    def stop(self) -> int:
        """Stop every worker; the number of requests they answered."""
        calls = 0
        for parent, proc in zip(self.pipes, self.procs, strict=True):
            parent.send("stop")
            calls += parent.recv()
            proc.join(5)
        return calls
