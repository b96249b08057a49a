"""The rows of an evaluation's result, kept in memory for a small run and in a temporary file past
:data:`SPILL_AFTER` rows, so that a run of a million rows does not hold a million rows' feedback.

:class:`ResultRows` is a sequence: ``len()``, indexing and iteration work as on a list; a spilled row is
read back (unpickled) when it is asked for, so each access makes a new object. Rows that cannot be
pickled (a user's object among the inputs) keep the result in memory, as before.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, overload

from jurist.evaluation._result import RowResult

#: Rows kept in memory before the result moves them to a temporary file.
SPILL_AFTER = 1000
#: Rows read from the file at once when iterating.
_READ_AHEAD = 256


class ResultRows(Sequence[RowResult]):
    """The rows of a result, in row order: in memory up to ``spill_after`` rows, then on disk.

    Example:
        >>> rows = ResultRows(spill_after=2)
        >>> for i in range(5):
        ...     rows.append(RowResult(index=i, outputs=str(i)))
        >>> len(rows), rows.spilled, rows[3].outputs, [r.index for r in rows]
        (5, True, '3', [0, 1, 2, 3, 4])
    """

    def __init__(self, rows: Iterable[RowResult] = (), *, spill_after: int = SPILL_AFTER) -> None:
        self._spill_after = spill_after
        self._memory: list[RowResult] = []
        self._file: IO[bytes] | None = None
        self._offsets = array("q")  # where each row starts in the file; the last entry is where it ends
        self._unpicklable = False
        for r in rows:
            self.append(r)

    @property
    def spilled(self) -> bool:
        """Whether the rows are in the temporary file."""
        return self._file is not None

    def append(self, row: RowResult) -> None:
        if self._file is None:
            self._memory.append(row)
            if len(self._memory) > self._spill_after and not self._unpicklable:
                self._spill()
            return
        try:
            blob = pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a value that cannot be pickled: the rows go back to memory
            self._unspill()
            self._memory.append(row)
            return
        self._write(blob)

    def _spill(self) -> None:
        try:
            blobs = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in self._memory]
        except Exception:
            self._unpicklable = True
            return
        self._file = tempfile.TemporaryFile(prefix="jurist-result-rows-")  # noqa: SIM115  # lives with the result
        self._offsets.append(0)
        for blob in blobs:
            self._write(blob)
        self._memory = []

    def _unspill(self) -> None:
        self._memory = list(self)
        assert self._file is not None
        self._file.close()
        self._file = None
        self._offsets = array("q")
        self._unpicklable = True

    def _write(self, blob: bytes) -> None:
        assert self._file is not None
        self._file.write(blob)
        self._offsets.append(self._offsets[-1] + len(blob))

    def _read(self, start: int, stop: int) -> list[RowResult]:
        """Rows ``start`` to ``stop`` (positions) from the file, in one read."""
        assert self._file is not None
        self._file.flush()
        lo, hi = self._offsets[start], self._offsets[stop]
        data = os.pread(self._file.fileno(), hi - lo, lo)
        return [pickle.loads(data[self._offsets[i] - lo:self._offsets[i + 1] - lo]) for i in range(start, stop)]

    def __len__(self) -> int:
        return len(self._memory) if self._file is None else len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> RowResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[RowResult]: ...

    def __getitem__(self, i: int | slice) -> RowResult | list[RowResult]:
        if self._file is None:
            return self._memory[i]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        k = i + n if i < 0 else i
        if not 0 <= k < n:
            raise IndexError("result row index out of range")
        return self._read(k, k + 1)[0]

    def __iter__(self) -> Iterator[RowResult]:
        if self._file is None:
            yield from list(self._memory)
            return
        n = len(self)
        for start in range(0, n, _READ_AHEAD):
            yield from self._read(start, min(start + _READ_AHEAD, n))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list is

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))  # a pickled result carries its rows, not the path of a temporary file

    def __repr__(self) -> str:
        where = "on disk" if self._file is not None else "in memory"
        return f"ResultRows({len(self)} rows {where})"
