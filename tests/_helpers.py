"""Small helpers the tests share."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def some(value: T | None) -> T:
    """``value``, which the test expects to be there: fails the test when it is None.

    Reads as the assertion it is where a lookup may find nothing: ``some(get_trace(tid)).root_span``.
    """
    assert value is not None, "expected a value, got None"
    return value
