"""An offline model for tests: ``fake:/`` answers in this process, with no server, no key and no network.

``fake:/`` (or ``fake:/default``) answers every request with a value that fits the request's output
schema: the first ``enum`` option, ``true``, the smallest number in range, a placeholder rationale; a
request without a schema gets the JSON object a judge reads (``{"rationale": ..., "result": ...}``,
the result guessed from the prompt's answer format). A :class:`FakeModel` scripts answers instead, under
a name of its own (``fake:/<name>``), records each request it was sent, and can fail on cue (a
:class:`~jurist.errors.RateLimitError` or :class:`~jurist.errors.ServerError` as its n-th answer) to
test what retries and errors do. Token counts are estimated from the text (about four characters a
token), so usage and cost totals add up as they would with a real provider.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

from jurist._runtime import RUNTIME
from jurist.errors import ConfigError
from jurist.models._types import ChatRequest, ChatResponse, ToolCall, Usage

DEFAULT_NAME = "default"
#: What a scripted answer may be: the model's text, a JSON object (sent as its text), a whole response
#: (tool calls included), or an exception to raise in its place.
Answer = Union[str, dict[str, Any], list[Any], ChatResponse, BaseException]
Responder = Callable[[ChatRequest], Answer]

RATIONALE = "The fake model's placeholder rationale."
#: ``fake:/`` answers cost nothing unless a FakeModel is given a price.
FREE = (0.0, 0.0)

def estimate_tokens(text: str) -> int:
    """About four characters a token, at least one for any text: close enough for usage and cost paths."""
    return math.ceil(len(text) / 4) if text else 0


# -- values that fit a schema -----------------------------------------------------------------------
def fill(schema: Any, *, key: str | None = None, root: Any = None) -> Any:
    """A value that fits the JSON ``schema``: the first enum option, ``true``, the smallest number in range,
    the minimum number of items; strings are a placeholder rationale, as long as the schema allows.

    Example:
        >>> fill({"type": "object", "properties": {"result": {"enum": ["yes", "no"]}}})
        {'result': 'yes'}
    """
    root = schema if root is None else root
    if not isinstance(schema, dict):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return fill(target, key=key, root=root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for alt in ("anyOf", "oneOf", "allOf"):
        options = schema.get(alt)
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")] or options
            return fill(usable[0], key=key, root=root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: fill(v, key=k, root=root) for k, v in props.items()}
    if kind == "array":
        n = schema.get("minItems", 0)
        return [fill(schema.get("items") or {}, root=root) for _ in range(n if isinstance(n, int) else 0)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "null":
        return None
    return _string(schema, key)


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    step = 1 if integer else 0.5
    value: float
    if isinstance(low, (int, float)):
        value = low
    elif isinstance(ex_low, (int, float)) and not isinstance(ex_low, bool):
        value = ex_low + step
    elif isinstance(high, (int, float)):
        value = min(0, high)
    elif isinstance(ex_high, (int, float)) and not isinstance(ex_high, bool):
        value = min(0, ex_high - step)
    else:
        value = 0
    return math.ceil(value) if integer else float(value)


def _string(schema: dict[str, Any], key: str | None) -> str:
    text = RATIONALE if key in (None, "rationale", "reasoning", "reason", "explanation") else "fake"
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    if isinstance(low, int) and len(text) < low:
        text = text + "x" * (low - len(text))
    return text


#: How the judges' prompts describe a result (``describe`` in the judges package), and a value for each.
_ONE_OF = re.compile(r'"result":\s*exactly one of\s+(?:"([^"]*)"|(-?\d+(?:\.\d+)?)|(True|False))')
_DESCRIBED: tuple[tuple[str, Any], ...] = (
    ('"result": true or false', True),
    ('"result": an integer', 0),
    ('"result": a number', 0),
    ('"result": a JSON array', []),
    ('"result": a JSON object', {}),
    ('"result": a string', "fake"),
)


def guess_result(request: ChatRequest) -> Any:
    """The result a judge's prompt asks for, read from its answer format; ``"yes"`` if it says nothing."""
    text = "\n".join(m.content for m in request.messages if m.role == "system")
    m = _ONE_OF.search(text)
    if m is not None:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return float(m.group(2)) if "." in m.group(2) else int(m.group(2))
        return m.group(3) == "True"
    for phrase, value in _DESCRIBED:
        if phrase in text:
            return value
    return "yes"


def default_answer(request: ChatRequest) -> Answer:
    """What ``fake:/default`` says: a value fitting the output schema, or else a judge's JSON verdict; and
    when a tool call is required, a call of the named tool (or the last one offered) with arguments that
    fit its parameters."""
    if request.tools and request.tool_choice not in (None, "auto", "none"):
        tool = next((t for t in request.tools if t.name == request.tool_choice), request.tools[-1])
        args = fill(tool.parameters)
        return ChatResponse(text="", finish_reason="tool_calls",
                            tool_calls=[ToolCall(id="call_fake", name=tool.name,
                                                 arguments=args if isinstance(args, dict) else {})])
    if request.response_schema is not None and not request.response_schema.any_object:
        return fill(request.response_schema.schema)  # type: ignore[no-any-return]
    return {"rationale": RATIONALE, "result": guess_result(request)}


# -- the scripted model -----------------------------------------------------------------------------
class FakeModel:
    """A model for tests, answered in this process: ``fake:/<name>`` in any judge reaches it.

    Args:
        responses: the answers, one per request, in order: text, a JSON object (sent as its text), a
            :class:`ChatResponse` (for tool calls), or an exception to raise instead (a
            ``RateLimitError(retry_after=0)`` to test retries); or one callable ``request -> answer``.
            None answers like ``fake:/default`` (a value that fits the output schema). When a list runs
            out the next request is a :class:`~jurist.errors.ConfigError`, so a missing answer is loud.
        name: the URI's model name; creating a FakeModel registers it there, replacing any earlier one,
            until it is unregistered or ``jurist.reset()`` forgets every registration.
        latency: seconds each answer takes (asyncio sleep), to stand in for a provider's latency.
        record: keep every request in :attr:`requests` (turn it off for long benchmark runs).
        price: USD per million (input, output) tokens, for the answers' ``cost_usd`` (free by default).

    Example:
        >>> fake = FakeModel(['{"rationale": "matches", "result": "no"}'], name="mine")
        >>> Correctness(model="fake:/mine")(outputs="4", expectations={"expected_response": "4"}).value
        'no'
        >>> fake.requests[0].messages[-1].content   # doctest: +SKIP
    """

    def __init__(
        self,
        responses: Iterable[Answer] | Responder | None = None,
        *,
        name: str = DEFAULT_NAME,
        latency: float = 0.0,
        record: bool = True,
        price: tuple[float, float] = FREE,
    ) -> None:
        if not isinstance(name, str) or not name or name != name.strip():
            raise ConfigError(f"a fake model needs a name without spaces around it (fake:/<name>), got {name!r}")
        self.name = name
        self.latency = latency
        self.record = record
        self.price = price
        self._responder: Responder | None = None
        self._script: list[Answer] | None = None
        if callable(responses):
            self._responder = responses
        elif responses is not None:
            self._script = list(responses)
        #: Every request sent to this model, in order.
        self.requests: list[ChatRequest] = []
        self._next = 0
        self._lock = threading.Lock()
        register(self)

    @property
    def uri(self) -> str:
        """The model URI that reaches this model: ``fake:/<name>``."""
        return f"fake:/{self.name}"

    @property
    def calls(self) -> int:
        """How many requests it has answered (or failed on cue)."""
        return self._next

    def add(self, *responses: Answer) -> None:
        """Script more answers after those already given."""
        with self._lock:
            if self._script is None:
                self._script = []
            self._script.extend(responses)

    def reset(self) -> None:
        """Forget the requests seen and start the script over."""
        with self._lock:
            self.requests.clear()
            self._next = 0

    def unregister(self) -> None:
        """Stop ``fake:/<name>`` from reaching this model."""
        registry = _registry()
        with registry.lock:
            if registry.models.get(self.name) is self:
                del registry.models[self.name]

    def __enter__(self) -> FakeModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unregister()

    def __repr__(self) -> str:
        return f"FakeModel(name={self.name!r}, calls={self.calls})"

    def _take(self, request: ChatRequest) -> Answer:
        with self._lock:
            n = self._next
            if self.record:
                self.requests.append(request)
            script = self._script
            if script is None or n < len(script):
                self._next += 1
            if script is not None:
                if n >= len(script):  # kept in ``requests`` to show what came, not counted as answered
                    raise ConfigError(
                        f"{self.uri} was sent request {n + 1} but was scripted with {len(script)} answers: "
                        "script more (FakeModel([...]) or fake.add(...)), or give a callable"
                    )
                return script[n]
        if self._responder is not None:
            return self._responder(request)
        return default_answer(request)

    async def answer(self, request: ChatRequest) -> ChatResponse:
        """The next answer to ``request`` (raising the scripted exception, if that is the next answer)."""
        if self.latency:
            await asyncio.sleep(self.latency)
        return respond(request, self._take(request), self.uri, self.price)


def respond(request: ChatRequest, answer: Answer, model: str, price: tuple[float, float] = FREE) -> ChatResponse:
    """A scripted answer as a response, with usage estimated from the text (and its cost at ``price``) when
    the answer has none."""
    if isinstance(answer, BaseException):
        raise answer
    if isinstance(answer, ChatResponse):
        resp = dataclasses.replace(answer, usage=Usage(answer.usage.input_tokens, answer.usage.output_tokens),
                                   tool_calls=list(answer.tool_calls))
    else:
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        resp = ChatResponse(text=text, finish_reason="stop")
    if resp.model is None:
        resp.model = model
    if resp.usage.input_tokens is None:
        resp.usage = Usage(_input_tokens(request), resp.usage.output_tokens)
    if resp.usage.output_tokens is None:
        out = resp.text + "".join(json.dumps(c.arguments) for c in resp.tool_calls)
        resp.usage = Usage(resp.usage.input_tokens, estimate_tokens(out))
    if resp.cost_usd is None and resp.usage.input_tokens is not None and resp.usage.output_tokens is not None:
        resp.cost_usd = (resp.usage.input_tokens * price[0] + resp.usage.output_tokens * price[1]) / 1e6
    return resp


def _input_tokens(request: ChatRequest) -> int:
    n = sum(estimate_tokens(m.content) + 4 for m in request.messages)
    if request.response_schema is not None:
        n += estimate_tokens(json.dumps(request.response_schema.schema))
    for t in request.tools:
        n += estimate_tokens(json.dumps(t.to_dict()))
    return n


# -- the registry -------------------------------------------------------------------------------------
class _Registry:
    """The FakeModels registered by name (``FakeModel(name=...)``), where ``fake:/<name>`` finds them: the
    fake provider's part of the runtime (``jurist.reset()`` forgets them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.models: dict[str, FakeModel] = {}

    def close(self) -> None:
        with self.lock:
            self.models.clear()


def _registry() -> _Registry:
    return RUNTIME.part("fake-models", _Registry)


def register(model: FakeModel) -> None:
    registry = _registry()
    with registry.lock:
        registry.models[model.name] = model


def fake_model(name: str) -> FakeModel | None:
    """The FakeModel registered as ``fake:/<name>``, if any."""
    return _registry().models.get(name)


def registered_names() -> Sequence[str]:
    return sorted(_registry().models)
