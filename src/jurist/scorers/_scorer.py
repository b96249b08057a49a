"""Scorers: a name and an async ``ascore``. ``@scorer`` turns a plain function into one."""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, overload

from jurist._runtime import RUNTIME
from jurist.entities import AssessmentSource, AssessmentSourceType, Feedback
from jurist.entities._assessment import is_default_name
from jurist.errors import ConfigError
from jurist.scorers._aggregations import Aggregation, check_aggregations

#: The arguments a scorer may take; evaluate() passes each row's values by these names.
SCORER_ARGS = ("inputs", "outputs", "expectations", "trace", "session")
#: Arguments beyond those, read from row columns of the same name: the two responses a pairwise scorer compares.
PAIRWISE_ARGS = ("outputs_a", "outputs_b")


class Scorer:
    """Base of everything ``evaluate()`` can run: judges and code scorers.

    Subclasses implement ``ascore`` taking any of ``inputs, outputs, expectations, trace, session``
    as keywords and returning a :class:`Feedback`, a list of them, or a plain value.

    As in MLflow, a subclass may instead declare fields at class level and implement ``__call__``
    with the arguments it needs; it is built with those fields as keywords, and ``evaluate()`` calls
    ``__call__`` (a sync one off the event loop).

    Example:
        >>> class MinLength(Scorer):
        ...     name: str = "min_length"
        ...     min_words: int = 3
        ...     def __call__(self, outputs: str) -> bool:
        ...         return len(outputs.split()) >= self.min_words
        >>> MinLength(min_words=2)(outputs="Paris, France")
        True
    """

    name: str
    aggregations: list[Aggregation] | None = None
    #: The keyword arguments this scorer is called with: the five row fields, and, for scorers that take
    #: more (a pairwise judge's ``outputs_a``/``outputs_b``), those names, read from the row's own columns.
    arguments: tuple[str, ...] = SCORER_ARGS

    def __init__(self, **fields: Any) -> None:
        # Class-level fields, as MLflow's pydantic scorers declare them: mutable defaults are copied so
        # that instances never share them; keywords must name a declared field.
        declared = _declared_fields(type(self))
        unknown = [k for k in fields if k not in declared and k not in ("name", "aggregations")
                   and not hasattr(type(self), k)]
        if unknown:
            raise ConfigError(f"{type(self).__name__} has no field(s) {', '.join(unknown)}; its fields are "
                              f"{', '.join(sorted(declared)) or 'none'}")
        for k in declared:
            if k not in fields and isinstance(getattr(type(self), k, None), (list, dict, set)):
                setattr(self, k, copy.deepcopy(getattr(type(self), k)))
        for k, v in fields.items():
            setattr(self, k, v)
        if "aggregations" in fields:
            self.aggregations = check_aggregations(fields["aggregations"])

    async def ascore(self, **kwargs: Any) -> Any:
        call = type(self).__call__
        if call is Scorer.__call__:
            raise NotImplementedError(f"{type(self).__name__} must implement __call__ or ascore")
        args = _accepted(call, kwargs)
        if inspect.iscoroutinefunction(call):
            result = await call(self, **args)
        else:
            result = await asyncio.to_thread(call, self, **args)
        if inspect.isawaitable(result):
            result = await result
        return to_feedbacks(result, self.name, _code_source(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # ``*args`` lets a subclass's own ``__call__`` name just the arguments it takes (MLflow's shape)
        # and still type-check as an override; a scorer is called with keywords.
        if args:
            raise TypeError(f"call {type(self).__name__} with keywords (inputs=, outputs=, ...), not positionally")
        return RUNTIME.run(self.ascore(**kwargs))

    def run(self, *, inputs: Any = None, outputs: Any = None, expectations: Any = None, trace: Any = None,
            session: Any = None) -> Any:
        """Score one row as ``evaluate()`` would: a Feedback, or a list when there are several (MLflow's
        ``Scorer.run``)."""
        fbs = to_feedbacks(RUNTIME.run(self.ascore(inputs=inputs, outputs=outputs, expectations=expectations,
                                                    trace=trace, session=session)), self.name, _code_source(self))
        return fbs[0] if len(fbs) == 1 else fbs

    def check_ready(self) -> None:
        """Raise ConfigError before a run if this scorer cannot work (missing key…)."""

    # -- production monitoring (MLflow's scorer lifecycle) ------------------------------------------
    def register(self, *, name: str | None = None, experiment_id: str | None = None) -> Any:
        """Store this scorer in the active experiment under ``name``; see :mod:`jurist.genai.scorers`."""
        from jurist.genai._lifecycle import register

        return register(self, name=name, experiment_id=experiment_id)

    def start(self, *, name: str | None = None, sampling_config: Any = None, experiment_id: str | None = None) -> Any:
        """Judge the experiment's new traces in the background with this registered scorer."""
        from jurist.genai._lifecycle import start

        return start(self, name=name, sampling_config=sampling_config, experiment_id=experiment_id)

    def update(self, *, name: str | None = None, sampling_config: Any = None, experiment_id: str | None = None) -> Any:
        """Change a registered scorer's sampling (and restart its monitor if it runs)."""
        from jurist.genai._lifecycle import update

        return update(self, name=name, sampling_config=sampling_config, experiment_id=experiment_id)

    def stop(self, *, name: str | None = None, experiment_id: str | None = None) -> Any:
        """Stop judging new traces (sample rate 0); the scorer stays registered."""
        from jurist.genai._lifecycle import stop

        return stop(self, name=name, experiment_id=experiment_id)

    @property
    def sample_rate(self) -> float | None:
        """The registered sampling rate (None when not registered)."""
        return getattr(self, "_sampling", (None, None))[0]

    @property
    def filter_string(self) -> str | None:
        return getattr(self, "_sampling", (None, None))[1]

    @property
    def status(self) -> str:
        """``UNREGISTERED``, ``STARTED`` (sample rate above 0) or ``STOPPED``, as MLflow names them."""
        rate = self.sample_rate
        if rate is None:
            return "UNREGISTERED"
        return "STARTED" if rate > 0 else "STOPPED"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={getattr(self, 'name', None)!r})"


def _declared_fields(cls: type) -> set[str]:
    out: set[str] = set()
    for klass in cls.__mro__:
        if klass is Scorer or klass is object:
            continue
        out.update(k for k in getattr(klass, "__annotations__", {}) if not k.startswith("_"))
    return out


def _accepted(func: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return {k: kwargs.get(k) for k in SCORER_ARGS}
    return {k: kwargs.get(k) for k in SCORER_ARGS if k in params}


def _code_source(scorer: Scorer) -> AssessmentSource:
    return getattr(scorer, "source", None) or AssessmentSource(AssessmentSourceType.CODE, scorer.name)


def to_feedbacks(result: Any, name: str, source: AssessmentSource) -> list[Feedback]:
    """Normalise what a scorer returned into Feedback objects carrying its name and source."""
    if isinstance(result, Feedback):
        if not result.name or is_default_name(result.name):
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
                 aggregations: Sequence[Aggregation] | None = None, description: str | None = None) -> None:
        sig = inspect.signature(func)
        params = sig.parameters
        self._var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        known = SCORER_ARGS + PAIRWISE_ARGS
        unknown = [
            p for p, v in params.items()
            if p not in known and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL) and v.default is v.empty
        ]
        if unknown:
            raise ConfigError(
                f"@scorer function {func.__name__!r} takes {unknown}; scorers may take only {', '.join(known)}"
            )
        self._accepts = tuple(p for p in SCORER_ARGS if p in params or self._var_kw) + tuple(
            p for p in PAIRWISE_ARGS if p in params)
        self.arguments = SCORER_ARGS + tuple(p for p in PAIRWISE_ARGS if p in params)
        self.func = func
        self.name = name or func.__name__
        self.description = description
        self.aggregations = check_aggregations(aggregations)
        self._is_async = inspect.iscoroutinefunction(func)
        self.source = AssessmentSource(AssessmentSourceType.CODE, func.__name__)
        functools.update_wrapper(self, func)

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
    func: None = None, *, name: str | None = None, aggregations: Sequence[Aggregation] | None = None,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], FunctionScorer]: ...


def scorer(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    aggregations: Sequence[Aggregation] | None = None,
    description: str | None = None,
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
        return FunctionScorer(f, name=name, aggregations=aggregations, description=description)

    return wrap
