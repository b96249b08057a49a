"""Resuming runs across real processes: a `jurist evaluate` killed with SIGKILL twice repays only the calls
that were in flight at each kill, and a second process resuming a run that is being judged is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import jurist
from tests.evaluation.test_evaluate import qa_rows
from tests.fakes.openai import FakeOpenAI
from tests.tracking._db import count

CONCURRENCY = 8


def stored(uri: str, db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return count(uri, "SELECT count(*) FROM assessments")
    except Exception:
        return 0  # the schema is still being made


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "jurist.cli", "evaluate", *args]


def kill_when_stored(proc: subprocess.Popen[Any], uri: str, db: Path, at_least: int) -> None:
    try:
        deadline = time.monotonic() + 120
        while stored(uri, db) < at_least:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "too little was stored within two minutes"
            time.sleep(0.02)
        # A kill falls at any moment, not just after a write was seen: let judging go on a little first.
        time.sleep(0.15)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("cache", ["--cache", "--no-cache"])
def test_two_kills_repay_only_the_calls_in_flight(fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  cache: str) -> None:
    db = tmp_path / "killed.db"
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("JURIST_TRACKING_URI", uri)
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in qa_rows(250)))
    total = 250 * 2
    fake_openai.latency = 0.01
    common = ["-s", "correctness", "-s", "safety", "-c", str(CONCURRENCY), cache]
    env = dict(os.environ)

    kill_when_stored(subprocess.Popen(cli(str(data), *common), env=env, stdout=subprocess.DEVNULL), uri, db,
                     total // 4)
    (run,) = jurist.search_runs("Default", status="RUNNING")
    first = count(uri, "SELECT count(*) FROM assessments")
    resumed = subprocess.Popen(cli(str(data), *common, "--resume", run.run_id), env=env, stdout=subprocess.DEVNULL)
    kill_when_stored(resumed, uri, db, first + total // 4)
    done = subprocess.run(cli(str(data), *common, "--resume", run.run_id), env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert count(uri, "SELECT count(*) FROM assessments") == total
    repaid = fake_openai.calls - total
    # Only what was in flight at each kill is paid twice (before, every answer of the last quarter second,
    # and up to 256 answers the cache had not written). With the cache on, an answer that came back is on
    # disk before it is used: at most the CONCURRENCY requests awaiting answers repeat. Without it, the
    # answers in the one transaction being written at the kill repeat too.
    # The bounds leave room for a slow machine (33 seen once without the cache on 2 busy cores) and still
    # fail the old writer, which repaid 30-127 with the cache and 144-159 without.
    bound = 3 * CONCURRENCY if cache == "--cache" else 8 * CONCURRENCY
    assert 0 <= repaid <= bound, repaid
    assert jurist.get_run(run.run_id).status.value == "FINISHED"


def _held(path: Path, pid: int) -> bool:
    """Whether process ``pid`` holds a flock on ``path``, read from /proc/locks (probing with a lock of
    our own could make that process's attempt fail)."""
    try:
        ino = os.stat(path).st_ino
        locks = Path("/proc/locks").read_text()
    except OSError:
        return False
    for line in locks.splitlines():
        f = line.split()
        if len(f) >= 6 and f[1] == "FLOCK" and f[4] == str(pid) and f[5].endswith(f":{ino}"):
            return True
    return False


def test_a_second_process_resuming_a_run_being_judged_is_refused(fake_openai: FakeOpenAI, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "shared.db"
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("JURIST_TRACKING_URI", uri)
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in qa_rows(120)))
    fake_openai.latency = 0.02
    common = ["-s", "correctness", "-c", "4", "--no-cache"]
    env = dict(os.environ)
    kill_when_stored(subprocess.Popen(cli(str(data), *common), env=env, stdout=subprocess.DEVNULL), uri, db, 10)
    (run,) = jurist.search_runs("Default", status="RUNNING")

    fake_openai.latency = 0.3  # the first resume is slow until the second has been refused
    one = subprocess.Popen(cli(str(data), *common, "--resume", run.run_id), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        # The killed process's lock file may still be there: wait until the first resume holds the lock.
        while not any(_held(p, one.pid) for p in tmp_path.glob("shared.db-run-*.lock")):
            assert one.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        two = subprocess.run(cli(str(data), *common, "--resume", run.run_id), env=env, capture_output=True,
                             text=True, timeout=120)
        assert two.returncode == 1
        assert f"run {run.run_id} is being judged right now by another process (pid {one.pid})" in two.stderr
        fake_openai.latency = 0.0
        out, err = one.communicate(timeout=120)
    finally:
        if one.poll() is None:
            one.kill()
            one.wait()
    assert one.returncode == 0, out + err
    assert count(uri, "SELECT count(*) FROM assessments") == 120
    # Only the calls in flight at the kill repeat (requests and the transaction being written): the refused
    # process paid for none, where before it judged all that was missing a second time.
    assert fake_openai.calls - 120 <= 2 * 4
    assert not list(tmp_path.glob("*.lock"))  # released with the run


def test_a_run_lock_is_exclusive_and_released_on_every_backend(store_uri: str) -> None:
    from jurist.errors import ConfigError
    from jurist.tracking import SqlStore
    from jurist.tracking._lock import lock_run

    one, two = SqlStore(store_uri), SqlStore(store_uri)
    try:
        run = one.create_run(one.get_or_create_experiment("e").experiment_id)
        held = lock_run(one, run.run_id)
        with pytest.raises(ConfigError, match=f"run {run.run_id} is being judged right now by another process"):
            lock_run(two, run.run_id)
        other = lock_run(two, "another-run")  # locks are per run
        held.release()
        again = lock_run(two, run.run_id)
        again.release()
        other.release()
    finally:
        one.close()
        two.close()


def test_evaluate_refuses_to_resume_a_run_this_process_is_judging(tracking: str, fake_openai: FakeOpenAI) -> None:
    import threading

    from jurist import evaluate
    from jurist.errors import ConfigError
    from jurist.judges import Correctness

    fake_openai.latency = 0.05
    rows = qa_rows(40)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(evaluate(rows, [Correctness()], concurrency=2)))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not jurist.search_runs("Default", status="RUNNING"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        (run,) = jurist.search_runs("Default", status="RUNNING")
        with pytest.raises(ConfigError, match="is being judged right now by another process"):
            evaluate(rows, [Correctness()], resume=run.run_id)
    finally:
        worker.join(60)
    assert results and results[0].run_id == run.run_id and fake_openai.calls == 40
