"""What ``search_traces`` returns when called in jurist's own shape: a list of traces that also answers
as MLflow's DataFrame does.

It is a plain ``list`` (index it, loop over it, ``len`` it, pass it to ``evaluate``), and a column name
or any DataFrame attribute reads the DataFrame MLflow's ``search_traces`` returns (``traces["trace"]``,
``traces.iterrows()``, ``traces.empty``, ``traces.head()``), so code written for either shape runs.
``to_pandas()`` gives the DataFrame itself.
"""

from __future__ import annotations

from typing import Any, SupportsIndex, overload

from jurist.tracking._entities import StoredTrace


class TraceList(list[StoredTrace]):
    def to_pandas(self) -> Any:
        """The DataFrame MLflow's ``search_traces`` returns, one row per trace."""
        from jurist.tracking._frames import traces_frame

        return traces_frame(list(self))

    @overload
    def __getitem__(self, key: SupportsIndex) -> StoredTrace: ...
    @overload
    def __getitem__(self, key: slice) -> list[StoredTrace]: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    @overload
    def __getitem__(self, key: list[str]) -> Any: ...

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (str, list)):  # a column, or a list of columns
            return self.to_pandas()[key]
        return super().__getitem__(key)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            frame = self.to_pandas()
        except ImportError:  # no pandas: a plain list, as before
            raise AttributeError(f"'TraceList' has no attribute {name!r} (DataFrame attributes need pandas)") from None
        try:
            return getattr(frame, name)
        except AttributeError:
            raise AttributeError(f"'TraceList' (a list of traces, and MLflow's DataFrame of them) has no "
                                 f"attribute {name!r}") from None
