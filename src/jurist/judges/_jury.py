"""Juries: several judges (or any scorers) answer the same question; one reduce step gives the verdict."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from jurist._runtime import RUNTIME
from jurist.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Feedback
from jurist.errors import ConfigError
from jurist.judges._reduce import Reducer, _key, check_reducer, reduce_values, sum_usage
from jurist.scorers._aggregations import Aggregation, check_aggregations
from jurist.scorers._scorer import SCORER_ARGS, Scorer, to_feedbacks


class Jury(Scorer):
    """Several jurors judge each row; their verdicts are reduced to one Feedback.

    ``reduce`` is ``"majority"`` (an even split is an error, never a coin toss), ``"mean"``,
    ``"median"``, ``"min"``, ``"max"`` (numbers; yes/no count as 1/0), ``"all"`` or ``"any"`` (yes/no or
    bool verdicts), or a function taking the jurors' Feedback list and returning a value or a Feedback.
    A juror that fails (its provider gave up, its answer could not be read) does not vote; the jury
    fails only when fewer than ``quorum`` jurors answered (default: more than half of them).

    Each Feedback names every juror's verdict in ``metadata["jurors"]`` and the share that agrees with
    the most common verdict in ``metadata["agreement"]``; ``evaluate()`` reports the chance-corrected
    agreement of the jurors over the run (Cohen's κ for two jurors, Fleiss' κ for more) as
    ``<name>/agreement_kappa``.

    Example:
        >>> from jurist.judges import Correctness
        >>> jury = Jury([Correctness(model="openai:/gpt-4o-mini", name="c_openai"),      # doctest: +SKIP
        ...              Correctness(model="anthropic:/claude-3-5-haiku", name="c_claude"),
        ...              Correctness(model="local:/default", name="c_local")], name="correctness")
        >>> jury(inputs=..., outputs=..., expectations=...).value                     # doctest: +SKIP
        'yes'
    """

    min_jurors: ClassVar[int] = 2
    #: Jurors' verdicts are told apart by name in the feedback's metadata.
    distinct_names: ClassVar[bool] = True

    def __init__(self, jurors: Sequence[Scorer], reduce: Reducer = "majority", *, name: str = "jury",
                 quorum: int | None = None, aggregations: Sequence[Aggregation] | None = None,
                 description: str | None = None) -> None:
        jurors = list(jurors) if isinstance(jurors, (list, tuple)) else []
        if len(jurors) < self.min_jurors:
            raise ConfigError("a jury needs a list of at least two jurors (judges or scorers)")
        for j in jurors:
            if isinstance(j, type):
                raise ConfigError(f"pass juror instances, not the class: {j.__name__}()")
            if not isinstance(j, Scorer):
                raise ConfigError(f"juror {j!r} is not a judge or scorer")
            if getattr(j, "per_span", False):
                raise ConfigError(f"juror {j.name!r} gives one verdict per span; a jury needs one verdict per row")
        names = [j.name for j in jurors]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup and self.distinct_names:
            raise ConfigError(f"jurors share the name(s) {', '.join(dup)}; give each a distinct name= so their "
                              "verdicts can be told apart")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("a jury needs a non-empty name")
        self.jurors = jurors
        self.reduce = check_reducer(reduce)
        need = len(jurors) // 2 + 1
        if quorum is None:
            quorum = need
        if not isinstance(quorum, int) or isinstance(quorum, bool) or not 1 <= quorum <= len(jurors):
            raise ConfigError(f"quorum must be a whole number from 1 to {len(jurors)} (the jurors), got {quorum!r}")
        self.quorum = quorum
        extra = [a for j in jurors for a in j.arguments if a not in SCORER_ARGS]
        self.arguments = SCORER_ARGS + tuple(dict.fromkeys(extra))
        self.name = name
        self.description = description
        self.aggregations = check_aggregations(aggregations)
        judged = [j for j in jurors if getattr(j, "source", None) is not None
                  and j.source.source_type is AssessmentSourceType.LLM_JUDGE]  # type: ignore[attr-defined]
        models = sorted({getattr(j, "model", "") for j in judged})
        kind = AssessmentSourceType.LLM_JUDGE if judged else AssessmentSourceType.CODE
        self.source = AssessmentSource(kind, f"jury({', '.join(models) or ', '.join(names)})")

    def check_ready(self) -> None:
        for j in self.jurors:
            j.check_ready()

    def __call__(self, **kwargs: Any) -> Feedback:
        return RUNTIME.run(self.ascore(**kwargs))[0]

    async def ascore(self, **kwargs: Any) -> list[Feedback]:
        async def one(juror: Scorer) -> Feedback:
            try:
                result = await juror.ascore(**kwargs)
            except ConfigError:
                raise  # the caller's mistake (a missing argument, a missing key): loud
            except Exception as e:
                return Feedback(name=juror.name, source=getattr(juror, "source", None) or self.source,
                                error=AssessmentError.from_exception(e))
            src = getattr(juror, "source", None) or AssessmentSource(AssessmentSourceType.CODE, juror.name)
            fbs = result if isinstance(result, list) and all(isinstance(f, Feedback) for f in result) \
                else to_feedbacks(result, juror.name, src)
            if len(fbs) != 1:
                return Feedback(name=juror.name, source=src, error=AssessmentError(
                    "JUROR_ERROR", f"juror {juror.name!r} gave {len(fbs)} verdicts for one row; a juror gives one"))
            fb = fbs[0]
            fb.name = juror.name
            return fb

        verdicts = list(await asyncio.gather(*(one(j) for j in self.jurors)))
        return [self.verdict(verdicts)]

    def verdict(self, verdicts: Sequence[Feedback]) -> Feedback:
        """The jury's Feedback from its jurors' (in juror order)."""
        meta = sum_usage(verdicts)
        meta["jurors"] = [_juror_entry(f) for f in verdicts]
        voting = [f for f in verdicts if f.error is None and f.value is not None]
        meta["juror_values"] = [f.value if f.error is None else None for f in verdicts]
        failed = [f for f in verdicts if f not in voting]
        if len(voting) < self.quorum:
            why = "; ".join(f"{f.name}: {f.error.error_message if f.error else 'no verdict'}" for f in failed)
            return Feedback(name=self.name, source=self.source, metadata=meta, error=AssessmentError(
                "QUORUM_LOST", f"{len(voting)} of {len(verdicts)} jurors answered, the quorum is {self.quorum} ({why})"))
        counts = Counter(_key(f.value) for f in voting)
        meta["agreement"] = round(counts.most_common(1)[0][1] / len(voting), 4)
        if callable(self.reduce):
            try:
                out = self.reduce(list(voting))
            except Exception as e:
                return Feedback(name=self.name, source=self.source, metadata=meta, error=AssessmentError(
                    "REDUCE_ERROR", f"the jury's reduce function failed: {type(e).__name__}: {e}"))
            if isinstance(out, Feedback):
                out.name = self.name
                out.metadata = {**meta, **(out.metadata or {})}
                if out.source is None or out.source.source_id in ("", None):
                    out.source = self.source
                return out
            value, problem = out, None
        else:
            value, problem = reduce_values(self.reduce, voting)
        if problem is not None:
            return Feedback(name=self.name, source=self.source, metadata=meta,
                            error=AssessmentError("NO_VERDICT", problem))
        agree = [f for f in voting if _key(f.value) == _key(value)]
        rationale = f"{len(agree)} of {len(verdicts)} jurors said {value!r}" if agree else \
            f"the {self.reduce if isinstance(self.reduce, str) else 'reduced'} verdict of {len(voting)} jurors"
        reasons = [f"{f.name}: {f.rationale}" for f in (agree or voting) if f.rationale]
        if reasons:
            rationale += ". " + " | ".join(reasons)
        return Feedback(name=self.name, value=value, rationale=rationale, source=self.source, metadata=meta)

    # -- as data ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        if callable(self.reduce):
            raise ConfigError(f"jury {self.name!r} reduces with a function, which cannot be stored as data; use "
                              f"one of the named reducers to register or save it")
        from jurist.genai._lifecycle import definition_of

        return {"kind": type(self).__name__, "name": self.name, "jurors": [definition_of(j) for j in self.jurors],
                "reduce": self.reduce, "quorum": self.quorum, "description": self.description,
                "aggregations": [a for a in self.aggregations or [] if isinstance(a, str)] or None}

    def __repr__(self) -> str:
        return f"Jury(name={self.name!r}, jurors={[j.name for j in self.jurors]!r}, reduce={self.reduce!r})"


def _juror_entry(f: Feedback) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": f.name, "value": f.value}
    if f.rationale:
        entry["rationale"] = f.rationale
    if f.error is not None:
        entry["error"] = f.error.error_message
    return entry


def jury_from_dict(data: Mapping[str, Any]) -> Jury:
    from jurist.judges._make_judge import judge_from_dict

    jurors = [judge_from_dict(j) for j in data.get("jurors") or []]
    if data.get("kind") == "ScorerEnsemble":
        return ScorerEnsemble(data.get("name", "ensemble"), jurors, data.get("reduce"), quorum=data.get("quorum"),
                              aggregations=data.get("aggregations"))
    return Jury(jurors, data.get("reduce", "majority"), name=data.get("name", "jury"), quorum=data.get("quorum"),
                aggregations=data.get("aggregations"), description=data.get("description"))


def default_ensemble(feedbacks: list[Feedback]) -> Any:
    """Majority of the verdicts (a tie goes to the first verdict given), or the mean of numeric ones."""
    values: list[Any] = [f.value for f in feedbacks if f.error is None and f.value is not None]
    if not values:
        return Feedback(error=AssessmentError("ENSEMBLE_EMPTY", "no member of the ensemble gave a verdict"))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sum(float(v) for v in values) / len(values)
    counts = Counter(_key(v) for v in values)
    best = max(counts.values())
    return next(v for v in values if counts[_key(v)] == best)


class ScorerEnsemble(Jury):
    """MLflow's ensemble of scorers: a jury whose ``ensemble_fn`` sees every member's Feedback, failed
    ones included, and returns a value or a Feedback. Calling it returns a list of Feedback, as a scorer."""

    min_jurors = 1
    distinct_names = False

    def __init__(self, name: str, scorers: Sequence[Scorer], ensemble_fn: Reducer | None = None,
                 quorum: int | None = None, aggregations: Sequence[Aggregation] | None = None) -> None:
        if not isinstance(scorers, (list, tuple)) or not scorers or not all(isinstance(s, Scorer) for s in scorers):
            raise ConfigError("make_scorer_ensemble needs scorers= as a non-empty list of judges or scorers")
        super().__init__(scorers, ensemble_fn or default_ensemble, name=name, quorum=quorum or 1,
                         aggregations=aggregations)
        self.ensemble_fn = self.reduce

    @property
    def scorers(self) -> list[Scorer]:
        return self.jurors

    def __call__(self, **kwargs: Any) -> list[Feedback]:  # type: ignore[override]
        return RUNTIME.run(self.ascore(**kwargs))

    def verdict(self, verdicts: Sequence[Feedback]) -> Feedback:
        if not callable(self.reduce):
            return super().verdict(verdicts)
        try:
            out = self.reduce(list(verdicts))
        except Exception as e:
            out = Feedback(error=AssessmentError("REDUCE_ERROR", f"ensemble_fn failed: {type(e).__name__}: {e}"))
        fb = to_feedbacks(out, self.name, self.source)[0]
        fb.name = self.name
        fb.metadata = {**sum_usage(verdicts), **(fb.metadata or {}), "members": [m.to_dict() for m in verdicts],
                       "juror_values": [m.value if m.error is None else None for m in verdicts]}
        if fb.rationale is None:
            fb.rationale = "; ".join(f"{m.name}: {m.value}" for m in verdicts)
        return fb


def make_scorer_ensemble(*, name: str, scorers: Sequence[Scorer], ensemble_fn: Reducer | None = None,
                         quorum: int | None = None, aggregations: Sequence[Aggregation] | None = None
                         ) -> ScorerEnsemble:
    """One scorer named ``name`` that runs ``scorers`` side by side and combines their feedback.

    ``ensemble_fn`` receives every member's Feedback (failed ones included) and returns a Feedback or a
    value; by default the majority verdict (a tie goes to the first) or the mean of numeric verdicts. A
    name of one of :class:`Jury`'s reducers (``"majority"``, ``"all"``, …) reduces the verdicts that came.

    Example:
        >>> from jurist.judges import Correctness, Equivalence
        >>> panel = make_scorer_ensemble(name="agree", scorers=[Correctness(), Equivalence()])
        >>> [s.name for s in panel.scorers]
        ['correctness', 'equivalence']
    """
    return ScorerEnsemble(name, scorers, ensemble_fn, quorum=quorum, aggregations=aggregations)
