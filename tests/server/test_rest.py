"""The REST API as HTTP: statuses, error bodies, the OpenAPI spec, and bearer-token auth.

The same calls made through the Python client run in the store suite (tests/tracking/test_store.py, the
``rest`` store).
"""

from __future__ import annotations

import pytest

from jurist.server._serve import ServerThread
from jurist.tracking import SqlStore
from tests.server.conftest import TOKEN, Http


def test_the_openapi_spec_describes_every_route(client: Http) -> None:
    spec = client.request("GET", "/openapi.json").json
    assert spec["info"]["title"] == "jurist tracking server"
    paths = spec["paths"]
    for path in ("/api/experiments", "/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/judgments",
                 "/api/runs/{run_id}/rows", "/api/traces", "/api/traces/search", "/api/traces/{trace_id}",
                 "/api/traces/{trace_id}/assessments", "/api/judges", "/api/judges/{name}/versions/{version}",
                 "/v1/traces"):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    assert {"AssessmentModel", "StoredTraceOut", "RunOut", "SearchTracesIn", "JudgmentsIn"} <= set(schemas)
    assert client.request("GET", "/docs").status == 200


def test_experiments_runs_and_errors(client: Http, backend: SqlStore) -> None:
    r = client.request("POST", "/api/experiments", {"name": "qa", "tags": {"team": "search"}})
    assert r.status == 201 and r.json["name"] == "qa"
    exp_id = r.json["experiment_id"]
    dup = client.request("POST", "/api/experiments", {"name": "qa"})
    assert dup.status == 409 and dup.json["error_code"] == "ALREADY_EXISTS" and "already exists" in dup.json["message"]
    assert client.request("PUT", "/api/experiments/by-name/qa").json["experiment_id"] == exp_id
    assert client.request("GET", "/api/experiments/by-name/nope").status == 404
    run = client.request("POST", "/api/runs", {"experiment_id": exp_id, "params": {"rows": 2}})
    assert run.status == 201 and run.json["status"] == "RUNNING"
    missing = client.request("GET", "/api/runs/no-such-run")
    assert missing.status == 404 and missing.json == {
        "error_code": "NOT_FOUND", "message": f"no run with id 'no-such-run' in the store at {backend.uri}; "
                                              "search_runs() lists the runs it holds"}
    ended = client.request("PATCH", f"/api/runs/{run.json['run_id']}", {"status": "FINISHED", "end_time_ms": 5,
                                                                        "metrics": {"x/mean": 1.5}})
    assert ended.status == 200 and ended.json["metrics"] == {"x/mean": 1.5}
    assert len(client.request("GET", "/api/runs").json) == 1
    listed = client.request("GET", f"/api/runs?experiment_id={exp_id}&status=finished")
    assert [r["run_id"] for r in listed.json] == [run.json["run_id"]]
    assert client.request("GET", "/api/runs?status=BOGUS").status == 400
    bad = client.request("PATCH", f"/api/runs/{run.json['run_id']}", {"status": "DONE"})
    assert bad.status == 422


def test_traces_feedback_and_search_over_http(client: Http) -> None:
    trace = {"trace_id": "t1", "tags": {"env": "prod"}, "spans": [
        {"name": "app", "span_id": "root", "span_type": "CHAIN", "inputs": {"q": "x"}, "outputs": "y"}]}
    assert client.request("POST", "/api/traces", {"traces": [trace]}).json == {"trace_ids": ["t1"]}
    fb = client.request("POST", "/api/traces/t1/assessments", {
        "name": "correctness", "value": "no", "rationale": "wrong", "source": {"source_type": "HUMAN",
                                                                              "source_id": "ann"}})
    assert fb.status == 201 and fb.json["trace_id"] == "t1" and fb.json["kind"] == "feedback"
    assert client.request("POST", "/api/traces/nope/assessments", {"name": "x", "value": 1}).status == 404
    found = client.request("POST", "/api/traces/search", {"filter_string": "feedback.correctness = 'no'"})
    (t,) = found.json["traces"]
    assert t["trace_id"] == "t1" and t["assessments"][0]["source"] == {"source_type": "HUMAN", "source_id": "ann"}
    bad = client.request("POST", "/api/traces/search", {"filter_string": "trace.colour = 'red'"})
    assert bad.status == 400 and "unknown filter field 'trace.colour'" in bad.json["message"]
    for filter_string in ("trace.timestamp_ms > 12345678901234567890123456", "trace.timestamp_ms > 'abc'",
                          " AND ".join(["tags.k = 'v'"] * 3000)):
        bad = client.request("POST", "/api/traces/search", {"filter_string": filter_string})
        assert bad.status == 400 and "filter_string" in bad.json["message"], bad.body
    assert client.request("GET", "/api/traces/nope").status == 404


def test_judges_are_stored_without_secrets(client: Http) -> None:
    definition = {"kind": "InstructionsJudge", "name": "tone", "instructions": "Is {{ outputs }} polite?",
                  "model": "openai:/gpt-4o-mini", "feedback_value_type": "bool",
                  "inference_params": {"temperature": 0, "api_key": "sk-secret"},
                  "extra_headers": {"Authorization": "Bearer sk-secret"}}
    v1 = client.request("POST", "/api/judges", {"definition": definition})
    assert v1.status == 201 and v1.json["version"] == 1
    assert b"sk-secret" not in client.request("GET", "/api/judges/tone/versions/1").body
    client.request("POST", "/api/judges", {"definition": {**definition, "instructions": "Is {{ outputs }} kind?"}})
    assert client.request("GET", "/api/judges/tone").json["version"] == 2
    assert [v["version"] for v in client.request("GET", "/api/judges/tone/versions").json] == [1, 2]
    assert client.request("GET", "/api/judges/tone/versions/3").status == 404


def test_with_a_token_everything_but_health_and_docs_needs_it(secured: ServerThread) -> None:
    client = Http(secured.port)
    assert client.request("GET", "/health").status == 200
    assert client.request("GET", "/openapi.json").status == 200
    r = client.request("GET", "/api/experiments")
    assert r.status == 401 and r.headers["www-authenticate"] == "Bearer" and r.json["error_code"] == "UNAUTHORIZED"
    assert client.request("GET", "/api/experiments", headers={"Authorization": "Bearer nope"}).status == 401
    assert client.request("GET", "/api/experiments", headers={"Authorization": TOKEN}).status == 401
    assert client.request("GET", "/api/experiments", headers={"Authorization": f"Bearer {TOKEN}"}).status == 200


def test_the_token_comes_from_the_environment(store_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JURIST_SERVER_TOKEN", "from-env")
    with ServerThread(store_path) as server:
        client = Http(server.port)
        assert client.request("GET", "/api/experiments").status == 401
        assert client.request("GET", "/api/experiments",
                              headers={"Authorization": "Bearer from-env"}).status == 200
