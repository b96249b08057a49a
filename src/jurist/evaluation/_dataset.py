"""Evaluation data: a list of dicts, a pandas DataFrame, or a .jsonl/.json/.csv file, read into rows."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jurist.errors import ConfigError

COLUMNS = ("inputs", "outputs", "expectations", "trace", "tags", "session")
#: Columns kept as they are but not passed to scorers.
ID_COLUMNS = ("id", "request_id")


@dataclass
class Row:
    index: int
    inputs: Any = None
    outputs: Any = None
    expectations: Any = None
    trace: Any = None
    tags: dict[str, Any] = field(default_factory=dict)
    session: Any = None
    id: Any = None
    #: The trace recorded while ``predict_fn`` produced this row's outputs (not part of the row's data).
    predicted_trace: Any = None
    #: Columns beyond the standard ones that a scorer takes by name (a pairwise judge's ``outputs_a``/``outputs_b``).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def judged_trace(self) -> Any:
        """The trace judges see: the row's own, else the one recorded around ``predict_fn``."""
        return self.trace if self.trace is not None else self.predicted_trace


def _clean(value: Any) -> Any:
    """NaN and empty cells from DataFrames and CSVs are missing values."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value == "":
        return None
    return value


def _cell(value: str, where: str = "a CSV cell") -> Any:
    """A CSV cell: JSON when it is a JSON object or array, else the text."""
    s = value.strip()
    if s[:1] in ("{", "[") and s[-1:] in ("}", "]"):
        try:
            return _json(s, where)
        except ValueError:
            return value
    return value


def _row(i: int, raw: Any, where: str, extra_columns: tuple[str, ...] = ()) -> Row:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}row {i} is a {type(raw).__name__}; each row must be an object with columns "
                          f"{', '.join(COLUMNS)}")
    unknown = [k for k in raw if k not in COLUMNS and k not in ID_COLUMNS and k not in extra_columns]
    if unknown:
        hint = " (a pairwise judge among the scorers takes 'outputs_a' and 'outputs_b')" if any(
            u in ("outputs_a", "outputs_b") for u in unknown) else " (put anything else inside 'tags' or 'inputs')"
        raise ConfigError(
            f"{where}row {i} has unknown column(s) {', '.join(repr(u) for u in unknown)}; the columns are "
            f"{', '.join(COLUMNS + extra_columns)}{hint}"
        )
    tags = _clean(raw.get("tags")) or {}
    if not isinstance(tags, dict):
        raise ConfigError(f"{where}row {i}: 'tags' must be an object of key/value pairs, got {type(tags).__name__}")
    row = Row(
        index=i,
        inputs=_clean(raw.get("inputs")),
        outputs=_clean(raw.get("outputs")),
        expectations=_clean(raw.get("expectations")),
        trace=_clean(raw.get("trace")),
        tags=tags,
        session=_clean(raw.get("session")),
        id=_clean(raw.get("id", raw.get("request_id"))),
        extra={k: _clean(raw[k]) for k in extra_columns if _clean(raw.get(k)) is not None},
    )
    if row.inputs is None and row.outputs is None and row.trace is None and row.session is None and not row.extra:
        raise ConfigError(f"{where}row {i} has none of 'inputs', 'outputs', 'trace' or 'session'")
    return row


def _text(path: Path) -> str:
    """The file's text: UTF-8, a byte-order mark dropped; bytes that are not UTF-8 are named by line."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line} is not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as "
                          "UTF-8") from None


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply to read (keep JSON under about 1,000 levels)") from None


def _read_csv(path: Path, text: str) -> list[Any]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        header = [h.strip() for h in header]
        out = []
        for record in reader:
            if not record:
                continue  # a blank line
            if len(record) != len(header):
                raise ConfigError(
                    f"{path}: line {reader.line_num} has {len(record)} field(s) but the header has {len(header)} "
                    f"({', '.join(header)}); quote values that hold commas, and give every row each column")
            out.append({k: _cell(v, f"{path}: line {reader.line_num}") for k, v in zip(header, record, strict=True)})
        return out
    except csv.Error as e:
        raise ConfigError(f"{path}: line {reader.line_num} cannot be read as CSV ({e})") from None


def _read_file(path: Path) -> list[Any]:
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".json", ".csv"):
        raise ConfigError(f"{path}: unsupported data file type {suffix!r}; use .jsonl, .json or .csv")
    text = _text(path)
    if suffix == ".jsonl":
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(_json(line, f"{path}: line {n}"))
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}: line {n} is not valid JSON ({e.msg})") from None
        return out
    if suffix == ".json":
        try:
            data = _json(text, str(path))
        except ValueError as e:
            raise ConfigError(f"{path} is not valid JSON ({e})") from None
        if isinstance(data, dict) and isinstance(data.get("rows", data.get("data")), list):
            data = data.get("rows", data.get("data"))
        if not isinstance(data, list):
            raise ConfigError(f"{path} must hold a JSON array of rows")
        return data
    return _read_csv(path, text)


def load_rows(data: Any, extra_columns: tuple[str, ...] = ()) -> list[Row]:
    """Rows from a list of dicts, a DataFrame, a file path, or a directory of such files.

    ``extra_columns`` are columns beyond the standard ones that the scorers take by name."""
    if isinstance(data, (str, Path)):
        path = Path(data).expanduser()
        if not path.exists():
            raise ConfigError(f"data file {str(path)!r} does not exist")
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".jsonl", ".json", ".csv"))
            if not files:
                raise ConfigError(f"directory {str(path)!r} holds no .jsonl, .json or .csv file")
            raw: list[tuple[Any, str]] = [(r, f"{f.name}: ") for f in files for r in _read_file(f)]
        else:
            raw = [(r, f"{path.name}: ") for r in _read_file(path)]
    elif type(data).__name__ == "DataFrame" and hasattr(data, "to_dict"):
        raw = [(r, "") for r in data.to_dict(orient="records")]
    elif isinstance(data, (list, tuple)):
        raw = [(r, "") for r in data]
    else:
        raise ConfigError(
            f"data must be a list of dicts, a pandas DataFrame or a path to a .jsonl/.json/.csv file; "
            f"got {type(data).__name__}"
        )
    if not raw:
        raise ConfigError("the evaluation data has no rows")
    return [_row(i, r, where, extra_columns) for i, (r, where) in enumerate(raw)]
