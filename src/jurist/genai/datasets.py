"""``jurist.genai.datasets``: MLflow's evaluation datasets, kept in the tracking store.

A dataset is a named set of records — ``inputs``, optional ``expectations``, ``outputs``, ``tags`` and
``source`` — linked to experiments. Records are matched by their inputs: merging the same inputs again
merges the expectations and tags. Pass a dataset to ``evaluate(data=dataset)``.

Example:
    >>> from jurist.genai.datasets import create_dataset                       # doctest: +SKIP
    >>> ds = create_dataset(name="support_qa", tags={"team": "support"})       # doctest: +SKIP
    >>> ds.merge_records([{"inputs": {"question": "Hours?"},                   # doctest: +SKIP
    ...                    "expectations": {"expected_response": "9 to 5"}}])
    >>> jurist.genai.evaluate(data=ds, predict_fn=app, scorers=[Correctness()])  # doctest: +SKIP
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jurist.entities import Trace
from jurist.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def _store() -> Any:
    from jurist.tracking import get_store

    return get_store()


def _record(item: Any) -> dict[str, Any]:
    if isinstance(item, Trace):
        expectations = {a.name: a.value for a in getattr(item, "expectations", None) or []}
        return {"inputs": item.inputs, "outputs": item.outputs, "expectations": expectations or None,
                "tags": {}, "source": {"source_type": "TRACE", "source_data": {"trace_id": item.trace_id}}}
    if not isinstance(item, dict):
        raise ConfigError(f"a dataset record is a dict with 'inputs' (and 'expectations', 'tags'), or a trace; got "
                          f"{type(item).__name__}")
    unknown = [k for k in item if k not in ("inputs", "expectations", "outputs", "tags", "source",
                                             "dataset_record_id")]
    if unknown:
        raise ConfigError(f"dataset record has unknown field(s) {', '.join(unknown)}; records have inputs, "
                          "expectations, outputs, tags and source")
    inputs = item.get("inputs")
    if not isinstance(inputs, dict) or not inputs:
        raise ConfigError("each dataset record needs 'inputs' as a non-empty dict, e.g. {'question': '...'}")
    rec = dict(item)
    if rec.get("source") is None:  # MLflow's inference: labelled records come from people, others from code
        rec["source"] = {"source_type": "HUMAN" if rec.get("expectations") else "CODE"}
    return rec


def _records(data: Any) -> list[dict[str, Any]]:
    if type(data).__name__ == "DataFrame":
        if "trace" in data.columns:
            data = [Trace.coerce(t) for t in data["trace"]]
        else:
            data = [{k: v for k, v in r.items() if v is not None and v == v}  # NaN cells are missing
                    for r in data.to_dict(orient="records")]
    if isinstance(data, (dict, Trace)):
        data = [data]
    if not isinstance(data, (list, tuple)):
        raise ConfigError("merge_records takes a list of dicts, a pandas DataFrame, or traces")
    return [_record(r) for r in data]


class DatasetRecord(dict):  # type: ignore[type-arg]
    """One record: a dict with attribute access (``record.inputs``, ``record.expectations`` …)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


class EvaluationDataset:
    """A stored evaluation dataset. Read its ``records`` or ``to_df()``; add with ``merge_records``."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self._meta = meta

    dataset_id = property(lambda self: self._meta["dataset_id"])
    name = property(lambda self: self._meta["name"])
    tags = property(lambda self: dict(self._meta["tags"]))
    experiment_ids = property(lambda self: list(self._meta["experiment_ids"]))
    created_time = property(lambda self: self._meta["created_time"])
    last_update_time = property(lambda self: self._meta["last_update_time"])
    created_by = property(lambda self: self._meta["created_by"])
    last_updated_by = property(lambda self: self._meta["last_updated_by"])

    def _refresh(self) -> None:
        from jurist.tracking import _datasets

        self._meta = _datasets.get(_store(), dataset_id=self.dataset_id)

    def to_records(self) -> list[dict[str, Any]]:
        from jurist.tracking import _datasets

        return _datasets.records(_store(), self.dataset_id)

    @property
    def records(self) -> list[DatasetRecord]:
        return [DatasetRecord(r) for r in self.to_records()]

    def merge_records(self, records: Any) -> EvaluationDataset:
        """Add records (dicts, a DataFrame, traces, or ``search_traces``' DataFrame); returns the dataset."""
        from jurist.tracking import _datasets

        _datasets.merge(_store(), self.dataset_id, _records(records), _user())
        self._refresh()
        return self

    def to_df(self) -> pd.DataFrame:
        import pandas as pd

        cols = ["dataset_record_id", "inputs", "expectations", "outputs", "tags", "source", "create_time",
                "last_update_time"]
        return pd.DataFrame(self.to_records(), columns=cols)

    @property
    def schema(self) -> dict[str, dict[str, str]]:
        """The fields seen in the records' inputs and expectations, with their JSON types."""
        out: dict[str, dict[str, str]] = {"inputs": {}, "expectations": {}}
        for r in self.to_records():
            for part in out:
                for k, v in (r.get(part) or {}).items():
                    out[part].setdefault(k, type(v).__name__)
        return out

    @property
    def profile(self) -> dict[str, Any]:
        """Counts over the records: how many, how many carry expectations, and from which sources."""
        recs = self.to_records()
        sources: dict[str, int] = {}
        for r in recs:
            kind = str((r.get("source") or {}).get("source_type", "UNKNOWN"))
            sources[kind] = sources.get(kind, 0) + 1
        return {"num_records": len(recs), "num_with_expectations": sum(1 for r in recs if r.get("expectations")),
                "source_types": sources}

    def to_dict(self) -> dict[str, Any]:
        return {**self._meta, "records": self.to_records()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationDataset:
        """The dataset ``to_dict`` wrote: the stored one with its id, else made anew in this store from the
        dict's name, experiments, tags and records."""
        from jurist.tracking import NotFoundError

        try:
            return get_dataset(dataset_id=data["dataset_id"])
        except (KeyError, NotFoundError):
            pass
        ds = create_dataset(name=data["name"], experiment_id=data.get("experiment_ids") or None,
                            tags=data.get("tags"))
        records = [{k: v for k, v in r.items() if k in ("inputs", "expectations", "outputs", "tags", "source")}
                   for r in data.get("records") or []]
        return ds.merge_records(records) if records else ds

    def __len__(self) -> int:
        return len(self.to_records())

    def __repr__(self) -> str:
        return f"EvaluationDataset(name={self.name!r}, dataset_id={self.dataset_id!r})"


def create_dataset(name: str, experiment_id: str | Sequence[str] | None = None,
                   tags: dict[str, Any] | None = None) -> EvaluationDataset:
    """Create an empty dataset linked to ``experiment_id`` (one id or a list; default the active experiment)."""
    from jurist.tracking import _datasets, active_experiment

    if experiment_id is None:
        ids = [active_experiment().experiment_id]
    else:
        ids = [str(experiment_id)] if isinstance(experiment_id, str) else [str(e) for e in experiment_id]
    meta = _datasets.create(_store(), name, ids, {k: str(v) for k, v in (tags or {}).items()}, _user())
    return EvaluationDataset(meta)


def get_dataset(name: str | None = None, dataset_id: str | None = None) -> EvaluationDataset:
    """A dataset by ``name`` or ``dataset_id``."""
    from jurist.tracking import _datasets

    return EvaluationDataset(_datasets.get(_store(), name=name, dataset_id=dataset_id))


def delete_dataset(name: str | None = None, dataset_id: str | None = None) -> None:
    """Delete a dataset and its records (for good)."""
    from jurist.tracking import _datasets

    _datasets.remove(_store(), get_dataset(name=name, dataset_id=dataset_id).dataset_id)


_CLAUSE = re.compile(r"^\s*(name|tags\.`?([\w.-]+)`?)\s*(=|!=|LIKE)\s*'((?:[^']|'')*)'\s*$", re.IGNORECASE)


def _like(pattern: str, value: str) -> bool:
    rx = "^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern) + "$"
    return re.match(rx, value, re.DOTALL) is not None


def search_datasets(experiment_ids: Sequence[str] | None = None, filter_string: str | None = None,
                    max_results: int = 1000, order_by: Sequence[str] | None = None) -> list[EvaluationDataset]:
    """Datasets linked to ``experiment_ids``, filtered by ``name`` and ``tags.<key>`` clauses joined by AND
    (``=``, ``!=``, ``LIKE``), newest update first unless ``order_by`` says ``name`` or a time ASC/DESC."""
    from jurist.tracking import _datasets

    found = _datasets.search(_store())
    if experiment_ids:
        wanted = {str(e) for e in experiment_ids}
        found = [d for d in found if wanted & {str(e) for e in d["experiment_ids"]}]
    for clause in re.split(r"\s+AND\s+", filter_string or "", flags=re.IGNORECASE) if filter_string else []:
        m = _CLAUSE.match(clause)
        if m is None:
            raise ConfigError(f"cannot read dataset filter {clause!r}; use name = '...', name LIKE '%...%' or "
                              "tags.<key> = '...', joined by AND")
        tag, op, value = m.group(2), m.group(3).upper(), m.group(4).replace("''", "'")

        def keep(d: dict[str, Any], tag: str | None = tag, op: str = op, value: str = value) -> bool:
            have = d["tags"].get(tag) if tag else d["name"]
            if have is None:
                return op == "!="
            return _like(value, have) if op == "LIKE" else (have == value) == (op == "=")

        found = [d for d in found if keep(d)]
    for item in reversed(list(order_by or [])):
        key, _, direction = str(item).partition(" ")
        key = {"last_update_time": "last_update_time", "created_time": "created_time", "name": "name"}.get(key, "")
        if not key:
            raise ConfigError(f"cannot order datasets by {item!r}; use name, created_time or last_update_time")
        found.sort(key=lambda d, k=key: d[k] or 0, reverse=direction.strip().upper() == "DESC")  # type: ignore[misc]
    return [EvaluationDataset(d) for d in found[:max_results]]


def set_dataset_tags(dataset_id: str, tags: dict[str, Any]) -> None:
    from jurist.tracking import _datasets

    _datasets.set_tags(_store(), dataset_id, tags, [], _user())


def delete_dataset_tag(dataset_id: str, key: str) -> None:
    from jurist.tracking import _datasets

    _datasets.set_tags(_store(), dataset_id, {}, [key], _user())


__all__ = ["DatasetRecord", "EvaluationDataset", "create_dataset", "delete_dataset", "delete_dataset_tag",
           "get_dataset", "search_datasets", "set_dataset_tags"]
