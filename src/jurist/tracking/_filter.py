"""``search_traces`` filter strings, in MLflow's style: clauses joined by ``AND``.

::

    trace.status = 'OK'                       trace.name = 'rag_app'
    trace.timestamp_ms > 1700000000000        trace.execution_time_ms <= 2000
    tags.env = 'prod'                         tags.`service.name` LIKE 'chat%'
    run_id = 'a1b2…'                          trace.trace_id IN ('t1', 't2')
    feedback.correctness = 'no'               feedback.tone IS NOT NULL
    feedback.tone.source_type = 'HUMAN'       expectation.expected_response IS NOT NULL

Operators: ``= != < <= > >=`` (numbers and text), ``LIKE``/``ILIKE`` (text), ``IN (...)``, ``IS [NOT] NULL``.
A name with dots or spaces goes in backticks. Anything else is a :class:`ConfigError` naming what is
accepted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from jurist.errors import ConfigError

TRACE_FIELDS = {
    "status": "status", "name": "name", "timestamp_ms": "timestamp_ms", "timestamp": "timestamp_ms",
    "execution_time_ms": "execution_time_ms", "trace_id": "trace_id", "experiment_id": "experiment_id",
    "state": "status", "request_id": "trace_id",
}
ASSESSMENT_PARTS = ("value", "source_type", "source_id")
#: Trace fields stored as numbers (64-bit integers); the others are text.
NUMERIC_FIELDS = frozenset({"timestamp_ms", "execution_time_ms"})
#: The most clauses one filter may join, and the most values one IN list may hold: past these a database
#: refuses the query (expression depth, bound parameters), so the filter is refused first, saying why.
MAX_CLAUSES = 100
MAX_IN_VALUES = 1000
_INT64 = 2**63
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "IS NULL", "IS NOT NULL")

_HELP = (
    "filters are clauses joined by AND, e.g. \"trace.status = 'OK' AND tags.env = 'prod' AND "
    "feedback.correctness = 'no'\"; fields: trace.status, trace.name, trace.timestamp_ms, "
    "trace.execution_time_ms, trace.trace_id, run_id, tags.<key>, feedback.<name>[.source_type], "
    "expectation.<name>"
)

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<ident>(?:`[^`]+`|[A-Za-z_][\w-]*)(?:\.(?:`[^`]+`|[A-Za-z_][\w-]*))*)
    )""", re.VERBOSE)


@dataclass(frozen=True)
class Clause:
    """One condition. ``kind`` is ``trace``, ``run``, ``tag``, ``feedback`` or ``expectation``."""

    kind: str
    key: str
    op: str
    value: Any = None
    part: str = "value"


def _tokens(text: str) -> list[tuple[str, Any, int]]:
    out: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ConfigError(f"cannot read filter_string at position {pos}: {text[pos:pos + 20]!r}; {_HELP}")
        kind = m.lastgroup or ""
        raw = m.group(kind)
        start = m.start(kind)
        value: Any
        if kind == "str":
            q = raw[0]
            body = raw[1:-1].replace(q * 2, q) if q == "'" else raw[1:-1]
            value = re.sub(r"\\(.)", r"\1", body)
        elif kind == "num":
            value = float(raw) if any(c in raw for c in ".eE") else int(raw)
        elif kind == "op":
            value = "!=" if raw == "<>" else raw
        else:
            value = raw
        out.append((kind, value, start))
        pos = m.end()
    return out


def _split_name(ident: str) -> list[str]:
    return [p.strip("`") for p in re.findall(r"`[^`]+`|[^.`]+", ident)]


def _field(ident: str, where: int) -> tuple[str, str, str]:
    parts = _split_name(ident)
    head = parts[0].lower()
    if head in ("trace", "attributes", "attribute") and len(parts) == 2 and parts[1].lower() in TRACE_FIELDS:
        return "trace", TRACE_FIELDS[parts[1].lower()], "value"
    if len(parts) == 1 and head in TRACE_FIELDS:
        return "trace", TRACE_FIELDS[head], "value"
    if (len(parts) == 1 and head in ("run_id", "run")) or (
            head in ("attributes", "attribute") and len(parts) == 2 and parts[1].lower() == "run_id"):
        return "run", "run_id", "value"
    if head in ("tag", "tags") and parts[1:] == ["mlflow.traceName"]:  # MLflow's tag for the root span's name
        return "trace", "name", "value"
    # MLflow's trace metadata lives in jurist's tags: ``metadata.`mlflow.trace.session` = 's1'`` reads them.
    if head in ("tag", "tags", "metadata", "request_metadata") and len(parts) >= 2:
        return "tag", ".".join(parts[1:]), "value"
    if head in ("feedback", "expectation", "assessment") and len(parts) >= 2:
        kind = "feedback" if head == "assessment" else head
        part = "value"
        names = parts[1:]
        if len(names) >= 2 and names[-1].lower() in ASSESSMENT_PARTS:
            part = names.pop().lower()
        return kind, ".".join(names), part
    raise ConfigError(f"unknown filter field {ident!r} at position {where}; {_HELP}")


def _check_value(c: Clause, at: int) -> None:
    """A value of the type its field holds, in the range the store keeps: else the database would fail on it."""
    values = c.value if c.op == "IN" else (c.value,)
    if c.op == "IN" and len(values) > MAX_IN_VALUES:
        raise ConfigError(f"filter_string: an IN list holds at most {MAX_IN_VALUES} values, got {len(values)}")
    if c.op in ("IS NULL", "IS NOT NULL"):
        return
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"filter_string: the number near position {at} is out of range")
    if c.kind != "trace":
        return
    name = f"trace.{c.key}"
    for v in values:
        if c.key in NUMERIC_FIELDS:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigError(f"filter_string: {name} is a number (milliseconds); compare it with a number, "
                                  f"not {v!r}")
            if not -_INT64 <= v < _INT64:
                raise ConfigError(f"filter_string: {v} is out of range for {name} (a 64-bit number of milliseconds)")
            if c.op in ("LIKE", "ILIKE"):
                raise ConfigError(f"filter_string: {c.op} compares text; {name} is a number")
        elif not isinstance(v, str):
            raise ConfigError(f"filter_string: {name} is text; quote the value: {name} {c.op} '{v}'")


def parse_filter(text: str | None) -> list[Clause]:
    """The clauses of ``text`` (empty for ``None`` or blank)."""
    if text is None or not text.strip():
        return []
    toks = _tokens(text)
    clauses: list[Clause] = []
    i = 0

    def expect_value(j: int) -> tuple[Any, int]:
        if j >= len(toks) or toks[j][0] not in ("str", "num", "ident"):
            raise ConfigError(f"filter_string: a value ('text' or a number) is missing at the end of {text!r}")
        kind, value, at = toks[j]
        if kind == "ident":
            low = str(value).lower()
            if low in ("true", "false"):
                return low == "true", j + 1
            raise ConfigError(f"filter_string: {value!r} at position {at} is not a value; quote text as 'text'")
        return value, j + 1

    while True:
        if i >= len(toks) or toks[i][0] != "ident":
            where = toks[i][2] if i < len(toks) else len(text)
            raise ConfigError(f"filter_string: a field is expected at position {where}; {_HELP}")
        kind, key, part = _field(toks[i][1], toks[i][2])
        i += 1
        if i >= len(toks):
            raise ConfigError(f"filter_string: an operator is missing after {toks[i - 1][1]!r}")
        tk, tv, at = toks[i]
        word = str(tv).upper() if tk == "ident" else None
        if tk == "op":
            value, i = expect_value(i + 1)
            clauses.append(Clause(kind, key, tv, value, part))
        elif word in ("LIKE", "ILIKE"):
            value, i = expect_value(i + 1)
            if not isinstance(value, str):
                raise ConfigError(f"filter_string: {word} needs a quoted pattern at position {at}")
            clauses.append(Clause(kind, key, word, value, part))
        elif word == "IN":
            if i + 1 >= len(toks) or toks[i + 1][1] != "(":
                raise ConfigError(f"filter_string: IN needs a list in parentheses at position {at}")
            i += 2
            values: list[Any] = []
            while True:
                v, i = expect_value(i)
                values.append(v)
                if i < len(toks) and toks[i][1] == ",":
                    i += 1
                    continue
                if i < len(toks) and toks[i][1] == ")":
                    i += 1
                    break
                raise ConfigError(f"filter_string: the IN list is not closed with ')' in {text!r}")
            clauses.append(Clause(kind, key, "IN", tuple(values), part))
        elif word == "IS":
            negate = i + 1 < len(toks) and str(toks[i + 1][1]).upper() == "NOT"
            j = i + (2 if negate else 1)
            if j >= len(toks) or str(toks[j][1]).upper() != "NULL":
                raise ConfigError(f"filter_string: IS must be followed by NULL or NOT NULL at position {at}")
            clauses.append(Clause(kind, key, "IS NOT NULL" if negate else "IS NULL", None, part))
            i = j + 1
        else:
            raise ConfigError(f"filter_string: unknown operator {tv!r} at position {at}; use one of "
                              f"{', '.join(OPERATORS)}")
        _check_value(clauses[-1], toks[i - 1][2] if i - 1 < len(toks) else len(text))
        if len(clauses) > MAX_CLAUSES:
            raise ConfigError(f"filter_string joins more than {MAX_CLAUSES} clauses; narrow it with fewer, "
                              "or use IN (...) for many values of one field")
        if i >= len(toks):
            return clauses
        if toks[i][0] != "ident" or str(toks[i][1]).upper() != "AND":
            raise ConfigError(f"filter_string: expected AND at position {toks[i][2]} (OR is not supported); {_HELP}")
        i += 1
