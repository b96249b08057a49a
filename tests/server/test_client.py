"""After ``set_tracking_uri("http://…")``, evaluate, log_feedback and search_traces go to the server."""

from __future__ import annotations

from pathlib import Path

import pytest

import jurist
from jurist import evaluate
from jurist.errors import ConfigError
from jurist.judges import Correctness, Safety
from jurist.server._serve import ServerThread
from jurist.tracking import NotFoundError, RestStore, RunStatus, SqlStore, get_store, set_tracking_uri
from jurist.tracking._store import set_active_experiment
from tests._helpers import some
from tests.evaluation.test_evaluate import qa_rows
from tests.fakes.openai import FakeOpenAI
from tests.server.conftest import TOKEN


def test_evaluate_human_feedback_and_search_through_the_server(remote: str, backend: SqlStore, fake_openai: FakeOpenAI) -> None:
    assert isinstance(get_store(), RestStore)
    jurist.set_experiment("served")
    result = evaluate(qa_rows(4), [Correctness(), Safety()])
    # Stored in the server's database, not in a local file.
    run = backend.get_run(some(result.run_id))
    assert run.status is RunStatus.FINISHED and run.metrics == result.metrics and run.judge_calls == 8
    assert len(backend.load_rows(run.run_id)) == 4

    first = some(result.rows[0].trace_id)
    jurist.log_feedback(first, "correctness", "no", "The expected answer was different.")
    jurist.log_expectation(first, "expected_response", "answer zero")
    labelled = jurist.search_traces("served", filter_string="feedback.correctness.source_type = 'HUMAN'")
    assert [t.trace_id for t in labelled] == [first]
    t = labelled[0]
    assert sorted(a.source.source_type.value for a in t.search_assessments("correctness")) == ["HUMAN", "LLM_JUDGE"]
    assert t.expectations[0].value == "answer zero" and t.inputs == {"question": "q0"}
    assert len(jurist.search_traces(filter_string=f"run_id = '{run.run_id}'")) == 4
    assert jurist.get_run(run.run_id).row_count == 4

    calls = fake_openai.calls
    again = evaluate(qa_rows(4), [Correctness(), Safety()], resume=run.run_id, cache=False)
    assert fake_openai.calls == calls and again.metrics == result.metrics
    with pytest.raises(NotFoundError, match="no run with id 'nope'"):
        evaluate(qa_rows(4), [Correctness(), Safety()], resume="nope")


def test_judge_versions_through_the_server(remote: str) -> None:
    tone = jurist.make_judge(name="tone", instructions="Is {{ outputs }} polite?", feedback_value_type=bool)
    assert jurist.register_judge(tone).version == 1
    assert jurist.register_judge(tone).version == 2
    assert jurist.get_judge("tone", 1).feedback_value_type is bool
    assert [v.version for v in jurist.list_judge_versions("tone")] == [1, 2]


def test_the_client_sends_the_token(store_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with ServerThread(store_path, token=TOKEN) as server:
        set_tracking_uri(server.url)
        try:
            with pytest.raises(ConfigError, match="wants a token: set JURIST_TRACKING_TOKEN"):
                jurist.set_experiment("secure")
            monkeypatch.setenv("JURIST_TRACKING_TOKEN", TOKEN)
            jurist.reset()  # settings are read once; a reset forgets the tracking URI set in code too
            set_tracking_uri(server.url)
            assert jurist.set_experiment("secure").name == "secure"
        finally:
            set_tracking_uri(None)
            set_active_experiment(None)


def test_an_unreachable_server_is_a_store_error_naming_it() -> None:
    from jurist.errors import StoreError

    store = RestStore("http://127.0.0.1:9", retries=1)
    with pytest.raises(StoreError, match=r"cannot reach the jurist server at http://127\.0\.0\.1:9"):
        store.get_run("x")


def test_the_jurist_server_command_serves_the_store(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from tests.server.conftest import Http

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path / "cli.db"
    env = {k: v for k, v in os.environ.items() if k != "JURIST_SERVER_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "jurist.cli", "server", "--port", str(port), "--backend-store-uri",
                             f"sqlite:///{db}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        client = Http(port)
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.request("GET", "/health").status == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        assert client.request("PUT", "/api/experiments/by-name/cli").status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
    assert f"jurist server on http://127.0.0.1:{port} · store sqlite:///{db}" in out
    assert SqlStore(f"sqlite:///{db}").get_experiment_by_name("cli") is not None
