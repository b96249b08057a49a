"""Judging a trace too large to inline: the judge model explores it with tools, then submits its verdict.

A judge whose instructions use ``{{ trace }}`` shows the trace whole when its JSON is short (under
:data:`INLINE_MAX_CHARS`), in one call like any other judge. A longer trace (or any trace, with
``make_judge(..., trace_tools=True)``) is outlined instead, and the judge runs a bounded loop with
the provider's native tool calling: ``list_spans``, ``get_span``, ``get_root_span`` and
``search_trace_regex`` read the trace; ``submit_verdict`` ends the loop.

Why the verdict is a tool rather than structured output on a last call: every step of the loop is a
tool call (``tool_choice="required"``), so the model itself decides when it has seen enough, no extra
call is spent asking for the verdict, and the same loop works on every provider (Anthropic's
structured output *is* a forced tool, which cannot be offered beside exploring tools any other way).
The verdict's arguments are the judge's verdict schema and go through the same parsing and type checks
as a one-call judge's answer, with one repair. Nothing forces a verdict on the last step: a judge that
has not decided within ``max_steps`` model calls gives a Feedback with error ``MAX_STEPS``, never a
verdict made up for it. Tokens, latency and cost add up over every step.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from jurist.entities import AssessmentError, Feedback, Span, Trace
from jurist.errors import ConfigError, JudgeParseError, JuristError
from jurist.judges._base import JUDGE_ONLY_PARAMS, load_prompt
from jurist.judges._parsing import parse_verdict
from jurist.judges._render import user_message
from jurist.judges._values import describe, verdict_schema
from jurist.models import ChatRequest, Message, Tool

if TYPE_CHECKING:
    from jurist.judges._base import Judge, Unit

#: A trace whose rendered JSON is shorter than this is shown whole, in one call.
INLINE_MAX_CHARS = 8_000
#: Model calls one exploring judgment may make.
DEFAULT_MAX_STEPS = 15
#: Characters of one span's JSON per ``get_span`` page.
SPAN_PAGE_CHARS = 6_000
SUBMIT = "submit_verdict"

_OPTIONAL_OFFSET = {"type": "integer", "minimum": 0,
                    "description": "Character offset to read from (0 first; the last page said where to go on)."}

TOOLS: tuple[Tool, ...] = (
    Tool("list_spans", "List the trace's spans in order: id, name, type, parent id, status, start and duration "
         "in milliseconds. Paged: pass the next_offset a page gives to read on.", {
             "type": "object",
             "properties": {
                 "offset": {"type": "integer", "minimum": 0, "description": "Index of the first span to list."},
                 "limit": {"type": "integer", "minimum": 1, "maximum": 50, "description": "Spans per page (50 at most)."},
                 "span_type": {"type": "string",
                               "description": "Only spans of this type: LLM, CHAT_MODEL, RETRIEVER, TOOL, AGENT, CHAIN …"},
             },
             "required": [],
         }),
    Tool("get_span", "One span in full: its inputs, outputs, attributes and events, as JSON text; long spans come "
         "in pages of characters.", {
             "type": "object",
             "properties": {"span_id": {"type": "string", "description": "The span's id, as list_spans gives it."},
                            "offset": _OPTIONAL_OFFSET},
             "required": ["span_id"],
         }),
    Tool("get_root_span", "The root span in full: the request the application received and the answer it gave.", {
        "type": "object", "properties": {"offset": _OPTIONAL_OFFSET}, "required": [],
    }),
    Tool("search_trace_regex", "Find a regular expression (Python syntax; (?i) ignores case) in every span's JSON. "
         "Returns each match's span id, its offset in that span's JSON (for get_span) and the text around it.", {
             "type": "object",
             "properties": {"pattern": {"type": "string", "description": "The regular expression."},
                            "max_matches": {"type": "integer", "minimum": 1, "maximum": 50,
                                            "description": "Matches to return (20 unless given)."}},
             "required": ["pattern"],
         }),
)


def submit_tool(value_type: Any) -> Tool:
    return Tool(SUBMIT, "Submit your verdict. Call it once, when you have read enough of the trace to decide.",
                verdict_schema(value_type))


def explores(setting: bool | None, rendered_chars: int) -> bool:
    """Whether a trace is explored with tools: ``trace_tools`` if set, else when it is too long to inline."""
    return setting if setting is not None else rendered_chars > INLINE_MAX_CHARS


def _excerpt(value: Any, limit: int = 600) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else f"{text[:limit]}…[{len(text) - limit} more characters]"


def _ok(status: str) -> bool:
    return str(status).upper().removeprefix("STATUS_CODE_") in ("OK", "UNSET")


def trace_overview(trace: Trace, rendered_chars: int) -> str:
    """What the user message says of a trace the judge must explore: its shape and its root's I/O, briefly."""
    types = Counter(s.span_type for s in trace.spans)
    errors = [s for s in trace.spans if not _ok(s.status)]
    lines = [
        f"trace_id: {trace.trace_id}",
        f"spans: {len(trace.spans)} ({', '.join(f'{t}: {n}' for t, n in types.most_common())})",
        f"spans with status ERROR: {len(errors)}"
        + (f" ({', '.join(s.span_id for s in errors[:10])}{' …' if len(errors) > 10 else ''})" if errors else ""),
    ]
    root = trace.root_span
    if root is not None:
        lines.append(f"root span: {root.span_id} {root.name!r} ({root.span_type})")
        lines.append(f"root inputs: {_excerpt(root.inputs)}")
        lines.append(f"root outputs: {_excerpt(root.outputs)}")
    lines.append(f"The whole trace is {rendered_chars} characters of JSON, too long to show here: read it with the tools.")
    return "\n".join(lines)


class _BadArgument(ValueError):
    pass


def _int(args: Mapping[str, Any], key: str, default: int, lo: int, hi: int | None = None) -> int:
    value = args.get(key, default)
    if value is None:
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise _BadArgument(f"{key} must be an integer, got {value!r}") from None
    n = max(n, lo)
    return min(n, hi) if hi is not None else n


class TraceTools:
    """The exploring tools over one trace. Pure: each call takes arguments and returns a JSON-able dict."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self._by_id = {s.span_id: s for s in trace.spans}
        starts = [s.start_time_ns for s in trace.spans if s.start_time_ns is not None]
        self._t0 = min(starts) if starts else None
        self._texts: dict[str, str] = {}
        self._calls: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "list_spans": self.list_spans, "get_span": self.get_span, "get_root_span": self.get_root_span,
            "search_trace_regex": self.search_trace_regex,
        }

    def call(self, name: str, arguments: Mapping[str, Any], raw_arguments: str | None = None) -> dict[str, Any]:
        fn = self._calls.get(name)
        if fn is None:
            return {"error": f"there is no tool {name!r}; the tools are {', '.join([*self._calls, SUBMIT])}"}
        if raw_arguments is not None and not arguments:
            return {"error": f"the arguments were not a JSON object: {raw_arguments[:200]!r}"}
        try:
            return fn(arguments)
        except _BadArgument as e:
            return {"error": str(e)}

    # -- views of a span --------------------------------------------------------------------------------
    def _timing(self, s: Span) -> dict[str, float | None]:
        start = None if s.start_time_ns is None or self._t0 is None else round((s.start_time_ns - self._t0) / 1e6, 3)
        dur = (None if s.start_time_ns is None or s.end_time_ns is None
               else round((s.end_time_ns - s.start_time_ns) / 1e6, 3))
        return {"start_ms": start, "duration_ms": dur}

    def _summary(self, s: Span) -> dict[str, Any]:
        return {"span_id": s.span_id, "name": s.name, "span_type": s.span_type, "parent_id": s.parent_id,
                "status": s.status, **self._timing(s)}

    def span_text(self, s: Span) -> str:
        """The span's JSON as get_span pages it and search_trace_regex searches it."""
        text = self._texts.get(s.span_id)
        if text is None:
            detail = {**self._summary(s), "inputs": s.inputs, "outputs": s.outputs, "attributes": s.attributes,
                      "events": s.events}
            text = self._texts[s.span_id] = json.dumps(detail, ensure_ascii=False, indent=1, default=str)
        return text

    def _page(self, s: Span, args: Mapping[str, Any]) -> dict[str, Any]:
        text = self.span_text(s)
        offset = _int(args, "offset", 0, 0)
        if offset >= len(text) and text:
            return {"error": f"offset {offset} is past the end of span {s.span_id} ({len(text)} characters)"}
        end = min(offset + SPAN_PAGE_CHARS, len(text))
        return {"span_id": s.span_id, "total_chars": len(text), "offset": offset, "content": text[offset:end],
                "next_offset": end if end < len(text) else None}

    # -- the tools --------------------------------------------------------------------------------------
    def list_spans(self, args: Mapping[str, Any]) -> dict[str, Any]:
        offset = _int(args, "offset", 0, 0)
        limit = _int(args, "limit", 50, 1, 50)
        spans = self.trace.spans
        wanted = args.get("span_type")
        if wanted:
            spans = [s for s in spans if s.span_type == str(wanted).upper()]
        page = spans[offset:offset + limit]
        end = offset + len(page)
        return {"total": len(spans), "offset": offset, "spans": [self._summary(s) for s in page],
                "next_offset": end if end < len(spans) else None}

    def get_span(self, args: Mapping[str, Any]) -> dict[str, Any]:
        span_id = str(args.get("span_id") or "")
        span = self._by_id.get(span_id)
        if span is None:
            return {"error": f"there is no span with id {span_id!r}; list_spans gives the ids"}
        return self._page(span, args)

    def get_root_span(self, args: Mapping[str, Any]) -> dict[str, Any]:
        root = self.trace.root_span
        if root is None:
            return {"error": "the trace has no spans"}
        return self._page(root, args)

    def search_trace_regex(self, args: Mapping[str, Any]) -> dict[str, Any]:
        pattern = args.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            return {"error": "pattern must be a non-empty string"}
        if len(pattern) > 1_000:
            return {"error": "pattern is too long (1000 characters at most)"}
        try:
            rx = re.compile(pattern)
        except re.error as e:
            return {"error": f"invalid regular expression: {e}"}
        limit = _int(args, "max_matches", 20, 1, 50)
        matches: list[dict[str, Any]] = []
        total = 0
        for s in self.trace.spans:
            text = self.span_text(s)
            for m in rx.finditer(text):
                if m.end() == m.start():
                    continue
                total += 1
                if len(matches) < limit:
                    a, b = max(m.start() - 100, 0), min(m.end() + 100, len(text))
                    matches.append({"span_id": s.span_id, "span_name": s.name, "offset": m.start(),
                                    "match": m.group(0)[:300], "context": text[a:b]})
        return {"total_matches": total, "matches": matches,
                **({"note": f"showing the first {limit}; narrow the pattern to see others"} if total > limit else {})}


def _tool_result(payload: dict[str, Any], steps_left: int) -> str:
    payload = {**payload, "steps_left": steps_left}
    if steps_left == 1:
        payload["note"] = "One step left: call submit_verdict in your next reply."
    return json.dumps(payload, ensure_ascii=False, default=str)


NUDGE = ("Answer by calling a tool: read more of the trace, or call submit_verdict with your verdict. "
         "Steps left: {steps_left}.")


def check_tools_supported(judge: Judge, rendered_chars: int) -> None:
    provider = judge.client.provider
    if provider.supports_tools:
        return
    from jurist.models.providers import tool_calling_providers

    raise ConfigError(
        f"judge {judge.name!r} explores this trace ({rendered_chars} characters of JSON; traces over "
        f"{INLINE_MAX_CHARS} are explored, not inlined) with tools, which needs native tool calling, and "
        f"'{provider.name}:/{provider.model}' has none in jurist yet. Use a model of a provider with tool calling "
        f"({', '.join(tool_calling_providers())}), or make_judge(..., trace_tools=False) to inline the whole trace."
    )


async def judge_by_exploring(judge: Judge, unit: Unit, trace: Trace, *, system: str, max_steps: int) -> Feedback:
    """Run the exploring loop for one judgment and return its Feedback."""
    tools = TraceTools(trace)
    vtype = judge.feedback_value_type
    specs = (*TOOLS, submit_tool(vtype))
    params = {k: v for k, v in judge.inference_params.items() if k not in JUDGE_ONLY_PARAMS}
    user = user_message(unit.sections)
    messages: list[Message] = [Message("system", system), Message("user", user)]
    meta: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0, "latency_ms": 0.0, "cost_usd": 0.0,
                            "trace_mode": "tools", "steps": 0, "tool_calls": 0}
    bad_verdicts = 0
    last_text: str | None = None
    try:
        for step in range(1, max_steps + 1):
            request = ChatRequest(messages=tuple(messages), params=params, tools=specs, tool_choice="required")
            resp = await judge.client.chat(request)
            judge._account(meta, resp)
            meta["steps"] = step
            left = max_steps - step
            if not resp.tool_calls:
                # Servers that ignore tool_choice may answer in text; a readable verdict there counts.
                last_text = resp.text
                try:
                    value, rationale = parse_verdict(resp.text, vtype)
                except JudgeParseError:
                    messages += [Message("assistant", resp.text or ""), Message("user", NUDGE.format(steps_left=left))]
                    continue
                return judge._feedback(unit, meta, value=judge.calibrate(value, meta), rationale=rationale)
            # With a tool call required, providers send no prose beside the calls: the turn is its calls.
            messages.append(Message("assistant", "", tool_calls=tuple(resp.tool_calls)))
            verdict: tuple[Any, str | None] | None = None
            for call in resp.tool_calls:
                meta["tool_calls"] += 1
                if call.name != SUBMIT:
                    payload = tools.call(call.name, call.arguments, call.raw_arguments)
                else:
                    raw = call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)
                    last_text = raw
                    try:
                        verdict = parse_verdict(raw, vtype)
                        payload = {"recorded": True}
                    except JudgeParseError as e:
                        bad_verdicts += 1
                        if bad_verdicts > 1:  # one repair, as for any judge; then the verdict is not guessed
                            meta["raw_output"] = raw
                            return judge._feedback(unit, meta, error=AssessmentError("PARSE_ERROR", str(e)))
                        payload = {"error": f"the verdict could not be read: {e}. Call submit_verdict again "
                                            f"with \"result\" {describe(vtype)}."}
                messages.append(Message("tool", _tool_result(payload, left), tool_call_id=call.id, name=call.name))
            if verdict is not None:
                if bad_verdicts:
                    meta["repaired"] = True
                return judge._feedback(unit, meta, value=judge.calibrate(verdict[0], meta), rationale=verdict[1])
    except ConfigError:
        raise
    except JuristError as e:
        return judge._feedback(unit, meta, error=AssessmentError.from_exception(e))
    if last_text is not None:
        meta["raw_output"] = last_text
    return judge._feedback(unit, meta, error=AssessmentError(
        "MAX_STEPS",
        f"the judge made {max_steps} model calls without submitting a verdict; raise max_steps "
        f"(make_judge(..., max_steps=...)) or make the instructions more specific",
    ))


def agent_system_prompt(instructions: str, value_type: Any, max_steps: int) -> str:
    """The judge's instructions, then how to explore and how to answer: the same for every row."""
    protocol = load_prompt("trace_agent").replace("{max_steps}", str(max_steps)).replace(
        "{result}", describe(value_type))
    return f"{instructions.strip()}\n\n{load_prompt('data_notice')}\n\n{protocol}"
