"""The labelling queue in a real browser (Debian's chromium through Playwright): three traces labelled with
the keyboard alone, a reason typed on the way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.conftest import UIServer, copy_for_docs

Shot = Callable[[Any, str], Path]


def test_label_three_traces_with_the_keyboard(ui_server: UIServer, page: Any, screenshot: Shot) -> None:
    ids = [ui_server.add_trace(f"question {i}", "<script>window.__pwned = 1</script>" if i == 1 else f"answer {i}",
                               start_ns=1_700_000_000_000_000_000 + i * 10**9) for i in range(4)]
    newest_first = ids[::-1]
    page.goto(f"{ui_server.url}/experiments/{ui_server.experiment_id}/labels")
    page.fill("#judge-name", "tone")
    page.keyboard.press("Enter")
    page.wait_for_selector("#queue-item")
    assert page.get_attribute("#queue-item", "data-trace-id") == newest_first[0]
    screenshot(page, "labels-queue")

    page.keyboard.press("y")  # yes, and on to the next
    page.wait_for_selector(f'#queue-item[data-trace-id="{newest_first[1]}"]')
    assert "Saved the label" in page.inner_text("#saved")

    page.click("#rationale")
    page.keyboard.type("Rude: no greeting. y and n typed here are text")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    page.wait_for_selector(f'#queue-item[data-trace-id="{newest_first[2]}"]')

    page.keyboard.press("j")  # skip this one
    page.wait_for_selector(f'#queue-item[data-trace-id="{newest_first[3]}"]')
    page.keyboard.press("ArrowLeft")  # back to the skipped one
    page.wait_for_selector(f'#queue-item[data-trace-id="{newest_first[2]}"]')
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "<script>window.__pwned = 1</script>" in page.inner_text("#queue-item")
    page.keyboard.press("y")
    page.wait_for_selector(f'#queue-item[data-trace-id="{newest_first[3]}"]')
    assert page.inner_text("#label-count").startswith("3 labels")
    copy_for_docs(screenshot(page, "labels"), "labels.png")

    labels = {}
    for tid in newest_first[:3]:
        [fb] = [f for f in ui_server.store.get_trace(tid).feedbacks if f.name == "tone"]
        assert fb.source.source_type.value == "HUMAN"
        labels[tid] = (fb.value, fb.rationale)
    assert labels == {newest_first[0]: ("yes", None),
                      newest_first[1]: ("no", "Rude: no greeting. y and n typed here are text"),
                      newest_first[2]: ("yes", None)}
