"""The judge builder end to end in chromium: from a built-in template to a tested, saved, versioned,
run and scheduled judge, against a gateway endpoint backed by the loopback fake and on the local model."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import ENDPOINT, UIServer, copy_for_docs

XSS = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"


def _verdict(body: dict[str, Any]) -> str:
    """The fake judge: yes when the judged text names Paris; its rationale holds markup, to show as text."""
    said = json.dumps(body.get("messages"))
    return json.dumps({"rationale": "Checked it <b>carefully</b>.", "result": "yes" if "Paris" in said else "no"})


def _seed(server: UIServer) -> list[str]:
    server.fake.responder = _verdict
    return [
        server.add_trace("What is the capital of France?", "Paris.", start_ns=1_700_000_000_000_000_000),
        server.add_trace("What is the capital of Italy?", "Madrid, I think.", start_ns=1_700_000_100_000_000_000),
        server.add_trace("Show me a script", XSS, start_ns=1_700_000_200_000_000_000),
    ]


def _wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def _results(page: Any, trace_ids: list[str]) -> dict[str, Any]:
    out = {}
    for tid in trace_ids:
        cell = page.locator(f"tr:has(input[data-trace-id='{tid}']) .result-cell .feedback")
        cell.first.wait_for(timeout=120_000)
        out[tid] = cell.first
    return out


def test_build_test_save_version_run_and_schedule_a_judge(ui_server: UIServer, page: Any,
                                                          screenshot: Callable[[Any, str], Path]) -> None:
    paris, madrid, _ = _seed(ui_server)
    exp = ui_server.experiment_id
    page.goto(f"{ui_server.url}/experiments")
    page.get_by_role("link", name="support-bot").click()
    page.wait_for_url(f"**/experiments/{exp}/traces")
    assert page.locator("table.traces tbody tr").count() == 3
    copy_for_docs(screenshot(page, "traces"), "ui-traces.png")

    # New judge from a built-in template: the instructions are filled in, editable, and validated live.
    page.get_by_role("link", name="Judges").click()
    page.get_by_role("link", name="New judge").click()
    page.select_option("#template", "RelevanceToQuery")
    text = page.locator("textarea[name=instructions]")
    expect(text).to_have_value(re.compile(r"\{\{ inputs \}\}"))
    assert page.locator("input[name=name]").input_value() == "relevance_to_query"
    page.locator("input[name=name]").fill("relevant")
    assert page.locator("select[name=model_choice]").input_value() == f"gateway:/{ENDPOINT}"
    page.locator("#validation .ok").wait_for()
    assert "runs here" in page.locator("#model-note").inner_text()

    original = text.input_value()
    text.fill("Judge this: {{ nonsense }}")
    page.locator("#validation .error", has_text="unknown template variable").wait_for()
    text.fill("No variables at all")
    page.locator("#validation .error", has_text="at least one of").wait_for()
    assert page.locator("#run-test").is_disabled()
    text.fill(original)
    text.evaluate("t => { t.selectionStart = t.selectionEnd = t.value.length; }")
    page.get_by_role("button", name="{{ trace }}").click()
    assert text.input_value().endswith("{{ trace }}")
    page.locator("#validation .ok", has_text="{{ trace }}").wait_for()
    text.fill(original)
    page.locator("#validation .ok").wait_for()

    # Test on two traces against the gateway endpoint: each verdict appears beside its trace.
    for tid in (paris, madrid):
        page.check(f"input[data-trace-id='{tid}']")
    page.click("#run-test")
    got = _results(page, [paris, madrid])
    page.locator("#test-status", has_text="2 of 2 judged").wait_for()
    assert got[paris].locator(".value").inner_text() == "yes"
    assert got[madrid].locator(".value").inner_text() == "no"
    assert "Checked it <b>carefully</b>." in got[paris].inner_text()  # markup in a rationale shows as text
    assert re.search(r"\d+ in / \d+ out tokens", got[paris].inner_text())
    assert ui_server.fake.count == 2
    copy_for_docs(screenshot(page, "judge-builder"), "ui-judge-builder.png")

    # The same judge on the embedded local model (the tiny smoke model): a verdict or a parse error, shown.
    from tests.local.conftest import smoke_installed

    if smoke_installed():
        page.select_option("select[name=model_choice]", "typed")
        page.locator("input[name=model_uri]").fill("local:/smollm2")
        page.locator("#model-note .runs").wait_for()
        page.click("#run-test")
        page.locator("#test-status", has_text="2 of 2 judged").wait_for(timeout=300_000)
        for tid in (paris, madrid):
            shown = page.locator(f"tr:has(input[data-trace-id='{tid}']) .result-cell .feedback").first
            assert re.search(r"^(yes|no)$|^error: ", shown.locator(".value").inner_text())
            assert "smollm2" not in (shown.get_attribute("class") or "")
        page.select_option("select[name=model_choice]", f"gateway:/{ENDPOINT}")
        page.locator("#validation .ok").wait_for()
    assert ui_server.store.get_trace(paris).feedbacks == []  # a test logs nothing

    # Save: version 1 in the registry.
    page.click("#save")
    page.locator("text=Saved version 1.").wait_for()
    assert [v.version for v in ui_server.store.list_judge_versions("relevant")] == [1]

    # Edit, save: version 2, and its diff against version 1.
    page.click("#edit")
    page.locator("textarea[name=instructions]").fill(original + "\nBe strict about the country asked for.")
    page.locator("#validation .ok").wait_for()
    page.click("#save")
    page.locator("text=Saved version 2.").wait_for()
    page.get_by_role("link", name="diff with 1").click()
    added = page.locator("#instructions-diff .add")
    assert "Be strict about the country asked for." in added.last.inner_text()
    screenshot(page, "judge-diff")
    versions = ui_server.store.list_judge_versions("relevant")
    assert sorted(v.version for v in versions) == [1, 2]
    assert ui_server.store.get_judge("relevant", 1).definition["instructions"] == original  # v1 is unchanged

    # Run version 2 over the experiment: progress to the end, verdicts logged to the traces.
    page.goto(f"{ui_server.url}/experiments/{exp}/judges/relevant")
    page.click("#run-judge")
    page.locator("#run-progress .job-label", has_text="3 of 3 traces judged").wait_for()
    page.locator("#run-progress .job-label", has_text="finished").wait_for()
    logged = ui_server.store.get_trace(paris).feedbacks
    assert [(f.name, f.value, f.metadata["judge_version"]) for f in logged] == [("relevant", "yes", 2)]
    screenshot(page, "judge")

    # Schedule on new traces, see it judge one, stop it.
    page.locator("#schedule-form input[name=filter]").fill("status = 'OK'")
    page.locator("#schedule-form button[type=submit]").click()
    page.locator("text=Scheduled: new traces are judged as they arrive.").wait_for()
    row = page.locator("table.schedules tbody tr")
    assert row.count() == 1 and "status = 'OK'" in row.inner_text()
    fresh = ui_server.add_trace("And the capital of Spain?", "Paris, obviously.", start_ns=time.time_ns())
    _wait_for(lambda: bool(ui_server.store.get_trace(fresh).feedbacks))
    assert ui_server.store.get_trace(fresh).feedbacks[0].value == "yes"
    page.reload()
    assert page.locator("table.schedules tbody tr td").nth(5).inner_text() == "1"  # judged
    page.get_by_role("button", name="Stop").click()
    page.locator("text=Stopped the schedule of relevant.").wait_for()
    assert page.locator("table.schedules").count() == 0
    assert ui_server.handle.app.state.monitors == {}


def test_a_judge_on_a_direct_provider_is_saved_but_runs_from_the_sdk_only(ui_server: UIServer, page: Any) -> None:
    _seed(ui_server)
    page.goto(f"{ui_server.url}/experiments/{ui_server.experiment_id}/judges/new")
    page.locator("input[name=name]").fill("tone")
    page.locator("textarea[name=instructions]").fill("Is {{ outputs }} polite? Answer yes or no.")
    page.select_option("select[name=model_choice]", "typed")
    page.locator("input[name=model_uri]").fill("openai:/gpt-4o-mini")
    page.locator("#model-note .badge", has_text="runs from the SDK only").wait_for()
    assert "API key" in page.locator("#model-note").inner_text()
    assert page.locator("#run-test").is_disabled()
    page.click("#save")
    page.locator("#sdk-only").wait_for()
    assert "would have to be on this server" in page.locator("#sdk-only-why").inner_text()
    assert page.locator("#run-judge").count() == 0 and page.locator("#schedule-form").count() == 0
    assert ui_server.store.get_judge("tone").definition["model"] == "openai:/gpt-4o-mini"
    assert ui_server.fake.count == 0


def test_markup_in_a_trace_shows_literally(ui_server: UIServer, page: Any,
                                           screenshot: Callable[[Any, str], Path]) -> None:
    _, _, evil = _seed(ui_server)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{ui_server.url}/experiments/{ui_server.experiment_id}/traces")
    assert XSS[:40] in page.locator(f"tr[data-trace-id='{evil}'] td.preview").nth(1).inner_text()
    page.locator(f"tr[data-trace-id='{evil}'] a").first.click()
    page.locator("h2", has_text="Spans").wait_for()
    assert XSS in page.locator(".span-body pre.text").nth(1).inner_text()
    assert page.locator(".span-tree script, .span-tree img").count() == 0
    assert page.evaluate("window.__pwned") is None and dialogs == []
    # The span tree: the root span and its child, with inputs, outputs, attributes and timing.
    assert page.locator(".span-name").all_inner_texts() == ["chat", "llm"]
    assert "app.version" in page.locator(".span-body").first.inner_text()
    bars = page.locator(".bar .fill")
    assert bars.nth(0).evaluate("e => e.style.width") == "100%"
    assert bars.nth(1).evaluate("e => [e.style.left, e.style.width]") == ["12.5%", "75%"]  # 5 ms in, 30 of 40 ms
    screenshot(page, "trace")


@pytest.mark.parametrize("typed", ["wrong-token", "s3cret-browser-token"])
def test_sign_in_with_the_token(start_ui: Callable[..., UIServer], page: Any, typed: str,
                                screenshot: Callable[[Any, str], Path]) -> None:
    server = start_ui(token="s3cret-browser-token")
    page.goto(f"{server.url}/experiments/{server.experiment_id}/judges")
    page.wait_for_url(re.compile(r"/login\?next=/experiments/"))
    assert "token" not in page.url.split("?")[1].lower().replace("next=", "")
    screenshot(page, "login")
    page.locator("input[name=token]").fill(typed)
    page.get_by_role("button", name="Sign in").click()
    if typed == "wrong-token":
        page.locator(".error", has_text="not this server's token").wait_for()
        assert "/login" in page.url
        return
    page.wait_for_url(f"**/experiments/{server.experiment_id}/judges")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["jurist_session"]["httpOnly"] and cookies["jurist_session"]["sameSite"] == "Strict"
    assert typed not in cookies["jurist_session"]["value"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
