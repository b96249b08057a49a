"""Where finished spans become traces: pending spans per trace, and a bounded buffer of finished traces.

Spans arrive one by one as they end (children before their parent). When a trace's root span ends,
its spans are assembled into a :class:`~jurist.Trace` and kept in a buffer of the most recent traces
(``JURIST_TRACE_BUFFER_SIZE``, 1000 by default); older ones are forgotten. A span that ends after its
root (a task left running) is added to its trace if the trace is still in the buffer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import ClassVar

from jurist.entities import Span, Trace

DEFAULT_BUFFER_SIZE = 1000


def _start(span: Span) -> int:
    return span.start_time_ns or 0


class TraceStore:
    """Thread-safe assembly of spans into traces, and the buffer of finished ones."""

    #: Traces whose root has not ended are forgotten past this many (a root that never ends must not leak).
    max_pending_traces: ClassVar[int] = 10_000
    #: Spans kept per trace; the rest are counted in the tag ``jurist.dropped_spans``.
    max_spans_per_trace: ClassVar[int] = 10_000

    def __init__(self, max_traces: int | None = None) -> None:
        if max_traces is None:
            from jurist._runtime import RUNTIME

            max_traces = RUNTIME.settings.trace_buffer_size
        self.max_traces = max(1, max_traces)
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, list[Span]] = OrderedDict()
        self._dropped: dict[str, int] = {}
        self._done: OrderedDict[str, Trace] = OrderedDict()
        self._last: str | None = None
        self._local = threading.local()
        #: Tags set with ``update_current_trace`` on traces still running, applied when they finish.
        self._tags: dict[str, dict[str, str]] = {}
        from jurist.tracing._export import Exporter

        #: Writes finished traces to the tracking store.
        self.exporter = Exporter()

    def set_tags(self, trace_id: str, tags: dict[str, str]) -> None:
        """Tags for a trace: on the finished trace now, or kept until it finishes."""
        with self._lock:
            done = self._done.get(trace_id)
            if done is not None:
                done.tags.update(tags)
                return
            self._tags.setdefault(trace_id, {}).update(tags)

    def add(self, span: Span) -> None:
        """Take one finished span; a root span (no parent) completes its trace."""
        trace_id = span.trace_id or ""
        with self._lock:
            done = self._done.get(trace_id)
            if done is not None:  # ended after its root
                if len(done.spans) < self.max_spans_per_trace:
                    done.spans.append(span)
                    done.spans.sort(key=_start)
                return
            spans = self._pending.get(trace_id)
            if spans is None:
                spans = self._pending[trace_id] = []
                while len(self._pending) > self.max_pending_traces:
                    old, _ = self._pending.popitem(last=False)
                    self._tags.pop(old, None)
                    self._dropped.pop(old, None)
            if len(spans) < self.max_spans_per_trace:
                spans.append(span)
            else:
                self._dropped[trace_id] = self._dropped.get(trace_id, 0) + 1
            if span.parent_id is not None:
                return
            del self._pending[trace_id]
            spans.sort(key=_start)
            trace = Trace(trace_id=trace_id, spans=spans, tags=self._tags.pop(trace_id, {}))
            dropped = self._dropped.pop(trace_id, 0)
            if dropped:
                trace.tags["jurist.dropped_spans"] = str(dropped)
            self._done[trace_id] = trace
            while len(self._done) > self.max_traces:
                self._done.popitem(last=False)
            self._last = trace_id
        # The thread that ends a root span is the one that ran it.
        self._local.last = trace_id
        self.exporter.add(trace)

    def get(self, trace_id: str) -> Trace | None:
        with self._lock:
            return self._done.get(trace_id)

    def spans(self, trace_id: str) -> tuple[list[Span], Trace | None]:
        """The spans of a trace so far (finished or not) and, if it is finished, the trace."""
        with self._lock:
            done = self._done.get(trace_id)
            if done is not None:
                return list(done.spans), done
            return sorted(self._pending.get(trace_id, ()), key=_start), None

    def last_trace_id(self, thread_local: bool = False) -> str | None:
        if thread_local:
            return getattr(self._local, "last", None)
        with self._lock:
            return self._last

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._dropped.clear()
            self._done.clear()
            self._tags.clear()
            self._last = None
        self._local = threading.local()


def subtree(spans: list[Span], tops: set[str]) -> list[Span]:
    """The spans in ``spans`` that are one of ``tops`` or descend from one, in the given order."""
    parent = {s.span_id: s.parent_id for s in spans}
    keep: dict[str, bool] = {}

    def inside(span_id: str | None) -> bool:
        chain: list[str] = []
        found = False
        while span_id is not None and len(chain) <= len(parent):
            if span_id in keep:
                found = keep[span_id]
                break
            if span_id in tops:
                found = True
                chain.append(span_id)
                break
            chain.append(span_id)
            span_id = parent.get(span_id)
        for s in chain:
            keep[s] = found
        return found

    return [s for s in spans if inside(s.span_id)]
