"""Labelled examples: what a person said of a judged item, read from rows, DataFrames or traces.

A row carries the item as ``evaluate()`` reads it (``inputs``, ``outputs``, ``expectations``, ``trace``;
``outputs_a``/``outputs_b`` for a pairwise judge) and the person's verdict in one of:

- ``label`` (and optionally ``rationale``) at the top of the row;
- ``expectations={"human_label": ..., "human_rationale": ...}`` (these two keys are taken out of the
  expectations the judge sees).

A trace carries it as a HUMAN feedback whose name is the judge's (``log_feedback`` on the trace, or
MLflow's review app), as ``search_traces()`` returns it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jurist.entities import Feedback, Trace
from jurist.errors import ConfigError
from jurist.judges._reduce import as_pass

#: Top-level row columns that hold the person's verdict and why.
LABEL_COLUMNS = ("label", "human_label")
RATIONALE_COLUMNS = ("rationale", "human_rationale")
#: Keys of ``expectations`` that hold them instead.
LABEL_KEYS = ("human_label",)
RATIONALE_KEYS = ("human_rationale",)
#: Fewer labelled examples than this cannot be aligned on; fewer than ``FEW_EXAMPLES`` draw a warning.
MIN_EXAMPLES = 10
FEW_EXAMPLES = 50


@dataclass(frozen=True)
class LabelledExample:
    """One judged item and the verdict a person gave it.

    ``args`` are what the judge is called with (``inputs``, ``outputs``, ``expectations``, ``trace``,
    ``outputs_a``, ``outputs_b``); ``label`` is the person's verdict as the judge would write it.
    """

    args: dict[str, Any] = field(compare=False)
    label: Any
    rationale: str | None = None
    #: What identifies the prompt (the inputs): examples with the same key fall on the same side of a split.
    key: str = ""


def normalise_label(value: Any, pairwise: bool = False) -> Any:
    """A verdict in the form judges answer: yes/no (from bool, pass/fail, 1/0), A/B/tie for pairwise judges
    (1/2 map to A/B), other strings trimmed; numbers stay numbers."""
    if value is None:
        return None
    if pairwise:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (1, 2):
            return "A" if value == 1 else "B"
        s = str(value).strip()
        low = s.lower()
        if low in ("a", "1", "output_1", "outputs_a"):
            return "A"
        if low in ("b", "2", "output_2", "outputs_b"):
            return "B"
        return "tie" if low == "tie" else s
    if isinstance(value, (bool, str)):
        p = as_pass(value)
        if p is not None:
            return "yes" if p else "no"
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, (int, float)) and value in (0, 1):
        return "yes" if value == 1 else "no"
    return value


def prompt_key(args: dict[str, Any]) -> str:
    """A stable key of the prompt an item answers (its inputs; the trace's inputs; else the whole item)."""
    inputs = args.get("inputs")
    if inputs is None and args.get("trace") is not None:
        try:
            inputs = Trace.coerce(args["trace"]).inputs
        except ConfigError:
            inputs = None
    basis = inputs if inputs is not None else {k: v for k, v in args.items() if k != "trace"}
    text = json.dumps(basis, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _human_feedback(trace: Any, name: str) -> Feedback | None:
    held = getattr(trace, "assessments", None)
    if held is None and isinstance(trace, Trace):
        held = trace.info.assessments
    found = [a for a in held or [] if isinstance(a, Feedback) and str(a.name) == name and a.error is None
             and str(getattr(a.source.source_type, "value", a.source.source_type)).upper() == "HUMAN"]
    return found[-1] if found else None


def _from_trace(trace: Any, judge_name: str, pairwise: bool) -> LabelledExample | None:
    fb = _human_feedback(trace, judge_name)
    if fb is None:
        return None
    args = {"trace": trace}
    return LabelledExample(args, normalise_label(fb.value, pairwise), fb.rationale, prompt_key(args))


def _from_row(raw: dict[str, Any], judge_name: str, pairwise: bool) -> LabelledExample | None:
    row = dict(raw)
    label = rationale = None
    for col in LABEL_COLUMNS:
        if col in row:
            label = row.pop(col)
    for col in RATIONALE_COLUMNS:
        if col in row:
            rationale = row.pop(col)
    exp = row.get("expectations")
    if isinstance(exp, dict) and any(k in exp for k in (*LABEL_KEYS, *RATIONALE_KEYS)):
        exp = dict(exp)
        for k in LABEL_KEYS:
            if k in exp:
                label = exp.pop(k)
        for k in RATIONALE_KEYS:
            if k in exp:
                rationale = exp.pop(k)
        row["expectations"] = exp or None
    if label is None and row.get("trace") is not None and isinstance(row["trace"], Trace):
        return _from_trace(row["trace"], judge_name, pairwise)
    if label is None or (isinstance(label, float) and label != label):
        return None
    from jurist.evaluation._dataset import load_rows

    parsed = load_rows([row], extra_columns=("outputs_a", "outputs_b"))[0]
    args = {k: v for k, v in (("inputs", parsed.inputs), ("outputs", parsed.outputs),
                              ("expectations", parsed.expectations), ("trace", parsed.trace),
                              ("session", parsed.session)) if v is not None}
    args.update(parsed.extra)
    if isinstance(rationale, float) and rationale != rationale:  # an empty DataFrame cell
        rationale = None
    if rationale is not None and not isinstance(rationale, str):
        rationale = str(rationale)
    return LabelledExample(args, normalise_label(label, pairwise), rationale or None, prompt_key(args))


def _raw_items(data: Any) -> list[Any]:
    if isinstance(data, (str, Path)):
        from jurist.evaluation._dataset import _read_file

        path = Path(data).expanduser()
        if not path.is_file():
            raise ConfigError(f"labelled data file {str(path)!r} does not exist")
        return list(_read_file(path))
    if type(data).__name__ == "DataFrame" and hasattr(data, "to_dict"):
        return list(data.to_dict(orient="records"))
    if isinstance(data, (Trace, dict, LabelledExample)):
        return [data]
    if isinstance(data, Sequence):
        return list(data)
    raise ConfigError(f"labelled examples are a list of rows or traces, a DataFrame or a .jsonl/.json/.csv path; "
                      f"got {type(data).__name__}")


def labelled_examples(data: Any, judge_name: str, *, pairwise: bool = False) -> list[LabelledExample]:
    """The items of ``data`` that carry a person's verdict (see the module docstring); others are skipped.

    Example:
        >>> ex = labelled_examples([{"inputs": "2+2?", "outputs": "4", "label": True}], "correctness")
        >>> ex[0].label
        'yes'
    """
    out: list[LabelledExample] = []
    for i, item in enumerate(_raw_items(data)):
        if isinstance(item, LabelledExample):
            out.append(item)
        elif isinstance(item, Trace) or hasattr(item, "assessments"):
            ex = _from_trace(item, judge_name, pairwise)
            if ex is not None:
                out.append(ex)
        elif isinstance(item, dict):
            ex = _from_row(item, judge_name, pairwise)
            if ex is not None:
                out.append(ex)
        else:
            raise ConfigError(f"labelled item {i} is a {type(item).__name__}; give rows (dicts) or traces")
    return out


def check_examples(examples: Sequence[LabelledExample], minimum: int = MIN_EXAMPLES) -> None:
    """Refuse too few examples, or examples of a single class (nothing to learn the boundary from)."""
    if len(examples) < minimum:
        raise ConfigError(f"alignment needs at least {minimum} labelled examples, got {len(examples)}; label more "
                          f"(rows with a 'label' column, or human feedback named like the judge on traces)")
    classes = {repr(e.label) for e in examples}
    if len(classes) < 2:
        raise ConfigError(f"every labelled example has the same label ({examples[0].label!r}); alignment needs "
                          f"examples of at least two classes, e.g. some passing and some failing items")


def split_by_prompt(examples: Sequence[LabelledExample], held_out: float = 0.3,
                    salt: str = "jurist-align") -> tuple[list[LabelledExample], list[LabelledExample]]:
    """Train and held-out parts, decided by a hash of each example's prompt: the same prompt always falls on
    the same side, and the split does not depend on the order of the examples.

    Each class keeps at least one example on each side when it has two or more.
    """
    if not 0 < held_out < 1:
        raise ConfigError(f"held_out must be a fraction between 0 and 1, got {held_out!r}")

    def rank(e: LabelledExample) -> float:
        h = hashlib.sha256(f"{salt}|{e.key}".encode()).hexdigest()
        return int(h[:12], 16) / float(16 ** 12)

    train = [e for e in examples if rank(e) >= held_out]
    test = [e for e in examples if rank(e) < held_out]
    # A side left without a class it needs to be measured on: move that class's lowest-ranked prompt over.
    for label in {repr(e.label) for e in examples}:
        for src, dst in ((train, test), (test, train)):
            if not any(repr(e.label) == label for e in dst):
                cands = sorted((e for e in src if repr(e.label) == label), key=rank)
                if len(cands) >= 2:
                    key = cands[0].key if dst is test else cands[-1].key
                    moving = [e for e in src if e.key == key]
                    for e in moving:
                        src.remove(e)
                        dst.append(e)
    return train, test
