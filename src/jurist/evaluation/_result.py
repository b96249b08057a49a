"""What ``evaluate()`` returns: per-row feedback, metrics per scorer, totals, and exports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jurist.entities import Feedback

if TYPE_CHECKING:
    import pandas as pd

_YES = {"yes", "pass", "true"}
_NO = {"no", "fail", "false"}


@dataclass
class RowResult:
    """One evaluated row: its data and every Feedback its scorers returned."""

    index: int
    inputs: Any = None
    outputs: Any = None
    expectations: Any = None
    tags: dict[str, Any] = field(default_factory=dict)
    feedbacks: list[Feedback] = field(default_factory=list)
    id: Any = None
    #: The row's trace in the tracking store (its own trace, or one made for it), when the run was logged.
    trace_id: str | None = None

    def feedback(self, name: str) -> Feedback | None:
        """The first feedback named ``name``."""
        return next((f for f in self.feedbacks if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "index": self.index,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "expectations": self.expectations,
            "tags": self.tags,
            "feedbacks": [f.to_dict() for f in self.feedbacks],
        }
        if self.id is not None:
            d["id"] = self.id
        if self.trace_id is not None:
            d["trace_id"] = self.trace_id
        return d


def _pass_value(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _YES:
            return True
        if s in _NO:
            return False
    return None


@dataclass
class EvaluationResult:
    """The result of :func:`jurist.evaluate`.

    Example:
        >>> result = evaluate(data=rows, scorers=[Correctness()])   # doctest: +SKIP
        >>> result.metrics["correctness/pass_rate"]                  # doctest: +SKIP
        0.83
    """

    rows: Sequence[RowResult]
    scorer_metrics: dict[str, dict[str, Any]]
    duration_s: float
    total_input_tokens: int = 0
    total_output_tokens: int = 0
    total_cost_usd: float | None = 0.0
    judge_calls: int = 0
    cached_judgments: int = 0
    run_id: str | None = None
    #: Judgments in this result that the tracking store did not take, and why (0 and "" when all were stored).
    unstored: int = 0
    unstored_message: str = ""

    @property
    def metrics(self) -> dict[str, float]:
        """Flat numeric metrics: ``{"<name>/pass_rate": 0.8, "<name>/error_count": 0, "<name>/mean": …}``.

        A yes/no or true/false scorer also has ``<name>/mean``, the share of yes, which is MLflow's name
        for the same number.
        """
        flat: dict[str, float] = {}
        for name, m in self.scorer_metrics.items():
            for k, v in m.items():
                if isinstance(v, (int, float)):
                    flat[f"{name}/{k}"] = v
            if "pass_rate" in m and "mean" not in m:
                flat[f"{name}/mean"] = m["pass_rate"]
        return flat

    @property
    def result_df(self) -> pd.DataFrame:
        """One row per evaluated trace, in MLflow's columns: ``trace_id``, ``request``, ``response``,
        ``expectations``, ``assessments`` (the row's Feedback objects), ``<name>/value`` … plus
        ``inputs``/``outputs`` as jurist names them."""
        from jurist.tracking._frames import result_frame

        return result_frame(self)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """MLflow's ``tables``: ``{"eval_results": result_df}``."""
        return {"eval_results": self.result_df}

    @property
    def feedback_names(self) -> list[str]:
        return list(self.scorer_metrics)

    def to_pandas(self) -> pd.DataFrame:
        """One row per input; columns ``<name>/value``, ``<name>/rationale``, ``<name>/error``."""
        import pandas as pd

        records = []
        for r in self.rows:
            rec: dict[str, Any] = {"inputs": r.inputs, "outputs": r.outputs, "expectations": r.expectations,
                                   "tags": r.tags}
            for name in self.feedback_names:
                fbs = [f for f in r.feedbacks if f.name == name]
                if len(fbs) == 1:
                    f = fbs[0]
                    rec[f"{name}/value"] = f.value
                    rec[f"{name}/rationale"] = f.rationale
                    rec[f"{name}/error"] = f.error.error_message if f.error else None
                else:
                    rec[f"{name}/value"] = [f.value for f in fbs] or None
                    rec[f"{name}/rationale"] = [f.rationale for f in fbs] or None
                    errs = [f.error.error_message for f in fbs if f.error]
                    rec[f"{name}/error"] = "; ".join(e or "" for e in errs) if errs else None
            records.append(rec)
        return pd.DataFrame.from_records(records)

    def summary(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "scorer_metrics": self.scorer_metrics,
            "rows": len(self.rows),
            "duration_s": self.duration_s,
            "total_input_tokens": self.total_input_tokens,
            "total_output_tokens": self.total_output_tokens,
            "total_cost_usd": self.total_cost_usd,
            "judge_calls": self.judge_calls,
            "cached_judgments": self.cached_judgments,
            "run_id": self.run_id,
        }

    def to_json(self, path: str | Path) -> Path:
        """Write the rows: JSON Lines (one row per line) for ``.jsonl``, else one JSON document with metrics."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            if p.suffix.lower() == ".jsonl":
                for r in self.rows:
                    f.write(json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n")
            else:
                json.dump({**self.summary(), "rows": [r.to_dict() for r in self.rows]}, f, ensure_ascii=False,
                          indent=2, default=str)
        tmp.replace(p)
        return p

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.3g}" for k, v in list(self.metrics.items())[:6])
        return f"EvaluationResult(rows={len(self.rows)}, {shown})"
