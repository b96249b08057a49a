"""Calibration: a per-verdict offset on the judge model's log-probabilities, fitted on labelled examples.

A small judge model is often biased towards one verdict ("yes" nearly always) while its token
probabilities still rank the items well: the bad answers get a "yes" less likely than the good ones do.
Moving the threshold then fixes most of the bias. :func:`fit_offsets` finds the offsets that make the
verdicts agree best with people (balanced accuracy) on the judge's own probabilities, and
:class:`CalibrationOptimizer` judges the training examples once, fits, and returns the judge with
``inference_params["calibration"]`` set. It calls no optimizer model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jurist._runtime import RUNTIME
from jurist.align._memory import MemoryJudge
from jurist.align._optimizers import AlignmentError, AlignmentOptimizer, _Usage
from jurist.errors import ConfigError
from jurist.evaluation._labelled import LabelledExample, normalise_label
from jurist.judges._confidence import calibrated_verdict, log_probability, option_name, option_values

#: The fewest training examples with the verdict's log-probabilities that a fit is made on.
MIN_SCORED = 8
#: Providers whose answers carry token log-probabilities (the local judge always; the others when asked).
LOGPROB_PROVIDERS = ("local", "openai", "azure", "together", "vllm")
#: Those that return them only when the request asks: a calibrated judge on them asks for the top 5.
ASKED_PROVIDERS = frozenset({"openai", "azure", "together", "vllm"})
TOP_LOGPROBS = 5
#: The most coordinate passes of a fit over three or more verdicts.
MAX_PASSES = 20
#: Folds of the cross-validation that decides whether a fit is kept, and the balanced accuracy it must gain
#: there over the model's own verdicts: a cut fitted on noise still gains a point or two by chance.
FOLDS = 5
MIN_CV_GAIN = 0.05
_GAIN = 1e-9


def _options(scores: Sequence[Mapping[str, float]], labels: Sequence[Any]) -> tuple[list[str], list[str]]:
    """The options scored, in order of first appearance, and each label as one of them (True as "true",
    "Yes" as "yes")."""
    options: dict[str, None] = {}
    for s in scores:
        options.update(dict.fromkeys(s))
    named = []
    for label in labels:
        name = label if label in options else option_name(label)
        if name not in options:
            raise ConfigError(f"label {label!r} is not one of the verdict options scored ({', '.join(options)})")
        named.append(name)
    return list(options), named


def predict(scores: Sequence[Mapping[str, float]], offsets: Mapping[str, float]) -> list[str]:
    """Each example's verdict after ``offsets``."""
    return [calibrated_verdict(s, offsets)[0] for s in scores]


def balanced_accuracy(predicted: Sequence[str], labels: Sequence[str]) -> float:
    """The mean, over the classes people used, of the share of that class the verdicts got right."""
    by_class: dict[str, list[bool]] = {}
    for p, label in zip(predicted, labels, strict=True):
        by_class.setdefault(label, []).append(p == label)
    if not by_class:
        return 0.0
    return sum(sum(v) / len(v) for v in by_class.values()) / len(by_class)


def _best_cut(points: Sequence[tuple[float, bool, str]], labels_count: Mapping[str, int],
              other_hits: Sequence[bool], current: float) -> tuple[float, float]:
    """The threshold ``t`` on a one-dimensional score (an example goes to the moved option when its score
    exceeds ``t``) that maximises balanced accuracy, cut midway between neighbouring scores; among equally
    good cuts the one nearest zero. ``points`` are (score, the moved option is right, label); ``other_hits``
    whether the example is right when not moved. Returns (balanced accuracy, cut), ``current`` when no
    cut beats it."""
    order = sorted(range(len(points)), key=lambda i: points[i][0])
    weight = {c: 1.0 / (n * len(labels_count)) for c, n in labels_count.items()}

    def score_at(t: float) -> float:
        return sum(weight[points[i][2]] * (points[i][1] if points[i][0] > t else other_hits[i])
                   for i in range(len(points)))

    best, best_cut = score_at(current), current
    # Cut below every score: all moved; then walk the cut up past one score at a time.
    running = sum(weight[p[2]] * p[1] for p in points)
    for k in range(len(order) - 1):
        i, j = order[k], order[k + 1]
        running += weight[points[i][2]] * (other_hits[i] - points[i][1])
        if points[i][0] == points[j][0]:
            continue
        cut = (points[i][0] + points[j][0]) / 2
        if running > best + _GAIN or (abs(running - best) <= _GAIN and abs(cut) < abs(best_cut)):
            best, best_cut = running, cut
    return best, best_cut


def fit_offsets(scores: Sequence[Mapping[str, float]], labels: Sequence[Any]) -> dict[str, float]:
    """The offsets, one per verdict option, that added to the options' log-probabilities make the verdicts
    agree best with ``labels`` (balanced accuracy).

    ``scores`` are each example's ``verdict_probabilities`` (option → probability), ``labels`` the people's
    verdicts: the options themselves, or values that read as one (True for ``"true"``, "Yes" for ``"yes"``). For two options the threshold on the log-odds is swept exactly; for
    more, each option's offset in turn, until a pass changes none. The offsets stay 0 unless they gain
    balanced accuracy over the model's own verdicts; they are centred to sum to 0.

    Example:
        >>> fit_offsets([{"yes": 0.9, "no": 0.1}, {"yes": 0.6, "no": 0.4}], ["yes", "no"])
        {'yes': -0.6507, 'no': 0.6507}
    """
    if len(scores) != len(labels):
        raise ConfigError(f"fit_offsets takes one label per score, got {len(scores)} scores and {len(labels)} labels")
    options, labels = _options(scores, labels)
    zero = dict.fromkeys(options, 0.0)
    if len(options) < 2 or len(set(labels)) < 2:
        return zero
    logs = [{o: log_probability(s.get(o, 0.0)) for o in options} for s in scores]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    base = balanced_accuracy(predict(scores, zero), labels)
    if len(options) == 2:
        a, b = options
        points = [(lg[a] - lg[b], label == a, label) for lg, label in zip(logs, labels, strict=True)]
        best, cut = _best_cut(points, counts, [label == b for label in labels], 0.0)
        if best <= base + _GAIN or cut == 0.0:
            return zero
        return {a: round(-cut / 2, 4), b: round(cut / 2, 4)}
    offsets = dict(zero)
    current = base
    for _ in range(MAX_PASSES):
        moved = False
        for o in options:
            # o is chosen when (its log-probability) − (the best other option's score) exceeds −(its offset).
            points, other_hits = [], []
            for lg, label in zip(logs, labels, strict=True):
                rivals = [(lg[r] + offsets[r], r) for r in options if r != o]
                top = max(s for s, _ in rivals)
                runner = next(r for s, r in rivals if s == top)
                points.append((lg[o] - top, label == o, label))
                other_hits.append(label == runner)
            best, cut = _best_cut(points, counts, other_hits, -offsets[o])
            if best > current + _GAIN and -cut != offsets[o]:
                trial = {**offsets, o: -cut}
                now = balanced_accuracy(predict(scores, trial), labels)
                if now > current + _GAIN:  # measured with the verdicts' own tie-break, not the sweep's
                    offsets, current, moved = trial, now, True
        if not moved:
            break
    if balanced_accuracy(predict(scores, offsets), labels) <= base + _GAIN:
        return zero
    mean = sum(offsets.values()) / len(offsets)
    return {o: round(v - mean, 4) for o, v in offsets.items()}


def cross_validated(scores: Sequence[Mapping[str, float]], labels: Sequence[Any], folds: int = FOLDS) -> float:
    """Balanced accuracy of calibrated verdicts on examples the offsets were not fitted on: the examples are
    dealt into ``folds`` folds, class by class in turn (deterministic), and each fold is predicted with the
    offsets fitted on the others. A threshold fitted on a few dozen examples can fit their noise; this says
    whether it carries over.

    Example:
        >>> s = [{"yes": 0.9 - i / 100, "no": 0.1 + i / 100} for i in range(20)]
        >>> round(cross_validated(s, ["yes"] * 10 + ["no"] * 10), 2)
        1.0
    """
    _, named = _options(scores, labels)
    fold_of = [0] * len(named)
    seen: dict[str, int] = {}
    for i, label in enumerate(named):
        fold_of[i] = seen.get(label, 0) % folds
        seen[label] = seen.get(label, 0) + 1
    predicted = [""] * len(named)
    for f in range(folds):
        train = [i for i in range(len(named)) if fold_of[i] != f]
        test = [i for i in range(len(named)) if fold_of[i] == f]
        if not test:
            continue
        offsets = fit_offsets([scores[i] for i in train], [named[i] for i in train])
        for i, verdict in zip(test, predict([scores[i] for i in test], offsets), strict=True):
            predicted[i] = verdict
    return balanced_accuracy(predicted, named)


@dataclass
class CalibrationFit:
    """What :class:`CalibrationOptimizer` fitted: the offsets, and the training split's balanced accuracy
    with the model's own verdicts and with the calibrated ones."""

    offsets: dict[str, float]
    train_balanced_accuracy_before: float
    train_balanced_accuracy_after: float
    #: Training examples judged, and those whose answer carried the verdict's log-probabilities.
    examples: int
    scored: int
    applied: bool = False
    labels: dict[str, int] = field(default_factory=dict)
    #: Balanced accuracy of calibrated verdicts on held-out folds of the training split: the fit is kept
    #: only when it beats the model's own verdicts there by :data:`MIN_CV_GAIN`.
    cross_validated_balanced_accuracy: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"offsets": dict(self.offsets), "applied": self.applied, "examples": self.examples,
                "scored": self.scored, "labels": dict(self.labels),
                "train_balanced_accuracy": {"before": round(self.train_balanced_accuracy_before, 4),
                                            "after": round(self.train_balanced_accuracy_after, 4)},
                "cross_validated_balanced_accuracy": None if self.cross_validated_balanced_accuracy is None
                else round(self.cross_validated_balanced_accuracy, 4)}


def _provider(judge: Any) -> str:
    return str(judge.model).split(":", 1)[0].lower()


def with_calibration(judge: Any, calibration: Mapping[str, Any] | None) -> Any:
    """A copy of ``judge`` with ``inference_params["calibration"]`` set (None: removed), asking its provider
    for log-probabilities where the provider gives them only when asked. A :class:`MemoryJudge` keeps its
    memory. ``judge`` itself is not changed."""
    from jurist.judges._make_judge import judge_from_dict

    if isinstance(judge, MemoryJudge):
        return judge.with_memory([], base=with_calibration(judge.base, calibration))
    data = judge.to_dict()
    params = dict(data.get("inference_params") or {})
    params.pop("calibration", None)
    if calibration is not None:
        params["calibration"] = dict(calibration)
    if _provider(judge) in ASKED_PROVIDERS:
        params.setdefault("logprobs", True)
        params.setdefault("top_logprobs", TOP_LOGPROBS)
    new = judge_from_dict({**data, "inference_params": params})
    new.extra_headers = dict(getattr(judge, "extra_headers", {}) or {})
    return new


class CalibrationOptimizer(AlignmentOptimizer):
    """Aligns a judge by moving its verdict threshold: judges the training examples once, fits per-verdict
    offsets on the model's log-probabilities (:func:`fit_offsets`), and returns the judge with them in
    ``inference_params["calibration"]``. No optimizer model is called.

    It needs a verdict of a few options (bool, Literal) and a model whose answers carry log-probabilities
    (the local judge, and openai, azure, together and vllm, which the calibrated judge asks for them).
    ``after`` runs another optimizer first (an :class:`InstructionOptimizer` or :class:`MemoryOptimizer`)
    and calibrates the judge it returns. When calibration gains nothing on the training split, the judge
    comes back uncalibrated. ``.fit`` says what was fitted.

    Example:
        >>> aligned = judge.align(labelled, optimizer=CalibrationOptimizer())        # doctest: +SKIP
        >>> aligned.inference_params["calibration"]["offsets"]                       # doctest: +SKIP
        {'yes': -1.21, 'no': 1.21}
    """

    def __init__(self, after: AlignmentOptimizer | None = None, *, concurrency: int | None = None) -> None:
        if after is not None and not callable(getattr(after, "align", None)):
            raise ConfigError(f"after must be an AlignmentOptimizer (an object with align(judge, examples)), got "
                              f"{type(after).__name__}")
        if isinstance(after, CalibrationOptimizer):
            raise ConfigError("after is the optimizer to run before calibrating; calibrating twice adds nothing")
        self.after = after
        self.concurrency = concurrency
        self.fit: CalibrationFit | None = None
        self._usage = _Usage()

    @property
    def name(self) -> str:
        """``CalibrationOptimizer``, or ``InstructionOptimizer+CalibrationOptimizer`` with ``after``."""
        own = type(self).__name__
        if self.after is None:
            return own
        first = getattr(self.after, "name", None)
        return f"{first if isinstance(first, str) else type(self.after).__name__}+{own}"

    def usage(self) -> dict[str, Any]:
        mine = self._usage.to_dict()
        if self.after is None:
            return mine
        merged: dict[str, Any] = dict(self.after.usage())
        for k, v in mine.items():
            merged[k] = round(merged.get(k, 0) + v, 6) if isinstance(v, float) else merged.get(k, 0) + v
        return merged

    def _progress(self, what: str, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(what, done, total)

    def align(self, judge: Any, examples: list[LabelledExample]) -> Any:
        from jurist.evaluation._meta import is_pairwise

        self._usage = _Usage()
        self.fit = None
        if is_pairwise(judge):
            raise AlignmentError(f"pairwise judge {judge.name!r} cannot be calibrated yet: its two orders of asking "
                                 f"are reduced to one verdict after the model answers. Use another optimizer")
        options = option_values(judge.feedback_value_type)
        if options is None or len(options) < 2:
            raise AlignmentError(f"judge {judge.name!r} cannot be calibrated: calibration moves a verdict between a "
                                 f"few allowed values (bool or Literal[...]), and its verdict is "
                                 f"{judge.feedback_value_type!r}")
        if self.after is not None:
            self.after.on_progress = self.on_progress
            judge = self.after.align(judge, examples)
        return RUNTIME.run(self._calibrate(judge, examples, options))

    async def _calibrate(self, judge: Any, examples: list[LabelledExample], options: dict[str, Any]) -> Any:
        from jurist.evaluation._meta import judge_examples

        plain = with_calibration(judge, None)
        feedbacks = await judge_examples(plain, examples, concurrency=self.concurrency,
                                         on_progress=lambda d, t: self._progress("calibrating", d, t))
        self._usage.add_feedback(feedbacks)
        # People's labels and the options meet in the form labels are kept in ("yes" for True).
        by_label = {normalise_label(v): o for o, v in options.items()}
        scores: list[dict[str, float]] = []
        labels: list[str] = []
        for ex, fb in zip(examples, feedbacks, strict=True):
            probabilities = (fb.metadata or {}).get("verdict_probabilities")
            option = by_label.get(ex.label)
            if fb.error is None and isinstance(probabilities, Mapping) and option is not None:
                scores.append({o: float(probabilities.get(o, 0.0)) for o in options})
                labels.append(option)
        if len(scores) < MIN_SCORED:
            raise AlignmentError(
                f"only {len(scores)} of the {len(examples)} training examples came back with the verdict's "
                f"log-probabilities, and calibration needs at least {MIN_SCORED}: the judge's model must return "
                f"token log-probabilities ({', '.join(LOGPROB_PROVIDERS)} do; {judge.model!r} did not). Use one "
                f"of those, or another optimizer; judge {judge.name!r} is unchanged")
        counts = {o: labels.count(o) for o in options if o in labels}
        if len(counts) < 2:
            raise AlignmentError(f"the {len(scores)} scored training examples are all labelled "
                                 f"{next(iter(counts))!r}: calibration needs people's verdicts of at least two "
                                 f"classes; judge {judge.name!r} is unchanged")
        zero = dict.fromkeys(options, 0.0)
        offsets = fit_offsets(scores, labels)
        before = balanced_accuracy(predict(scores, zero), labels)
        after = balanced_accuracy(predict(scores, offsets), labels)
        cv = cross_validated(scores, labels)
        applied = after > before + _GAIN and cv >= before + MIN_CV_GAIN
        fit = CalibrationFit(offsets, before, after, len(examples), len(scores), applied, counts, cv)
        self.fit = fit
        if not fit.applied:
            return plain if judge.inference_params.get("calibration") is not None else judge
        return with_calibration(judge, {"offsets": offsets, "method": "logprob offsets", "fitted_on": len(scores),
                                        "train_balanced_accuracy": fit.to_dict()["train_balanced_accuracy"]})
