"""Scorers: a name and an async ``ascore``. ``@scorer`` turns a plain function into one."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, overload

from jurist._runtime import RUNTIME
from jurist.entities import AssessmentSource, AssessmentSourceType, Feedback
from jurist.errors import ConfigError
from jurist.scorers._aggregations import Aggregation, check_aggregations

#: The arguments a scorer may take; evaluate() passes each row's values by these names.
SCORER_ARGS = ("inputs", "outputs", "expectations", "trace", "session")


class Scorer:
    """Base of everything ``evaluate()`` can run: judges and code scorers.

    Subclasses implement ``ascore`` taking any of ``inputs, outputs, expectations, trace, session``
    as keywords and returning a :class:`Feedback`, a list of them, or a plain value.
    """

    name: str
    aggregations: list[Aggregation] | None = None

    async def ascore(self, **kwargs: Any) -> Any:
        raise NotImplementedError

    def __call__(self, **kwargs: Any) -> Any:
        return RUNTIME.run(self.ascore(**kwargs))

    def check_ready(self) -> None:
        """Raise ConfigError before a run if this scorer cannot work (missing key…)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def to_feedbacks(result: Any, name: str, source: AssessmentSource) -> list[Feedback]:
    """Normalise what a scorer returned into Feedback objects carrying its name and source."""
    if isinstance(result, Feedback):
        if not result.name:
            result.name = name
        return [result]
    if isinstance(result, (list, tuple)) and result and all(isinstance(r, Feedback) for r in result):
        return [to_feedbacks(r, name, source)[0] for r in result]
    if result is None or isinstance(result, (bool, int, float, str, list, dict)):
        return [Feedback(name=name, value=result, source=source)]
    raise TypeError(
        f"scorer {name!r} returned {type(result).__name__}; return bool, int, float, str, Feedback or list[Feedback]"
    )


class FunctionScorer(Scorer):
    """A scorer made by ``@scorer`` from a sync or async function."""

    def __init__(self, func: Callable[..., Any], name: str | None = None,
                 aggregations: Sequence[Aggregation] | None = None) -> None:
        sig = inspect.signature(func)
        params = sig.parameters
        self._var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        unknown = [
            p for p, v in params.items()
            if p not in SCORER_ARGS and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL) and v.default is v.empty
        ]
        if unknown:
            raise ConfigError(
                f"@scorer function {func.__name__!r} takes {unknown}; scorers may take only {', '.join(SCORER_ARGS)}"
            )
        self._accepts = tuple(p for p in SCORER_ARGS if p in params or self._var_kw)
        self.func = func
        self.name = name or func.__name__
        self.aggregations = check_aggregations(aggregations)
        self._is_async = inspect.iscoroutinefunction(func)
        self.source = AssessmentSource(AssessmentSourceType.CODE, func.__name__)
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    async def ascore(self, **kwargs: Any) -> list[Feedback]:
        args = {k: kwargs.get(k) for k in self._accepts}
        if self._is_async:
            result = await self.func(**args)
        else:
            # Off the event loop: a sync scorer may block, or call a judge synchronously.
            result = await asyncio.to_thread(self.func, **args)
        return to_feedbacks(result, self.name, self.source)

    def __call__(self, **kwargs: Any) -> Any:
        """Calling the scorer directly calls the function, as written."""
        args = {k: kwargs.get(k) for k in self._accepts}
        if self._is_async:
            return RUNTIME.run(self.func(**args))
        return self.func(**args)


@overload
def scorer(func: Callable[..., Any]) -> FunctionScorer: ...
@overload
def scorer(
    func: None = None, *, name: str | None = None, aggregations: Sequence[Aggregation] | None = None
) -> Callable[[Callable[..., Any]], FunctionScorer]: ...


def scorer(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    aggregations: Sequence[Aggregation] | None = None,
) -> Any:
    """Make a scorer from a function taking any of ``inputs, outputs, expectations, trace``.

    The function may be sync or async and return bool, int, float, str, Feedback or list[Feedback].

    Example:
        >>> @scorer(aggregations=["mean", "p90"])
        ... def answer_length(outputs) -> int:
        ...     return len(outputs)
        >>> answer_length(outputs="four")
        4
    """
    if func is not None:
        return FunctionScorer(func)

    def wrap(f: Callable[..., Any]) -> FunctionScorer:
        return FunctionScorer(f, name=name, aggregations=aggregations)

    return wrap
