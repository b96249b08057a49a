"""Evaluation data: a list of dicts, a pandas DataFrame, or a .jsonl/.json/.csv file, read into rows.

Files are read as a stream (:class:`RowSource`): a run holds the rows it is judging, not the file."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from jurist.errors import ConfigError

COLUMNS = ("inputs", "outputs", "expectations", "trace", "tags", "session")
#: Columns kept as they are but not passed to scorers.
ID_COLUMNS = ("id", "request_id")
_SUFFIXES = (".jsonl", ".json", ".csv")


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


def _not_utf8(path: Path) -> ConfigError:
    """The error for a file that is not UTF-8, naming the line (read again whole: an error path only)."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        return ConfigError(f"{path}: line {line} is not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as "
                           "UTF-8")
    return ConfigError(f"{path} changed while it was read; read it again")


def _text(path: Path) -> str:
    """The file's text: UTF-8, a byte-order mark dropped; bytes that are not UTF-8 are named by line."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_utf8(path) from None


@contextmanager
def _open_text(path: Path, newline: str | None) -> Iterator[io.TextIOWrapper]:
    with path.open("rb") as f, io.TextIOWrapper(f, encoding="utf-8-sig", newline=newline) as text:
        try:
            yield text
        except UnicodeDecodeError:
            raise _not_utf8(path) from None


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply to read (keep JSON under about 1,000 levels)") from None


def _read_csv(path: Path) -> Iterator[Any]:
    with _open_text(path, newline="") as text:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip() for h in header]
            for record in reader:
                if not record:
                    continue  # a blank line
                if len(record) != len(header):
                    raise ConfigError(
                        f"{path}: line {reader.line_num} has {len(record)} field(s) but the header has "
                        f"{len(header)} ({', '.join(header)}); quote values that hold commas, and give every row "
                        "each column")
                yield {k: _cell(v, f"{path}: line {reader.line_num}") for k, v in zip(header, record, strict=True)}
        except csv.Error as e:
            raise ConfigError(f"{path}: line {reader.line_num} cannot be read as CSV ({e})") from None


def _read_jsonl(path: Path) -> Iterator[Any]:
    with _open_text(path, newline=None) as text:
        for n, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                yield _json(line, f"{path}: line {n}")
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}: line {n} is not valid JSON ({e.msg})") from None


def _read_json(path: Path) -> list[Any]:
    """A .json file is one document: it is read whole (JSON Lines and CSV are read a line at a time)."""
    try:
        data = _json(_text(path), str(path))
    except ValueError as e:
        raise ConfigError(f"{path} is not valid JSON ({e})") from None
    if isinstance(data, dict) and isinstance(data.get("rows", data.get("data")), list):
        data = data.get("rows", data.get("data"))
    if not isinstance(data, list):
        raise ConfigError(f"{path} must hold a JSON array of rows")
    return data


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ConfigError(f"{path}: unsupported data file type {suffix!r}; use .jsonl, .json or .csv")
    return suffix


def _read_file(path: Path) -> Iterator[Any]:
    suffix = _check_suffix(path)
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".json":
        return iter(_read_json(path))
    return _read_csv(path)


class RowSource(Sequence[Row]):
    """The rows of a data set, read again each time it is iterated: a file a line at a time (JSON Lines,
    CSV), so that a run of any size holds only the rows it is judging.

    Made by :func:`open_rows`, which reads the data once through, checking every row, so that bad data is
    an error before anything is judged. ``len()`` is the number of rows. Indexing reads every row into
    memory (once), for code that needs them all.

    Example:
        >>> source = open_rows("qa.jsonl")          # doctest: +SKIP
        >>> len(source), next(iter(source)).inputs  # doctest: +SKIP
        (1000, {'question': 'Capital of France?'})
    """

    def __init__(self, records: Callable[[], Iterator[tuple[Any, str]]], extra_columns: tuple[str, ...] = ()) -> None:
        self._records = records
        self.extra_columns = extra_columns
        self._count: int | None = None
        self._all: list[Row] | None = None

    def __iter__(self) -> Iterator[Row]:
        extra = self.extra_columns
        for i, (raw, where) in enumerate(self._records()):
            yield _row(i, raw, where, extra)

    def check(self) -> RowSource:
        """Read every row once, raising the first error; keeps the count."""
        n = 0
        for _ in self:
            n += 1
        if not n:
            raise ConfigError("the evaluation data has no rows")
        self._count = n
        return self

    def __len__(self) -> int:
        if self._count is None:
            self.check()
        assert self._count is not None
        return self._count

    @overload
    def __getitem__(self, i: int) -> Row: ...

    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...

    def __getitem__(self, i: int | slice) -> Row | list[Row]:
        if self._all is None:
            self._all = list(self)
        return self._all[i]


def _files(path: Path) -> list[Path]:
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)
    if not files:
        raise ConfigError(f"directory {str(path)!r} holds no .jsonl, .json or .csv file")
    return files


def open_rows(data: Any, extra_columns: tuple[str, ...] = ()) -> RowSource:
    """The rows of a list of dicts, a DataFrame, a file path, or a directory of such files, checked.

    Every row is read once here (and let go), so that a bad row anywhere in the data is an error now,
    before any judgment is paid; the run then reads them again as it judges them. ``extra_columns`` are
    columns beyond the standard ones that the scorers take by name."""
    records: Callable[[], Iterator[tuple[Any, str]]]
    if isinstance(data, (str, Path)):
        path = Path(data).expanduser()
        if not path.exists():
            raise ConfigError(f"data file {str(path)!r} does not exist")
        files = _files(path) if path.is_dir() else [path]
        for f in files:
            _check_suffix(f)
        where = {f: f"{f.name}: " for f in files}

        def records() -> Iterator[tuple[Any, str]]:
            for f in files:
                for r in _read_file(f):
                    yield r, where[f]
    elif type(data).__name__ == "DataFrame" and hasattr(data, "to_dict"):
        frame = data.to_dict(orient="records")

        def records() -> Iterator[tuple[Any, str]]:
            return ((r, "") for r in frame)
    elif isinstance(data, (list, tuple)):
        listed = data

        def records() -> Iterator[tuple[Any, str]]:
            return ((r, "") for r in listed)
    else:
        raise ConfigError(
            f"data must be a list of dicts, a pandas DataFrame or a path to a .jsonl/.json/.csv file; "
            f"got {type(data).__name__}"
        )
    return RowSource(records, extra_columns).check()


def load_rows(data: Any, extra_columns: tuple[str, ...] = ()) -> list[Row]:
    """Rows from a list of dicts, a DataFrame, a file path, or a directory of such files, all in memory.

    ``extra_columns`` are columns beyond the standard ones that the scorers take by name."""
    return list(open_rows(data, extra_columns))
