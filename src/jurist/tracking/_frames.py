"""The DataFrames MLflow hands back: ``search_traces``' one row per trace, and ``result_df``.

Columns are MLflow's (``trace_id``, ``trace``, ``state``, ``request_time``, ``execution_duration``,
``request``, ``response``, ``trace_metadata``, ``tags``, ``spans``, ``assessments``); the ``trace``
column holds the trace objects themselves, which is what lets ``evaluate(data=df)`` judge them again,
and ``assessments`` holds MLflow's dict form of each (``a["assessment_name"]``, ``a["feedback"]["value"]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from jurist.evaluation._result import EvaluationResult

def assessment_record(a: Any) -> dict[str, Any]:
    """An assessment as MLflow's DataFrames hold it: ``assessment_name``, ``source``, ``create_time``,
    ``rationale``, ``metadata``, and ``feedback`` (``value``, ``error``) or ``expectation`` (``value``)."""
    from jurist.entities import Expectation

    rec: dict[str, Any] = {
        "assessment_name": str(a.name), "trace_id": a.trace_id, "span_id": a.span_id,
        "source": a.source.to_dict(), "create_time": a.create_time_ms, "metadata": dict(a.metadata or {}),
    }
    if isinstance(a, Expectation):
        rec["expectation"] = {"value": a.value}
    else:
        rec["rationale"] = a.rationale
        rec["feedback"] = {"value": a.value, "error": a.error.to_dict() if a.error else None}
    return rec


TRACE_COLUMNS = ("trace_id", "trace", "client_request_id", "state", "request_time", "execution_duration",
                 "request", "response", "trace_metadata", "tags", "spans", "assessments")


def trace_record(t: Any) -> dict[str, Any]:
    info = t.info
    return {
        "trace_id": t.trace_id,
        "trace": t,
        "client_request_id": t.tags.get("client_request_id"),
        "state": info.state,
        "request_time": info.request_time,
        "execution_duration": info.execution_duration,
        "request": t.inputs,
        "response": t.outputs,
        "trace_metadata": dict(t.tags),
        "tags": dict(t.tags),
        "spans": [s.to_dict() for s in t.spans],
        "assessments": [assessment_record(a) for a in getattr(t, "assessments", None) or []],
    }


def traces_frame(traces: list[Any]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([trace_record(t) for t in traces], columns=list(TRACE_COLUMNS))


def result_frame(result: EvaluationResult) -> pd.DataFrame:
    """One row per evaluated row: its trace's columns and each scorer's value, rationale and error."""
    import pandas as pd

    records = []
    for r in result.rows:
        rec: dict[str, Any] = {"trace_id": r.trace_id, "request": r.inputs, "response": r.outputs,
                               "inputs": r.inputs, "outputs": r.outputs, "expectations": r.expectations,
                               "tags": r.tags, "assessments": [assessment_record(f) for f in r.feedbacks]}
        for name in result.feedback_names:
            fbs = [f for f in r.feedbacks if f.name == name]
            rec[f"{name}/value"] = fbs[0].value if len(fbs) == 1 else ([f.value for f in fbs] or None)
            rec[f"{name}/rationale"] = fbs[0].rationale if len(fbs) == 1 else ([f.rationale for f in fbs] or None)
            errs = [f.error.error_message for f in fbs if f.error]
            rec[f"{name}/error"] = "; ".join(e or "" for e in errs) if errs else None
        records.append(rec)
    return pd.DataFrame.from_records(records)
