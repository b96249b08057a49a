"""The pages and JSON endpoints over a real server, read with a plain HTTP client: paging and search of
traces, the judge pages' rules, and what the server refuses to run."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping

import httpx
import pytest

from jurist.entities import Feedback
from jurist.models import FakeModel
from tests.ui.conftest import ENDPOINT, UIServer


class Browser:
    """An HTTP client that behaves like a page of the UI: session cookie, CSRF header, same origin."""

    def __init__(self, server: UIServer) -> None:
        self.server = server
        self.http = server.client()
        page = self.http.get("/experiments")
        m = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
        assert m
        self.csrf = m.group(1)

    def post_json(self, path: str, body: Mapping[str, object] | list[object]) -> httpx.Response:
        return self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf, "Origin": self.server.url})

    def post_form(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.http.post(path, data={**data, "csrf_token": self.csrf}, headers={"Origin": self.server.url})


@pytest.fixture
def browser_http(ui_server: UIServer) -> Iterator[Browser]:
    b = Browser(ui_server)
    yield b
    b.http.close()


JUDGE = {"name": "tone", "instructions": "Is {{ outputs }} polite?", "model_choice": f"gateway:/{ENDPOINT}",
         "output_type": "yesno", "scope": "trace"}


def test_traces_are_paged_and_searched(ui_server: UIServer, browser_http: Browser) -> None:
    base = 1_700_000_000_000_000_000
    ids = [ui_server.add_trace(f"q{i}", f"answer {i}", tags={"env": "prod" if i % 2 else "dev"},
                               start_ns=base + i * 10**9) for i in range(60)]
    path = f"/experiments/{ui_server.experiment_id}/traces"
    first = browser_http.http.get(path)
    shown = re.findall(r'data-trace-id="([^"]+)"', first.text)
    assert len(shown) == 50 and shown[0] == ids[-1]  # newest first
    assert "60 traces" in first.text and 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = browser_http.http.get(path, params={"page": 2})
    assert re.findall(r'data-trace-id="([^"]+)"', second.text) == list(reversed(ids[:10]))
    assert 'rel="next"' not in second.text
    prod = browser_http.http.get(path, params={"filter": "tags.env = 'prod'"})
    assert "30 traces match" in prod.text
    assert "&amp;filter=tags.env" in prod.text or "30 traces" in prod.text
    bad = browser_http.http.get(path, params={"filter": "colour = 'red'"})
    assert bad.status_code == 200 and "unknown filter field" in bad.text


def test_the_trace_page_shows_its_feedback(ui_server: UIServer, browser_http: Browser) -> None:
    tid = ui_server.add_trace("q", "a")
    ui_server.store.log_assessment(Feedback(name="helpful", value="no", rationale="It <i>dodged</i>.", trace_id=tid))
    page = browser_http.http.get(f"/experiments/{ui_server.experiment_id}/traces/{tid}")
    assert "helpful" in page.text and "It &lt;i&gt;dodged&lt;/i&gt;." in page.text
    missing = browser_http.http.get(f"/experiments/{ui_server.experiment_id}/traces/nope")
    assert missing.status_code == 404 and "No such trace" in missing.text
    assert browser_http.http.get("/experiments/nope/traces").status_code == 404


def test_validation_reports_the_model_and_its_endpoint(browser_http: Browser) -> None:
    ok = browser_http.post_json("/judges/validate", JUDGE).json()
    assert ok["errors"] == [] and ok["runs_in_browser"] is True and ok["warnings"] == []
    unknown = browser_http.post_json("/judges/validate", {**JUDGE, "model_choice": "gateway:/nope"}).json()
    assert unknown["warnings"] == [f"The gateway has no endpoint named 'nope'; it has {ENDPOINT}."]
    direct = browser_http.post_json("/judges/validate", {**JUDGE, "model_choice": "typed",
                                                         "model_uri": "anthropic:/claude-sonnet-4"}).json()
    assert direct["runs_in_browser"] is False and "runs from the SDK only" in direct["why"]
    assert browser_http.post_json("/judges/validate", ["not", "an", "object"]).status_code == 400


def test_templates_come_from_the_built_in_judges(browser_http: Browser) -> None:
    t = browser_http.http.get("/judges/templates/Safety").json()
    assert t["name"] == "safety" and "{{ outputs }}" in t["instructions"]
    assert browser_http.http.get("/judges/templates/Nope").status_code == 404
    page = browser_http.http.get(f"/experiments/{browser_http.server.experiment_id}/judges/new?template=Safety")
    assert "{{ outputs }}" in page.text and 'value="safety"' in page.text


def test_saving_versions_a_judge_and_refuses_a_taken_name(ui_server: UIServer, browser_http: Browser) -> None:
    base = f"/experiments/{ui_server.experiment_id}/judges"
    first = browser_http.post_form(f"{base}/save", {k: str(v) for k, v in JUDGE.items()})
    assert first.status_code == 303 and first.headers["location"] == f"{base}/tone?saved=1"
    again = browser_http.post_form(f"{base}/save", {k: str(v) for k, v in JUDGE.items()})
    assert again.status_code == 400 and "exists (version 1)" in again.text
    same = browser_http.post_form(f"{base}/save", {**JUDGE, "editing": "tone"})
    assert same.headers["location"] == f"{base}/tone?unchanged=1"
    edited = browser_http.post_form(f"{base}/save", {**JUDGE, "editing": "tone",
                                                     "instructions": "Is {{ outputs }} polite and kind?"})
    assert edited.headers["location"] == f"{base}/tone?saved=2"
    renamed = browser_http.post_form(f"{base}/save", {**JUDGE, "editing": "tone", "name": "other"})
    assert renamed.status_code == 400 and "keeps the judge" in renamed.text
    diff = browser_http.http.get(f"{base}/tone/diff", params={"a": 1, "b": 2})
    assert '<span class="del">-Is {{ outputs }} polite?</span>' in diff.text
    assert '<span class="add">+Is {{ outputs }} polite and kind?</span>' in diff.text
    bad = browser_http.post_form(f"{base}/save", {**JUDGE, "name": "x", "instructions": "{{ nope }}"})
    assert bad.status_code == 400 and "unknown template variable" in bad.text
    assert [v.version for v in ui_server.store.list_judge_versions("tone")] == [1, 2]


def test_the_server_runs_only_what_needs_no_provider_key(ui_server: UIServer, browser_http: Browser) -> None:
    tid = ui_server.add_trace("q", "a")
    exp = ui_server.experiment_id
    direct = {**JUDGE, "model_choice": "typed", "model_uri": "openai:/gpt-4o-mini", "trace_id": tid}
    refused = browser_http.post_json(f"/experiments/{exp}/judges/test", direct)
    assert refused.status_code == 400 and "SDK only" in refused.json()["error"]
    ui_server.store.register_judge({"kind": "InstructionsJudge", "name": "direct", "model": "openai:/gpt-4o-mini",
                                    "instructions": "Is {{ outputs }} ok?"})
    run = browser_http.post_json(f"/experiments/{exp}/judges/direct/run", {})
    assert run.status_code == 400 and "SDK only" in run.json()["error"]
    scheduled = browser_http.post_form(f"/experiments/{exp}/judges/direct/schedule", {"sample_rate": "1"})
    assert scheduled.status_code == 303 and "problem=" in scheduled.headers["location"]
    assert ui_server.handle.app.state.monitors == {} and ui_server.fake.count == 0
    other = ui_server.store.create_experiment("elsewhere").experiment_id
    wrong = browser_http.post_json(f"/experiments/{other}/judges/test", {**JUDGE, "trace_id": tid})
    assert wrong.status_code == 404


def test_a_run_over_the_experiment_logs_each_verdict(ui_server: UIServer, browser_http: Browser) -> None:
    ids = [ui_server.add_trace(f"q{i}", f"a{i}", tags={"env": "prod" if i < 3 else "dev"}) for i in range(5)]
    ui_server.store.register_judge({"kind": "InstructionsJudge", "name": "tone", "model": f"gateway:/{ENDPOINT}",
                                    "instructions": "Is {{ outputs }} polite?"})
    exp = ui_server.experiment_id
    started = browser_http.post_json(f"/experiments/{exp}/judges/tone/run", {"filter": "tags.env = 'prod'"}).json()
    deadline = time.monotonic() + 30
    while not (status := browser_http.http.get(started["status_url"]).json())["finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert (status["total"], status["done"], status["errors"]) == (3, 3, 0)
    judged = [tid for tid in ids if ui_server.store.get_trace(tid).feedbacks]
    assert sorted(judged) == sorted(ids[:3])
    bad = browser_http.post_json(f"/experiments/{exp}/judges/tone/run", {"filter": "colour = 1"})
    assert bad.status_code == 400 and "unknown filter field" in bad.json()["error"]
    assert browser_http.http.get(f"/experiments/{exp}/jobs/nope").status_code == 404


def test_a_session_judge_reads_the_whole_conversation(ui_server: UIServer, browser_http: Browser) -> None:
    exp = ui_server.experiment_id
    first = ui_server.add_trace("Hi, my order is late", "Sorry! Which order?",
                                tags={"mlflow.trace.session": "s-1"}, start_ns=1_700_000_000_000_000_000)
    ui_server.add_trace("Order 42", "It ships tomorrow.", tags={"mlflow.trace.session": "s-1"},
                        start_ns=1_700_000_001_000_000_000)
    alone = ui_server.add_trace("q", "a")
    judge = {**JUDGE, "name": "resolved", "scope": "session", "model_choice": "fake:/ui-session",
             "instructions": "Was the user's problem in {{ conversation }} resolved?"}
    with FakeModel(['{"rationale": "It ships.", "result": "yes"}'], name="ui-session") as fake:
        got = browser_http.post_json(f"/experiments/{exp}/judges/test", {**judge, "trace_id": first}).json()
        (fb,) = got["feedback"]
        assert fb["name"] == "resolved" and fb["value"] == "yes" and fb.get("error") is None
        sent = fake.requests[0].messages[-1].content
        assert "Sorry! Which order?" in sent and "It ships tomorrow." in sent  # both turns of the session
    none = browser_http.post_json(f"/experiments/{exp}/judges/test", {**judge, "trace_id": alone}).json()
    assert none["feedback"][0]["error"]["error_code"] == "NO_SESSION"
    listed = browser_http.http.get("/experiments")
    assert re.search(r"support-bot</a>.*?<td class=\"num\">3</td>", listed.text, re.S)


def test_a_run_can_be_stopped(ui_server: UIServer, browser_http: Browser) -> None:
    for i in range(12):
        ui_server.add_trace(f"q{i}", f"a{i}")
    ui_server.store.register_judge({"kind": "InstructionsJudge", "name": "slow", "model": f"gateway:/{ENDPOINT}",
                                    "instructions": "Is {{ outputs }} polite?"})
    ui_server.fake.latency = 0.3
    try:
        exp = ui_server.experiment_id
        started = browser_http.post_json(f"/experiments/{exp}/judges/slow/run", {}).json()
        deadline = time.monotonic() + 30
        while browser_http.http.get(started["status_url"]).json()["done"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert browser_http.post_json(started["stop_url"], {}).status_code == 200
        while not (status := browser_http.http.get(started["status_url"]).json())["finished"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert status["message"] == "stopped" and status["done"] < 12
        assert ui_server.fake.count < 12
    finally:
        ui_server.fake.latency = 0.0


def test_no_page_or_answer_shows_the_provider_key(ui_server: UIServer, browser_http: Browser) -> None:
    key = ui_server.fake.api_key
    tid = ui_server.add_trace("q", "a")
    exp = ui_server.experiment_id
    ui_server.store.register_judge({"kind": "InstructionsJudge", "name": "tone", "model": f"gateway:/{ENDPOINT}",
                                    "instructions": "Is {{ outputs }} polite?"})
    answers = [browser_http.post_json(f"/experiments/{exp}/judges/test", {**JUDGE, "trace_id": tid}).text,
               browser_http.post_json("/judges/validate", JUDGE).text]
    for path in ("/experiments", f"/experiments/{exp}/traces", f"/experiments/{exp}/traces/{tid}",
                 f"/experiments/{exp}/judges", f"/experiments/{exp}/judges/new", f"/experiments/{exp}/judges/tone",
                 f"/experiments/{exp}/judges/tone/edit"):
        answers.append(browser_http.http.get(path).text)
    assert '"value":"yes"' in answers[0]
    assert all(key not in text for text in answers)


def test_assets_are_a_fixed_set(browser_http: Browser) -> None:
    ok = browser_http.http.get("/static/ui.js")
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/javascript")
    for name in ("../_context.py", "..%2F_context.py", "nope.js", "ui.css/../../__init__.py"):
        assert browser_http.http.get(f"/static/{name}").status_code == 404
