"""``@jurist.trace``: a span around each call of a function, sync or async, plain or generator."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, TypeVar, overload

from jurist.tracing._span import _CURRENT, LiveSpan, _begin

F = TypeVar("F", bound=Callable[..., Any])

#: Items of a generator's output kept for its span (the output is cut further when stored).
_MAX_YIELDED = 1_000


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _inputs(sig: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (defaults filled in, ``self``/``cls`` left out)."""
    if sig is None:
        return {"args": list(args), **kwargs}
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:  # the call itself will raise; record what was passed
        return {"args": list(args), **kwargs}
    bound.apply_defaults()
    out: dict[str, Any] = {}
    for i, (name, value) in enumerate(bound.arguments.items()):
        if i == 0 and name in ("self", "cls"):
            continue
        if sig.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[name] = value
    return out


@overload
def trace(func: F, *, name: str | None = None, span_type: str = "UNKNOWN",
          attributes: Mapping[str, Any] | None = None,
          output_reducer: Callable[[list[Any]], Any] | None = None) -> F: ...


@overload
def trace(func: None = None, *, name: str | None = None, span_type: str = "UNKNOWN",
          attributes: Mapping[str, Any] | None = None,
          output_reducer: Callable[[list[Any]], Any] | None = None) -> Callable[[F], F]: ...


def trace(func: Callable[..., Any] | None = None, *, name: str | None = None, span_type: str = "UNKNOWN",
          attributes: Mapping[str, Any] | None = None,
          output_reducer: Callable[[list[Any]], Any] | None = None) -> Any:
    """Record a span for every call of the decorated function: its arguments as inputs, its return
    value as outputs, an exception as status ERROR with an ``exception`` event (and raised on).

    Works on sync and async functions, and on generators (sync or async), whose span stays open while
    they are iterated and whose output is the list of items yielded (or ``output_reducer(items)``).
    Spans started inside the function are its children.

    Example:
        >>> import jurist
        >>> @jurist.trace(span_type="RETRIEVER")
        ... def search(query: str) -> list[str]:
        ...     return ["doc 1", "doc 2"]
        >>> @jurist.trace
        ... def answer(question: str) -> str:
        ...     return f"{len(search(question))} documents"
        >>> answer("refunds?")
        '2 documents'
        >>> t = jurist.get_last_active_trace()
        >>> [(s.name, s.span_type) for s in t.spans]
        [('answer', 'UNKNOWN'), ('search', 'RETRIEVER')]
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        span_name = name or getattr(fn, "__name__", None) or "span"
        sig = _signature(fn)

        def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> LiveSpan:
            span = _begin(span_name, span_type, attributes)
            span.set_inputs(_inputs(sig, args, kwargs))
            return span

        def finish_items(span: LiveSpan, items: list[Any], more: int) -> None:
            if output_reducer is not None:
                span.set_outputs(output_reducer(items))
            else:
                span.set_outputs(items + ([f"…[{more} more items]"] if more else []))
            span._end()

        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                span = begin(args, kwargs)
                token = _CURRENT.set(span)
                try:
                    agen = fn(*args, **kwargs)
                finally:
                    _CURRENT.reset(token)
                items: list[Any] = []
                more = 0
                try:
                    while True:
                        token = _CURRENT.set(span)
                        try:
                            item = await agen.__anext__()
                        except StopAsyncIteration:
                            break
                        finally:
                            _CURRENT.reset(token)
                        if len(items) < _MAX_YIELDED:
                            items.append(item)
                        else:
                            more += 1
                        yield item
                except GeneratorExit:  # the consumer stopped early: not an error
                    await agen.aclose()
                    finish_items(span, items, more)
                    raise
                except BaseException as e:
                    span._end(e)
                    raise
                finish_items(span, items, more)

            return agen_wrapper

        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
                span = begin(args, kwargs)
                gen = fn(*args, **kwargs)
                items: list[Any] = []
                more = 0
                try:
                    while True:
                        token = _CURRENT.set(span)
                        try:
                            item = next(gen)
                        except StopIteration:
                            break
                        finally:
                            _CURRENT.reset(token)
                        if len(items) < _MAX_YIELDED:
                            items.append(item)
                        else:
                            more += 1
                        yield item
                except GeneratorExit:
                    gen.close()
                    finish_items(span, items, more)
                    raise
                except BaseException as e:
                    span._end(e)
                    raise
                finish_items(span, items, more)

            return gen_wrapper

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                span = begin(args, kwargs)
                token = _CURRENT.set(span)
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as e:
                    span._end(e)
                    raise
                finally:
                    _CURRENT.reset(token)
                span.set_outputs(result)
                span._end()
                return result

            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            span = begin(args, kwargs)
            token = _CURRENT.set(span)
            try:
                result = fn(*args, **kwargs)
            except BaseException as e:
                span._end(e)
                raise
            finally:
                _CURRENT.reset(token)
            span.set_outputs(result)
            span._end()
            return result

        return wrapper

    if func is not None:
        if not callable(func):
            raise TypeError(f"@trace decorates a function, got {type(func).__name__}; pass options by keyword")
        return decorate(func)
    return decorate
