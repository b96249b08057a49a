"""Four processes writing 1,000 rows each to one store at once lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from jurist.tracking import RunStatus, SqlStore
from tests.tracking._db import count

WORKERS = 4
ROWS = 1000
HUMAN = 250

WORKER = """
import asyncio, sys, time
from pathlib import Path
import jurist
import jurist.tracking
from jurist import evaluate, scorer

go, tag = Path(sys.argv[1]), sys.argv[2]

@scorer
async def parity(inputs):
    await asyncio.sleep(0.001)
    return inputs["i"] % 2 == 0

rows = [{"inputs": {"i": i, "worker": tag}, "outputs": f"{tag}-{i}"} for i in range(ROWS)]
jurist.tracking.get_store()  # opened (and on a new store, built) before the start
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
result = evaluate(rows, [parity], concurrency=16, experiment="load", progress=False)
for row in result.rows[:HUMAN]:  # and one transaction each, while the others write their runs
    jurist.log_feedback(row.trace_id, "human", True, rationale=tag)
print(result.run_id, flush=True)
""".replace("ROWS", str(ROWS)).replace("HUMAN", str(HUMAN))


def test_four_processes_writing_at_once_lose_nothing(store_uri: str, tmp_path: Path) -> None:
    SqlStore(store_uri).close()
    go = tmp_path / "go"
    env = {**os.environ, "JURIST_TRACKING_URI": store_uri, "JURIST_TRACKING_FLUSH_S": "0.02"}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(go), f"w{n}"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in range(WORKERS)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr and p.stderr.read()
        started = time.monotonic()
        go.touch()
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    elapsed = time.monotonic() - started
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "RuntimeWarning" not in err, err
    run_ids = [out.split()[-1] for out, _ in outs]

    store = SqlStore(store_uri)
    try:
        for run_id in run_ids:
            run = store.get_run(run_id)
            assert run.status is RunStatus.FINISHED and run.row_count == ROWS
            assert run.metrics["parity/count"] == ROWS and run.metrics["parity/pass_rate"] == 0.5
            rows = store.load_rows(run_id)
            assert [r.row_index for r in rows] == list(range(ROWS))
            assert all(len(r.feedbacks["parity"]) == 1 for r in rows)
        human = store.search_traces(None, "feedback.human.source_type = 'HUMAN'", max_results=10_000)
        assert len(human) == WORKERS * HUMAN
    finally:
        store.close()
    uri = store.db_uri
    assert count(uri, "SELECT count(*) FROM traces") == WORKERS * ROWS
    assert count(uri, "SELECT count(*) FROM run_rows") == WORKERS * ROWS
    assert count(uri, "SELECT count(*) FROM assessments") == WORKERS * (ROWS + HUMAN)
    assert count(uri, "SELECT count(*) FROM (SELECT DISTINCT run_id, row_index FROM assessments "
                      "WHERE run_id IS NOT NULL) d") == WORKERS * ROWS
    assert elapsed < 60, f"{WORKERS} x {ROWS} rows took {elapsed:.1f} s"
