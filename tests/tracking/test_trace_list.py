"""``search_traces`` in jurist's shape: still a list of traces, and it also reads as MLflow's DataFrame."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import jurist
from jurist.tracking._trace_list import TraceList


@jurist.trace
def _app(question: str) -> str:
    jurist.update_current_trace(tags={"topic": "billing"})
    return f"answer to {question}"


def test_a_list_that_reads_as_a_dataframe() -> None:
    for q in ("a", "b"):
        _app(q)
    found = jurist.search_traces(order_by=["timestamp_ms ASC"])
    assert isinstance(found, TraceList) and issubclass(TraceList, list)
    assert len(found) == 2 and found[0].outputs == "answer to a"
    assert [t.trace_id for t in found[:1]] == [found[0].trace_id]
    assert list(found["response"]) == ["answer to a", "answer to b"]
    assert found[["trace_id", "state"]].shape == (2, 2) and not found.empty
    assert [row["tags"]["topic"] for _, row in found.iterrows()] == ["billing", "billing"]
    assert isinstance(found.to_pandas(), pd.DataFrame) and not isinstance(found, pd.DataFrame)
    assert json.loads(json.dumps([t.trace_id for t in found])) == [t.trace_id for t in found]
    with pytest.raises(AttributeError, match="no attribute 'not_a_column_method'"):
        found.not_a_column_method  # noqa: B018
    assert not hasattr(found, "_private")


def test_return_type_list_is_a_plain_list_and_pandas_a_dataframe() -> None:
    _app("c")
    assert type(jurist.search_traces(return_type="list")) is list
    assert isinstance(jurist.search_traces(return_type="pandas"), pd.DataFrame)
