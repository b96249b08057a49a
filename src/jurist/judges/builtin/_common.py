"""What the built-in judges share: construction from a prompt file, and reading a row's fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from jurist.entities import Expectation, Trace
from jurist.judges._base import Judge, load_prompt


class BuiltinJudge(Judge):
    """A built-in judge: its instructions are ``prompts/<prompt>.md``; the rest are the usual options."""

    prompt: ClassVar[str] = ""
    default_name: ClassVar[str] = ""
    #: Constructor fields beyond the common ones (e.g. ``guidelines``), kept by ``to_dict``.
    extra_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        name: str | None = None,
        model: str | None = None,
        *,
        inference_params: Mapping[str, Any] | None = None,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        aggregations: Any = None,
        instructions: str | None = None,
    ) -> None:
        super().__init__(
            name=name or self.default_name,
            instructions=instructions or load_prompt(self.prompt),
            model=model,
            inference_params=inference_params,
            base_url=base_url,
            extra_headers=extra_headers,
            aggregations=aggregations,
        )

    def _extra_fields(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.extra_fields}


def expectation_value(expectations: Any, *keys: str) -> Any:
    """The first of ``keys`` present in ``expectations`` (a dict, or a list of Expectation objects)."""
    if expectations is None:
        return None
    if isinstance(expectations, Mapping):
        for k in keys:
            if expectations.get(k) not in (None, "", []):
                return expectations[k]
        return None
    if isinstance(expectations, (list, tuple)):
        for k in keys:
            for e in expectations:
                if isinstance(e, Expectation) and e.name == k and e.value not in (None, "", []):
                    return e.value
    return None


def from_trace(trace: Any, inputs: Any, outputs: Any) -> tuple[Any, Any, Trace | None]:
    """inputs/outputs as given, else read from the trace's root span."""
    if trace is None:
        return inputs, outputs, None
    t = Trace.coerce(trace)
    return (inputs if inputs is not None else t.inputs), (outputs if outputs is not None else t.outputs), t


def guideline_list(guidelines: Any) -> list[str]:
    if isinstance(guidelines, str):
        return [guidelines]
    if isinstance(guidelines, (list, tuple)) and all(isinstance(g, str) for g in guidelines):
        return list(guidelines)
    from jurist.errors import ConfigError

    raise ConfigError("guidelines must be a string or a list of strings")


def render_guidelines(guidelines: list[str]) -> str:
    return "\n".join(f"- {g}" for g in guidelines)
