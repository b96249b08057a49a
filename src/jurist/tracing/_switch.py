"""``jurist.tracing.disable()`` / ``enable()`` / ``is_enabled()``: MLflow's switch for recording traces.

While disabled, ``@jurist.trace`` functions and ``start_span`` blocks run as before but record nothing:
no trace is buffered or stored, and ``get_last_active_trace_id`` does not change. ``jurist.reset()``
turns recording back on.
"""

from __future__ import annotations


def disable() -> None:
    """Stop recording traces in this process (the code that was traced still runs)."""
    from jurist.tracing import _otel

    _otel.set_recording(False)


def enable(experiment_id: str | None = None) -> None:
    """Record traces again (in the active experiment; ``experiment_id=`` is MLflow's and must name one
    that exists: it is made the active experiment)."""
    from jurist.tracing import _otel

    if experiment_id is not None:
        from jurist.tracking import set_experiment

        set_experiment(experiment_id=experiment_id)
    _otel.set_recording(True)


def is_enabled() -> bool:
    from jurist.tracing import _otel

    return _otel.recording()
