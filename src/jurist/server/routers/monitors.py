"""``/api/monitors``: judges that watch an experiment's new traces, in this process's memory only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jurist.errors import NotFoundError
from jurist.server._schemas import MonitorIn, MonitorOut
from jurist.tracking._monitor import Monitor
from jurist.tracking._store import Store


def router(s: Store, monitors: dict[str, Monitor]) -> APIRouter:
    """Routes over ``monitors``, the running monitors by id (the app stops them at shutdown)."""
    r = APIRouter(tags=["monitors"])

    @r.post("/monitors", response_model=MonitorOut, status_code=201,
            summary="Start judging an experiment's new traces with a registered judge (in memory, not stored)")
    def start_monitor(body: MonitorIn) -> Any:
        monitor = Monitor(s, body.judge, body.experiment, version=body.version, sample_rate=body.sample_rate,
                          filter_string=body.filter_string, concurrency=body.concurrency,
                          poll_interval=body.poll_interval, backfill=body.backfill)
        monitors[monitor.monitor_id] = monitor
        return monitor.to_dict()

    @r.get("/monitors", response_model=list[MonitorOut], summary="Running monitors and their counts")
    def list_monitors() -> Any:
        return [m.to_dict() for m in monitors.values()]

    @r.delete("/monitors/{monitor_id}", response_model=MonitorOut,
              summary="Stop a monitor, waiting for its judgments in flight")
    def stop_monitor(monitor_id: str) -> Any:
        monitor = monitors.pop(monitor_id, None)
        if monitor is None:
            raise NotFoundError(f"no running monitor with id {monitor_id!r}")
        monitor.stop()
        return monitor.to_dict()

    return r
