"""Tracing user code: @trace and start_span, nesting, async, threads, generators, errors, capture()."""

from __future__ import annotations

import asyncio
import contextvars
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

import jurist
from jurist.entities import Span, Trace
from jurist.tracing import Capture, capture, get_current_active_span
from jurist.tracing._store import TraceStore
from tests._helpers import some


def root(trace: Trace | None) -> Span:
    """The root span of a trace the test expects to be there."""
    return some(some(trace).root_span)


def names(trace: Trace) -> list[tuple[str, str | None]]:
    """(name, parent name) of each span."""
    by_id = {s.span_id: s.name for s in trace.spans}
    return [(s.name, by_id.get(s.parent_id or "")) for s in trace.spans]


@jurist.trace(span_type="RETRIEVER")
def search(query: str, k: int = 2) -> list[str]:
    return [f"doc {i} for {query}" for i in range(k)]


@jurist.trace
def answer(question: str) -> str:
    docs = search(question)
    with jurist.start_span("compose", span_type="LLM") as span:
        span.set_inputs({"docs": docs})
        span.set_attribute("model", "tiny")
        span.set_outputs("42")
    return "42"


# -- nesting, inputs, outputs, types ---------------------------------------------------------------------
def test_nested_spans_form_one_trace_with_inputs_outputs_and_types() -> None:
    with capture() as cap:
        assert answer("why?") == "42"
    t = cap.trace
    assert t is not None and len(cap.traces) == 1
    assert names(t) == [("answer", None), ("search", "answer"), ("compose", "answer")]
    root, retr, llm = t.spans
    assert root.inputs == {"question": "why?"} and root.outputs == "42" and root.span_type == "UNKNOWN"
    assert retr.inputs == {"query": "why?", "k": 2}  # defaults are filled in
    assert retr.outputs == ["doc 0 for why?", "doc 1 for why?"] and retr.span_type == "RETRIEVER"
    assert llm.span_type == "LLM" and llm.attributes == {"model": "tiny"}
    assert all(s.status == "OK" and s.trace_id == t.trace_id for s in t.spans)
    assert len(t.trace_id) == 32 and all(len(s.span_id) == 16 for s in t.spans)
    assert all(s.start_time_ns is not None and s.end_time_ns is not None and s.start_time_ns <= s.end_time_ns
               for s in t.spans)
    assert jurist.get_trace(t.trace_id) is t
    assert t.search_spans(span_type="RETRIEVER")[0].name == "search"


def test_last_active_trace_and_the_decorator_with_options() -> None:
    @jurist.trace(name="custom", span_type="tool", attributes={"team": "search", "weights": [1, 2]})
    def f(x: int, *rest: int, **extra: bool) -> dict[str, object]:
        return {"x": x, "rest": rest}

    f(1, 2, 3, flag=True)
    t = jurist.get_last_active_trace()
    assert t is not None and jurist.get_last_active_trace_id() == t.trace_id
    span = root(t)
    assert span.name == "custom" and span.span_type == "TOOL"
    assert span.attributes == {"team": "search", "weights": [1, 2]}
    assert span.inputs == {"x": 1, "rest": [2, 3], "flag": True}
    assert span.outputs == {"x": 1, "rest": [2, 3]}
    assert f.__name__ == "f"  # functools.wraps


def test_methods_leave_self_out_and_rich_values_become_json() -> None:
    @dataclass
    class Doc:
        text: str

    class Bot:
        @jurist.trace
        def reply(self, doc: Doc, blob: bytes) -> object:
            return object.__new__(Bot)

    with capture() as cap:
        Bot().reply(Doc("hi"), b"\x00\x01")
    span = root(cap.trace)
    assert span.inputs == {"doc": {"text": "hi"}, "blob": "<2 bytes>"}
    assert isinstance(span.outputs, str) and "Bot object" in span.outputs


def test_complex_attributes_keep_their_structure() -> None:
    with capture() as cap, jurist.start_span("s") as span:
        span.set_attributes({"config": {"top_k": 3}, "tags": ("a", "b"), "none": None})
        span.add_event("cache_miss", {"key": "q1", "detail": {"n": 1}})
    s = root(cap.trace)
    assert s.attributes == {"config": {"top_k": 3}, "tags": ["a", "b"]}
    assert s.events[0]["name"] == "cache_miss" and s.events[0]["attributes"]["key"] == "q1"


def test_long_values_are_cut_but_stay_json() -> None:
    big = "x" * 50_000
    with capture() as cap, jurist.start_span("s") as span:
        span.set_inputs({"text": big, "items": list(range(2_000))})
    inputs = root(cap.trace).inputs
    assert inputs["text"].startswith("x" * 100) and "characters cut" in inputs["text"]
    assert len(inputs["text"]) < 25_000
    assert inputs["items"][-1] == "…[1500 more items]" and len(inputs["items"]) == 501


# -- errors ----------------------------------------------------------------------------------------------
def test_exceptions_set_error_status_and_an_exception_event_and_propagate() -> None:
    @jurist.trace
    def inner() -> None:
        raise KeyError("missing")

    @jurist.trace
    def outer() -> None:
        try:
            inner()
        except KeyError:
            pass
        raise ValueError("bad input")

    with capture() as cap, pytest.raises(ValueError, match="bad input"):
        outer()
    root, child = some(cap.trace).spans
    for span, etype in ((root, "ValueError"), (child, "KeyError")):
        assert span.status == "ERROR"
        event = span.events[0]
        assert event["name"] == "exception" and event["attributes"]["exception.type"] == etype
        assert "Traceback" in event["attributes"]["exception.stacktrace"]
    assert root.attributes["otel.status_description"] == "ValueError: bad input"
    assert root.outputs is None


def test_explicit_status_is_kept() -> None:
    with capture() as cap, jurist.start_span("s") as span:
        span.set_status("ERROR", "the tool said no")
    s = root(cap.trace)
    assert s.status == "ERROR" and s.attributes["otel.status_description"] == "the tool said no"
    with pytest.raises(ValueError):
        span.set_status("MAYBE")


# -- async -----------------------------------------------------------------------------------------------
@jurist.trace(span_type="TOOL")
async def fetch(n: int) -> int:
    await asyncio.sleep(0.001 * (3 - n))
    return n * 10


@jurist.trace(span_type="AGENT")
async def agent(ns: list[int]) -> list[int]:
    return list(await asyncio.gather(*(fetch(n) for n in ns)))


def test_async_functions_and_tasks_nest_under_their_caller() -> None:
    async def main() -> Capture:
        with capture() as c1:
            a = asyncio.create_task(agent([1, 2]))
            b = asyncio.create_task(agent([3]))
            await asyncio.gather(a, b)
        return c1

    cap = asyncio.run(main())
    traces = cap.traces
    assert len(traces) == 2
    for t, expected in zip(traces, ([10, 20], [30]), strict=True):
        assert root(t).name == "agent" and root(t).outputs == expected
        assert all(s.parent_id == root(t).span_id for s in t.spans[1:])
        assert sorted(s.outputs for s in t.spans[1:]) == expected


def test_async_exceptions_are_recorded() -> None:
    @jurist.trace
    async def boom() -> None:
        raise RuntimeError("async boom")

    async def main() -> Capture:
        with capture() as cap, pytest.raises(RuntimeError):
            await boom()
        return cap

    span = root(asyncio.run(main()).trace)
    assert span.status == "ERROR" and span.events[0]["attributes"]["exception.message"] == "async boom"


# -- generators ------------------------------------------------------------------------------------------
def test_generators_keep_their_span_open_and_parent_what_runs_inside() -> None:
    @jurist.trace
    def stream(n: int) -> Iterator[int]:
        for i in range(n):
            with jurist.start_span(f"chunk{i}"):
                pass
            yield i

    with capture() as cap:
        assert list(stream(3)) == [0, 1, 2]
    t = some(cap.trace)
    assert root(t).outputs == [0, 1, 2]
    assert names(t) == [("stream", None), ("chunk0", "stream"), ("chunk1", "stream"), ("chunk2", "stream")]
    assert get_current_active_span() is None


def test_generators_stopped_early_end_ok_and_reducers_apply() -> None:
    @jurist.trace(output_reducer="".join)
    def words() -> Generator[str, None, None]:
        yield "a"
        yield "b"
        yield "c"

    with capture() as cap:
        gen = words()
        assert next(gen) == "a"
        gen.close()
    span = root(cap.trace)
    assert span.status == "OK" and span.outputs == "a"


def test_async_generators() -> None:
    @jurist.trace
    async def tokens() -> AsyncIterator[str]:
        for t in ("x", "y"):
            await asyncio.sleep(0)
            yield t

    async def main() -> Capture:
        with capture() as cap:
            assert [t async for t in tokens()] == ["x", "y"]
        return cap

    assert root(asyncio.run(main()).trace).outputs == ["x", "y"]


# -- threads ---------------------------------------------------------------------------------------------
def test_concurrent_captures_in_threads_see_only_their_own_traces() -> None:
    barrier = threading.Barrier(4)

    def run(i: int) -> Trace:
        with capture() as cap:
            barrier.wait()
            answer(f"q{i}")
        assert len(cap.traces) == 1
        return some(cap.trace)

    with ThreadPoolExecutor(4) as pool:
        traces = list(pool.map(run, range(4)))
    assert sorted(root(t).inputs["question"] for t in traces) == ["q0", "q1", "q2", "q3"]
    assert len({t.trace_id for t in traces}) == 4


def test_threads_with_the_context_copied_nest_and_others_start_their_own_traces() -> None:
    with capture() as cap, jurist.start_span("parent"), ThreadPoolExecutor(2) as pool:
        ctx = contextvars.copy_context()
        pool.submit(ctx.run, search, "in-context").result()
        pool.submit(search, "detached").result()
    assert names(some(cap.trace)) == [("parent", None), ("search", "parent")]
    assert jurist.get_last_active_trace_id(thread_local=True) == some(cap.trace).trace_id


# -- capture() -------------------------------------------------------------------------------------------
def test_capture_inside_an_active_span_takes_the_subtree_it_added() -> None:
    with jurist.start_span("request") as outer:
        with capture() as cap:
            search("inner")
            with jurist.start_span("post"):
                pass
        partial = cap.trace
    assert partial is not None and partial.trace_id == outer.trace_id
    assert [s.name for s in partial.spans] == ["search", "post"]
    assert len(some(jurist.get_trace(outer.trace_id)).spans) == 3


def test_nested_captures_both_see_the_trace_and_empty_blocks_see_none() -> None:
    with capture() as a:
        with capture() as b:
            search("x")
        with capture() as c:
            pass
    assert a.trace is not None and b.trace is not None and a.trace.trace_id == b.trace.trace_id
    assert c.trace is None and c.traces == []


# -- the store -------------------------------------------------------------------------------------------
def _span(i: str, parent: str | None, trace: str, t: int) -> Span:
    return Span(name=i, span_id=i, parent_id=parent, trace_id=trace, start_time_ns=t)


def test_store_is_bounded_and_late_spans_join_their_trace() -> None:
    store = TraceStore(max_traces=2)
    for n in range(3):
        store.add(_span(f"r{n}", None, f"t{n}", n))
    assert store.get("t0") is None and store.get("t2") is not None and store.last_trace_id() == "t2"
    store.add(_span("late", "r2", "t2", 5))
    assert [s.name for s in some(store.get("t2")).spans] == ["r2", "late"]


def test_store_assembles_children_that_end_before_their_root() -> None:
    store = TraceStore()
    store.add(_span("c", "r", "t", 2))
    assert store.get("t") is None and [s.name for s in store.spans("t")[0]] == ["c"]
    store.add(_span("r", None, "t", 1))
    assert [s.name for s in some(store.get("t")).spans] == ["r", "c"]


# -- isolation and import cost ---------------------------------------------------------------------------
def test_the_applications_opentelemetry_is_left_alone() -> None:
    from opentelemetry import trace as otel
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    app = TracerProvider()
    app.add_span_processor(SimpleSpanProcessor(exporter))
    global_before = otel.get_tracer_provider()
    with app.get_tracer("app").start_as_current_span("app request") as app_span, capture() as cap:
        answer("isolated?")
    assert otel.get_tracer_provider() is global_before
    root_span = root(cap.trace)
    assert root_span.parent_id is None and some(cap.trace).trace_id != f"{app_span.get_span_context().trace_id:032x}"
    assert [s.name for s in exporter.get_finished_spans()] == ["app request"]


def test_import_jurist_does_not_load_opentelemetry() -> None:
    code = ("import sys, jurist, jurist.tracing\n"
            "@jurist.trace\ndef f(): return 1\n"
            "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'loaded at import'\n"
            "f()\nassert 'opentelemetry.sdk.trace' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_applications_otel_settings_do_not_change_what_is_recorded() -> None:
    code = ("import jurist\nfrom jurist.tracing import capture\n"
            "@jurist.trace\ndef f(): return 'a long string value'\n"
            "with capture() as c: f()\n"
            "assert c.trace.root_span.outputs == 'a long string value', c.trace\n")
    env = {**os.environ, "OTEL_TRACES_SAMPLER": "always_off", "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "5"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
