"""What travels to another process: judges, ``@scorer`` functions, ``predict_fn`` and rows, pickled with
the standard library's pickler under rules that make a worker load exactly what the driver had.

Functions and classes travel as importable references (``module.qualname``), never as code: a worker
imports them, so it needs the same code installed. Judges travel as their fields. What cannot be loaded
that way is refused on the driver, before any row is judged, with an error naming it and why: a lambda,
a function or class defined inside another function, one defined in ``__main__`` (the script being run,
which a worker cannot import), or an object holding a lock, a socket or an open file.
"""

from __future__ import annotations

import importlib
import io
import pickle
import types
from typing import Any

from jurist.errors import ConfigError
from jurist.scorers._scorer import FunctionScorer

_FIX = ("define it with `def` at the top level of an importable module (not the script being run) and "
        "install that module on every worker")


class ShipError(pickle.PicklingError):
    """Why one object cannot travel to a worker."""


def _load_reference(module: str, qualname: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _reference_problem(obj: Any, what: str) -> str | None:
    """Why ``obj`` (a function or class) cannot be imported by name on a worker, else None."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not module or not qualname:
        return f"{what} has no importable name"
    if "<lambda>" in qualname:
        return f"{what} is a lambda, which has no importable name: {_FIX}"
    if "<locals>" in qualname:
        return f"{what} {qualname!r} is defined inside a function, so a worker cannot import it: {_FIX}"
    if module == "__main__":
        return (f"{what} {qualname!r} is defined in __main__ (the script being run), which a worker cannot "
                f"import: {_FIX}")
    return None


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, FunctionScorer):
            # A @scorer replaces its function in its module: the module's attribute is the scorer itself.
            what = f"@scorer {obj.name!r}"
            problem = _reference_problem(obj.func, what)
            if problem:
                raise ShipError(problem)
            module, qualname = obj.func.__module__, obj.func.__qualname__
            try:
                found = _load_reference(module, qualname)
            except (ImportError, AttributeError):
                found = None
            if found is not obj:
                raise ShipError(f"{what} is not {module}.{qualname} (the name its module gives it): {_FIX}")
            return _load_reference, (module, qualname)
        if isinstance(obj, (types.FunctionType, type)):
            kind = "class" if isinstance(obj, type) else "function"
            problem = _reference_problem(obj, f"the {kind}")
            if problem:
                raise ShipError(problem)
        return NotImplemented


def dumps(obj: Any, what: str) -> bytes:
    """``obj`` pickled for a worker, or a ConfigError naming ``what`` and why it cannot travel."""
    buf = io.BytesIO()
    try:
        _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except ShipError as e:
        raise ConfigError(f"{what} cannot be sent to the cluster's workers: {e}") from None
    except (pickle.PicklingError, TypeError, AttributeError) as e:
        raise ConfigError(
            f"{what} cannot be sent to the cluster's workers: {e}. Objects travel pickled; keep locks, "
            "sockets, open files and clients out of judges, scorers, predict_fn and rows (make them inside "
            "the function, on the worker)") from None
    return buf.getvalue()


def loads(blob: bytes) -> Any:
    return pickle.loads(blob)
