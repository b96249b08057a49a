"""The rows of an evaluation's result, kept in memory for a small run and in a temporary file past
:data:`SPILL_AFTER` rows, so that a run of a million rows does not hold a million rows' feedback.

:class:`ResultRows` is a sequence: ``len()``, indexing and iteration work as on a list; a spilled row is
read back (unpickled, with the chunk of rows it was written with) when it is asked for, so each access
makes a new object. Rows that cannot be
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
#: Rows pickled together (one pickle shares the classes and sources its rows repeat); the last, unfilled
#: chunk stays in memory.
CHUNK_ROWS = 256


class ResultRows(Sequence[RowResult]):
    """The rows of a result, in row order: in memory up to ``spill_after`` rows, then on disk.

    Example:
        >>> rows = ResultRows(spill_after=2, chunk_rows=2)
        >>> for i in range(5):
        ...     rows.append(RowResult(index=i, outputs=str(i)))
        >>> len(rows), rows.spilled, rows[3].outputs, [r.index for r in rows]
        (5, True, '3', [0, 1, 2, 3, 4])
    """

    def __init__(self, rows: Iterable[RowResult] = (), *, spill_after: int = SPILL_AFTER,
                 chunk_rows: int = CHUNK_ROWS) -> None:
        self._spill_after = spill_after
        self._chunk_rows = chunk_rows
        #: All the rows while in memory; once spilled, those after the last full chunk.
        self._memory: list[RowResult] = []
        self._file: IO[bytes] | None = None
        self._offsets = array("q")  # where each chunk starts in the file; the last entry is where it ends
        self._unpicklable = False
        self._last: tuple[int, list[RowResult]] = (-1, [])  # the chunk read last: indexing in order is cheap
        for r in rows:
            self.append(r)

    @property
    def spilled(self) -> bool:
        """Whether the rows are in the temporary file."""
        return self._file is not None

    def append(self, row: RowResult) -> None:
        self._memory.append(row)
        if self._file is None:
            if len(self._memory) > self._spill_after and not self._unpicklable:
                self._spill()
        elif len(self._memory) >= self._chunk_rows:
            self._flush()

    def _spill(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="jurist-result-rows-")  # noqa: SIM115  # lives with the result
        self._offsets.append(0)
        self._flush()

    def _flush(self) -> None:
        """Every full chunk of the rows in memory to the file."""
        assert self._file is not None
        n = self._chunk_rows
        full = len(self._memory) // n * n
        try:
            blobs = [pickle.dumps(self._memory[k:k + n], protocol=pickle.HIGHEST_PROTOCOL) for k in range(0, full, n)]
        except Exception:  # a value that cannot be pickled (a user's object): the rows go back to memory
            self._unspill()
            return
        for blob in blobs:
            self._file.write(blob)
            self._offsets.append(self._offsets[-1] + len(blob))
        del self._memory[:full]

    def _unspill(self) -> None:
        assert self._file is not None
        on_disk = [r for c in range(len(self._offsets) - 1) for r in self._chunk(c)]
        self._memory = on_disk + self._memory
        self._file.close()
        self._file = None
        self._offsets = array("q")
        self._last = (-1, [])
        self._unpicklable = True

    def _chunk(self, c: int) -> list[RowResult]:
        assert self._file is not None
        self._file.flush()
        lo, hi = self._offsets[c], self._offsets[c + 1]
        rows: list[RowResult] = pickle.loads(os.pread(self._file.fileno(), hi - lo, lo))
        return rows

    def _cached_chunk(self, c: int) -> list[RowResult]:
        if self._last[0] != c:
            self._last = (c, self._chunk(c))
        return self._last[1]

    def _on_disk(self) -> int:
        return (len(self._offsets) - 1) * self._chunk_rows if self._file is not None else 0

    def __len__(self) -> int:
        return self._on_disk() + len(self._memory)

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
        disk = self._on_disk()
        if k >= disk:
            return self._memory[k - disk]
        return self._cached_chunk(k // self._chunk_rows)[k % self._chunk_rows]

    def __iter__(self) -> Iterator[RowResult]:
        if self._file is not None:
            for c in range(len(self._offsets) - 1):
                yield from self._chunk(c)
        yield from list(self._memory)

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
