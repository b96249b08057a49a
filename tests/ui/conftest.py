"""The UI under test: a real ``jurist server`` (uvicorn on a free loopback port, in a thread) over a temp
SQLite store, with a gateway whose endpoint ``judge-endpoint`` forwards to the loopback fake OpenAI
server, and Debian's chromium driven by Playwright.

The browser is ``/usr/bin/chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it), never one
that Playwright downloads. Browser tests skip, saying so, when it or the ``playwright`` package is missing.
Screenshots go to ``$TMPDIR/jurist-ui-screenshots``.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from jurist.entities import Span, Trace
from jurist.tracking._sql import SqlStore
from tests.fakes.openai import FakeOpenAI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ENDPOINT = "judge-endpoint"
SCREENSHOTS = Path(tempfile.gettempdir()) / "jurist-ui-screenshots"
MASTER_KEY = "yqxbNTeRjvxVYQ0itrwDUeijs7L1jlD1a9q0WHwDmo4="


@dataclass
class UIServer:
    """A running server: its URL, its store (to seed and to check), its token, the fake behind the gateway."""

    url: str
    store: SqlStore
    token: str | None
    fake: FakeOpenAI
    experiment_id: str
    handle: Any

    def add_trace(self, question: str, answer: str, *, tags: dict[str, str] | None = None,
                  start_ns: int = 1_700_000_000_000_000_000) -> str:
        """Log a two-span trace (a root ``chat`` span and a child ``llm`` span) to the experiment."""
        root = Span(name="chat", span_id=uuid.uuid4().hex[:16], trace_id="",
                    span_type="CHAIN", inputs={"question": question}, outputs=answer,
                    attributes={"app.version": "1.2"}, start_time_ns=start_ns, end_time_ns=start_ns + 40_000_000)
        child = Span(name="llm", span_id=root.span_id + "c", trace_id="", parent_id=root.span_id, span_type="LLM",
                     inputs={"messages": [{"role": "user", "content": question}]}, outputs={"content": answer},
                     attributes={"model": "demo"}, start_time_ns=start_ns + 5_000_000,
                     end_time_ns=start_ns + 35_000_000)
        trace = Trace(trace_id=f"tr-{root.span_id}", spans=[root, child], tags=dict(tags or {}))
        for s in trace.spans:
            s.trace_id = trace.trace_id
        return str(self.store.log_traces([trace], self.experiment_id)[0])

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False, **kwargs)


def write_gateway(path: Path, fake: FakeOpenAI) -> Path:
    config = {"auth": {"allow_anonymous": True},
              "endpoints": [{"name": ENDPOINT, "targets": [{"name": "fake", "model": "openai:/gpt-4o-mini",
                                                            "base_url": fake.base_url,
                                                            "key": "env:UI_TEST_PROVIDER_KEY"}]}]}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def start_ui(tmp_path: Path, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        Callable[..., UIServer]]:
    """Start a server (``token=`` for one that asks for sign-in); stopped at the end of the test."""
    from jurist.server._serve import ServerThread

    monkeypatch.setenv("UI_TEST_PROVIDER_KEY", fake_openai.api_key)
    monkeypatch.setenv("JURIST_SECRET_KEY", MASTER_KEY)
    started: list[Any] = []

    def start(token: str | None = None) -> UIServer:
        db = tmp_path / f"ui{len(started)}.db"
        gateway = write_gateway(tmp_path / f"gateway{len(started)}.yaml", fake_openai)
        handle = ServerThread(f"sqlite:///{db}", token=token or "", gateway_config=str(gateway)).start()
        started.append(handle)
        store = handle.app.state.store
        experiment = store.get_or_create_experiment("support-bot")
        return UIServer(url=handle.url, store=store, token=token, fake=fake_openai,
                        experiment_id=experiment.experiment_id, handle=handle)

    yield start
    for h in started:
        h.stop()


@pytest.fixture
def ui_server(start_ui: Callable[..., UIServer]) -> UIServer:
    """A server without a token."""
    return start_ui()


# -- the browser ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright: pip install playwright (never `playwright install`)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; a script error on any page fails the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.set_default_timeout(20_000)
    yield p
    context.close()
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot of ``page`` as ``<name>.png`` under the screenshots directory."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot


def copy_for_docs(shot: Path, name: str) -> None:
    """Keep a screenshot for the README as docs/images/<name> when it is not there (delete it to refresh)."""
    target = Path(__file__).resolve().parents[2] / "docs" / "images" / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
