"""Pairwise judges: which of two responses is better, asked in both orders so that position cannot decide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from jurist._runtime import RUNTIME
from jurist.entities import AssessmentError, Feedback
from jurist.errors import ConfigError
from jurist.judges._base import Call, Unit, load_prompt
from jurist.judges._make_judge import InstructionsJudge
from jurist.judges._reduce import sum_usage
from jurist.scorers._scorer import PAIRWISE_ARGS, SCORER_ARGS

#: The template variables of a pairwise judge's instructions.
PAIRWISE_VARIABLES = ("inputs", "outputs_a", "outputs_b", "expectations")
#: What a pairwise judge does when its two orders disagree: call it a tie, or keep the first order's verdict
#: (flagged ``position_consistent: False`` either way).
ON_INCONSISTENT = ("tie", "keep")

Preference = Literal["A", "B", "tie"]
StrictPreference = Literal["A", "B"]
_SWAP = {"A": "B", "B": "A", "tie": "tie"}


class PairwiseJudge(InstructionsJudge):
    """A judge of two responses to the same input: ``"A"``, ``"B"`` or ``"tie"``.

    Each comparison is asked twice, with the responses in both orders. When the two answers agree
    (after the second is mapped back), that is the verdict; when they do not, the judge preferred a
    position rather than a response, and the verdict is ``"tie"`` (``on_inconsistent="keep"`` keeps the
    first order's verdict instead). Either way ``metadata["position_consistent"]`` says which happened,
    and ``evaluate()`` reports the share of consistent comparisons as ``<name>/position_consistency``.

    Example:
        >>> judge = make_pairwise_judge(                                              # doctest: +SKIP
        ...     name="helpful", model="openai:/gpt-4o-mini",
        ...     instructions="Which answer to {{ inputs }} is more helpful: {{ outputs_a }} or {{ outputs_b }}?")
        >>> judge(inputs={"q": "2+2?"}, outputs_a="4", outputs_b="5").value          # doctest: +SKIP
        'A'
    """

    variables: ClassVar[tuple[str, ...]] = PAIRWISE_VARIABLES
    arguments: tuple[str, ...] = (*SCORER_ARGS, *PAIRWISE_ARGS)

    def __init__(self, *, name: str, instructions: str, allow_ties: bool = True, on_inconsistent: str = "tie",
                 **kwargs: Any) -> None:
        if on_inconsistent not in ON_INCONSISTENT:
            raise ConfigError(f"on_inconsistent must be one of {', '.join(ON_INCONSISTENT)}, got {on_inconsistent!r}")
        if kwargs.get("inference_params") and (kwargs["inference_params"] or {}).get("samples", 1) != 1:
            raise ConfigError("a pairwise judge already asks twice (in both orders); samples= is not supported on it")
        self.allow_ties = bool(allow_ties)
        self.on_inconsistent = on_inconsistent
        kwargs.setdefault("feedback_value_type", Preference if self.allow_ties else StrictPreference)
        kwargs.pop("trace_tools", None)
        super().__init__(name=name, instructions=instructions, **kwargs)

    def check_variables(self, name: str, used: Sequence[str]) -> None:
        super().check_variables(name, used)
        missing = [v for v in ("outputs_a", "outputs_b") if v not in used]
        if missing:
            raise ConfigError(f"pairwise judge {name!r} instructions must use both {{{{ outputs_a }}}} and "
                              f"{{{{ outputs_b }}}} (missing: {', '.join(missing)})")

    def __call__(self, *, inputs: Any = None, outputs_a: Any = None, outputs_b: Any = None,
                 expectations: Any = None, **_: Any) -> Feedback:
        return RUNTIME.run(self.acall(inputs=inputs, outputs_a=outputs_a, outputs_b=outputs_b,
                                      expectations=expectations))

    async def acall(self, **kwargs: Any) -> Feedback:
        return (await self._run(**kwargs))[0]

    # -- both orders, one verdict -----------------------------------------------------------------
    def calls(self, unit: Unit) -> list[Call]:
        return [Call(unit, label="order AB"), Call(_swapped(unit), label="order BA")]

    def reduce(self, unit: Unit, calls: Sequence[Call], feedbacks: Sequence[Feedback]) -> Feedback:
        first, second = feedbacks
        meta = sum_usage(feedbacks)
        failed = [(c.label, f) for c, f in zip(calls, feedbacks, strict=True) if f.error is not None]
        if failed:
            label, f = failed[0]
            assert f.error is not None
            return self._feedback(unit, meta, error=AssessmentError(
                f.error.error_code, f"{label}: {f.error.error_message}"))
        ab, ba = str(first.value), _SWAP.get(str(second.value), str(second.value))
        consistent = ab == ba
        meta["position_consistent"] = consistent
        meta["verdicts"] = {"order AB": ab, "order BA": ba}
        if consistent or self.on_inconsistent == "keep":
            value, rationale = ab, first.rationale
        else:
            value = "tie"
            rationale = (f"The verdict changed with the order of the responses ({ab} when A was shown first, {ba} "
                         f"when B was): a tie. {first.rationale or ''}").strip()
        for key in ("confidence", "confidence_method"):
            if key in (first.metadata or {}) and consistent:
                meta[key] = first.metadata[key]
        return self._feedback(unit, meta, value=value, rationale=rationale)

    def _extra_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not self.allow_ties:
            out["allow_ties"] = False
        if self.on_inconsistent != "tie":
            out["on_inconsistent"] = self.on_inconsistent
        return out


def _swapped(unit: Unit) -> Unit:
    """The unit with response A shown where B was and B where A was (the tags stay, the texts move)."""
    texts = dict(unit.sections)
    swap = {"outputs_a": texts.get("outputs_b", ""), "outputs_b": texts.get("outputs_a", "")}
    return Unit(tuple((tag, swap.get(tag, text)) for tag, text in unit.sections), trace_id=unit.trace_id,
                span_id=unit.span_id, truncated=unit.truncated)


class PairwisePreference(PairwiseJudge):
    """The built-in pairwise judge: which response serves the user better (``"A"``, ``"B"`` or ``"tie"``),
    judged on correctness, completeness, directness and clarity, not on length or position.

    Example:
        >>> PairwisePreference(model="openai:/gpt-4o-mini")(                       # doctest: +SKIP
        ...     inputs={"question": "Capital of France?"}, outputs_a="Paris.", outputs_b="Lyon.").value
        'A'
    """

    def __init__(self, *, name: str = "pairwise_preference", instructions: str | None = None,
                 **kwargs: Any) -> None:
        if instructions is None:
            instructions = load_prompt("pairwise_preference")
        super().__init__(name=name, instructions=instructions, **kwargs)

    def units(self, **kwargs: Any) -> list[Unit]:
        if kwargs.get("expectations") is None:
            # Expectations are optional for the built-in judge: without them the section is left out.
            kwargs["expectations"] = _ABSENT
        return super().units(**kwargs)


_ABSENT = "(none given)"


def make_pairwise_judge(
    name: str,
    instructions: str,
    model: str | None = None,
    *,
    allow_ties: bool = True,
    on_inconsistent: str = "tie",
    description: str | None = None,
    inference_params: Mapping[str, Any] | None = None,
    base_url: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    max_field_chars: int | None = None,
) -> PairwiseJudge:
    """Make a judge that compares two responses, from instructions using ``{{ outputs_a }}`` and
    ``{{ outputs_b }}`` (and optionally ``{{ inputs }}`` and ``{{ expectations }}``).

    Its verdict is ``"A"``, ``"B"`` or, with ``allow_ties`` (the default), ``"tie"``. Every comparison is
    made in both orders; see :class:`PairwiseJudge`. In ``evaluate()`` the rows carry ``outputs_a`` and
    ``outputs_b`` columns; :func:`jurist.compare` builds them from two result sets, runs or ``predict_fn``s.

    Example:
        >>> judge = make_pairwise_judge(
        ...     name="concise", model="openai:/gpt-4o-mini",
        ...     instructions="Which reply to {{ inputs }} is more concise without losing content: "
        ...                  "{{ outputs_a }} or {{ outputs_b }}?")
        >>> judge.template_variables
        ('inputs', 'outputs_a', 'outputs_b')
    """
    return PairwiseJudge(name=name, instructions=instructions, model=model, allow_ties=allow_ties,
                         on_inconsistent=on_inconsistent, description=description, inference_params=inference_params,
                         base_url=base_url, extra_headers=extra_headers, max_field_chars=max_field_chars)


def pairwise_from_dict(data: Mapping[str, Any]) -> PairwiseJudge:
    common = {k: data.get(k) for k in ("model", "inference_params", "base_url", "aggregations", "max_field_chars",
                                       "description")}
    cls = PairwisePreference if data.get("kind") == "PairwisePreference" else PairwiseJudge
    return cls(name=data["name"], instructions=data["instructions"], allow_ties=data.get("allow_ties", True),
               on_inconsistent=data.get("on_inconsistent", "tie"), **common)
