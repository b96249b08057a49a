"""MLflow's ``search_runs`` filter and order (``metrics.accuracy > 0.8 AND params.model = 'gpt-4o'``,
``order_by=["metrics.accuracy DESC"]``) and its DataFrame: one row per run, with ``run_id``,
``experiment_id``, ``status``, ``start_time``, ``end_time`` and a ``metrics.<key>``, ``params.<key>`` and
``tags.<key>`` column for every key any run has.

The filter is applied to the runs the store returns (up to ``max_results`` of each experiment's newest).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import Any

from jurist.errors import ConfigError
from jurist.tracking._entities import Run

_CLAUSE = re.compile(
    r"""\s*(?P<key>(?:(?:metrics|metric|params|param|parameters|tags|tag|attributes|attribute|attr|run)\.)?
    (?:`[^`]+`|"[^"]+"|[\w.\-]+))\s*
    (?P<op>!=|>=|<=|=|<|>|(?:NOT\s+)?I?LIKE|(?:NOT\s+)?IN)\s*
    (?P<value>'(?:[^']|'')*'|"[^"]*"|\((?:[^)]*)\)|[-+0-9.eE]+)\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_ATTRIBUTES = {"status": "status", "run_name": "name", "run_id": "run_id", "start_time": "start_time_ms",
               "end_time": "end_time_ms", "experiment_id": "experiment_id"}


def _unquote(v: str) -> Any:
    v = v.strip()
    if v[:1] in "'\"":
        return v[1:-1].replace("''", "'")
    if v.startswith("("):
        return [_unquote(x) for x in re.findall(r"'(?:[^']|'')*'|\"[^\"]*\"|[^,\s]+", v[1:-1])]
    try:
        return float(v)
    except ValueError:
        raise ConfigError(f"cannot read {v!r} in a search_runs filter: quote strings ('...')") from None


def _getter(key: str) -> Callable[[Run], Any]:
    kind, _, name = key.partition(".")
    name = name.strip("`\"")
    kind = kind.lower()
    if not name:  # a bare attribute: status = 'FINISHED'
        name, kind = kind, "attributes"
    if kind in ("metrics", "metric"):
        return lambda r: r.metrics.get(name)
    if kind in ("params", "param", "parameters"):
        return lambda r: None if name not in r.params else str(r.params[name])
    if kind in ("tags", "tag"):
        return lambda r: r.tags.get(name) if name != "mlflow.runName" else (r.tags.get(name) or r.name)
    attr = _ATTRIBUTES.get(name.lower())
    if attr is None:
        raise ConfigError(f"search_runs filters on metrics.<key>, params.<key>, tags.<key> and attributes "
                          f"{', '.join(_ATTRIBUTES)}; got {key!r}")
    return lambda r: str(getattr(r, attr)) if attr == "status" else getattr(r, attr)


def _compare(op: str, have: Any, want: Any) -> bool:
    op = " ".join(op.upper().split())
    if op in ("IN", "NOT IN"):
        hit = have is not None and str(have) in [str(w) for w in want]
        return hit if op == "IN" else not hit
    if have is None:
        return False
    if "LIKE" in op:
        pattern = str(want).replace("%", "*").replace("_", "?")
        hit = fnmatch.fnmatchcase(str(have).lower(), pattern.lower()) if "ILIKE" in op \
            else fnmatch.fnmatchcase(str(have), pattern)
        return not hit if op.startswith("NOT") else hit
    if isinstance(want, float):
        try:
            have = float(have)
        except (TypeError, ValueError):
            return False
    else:
        have = str(have)
    if op == "=":
        return bool(have == want)
    if op == "!=":
        return bool(have != want)
    try:
        return bool({"<": have < want, "<=": have <= want, ">": have > want, ">=": have >= want}[op])
    except TypeError:
        return False


def parse(filter_string: str | None) -> Callable[[Run], bool]:
    """A predicate over runs for an MLflow search_runs filter (clauses joined by AND)."""
    text = (filter_string or "").strip()
    if not text:
        return lambda r: True
    clauses = []
    for part in re.split(r"\s+AND\s+", text, flags=re.IGNORECASE):
        m = _CLAUSE.fullmatch(part)
        if m is None:
            raise ConfigError(f"cannot read {part!r} in a search_runs filter; write e.g. \"metrics.accuracy > 0.8 "
                              "AND params.model = 'gpt-4o' AND attributes.status = 'FINISHED'\"")
        clauses.append((_getter(m["key"]), m["op"], _unquote(m["value"])))
    return lambda r: all(_compare(op, get(r), want) for get, op, want in clauses)


def sort(found: list[Run], order_by: Sequence[str] | None) -> list[Run]:
    for item in reversed(list(order_by or [])):
        words = item.strip().split()
        if not words:
            continue
        desc = len(words) > 1 and words[-1].upper() == "DESC"
        key = " ".join(words[:-1]) if len(words) > 1 and words[-1].upper() in ("ASC", "DESC") else " ".join(words)
        get = _getter(key)
        present = [r for r in found if get(r) is not None]
        missing = [r for r in found if get(r) is None]
        present.sort(key=lambda r: (isinstance(get(r), str), get(r)), reverse=desc)
        found = present + missing  # runs without the key go last, either way
    return found


def frame(found: list[Run]) -> Any:
    import pandas as pd

    rows = []
    for r in found:
        row: dict[str, Any] = {
            "run_id": r.run_id, "experiment_id": r.experiment_id, "status": str(r.status), "artifact_uri": None,
            "start_time": pd.to_datetime(r.start_time_ms, unit="ms", utc=True) if r.start_time_ms else pd.NaT,
            "end_time": pd.to_datetime(r.end_time_ms, unit="ms", utc=True) if r.end_time_ms else pd.NaT,
        }
        row.update({f"metrics.{k}": v for k, v in r.metrics.items()})
        row.update({f"params.{k}": str(v) for k, v in r.params.items()})
        tags = {"mlflow.runName": r.name, **r.tags} if r.name else dict(r.tags)
        row.update({f"tags.{k}": v for k, v in tags.items()})
        rows.append(row)
    base = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    return pd.DataFrame(rows, columns=base if not rows else None)
