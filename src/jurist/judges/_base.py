"""The Judge: data (name, instructions, output type, model, parameters) plus one async method."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, ClassVar

from jurist._runtime import RUNTIME
from jurist.entities import (
    AssessmentError,
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
    Trace,
)
from jurist.errors import ConfigError, JudgeParseError, JuristError
from jurist.judges._confidence import calibrated_verdict, option_name, option_values, verdict_confidence
from jurist.judges._parsing import parse_verdict
from jurist.judges._reduce import vote
from jurist.judges._render import check_field_limit, rendering, user_message
from jurist.judges._screen import SCREEN_MODES, Finding, screen_sections
from jurist.judges._values import YesNo, check_type, describe, type_name, verdict_schema
from jurist.models import ChatRequest, Message, ModelClient, ResponseSchema, default_model
from jurist.scorers._aggregations import Aggregation, check_aggregations
from jurist.scorers._scorer import Scorer

log = logging.getLogger("jurist.judges")

#: ``inference_params={"rationale": ...}``: how much reasoning a judge writes before its verdict.
RATIONALE_MODES = ("full", "short", "none")
#: The grammar closes a short rationale at this many characters (about 40-50 tokens).
SHORT_RATIONALE_CHARS = 120

#: ``inference_params`` read by the judge itself, never sent to the model.
JUDGE_ONLY_PARAMS = frozenset({"timeout", "rationale", "samples", "injection_screen", "calibration"})
#: The most answers one judgment may sample.
MAX_SAMPLES = 32
#: The temperature of sampled answers (``samples=n``) when the judge's own is 0.
DEFAULT_SAMPLING_TEMPERATURE = 0.7

#: The judgments that may be in flight at once, shared by everything one ``evaluate()`` runs: its rows and the
#: spans a judge fans out to (a retrieval judge judges each RETRIEVER span). Set by the evaluation runner.
JUDGMENT_SLOTS: contextvars.ContextVar[asyncio.Semaphore | None] = contextvars.ContextVar(
    "jurist_judgment_slots", default=None)


#: ``metadata["calibration"]`` of a calibrated judge's verdict that was left as the model gave it.
CALIBRATION_NOT_APPLIED = "not applied: the answer carried no log-probabilities of the verdict"
_CALIBRATION_EXAMPLE = "{'offsets': {'yes': -0.4, 'no': 0.4}}"


def check_calibration(calibration: Any, value_type: Any) -> dict[str, Any]:
    """``inference_params["calibration"]`` checked against the verdict's type: a mapping with ``offsets``,
    one number per allowed verdict value (keys as the verdict is written: ``"yes"``, ``"true"``; a bool
    judge also takes True/False). Returned with the offsets' keys in that written form; other keys (what
    the fit measured) are kept as they are.

    Example:
        >>> check_calibration({"offsets": {"yes": -0.4, "no": 0.4}}, YesNo)["offsets"]
        {'yes': -0.4, 'no': 0.4}
    """
    options = option_values(value_type)
    if options is None or len(options) < 2:
        raise ConfigError(f"inference_params['calibration'] moves a verdict between its allowed values, so it needs "
                          f"a verdict of at least two (bool or Literal[...]); this judge's is "
                          f"{type_name(value_type)}. Remove 'calibration' from inference_params")
    if not isinstance(calibration, Mapping) or not isinstance(calibration.get("offsets"), Mapping):
        raise ConfigError(f"inference_params['calibration'] must be a mapping with 'offsets', one number per verdict "
                          f"value, like {_CALIBRATION_EXAMPLE}; got {calibration!r}")
    offsets: dict[str, float] = {}
    for key, number in calibration["offsets"].items():
        name = option_name(key)
        if name not in options:
            raise ConfigError(f"inference_params['calibration'] has an offset for {key!r}, which this judge never "
                              f"answers; its verdict takes {', '.join(options)}")
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise ConfigError(f"inference_params['calibration'] offset for {key!r} must be a finite number (added to "
                              f"the verdict's log-probability), got {number!r}")
        offsets[name] = float(number)
    return {**calibration, "offsets": offsets}


def _fan_out_limit() -> int:
    """How many spans of one direct judge call are judged at once (outside evaluate): its default concurrency."""
    return RUNTIME.settings.max_concurrency


@functools.cache
def load_prompt(name: str) -> str:
    """The text of ``judges/prompts/<name>.md``."""
    return resources.files("jurist.judges").joinpath("prompts", f"{name}.md").read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Unit:
    """One judgment to make: the prompt sections (tag → text), and what the feedback attaches to.

    ``trace`` is set when the judge explores that trace with tools instead of reading it inline; ``error``
    when there is nothing to judge (the feedback is that error, and no model is asked).
    """

    sections: tuple[tuple[str, str], ...]
    trace_id: str | None = None
    span_id: str | None = None
    trace: Trace | None = field(default=None, compare=False, repr=False)
    error: AssessmentError | None = None
    #: Values cut to fit the judge's ``max_field_chars``: ``(original characters, kept characters)`` each.
    truncated: tuple[tuple[int, int], ...] = ()
    #: Paragraphs of judged text addressed to the judge, replaced by a marker before the model saw them.
    screened: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Call:
    """One model call of a judgment: the unit as shown to the model (a pairwise judge swaps the answers)
    and the inference parameters that differ from the judge's own (a sampled answer's temperature)."""

    unit: Unit
    params: Mapping[str, Any] = field(default_factory=dict)
    #: What tells this call from the judgment's others ("sample 2", "order BA"), for metadata and logs.
    label: str = ""


class Judge(Scorer):
    """An LLM judge. Call it with ``inputs``, ``outputs``, ``expectations``, ``trace`` or ``session``.

    Example:
        >>> from jurist.judges import Correctness
        >>> fb = Correctness(model="openai:/gpt-4o-mini")(            # doctest: +SKIP
        ...     inputs={"question": "Capital of France?"}, outputs="Paris",
        ...     expectations={"expected_response": "Paris"})
        >>> fb.value                                                   # doctest: +SKIP
        'yes'
    """

    #: The args this judge needs, named in the error when one is missing.
    required: ClassVar[tuple[str, ...]] = ()
    default_value_type: ClassVar[Any] = YesNo

    def __init__(
        self,
        *,
        name: str,
        instructions: str,
        model: str | None = None,
        feedback_value_type: Any = None,
        inference_params: Mapping[str, Any] | None = None,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        description: str | None = None,
        aggregations: Sequence[Aggregation] | None = None,
        max_field_chars: int | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("a judge needs a non-empty name")
        self.name = name
        self._system: str | None = None
        self.instructions = instructions
        self.model = str(model) if model else default_model()
        self.feedback_value_type = feedback_value_type if feedback_value_type is not None else self.default_value_type
        check_type(self.feedback_value_type)
        params = dict(inference_params or {})
        params.setdefault("temperature", 0)
        params.setdefault("seed", 0)
        mode = params.get("rationale")
        if mode is not None and mode not in RATIONALE_MODES:
            raise ConfigError(
                f"inference_params['rationale'] must be one of {', '.join(RATIONALE_MODES)}, got {mode!r}"
            )
        samples = params.get("samples", 1)
        if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= MAX_SAMPLES:
            raise ConfigError(f"inference_params['samples'] must be a whole number from 1 to {MAX_SAMPLES}, "
                              f"got {samples!r}")
        screen = params.get("injection_screen", True)
        if not isinstance(screen, bool) and screen not in SCREEN_MODES:
            raise ConfigError(f"inference_params['injection_screen'] must be true, false, "
                              f"{' or '.join(repr(m) for m in SCREEN_MODES)}, got {screen!r}")
        if params.get("calibration") is not None:
            params["calibration"] = check_calibration(params["calibration"], self.feedback_value_type)
        self.inference_params = params
        self.base_url = base_url
        self.extra_headers = dict(extra_headers or {})
        self.description = description
        self.aggregations = check_aggregations(aggregations)
        #: The most characters of one judged value shown to the model (None: ``JURIST_MAX_FIELD_CHARS``, else
        #: 20,000); a value cut to fit is named in the feedback's ``metadata["truncated"]``.
        self.max_field_chars = check_field_limit(max_field_chars)
        self._client: ModelClient | None = None

    @property
    def instructions(self) -> str:
        return self._instructions

    @instructions.setter
    def instructions(self, value: str) -> None:
        self._instructions = value
        self._system = None

    # -- model ------------------------------------------------------------------------------------
    @property
    def client(self) -> ModelClient:
        if self._client is None:
            self._client = ModelClient(
                self.model,
                base_url=self.base_url,
                extra_headers=self.extra_headers,
                timeout=self.inference_params.get("timeout"),
            )
        return self._client

    def check_ready(self) -> None:
        self.client.check_ready()

    @property
    def source(self) -> AssessmentSource:
        return AssessmentSource(AssessmentSourceType.LLM_JUDGE, self.model)

    # -- prompt -----------------------------------------------------------------------------------
    @property
    def rationale_mode(self) -> str:
        """``full``, ``short`` or ``none`` (verdict only): ``inference_params["rationale"]``, else the
        local model's default (``JURIST_LOCAL_RATIONALE``), else ``full``."""
        mode = self.inference_params.get("rationale")
        if mode is None and self.model.lower().startswith("local:"):
            from jurist.local._settings import local_rationale

            mode = local_rationale()
        return str(mode or "full")

    def format_instructions(self) -> str:
        """How to answer, for the rationale mode: the last part of the system prompt."""
        result = describe(self.feedback_value_type)
        return load_prompt(f"answer_{self.rationale_mode}").format(result=result)

    def response_schema(self) -> ResponseSchema:
        mode = self.rationale_mode
        # The same for every row: made once per output type and rationale mode, not once per request.
        cached = self.__dict__.get("_schema")
        if cached is not None and cached[0] is self.feedback_value_type and cached[1] == mode:
            return cached[2]  # type: ignore[no-any-return]
        made = self._make_response_schema(mode)
        self.__dict__["_schema"] = (self.feedback_value_type, mode, made)
        return made

    def _make_response_schema(self, mode: str) -> ResponseSchema:
        schema = verdict_schema(self.feedback_value_type)
        if mode == "none":
            schema = {**schema, "properties": {"result": schema["properties"]["result"]}, "required": ["result"]}
        elif mode == "short":
            props = {**schema["properties"], "rationale": {"type": "string", "maxLength": SHORT_RATIONALE_CHARS}}
            schema = {**schema, "properties": props}
        return ResponseSchema(name="verdict", schema=schema)

    #: Judged text is fenced (section tags inside it escaped) and the prompt declares it data, never
    #: instructions. Only an injection probe turns this off, to measure what the defence is worth.
    injection_defence: bool = True

    @property
    def screens_injections(self) -> bool:
        """Whether judged text addressed to the judge is removed before the model sees it (see
        :mod:`jurist.judges._screen`): on with the defence, unless ``inference_params={"injection_screen":
        False}``. ``"mark"`` leaves a marker where it was; ``True`` or ``"drop"`` removes it without one."""
        return self.injection_defence and self.inference_params.get("injection_screen", True) is not False

    def data_notice(self) -> str:
        """The paragraph telling the model that the sections are data (with its trailing blank line)."""
        return f"{load_prompt('data_notice')}\n\n" if self.injection_defence else ""

    def system_prompt(self) -> str:
        """Instructions first, then the answer format: the same for every row, so a prefix cache reuses it."""
        if self._system is None:
            self._system = f"{self.instructions.strip()}\n\n{self.data_notice()}{self.format_instructions()}"
        return self._system

    def units(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
              session: Any = None) -> list[Unit]:
        """Check the args and lay out what to judge. Subclasses override; raise ConfigError on missing input."""
        raise NotImplementedError

    def _missing(self, what: str, hint: str = "") -> ConfigError:
        need = ", ".join(self.required) or what
        return ConfigError(f"{type(self).__name__} judge '{self.name}' needs {what}{hint} (it takes: {need}).")

    def request(self, unit: Unit, overrides: Mapping[str, Any] | None = None) -> ChatRequest:
        user = user_message(unit.sections, escape=self.injection_defence)
        params = {k: v for k, v in self.inference_params.items() if k not in JUDGE_ONLY_PARAMS}
        if overrides:
            params.update(overrides)
        return ChatRequest(
            messages=(Message("system", self.system_prompt()), Message("user", user)),
            response_schema=self.response_schema(),
            params=params,
        )

    # -- calling ----------------------------------------------------------------------------------
    async def acall(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
        session: Any = None,
    ) -> Any:
        """Judge and return a Feedback (a list of them for judges that judge each span)."""
        feedbacks = await self._run(inputs=inputs, outputs=outputs, expectations=expectations, trace=trace,
                                    session=session)
        return feedbacks if self.per_span else feedbacks[0]

    #: Judges that return one Feedback per span (retrieval judges) set this.
    per_span: ClassVar[bool] = False

    def __call__(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None,
                 trace: Any = None, session: Any = None) -> Any:
        return RUNTIME.run(self.acall(inputs=inputs, outputs=outputs, expectations=expectations, trace=trace,
                                      session=session))

    async def ascore(self, **kwargs: Any) -> list[Feedback]:
        return await self._run(**kwargs)

    async def _run(self, **kwargs: Any) -> list[Feedback]:
        args = {k: kwargs.get(k) for k in self.arguments}
        if args["expectations"] is None and isinstance(args["trace"], Trace) and "expectations" in self.required:
            # The trace's expectation assessments stand in for expectations= (as in MLflow); for a trace
            # recorded in this process they are read from the tracking store.
            info = args["trace"].info
            found = await asyncio.to_thread(lambda: [a for a in info.assessments if isinstance(a, Expectation)])
            if found:
                args["expectations"] = {e.name: e.value for e in found}
        with rendering(self.max_field_chars) as cuts:
            units = self.units(**args)
        if cuts and len(units) == 1 and not units[0].truncated:
            units = [dataclasses.replace(units[0], truncated=tuple(cuts))]
        if self.screens_injections:
            units = [self.screen(u) for u in units]
        slots = JUDGMENT_SLOTS.get()
        if len(units) == 1 and slots is None:
            return [await self.judge_unit(units[0])]
        # Several spans of one trace are judged side by side, but within evaluate's concurrency (or the default
        # one for a direct call): one row of 300 spans must not put 300 requests in flight.
        limit = slots if slots is not None else asyncio.Semaphore(_fan_out_limit())

        async def one(unit: Unit) -> Feedback:
            async with limit:
                return await self.judge_unit(unit)

        if len(units) == 1:
            return [await one(units[0])]
        return list(await asyncio.gather(*(one(u) for u in units)))

    # -- one judgment: its model calls, then one reduce step -------------------------------------------
    @property
    def samples(self) -> int:
        """Model calls per judgment (``inference_params={"samples": n}``): above 1, each is asked at a
        temperature above 0 and the verdict is the majority, its vote share the confidence."""
        return int(self.inference_params.get("samples") or 1)

    def calls(self, unit: Unit) -> list[Call]:
        """The model calls one judgment makes. One, unless the judge samples; pairwise judges ask in both
        orders. Overriding this and :meth:`reduce` is how a judgment combines several answers."""
        n = self.samples
        if n <= 1:
            return [Call(unit)]
        temperature = self.inference_params.get("temperature") or DEFAULT_SAMPLING_TEMPERATURE
        seed = int(self.inference_params.get("seed") or 0)
        return [Call(unit, {"temperature": temperature, "seed": seed + i}, f"sample {i + 1}") for i in range(n)]

    def reduce(self, unit: Unit, calls: Sequence[Call], feedbacks: Sequence[Feedback]) -> Feedback:
        """One Feedback from the answers of :meth:`calls`, in their order (the default: a majority vote)."""
        if len(feedbacks) == 1:
            return feedbacks[0]
        return vote(self.name, self.source, feedbacks, trace_id=unit.trace_id, span_id=unit.span_id)

    async def judge_unit(self, unit: Unit) -> Feedback:
        if unit.error is not None:
            meta: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0, "latency_ms": 0.0, "cost_usd": 0.0}
            return self._feedback(unit, meta, error=unit.error)
        calls = self.calls(unit)
        if len(calls) == 1:
            fb = await self.ask(calls[0])
        else:
            fb = self.reduce(unit, calls, await asyncio.gather(*(self.ask(c) for c in calls)))
        if fb.metadata is not None:
            self.note_truncation(unit, fb.metadata)
            self.note_screening(unit, fb.metadata)
        return fb

    async def ask(self, call: Call) -> Feedback:
        """One model call (and at most one repair request) and its parsed verdict, or the error."""
        unit = call.unit
        meta: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0, "latency_ms": 0.0, "cost_usd": 0.0}
        request = self.request(unit, call.params)
        client = self.client
        try:
            resp = await client.chat(request)
            self._account(meta, resp)
            try:
                value, rationale = parse_verdict(resp.text, self.feedback_value_type)
            except JudgeParseError as first:
                # One repair request, then give up: the verdict is never guessed.
                repair = ChatRequest(
                    messages=(*request.messages, Message("assistant", resp.text or ""), Message(
                        "user", load_prompt("repair").format(reason=str(first),
                                                             result=describe(self.feedback_value_type))
                    )),
                    response_schema=request.response_schema,
                    params=request.params,
                )
                resp2 = await client.chat(repair)
                self._account(meta, resp2)
                try:
                    value, rationale = parse_verdict(resp2.text, self.feedback_value_type)
                except JudgeParseError as second:
                    meta["raw_output"] = resp2.text
                    meta["first_raw_output"] = resp.text
                    return self._feedback(unit, meta, error=AssessmentError("PARSE_ERROR", str(second)))
                meta["repaired"] = True
        except ConfigError:
            raise  # the caller's mistake (a missing key, a bad URI): loud, not one error per row
        except JuristError as e:  # the provider gave up, or refused: an error on this judgment only
            return self._feedback(unit, meta, error=AssessmentError.from_exception(e))
        conf = verdict_confidence((resp2 if meta.get("repaired") else resp).logprobs, self.feedback_value_type)
        if conf is not None:
            meta.update(conf)
        value = self.calibrate(value, meta)
        return self._feedback(unit, meta, value=value, rationale=rationale)

    @property
    def calibration_offsets(self) -> dict[str, float]:
        """The offsets added to the verdict options' log-probabilities (``inference_params["calibration"]``,
        fitted by :class:`~jurist.align.CalibrationOptimizer`); empty when the judge is not calibrated."""
        calibration = self.inference_params.get("calibration")
        return dict(calibration["offsets"]) if isinstance(calibration, Mapping) else {}

    def calibrate(self, value: Any, meta: dict[str, Any]) -> Any:
        """The verdict after the judge's calibration, given the model's ``value`` and the answer's metadata
        (with its confidence already read). With offsets and the answer's ``verdict_probabilities``, the
        verdict is the option whose log-probability plus offset is highest, its share the confidence, and
        ``metadata["uncalibrated_value"]`` keeps what the model said; without log-probabilities the model's
        verdict stands and ``metadata["calibration"]`` says so."""
        offsets = self.calibration_offsets
        if not offsets:
            return value
        probabilities = meta.get("verdict_probabilities")
        options = option_values(self.feedback_value_type)
        if not isinstance(probabilities, Mapping) or not probabilities or options is None:
            meta["calibration"] = CALIBRATION_NOT_APPLIED
            return value
        chosen, shares = calibrated_verdict(probabilities, offsets)
        meta["uncalibrated_value"] = value
        meta["calibration"] = "applied"
        meta["confidence"] = round(shares[chosen], 4)
        return options.get(chosen, value)

    def screen(self, unit: Unit) -> Unit:
        """``unit`` without the paragraphs of untrusted text that are addressed to the judge."""
        mode = self.inference_params.get("injection_screen", True)
        sections, found = screen_sections(unit.sections, "mark" if mode == "mark" else "drop")
        return dataclasses.replace(unit, sections=sections, screened=tuple(found)) if found else unit

    def note_screening(self, unit: Unit, meta: dict[str, Any]) -> None:
        """Say in the feedback what was removed from the judged text as addressed to the judge."""
        if not unit.screened:
            return
        meta["injection_suspected"] = True
        meta["injection_spans"] = [f.to_dict() for f in unit.screened]
        log.info("judge %r: removed %d paragraph(s) addressed to the judge from the judged text (%s)", self.name,
                 len(unit.screened), ", ".join(sorted({f.rule for f in unit.screened})))

    def note_truncation(self, unit: Unit, meta: dict[str, Any]) -> None:
        """Say in the feedback, and in the log, that the model saw only part of a value: a verdict on a cut
        text may miss what its end says."""
        if not unit.truncated:
            return
        meta["truncated"] = [{"original_chars": o, "kept_chars": k} for o, k in unit.truncated]
        log.warning("judge %r: %d value(s) longer than %d characters were cut (%s characters originally); the "
                    "model did not see their ends. Set max_field_chars on the judge or JURIST_MAX_FIELD_CHARS "
                    "to show more", self.name, len(unit.truncated), unit.truncated[0][1],
                    ", ".join(f"{o:,}" for o, _ in unit.truncated))

    @staticmethod
    def _account(meta: dict[str, Any], resp: Any) -> None:
        u = resp.usage
        for k, v in (("input_tokens", u.input_tokens), ("output_tokens", u.output_tokens)):
            if v is None or meta[k] is None:
                meta[k] = None
            else:
                meta[k] += v
        meta["latency_ms"] += resp.latency_ms or 0.0
        if resp.cost_usd is None or meta["cost_usd"] is None:
            meta["cost_usd"] = None
        else:
            meta["cost_usd"] += resp.cost_usd
        if resp.cached:
            meta["cached"] = True

    def _feedback(self, unit: Unit, meta: dict[str, Any], *, value: Any = None, rationale: str | None = None,
                  error: AssessmentError | None = None) -> Feedback:
        meta["latency_ms"] = round(meta["latency_ms"], 3)
        return Feedback(
            name=self.name, value=value, rationale=rationale, source=self.source, error=error,
            metadata=meta, trace_id=unit.trace_id, span_id=unit.span_id,
        )

    # -- alignment --------------------------------------------------------------------------------
    #: On a judge returned by :meth:`align`: its agreement with people before and after, on held-out items.
    alignment: Any = None

    def align(self, examples: Any, optimizer: Any = None) -> Judge:
        """A new judge that agrees more with the people who labelled ``examples`` (this one is unchanged).

        ``examples``: traces carrying HUMAN feedback named like this judge (from ``search_traces``), rows with
        a person's ``label`` (and ``rationale``) or ``expectations={"human_label": ...}``, a DataFrame, or a
        file of rows. At least 10, of at least two classes. They are split by prompt: the optimizer (default
        :class:`~jurist.align.InstructionOptimizer` on this judge's model) learns on one part, and the
        new judge's ``.alignment`` reports agreement before and after on the other.

        Example:
            >>> from jurist.genai.judges.optimizers import MemAlignOptimizer                     # doctest: +SKIP
            >>> aligned = judge.align(traces, optimizer=MemAlignOptimizer(model="openai:/gpt-4o"))  # doctest: +SKIP
            >>> aligned.alignment.gain                                                          # doctest: +SKIP
            0.12
        """
        from jurist.align import align_judge

        return align_judge(self, examples, optimizer)  # type: ignore[no-any-return]

    # -- as data ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The judge as data (never code): enough to rebuild it with :func:`judge_from_dict`."""
        return {
            "kind": type(self).__name__,
            "name": self.name,
            "instructions": self.instructions,
            "model": self.model,
            "feedback_value_type": type_name(self.feedback_value_type),
            "inference_params": dict(self.inference_params),
            "description": self.description,
            "base_url": self.base_url,
            "aggregations": [a for a in self.aggregations or [] if isinstance(a, str)] or None,
            **({"max_field_chars": self.max_field_chars} if self.max_field_chars is not None else {}),
            **self._extra_fields(),
        }

    def _extra_fields(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, model={self.model!r})"
