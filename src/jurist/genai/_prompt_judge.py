"""``custom_prompt_judge``: a judge from a prompt whose answer options are written ``[[label]]``.

The prompt's ``{{ name }}`` variables are filled from the call's keyword arguments (plain text
replacement: no template logic runs). The model answers with one of the labels, held to them as a
``Literal`` type; ``numeric_values`` maps each label to the number the Feedback carries instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from jurist._runtime import RUNTIME
from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.judges._base import Judge, Unit

_CHOICE = re.compile(r"\[\[([^\[\]]+?)\]\]")
_VAR = re.compile(r"{{\s*(\w+)\s*}}")

INSTRUCTIONS = (
    "You are a judge. Read the task in <prompt> and answer with exactly one of the options it offers, "
    "named there in double square brackets."
)


class PromptJudge(Judge):
    """A judge whose whole prompt comes from the caller, answering with one of its ``[[label]]`` options."""

    def __init__(self, *, name: str, prompt_template: str, numeric_values: Mapping[str, float] | None = None,
                 model: str | None = None) -> None:
        if not isinstance(prompt_template, str) or not prompt_template.strip():
            raise ConfigError("custom_prompt_judge needs a non-empty prompt_template")
        choices = list(dict.fromkeys(c.strip() for c in _CHOICE.findall(prompt_template)))
        if not choices:
            raise ConfigError("prompt_template must offer its answer options as [[label]], e.g. "
                              "'[[yes]]: the answer is correct' and '[[no]]: it is not'")
        if numeric_values is not None:
            missing = [c for c in choices if c not in numeric_values]
            if missing:
                raise ConfigError(f"numeric_values gives no number for option(s) {', '.join(missing)}")
        self.prompt_template = prompt_template
        self.choices = tuple(choices)
        self.numeric_values = dict(numeric_values) if numeric_values is not None else None
        self.variables = tuple(dict.fromkeys(_VAR.findall(prompt_template)))
        super().__init__(name=name, instructions=INSTRUCTIONS, model=model,
                         feedback_value_type=Literal[self.choices])

    def render(self, values: Mapping[str, Any]) -> str:
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ConfigError(f"judge {self.name!r} needs {', '.join(missing)} (its prompt uses "
                              f"{', '.join('{{ %s }}' % v for v in self.variables)})")
        return _VAR.sub(lambda m: str(values[m.group(1)]), self.prompt_template)

    async def judge_values(self, values: Mapping[str, Any]) -> Feedback:
        fb = await self.judge_unit(Unit((("prompt", self.render(values)),)))
        if self.numeric_values is not None and fb.error is None and fb.value in self.numeric_values:
            fb.metadata["label"] = fb.value
            fb.value = self.numeric_values[str(fb.value)]
        return fb

    def units(self, **kwargs: Any) -> list[Unit]:
        values = {k: v for k, v in kwargs.items() if v is not None}
        return [Unit((("prompt", self.render(values)),))]

    def __call__(self, **values: Any) -> Any:
        return RUNTIME.run(self.judge_values(values))

    def to_dict(self) -> dict[str, Any]:
        raise ConfigError("a custom_prompt_judge cannot be registered; use make_judge for a judge kept as data")


def custom_prompt_judge(*, name: str, prompt_template: str, numeric_values: Mapping[str, float] | None = None,
                        model: str | None = None) -> Callable[..., Feedback]:
    """A judge from ``prompt_template``: call it with the template's variables as keywords.

    Example:
        >>> judge = custom_prompt_judge(name="formality", prompt_template=(
        ...     "Is this reply formal? {{ response }}\\n[[formal]]: formal\\n[[informal]]: casual"),
        ...     numeric_values={"formal": 1.0, "informal": 0.0})
        >>> judge.choices
        ('formal', 'informal')
    """
    return PromptJudge(name=name, prompt_template=prompt_template, numeric_values=numeric_values, model=model)
