"""The Labels tab over HTTP, against a real server: the queue, labels stored as HUMAN feedback, the judge's
agreement with them, and Align (the memory optimizer on ``fake:/``) saving the next version of the judge."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Literal

import httpx
import pytest

from jurist import make_judge
from jurist.entities import AssessmentSource, Feedback
from jurist.evaluation._meta import agreement
from jurist.tracking._entities import judge_definition
from tests.ui.conftest import UIServer

XSS = "<script>window.__pwned = 1</script><b>bold</b>"


def csrf(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    assert m is not None, "the page carries no CSRF token"
    return m.group(1)


def shown(html: str) -> str | None:
    m = re.search(r'id="queue-item" data-trace-id="([^"]+)"', html)
    return m.group(1) if m else None


@pytest.fixture
def server(start_ui: Callable[..., UIServer]) -> UIServer:
    return start_ui()


def seed(srv: UIServer, n: int) -> list[str]:
    """``n`` traces, the newest last (the queue shows the newest first)."""
    return [srv.add_trace(f"question {i}", XSS if i == 0 else f"answer {i}", start_ns=1_700_000_000_000_000_000 + i * 10**9)
            for i in range(n)]


def label(c: httpx.Client, srv: UIServer, page: str, value: str, rationale: str = "", judge: str = "tone",
          by: str = "ana") -> httpx.Response:
    trace_id = shown(page)
    assert trace_id is not None
    at = re.search(r'name="at" value="(\d+)"', page)
    assert at is not None
    return c.post(f"/experiments/{srv.experiment_id}/labels", headers={"Origin": srv.url}, data={
        "csrf_token": csrf(page), "judge": judge, "trace_id": trace_id, "at": at.group(1), "filter": "",
        "by": by, "value": value, "rationale": rationale})


def test_the_tab_asks_which_judge_the_labels_are_for(server: UIServer) -> None:
    server.store.register_judge(judge_definition(make_judge(name="tone", instructions="Polite? {{ outputs }}",
                                                            model="fake:/")))
    with server.client() as c:
        r = c.get(f"/experiments/{server.experiment_id}/labels")
    assert r.status_code == 200
    assert 'id="judge-name"' in r.text and '<option value="tone">' in r.text


def test_labels_are_stored_as_human_feedback_and_the_queue_moves_on(server: UIServer) -> None:
    ids = seed(server, 3)
    base = f"/experiments/{server.experiment_id}/labels"
    with server.client() as c:
        first = c.get(base, params={"judge": "tone", "by": "ana"})
        assert first.status_code == 200 and shown(first.text) == ids[2]
        r = label(c, server, first.text, "no", "Curt reply.")
        assert r.status_code == 303
        second = c.get(r.headers["location"])
    assert shown(second.text) == ids[1]
    assert "Saved the label on trace" in second.text and "1 label · no: 1" in second.text
    fb = [a for a in server.store.get_trace(ids[2]).feedbacks if a.name == "tone"]
    assert len(fb) == 1
    assert (fb[0].value, fb[0].rationale, fb[0].source.source_type.value, fb[0].source.source_id) == \
        ("no", "Curt reply.", "HUMAN", "ana")


def test_skipping_and_going_back(server: UIServer) -> None:
    ids = seed(server, 3)
    base = f"/experiments/{server.experiment_id}/labels"
    with server.client() as c:
        first = c.get(base, params={"judge": "tone"})
        nxt = re.search(r'href="([^"]+)" id="next"', first.text)
        assert nxt is not None
        second = c.get(nxt.group(1).replace("&amp;", "&"))
        assert shown(second.text) == ids[1]
        prev = re.search(r'href="([^"]+)" id="prev"', second.text)
        assert prev is not None
        back = c.get(prev.group(1).replace("&amp;", "&"))
    assert shown(back.text) == ids[2]


def test_every_trace_labelled_empties_the_queue(server: UIServer) -> None:
    seed(server, 2)
    base = f"/experiments/{server.experiment_id}/labels"
    with server.client() as c:
        page = c.get(base, params={"judge": "tone"}).text
        for value in ("yes", "no"):
            page = c.get(label(c, server, page, value).headers["location"]).text
    assert shown(page) is None and 'id="queue-done"' in page and "has a label for" in page


def test_a_label_needs_a_value_and_the_csrf_token(server: UIServer) -> None:
    seed(server, 1)
    base = f"/experiments/{server.experiment_id}/labels"
    with server.client() as c:
        page = c.get(base, params={"judge": "tone"}).text
        empty = label(c, server, page, "")
        odd = label(c, server, page, "maybe")
        forged = c.post(base, headers={"Origin": server.url}, data={
            "csrf_token": "forged", "judge": "tone", "trace_id": shown(page) or "", "value": "yes"})
        cross = c.post(base, headers={"Origin": "http://evil.example"}, data={
            "csrf_token": csrf(page), "judge": "tone", "trace_id": shown(page) or "", "value": "yes"})
    assert empty.status_code == 400 and "pick a verdict" in empty.text
    assert odd.status_code == 400 and "&#39;maybe&#39; is not a verdict of &#39;tone&#39;; pick one of yes, no" in odd.text
    assert forged.status_code == 403 and cross.status_code == 403
    assert not [a for t in server.store.search_traces([server.experiment_id]) for a in t.feedbacks]


def test_markup_in_a_trace_shows_as_text_in_the_queue(server: UIServer) -> None:
    seed(server, 1)
    with server.client() as c:
        r = c.get(f"/experiments/{server.experiment_id}/labels", params={"judge": "tone"})
    assert XSS not in r.text and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in r.text


def test_the_judges_agreement_with_the_labels(server: UIServer) -> None:
    ids = seed(server, 6)
    people = ["yes", "yes", "no", "no", "yes", "no"]
    judge = ["yes", "no", "no", "no", "yes", "yes"]
    for tid, h, j in zip(ids, people, judge, strict=True):
        server.store.log_assessment(Feedback(name="tone", value=h, trace_id=tid, source=AssessmentSource("HUMAN", "ana")))
        server.store.log_assessment(Feedback(name="tone", value=j, trace_id=tid,
                                             source=AssessmentSource("LLM_JUDGE", "fake:/")))
    expected = agreement(people, judge)
    with server.client() as c:
        r = c.get(f"/experiments/{server.experiment_id}/labels", params={"judge": "tone"})
    assert expected.accuracy.value is not None and expected.kappa.value is not None
    assert f'id="accuracy">{100 * expected.accuracy.value:.0f}%' in r.text
    assert f"{expected.kappa.value:.2f}" in r.text
    assert "6 labels · no: 3 · yes: 3" in r.text and "Over 6 traces" in r.text


def test_align_says_what_it_needs(server: UIServer) -> None:
    ids = seed(server, 3)
    base = f"/experiments/{server.experiment_id}/labels"
    for tid in ids:
        server.store.log_assessment(Feedback(name="tone", value="yes", trace_id=tid, source=AssessmentSource("HUMAN", "a")))
    with server.client() as c:
        page = c.get(base, params={"judge": "tone"}).text
        unregistered = c.post(f"{base}/align", headers={"Origin": server.url},
                              data={"csrf_token": csrf(page), "judge": "tone"})
        server.store.register_judge(judge_definition(make_judge(
            name="tone", instructions="Is {{ outputs }} polite?", feedback_value_type=Literal["yes", "no"],
            model="fake:/")))
        few = c.post(f"{base}/align", headers={"Origin": server.url}, data={"csrf_token": csrf(page), "judge": "tone"})
        sdk = make_judge(name="rude", instructions="Is {{ outputs }} rude?", model="openai:/gpt-4o-mini")
        server.store.register_judge(judge_definition(sdk))
        direct = c.post(f"{base}/align", headers={"Origin": server.url}, data={"csrf_token": csrf(page), "judge": "rude"})
    assert unregistered.status_code == 400 and "Align needs a registered judge named &#39;tone&#39;" in unregistered.text
    assert few.status_code == 400 and "Cannot align yet: alignment needs at least 10 labelled examples, got 3" in few.text
    assert direct.status_code == 400 and "runs from the SDK only" in direct.text
    assert "Not yet: alignment needs at least 10" in page


def test_align_saves_the_aligned_judge_as_the_next_version(server: UIServer) -> None:
    ids = seed(server, 14)
    server.store.register_judge(judge_definition(make_judge(
        name="tone", instructions="Is the reply {{ outputs }} polite to {{ inputs }}?",
        feedback_value_type=Literal["yes", "no"], model="fake:/")))
    for i, tid in enumerate(ids):
        server.store.log_assessment(Feedback(
            name="tone", value="yes" if i % 3 else "no", rationale="Greets the user." if i % 3 else "Too curt.",
            trace_id=tid, source=AssessmentSource("HUMAN", "ana")))
    base = f"/experiments/{server.experiment_id}/labels"
    with server.client() as c:
        page = c.get(base, params={"judge": "tone"}).text
        assert 'id="align-not-ready"' not in page
        r = c.post(f"{base}/align", headers={"Origin": server.url}, data={"csrf_token": csrf(page), "judge": "tone"})
        assert r.status_code == 303
        status = c.get(r.headers["location"])
        deadline = time.monotonic() + 120
        while 'id="align-status"' in status.text and time.monotonic() < deadline:
            time.sleep(0.2)
            status = c.get(r.headers["location"])
    assert 'id="align-done"' in status.text, status.text
    assert "Saved as version 2 of" in status.text and 'id="align-report"' in status.text
    versions = server.store.list_judge_versions("tone")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].definition["kind"] == "MemoryJudge"
    assert versions[1].to_judge().name == "tone"


def test_the_newest_label_counts_and_failed_feedback_is_no_label(server: UIServer) -> None:
    [tid, other] = seed(server, 2)
    for value in ("no", "yes"):  # a person changes their mind: the newer label counts
        server.store.log_assessment(Feedback(name="tone", value=value, trace_id=tid, source=AssessmentSource("HUMAN", "a"),
                                             create_time_ms=1_800_000_000_000 + (value == "yes")))
    server.store.log_assessment(Feedback(name="tone", value="yes", trace_id=tid,
                                         source=AssessmentSource("LLM_JUDGE", "fake:/")))
    server.store.log_assessment(Feedback(name="tone", error=ValueError("unparseable"), trace_id=other,
                                         source=AssessmentSource("HUMAN", "a")))
    with server.client() as c:
        r = c.get(f"/experiments/{server.experiment_id}/labels", params={"judge": "tone"})
    assert "1 label · yes: 1" in r.text and 'id="accuracy">100%' in r.text


def test_the_tabs_ask_for_the_token_first(start_ui: Callable[..., UIServer]) -> None:
    srv = start_ui(token="s3cret-token")
    with srv.client() as c:
        for path in ("evaluations", "labels?judge=tone"):
            r = c.get(f"/experiments/{srv.experiment_id}/{path}")
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        post = c.post(f"/experiments/{srv.experiment_id}/labels", data={"judge": "tone", "value": "yes"})
    assert post.status_code == 401
    assert "s3cret-token" not in r.text
