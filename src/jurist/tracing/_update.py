"""``update_current_trace``: tags and metadata on the trace being recorded, as MLflow's.

jurist keeps one key/value map per trace; MLflow's ``tags`` and ``metadata`` both go to it (MLflow's
``trace.info.trace_metadata`` and ``trace.info.tags`` read it back). The session of a conversation is
the key ``mlflow.trace.session`` (MLflow's) or ``jurist.session``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jurist.errors import ConfigError

#: The trace keys that name a conversation session: MLflow's, and jurist's own.
SESSION_KEYS = ("mlflow.trace.session", "jurist.session")
USER_KEYS = ("mlflow.trace.user", "jurist.user")


def update_current_trace(tags: Mapping[str, Any] | None = None, metadata: Mapping[str, Any] | None = None,
                         client_request_id: str | None = None, request_preview: str | None = None,
                         response_preview: str | None = None, state: str | None = None) -> None:
    """Add ``tags`` and ``metadata`` (string values) to the trace of the active span.

    Example:
        >>> @jurist.trace                                                       # doctest: +SKIP
        ... def chat(question, session_id):
        ...     jurist.update_current_trace(metadata={"mlflow.trace.session": session_id})
        ...     return "..."
    """
    from jurist.tracing._span import _store, get_current_active_span

    span = get_current_active_span()
    if span is None:
        raise ConfigError("update_current_trace needs an active trace: call it inside a @jurist.trace function "
                          "or a jurist.start_span block")
    values: dict[str, str] = {}
    for what, given in (("tags", tags), ("metadata", metadata)):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise ConfigError(f"update_current_trace {what}= must be a dict of strings")
        values.update({str(k): v if isinstance(v, str) else str(v) for k, v in given.items()})
    if client_request_id is not None:
        values["client_request_id"] = str(client_request_id)
    if state is not None:
        span.set_status(state)
    _store().set_tags(span.trace_id, values)
