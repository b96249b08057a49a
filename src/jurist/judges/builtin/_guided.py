"""Judges configured with guidelines: the guidelines are per-instance constants, so they go in the system prompt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jurist.judges.builtin._common import BuiltinJudge, guideline_list, render_guidelines


class GuidedJudge(BuiltinJudge):
    """A built-in judge holding ``guidelines`` (a string or a list of strings), kept by ``to_dict``."""

    extra_fields = ("guidelines",)

    def __init__(
        self,
        guidelines: str | Sequence[str],
        name: str | None = None,
        model: str | None = None,
        *,
        inference_params: Mapping[str, Any] | None = None,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        aggregations: Any = None,
        instructions: str | None = None,
        max_field_chars: int | None = None,
    ) -> None:
        self.guidelines = guideline_list(guidelines)
        if not self.guidelines or not all(g.strip() for g in self.guidelines):
            from jurist.errors import ConfigError

            raise ConfigError(f"{type(self).__name__} needs at least one non-empty guideline")
        super().__init__(
            name, model, inference_params=inference_params, base_url=base_url, extra_headers=extra_headers,
            aggregations=aggregations, instructions=instructions, max_field_chars=max_field_chars,
        )

    def system_prompt(self) -> str:
        """Instructions, then the guidelines, then the answer format; ``instructions`` itself stays the prompt file."""
        if self._system is None:
            fmt = self.format_instructions()
            rules = render_guidelines(self.guidelines)
            self._system = f"{self.instructions.strip()}\n\n<guidelines>\n{rules}\n</guidelines>\n\n{self.data_notice()}{fmt}"
        return self._system
