"""``jurist gateway --config FILE``: one error line for a bad file; a running gateway for a good one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from jurist.cli import app
from tests.gateway.conftest import free_port, target


def test_a_bad_file_is_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "gateway.yaml"
    bad.write_text("endpoints: [{name: j, targets: [{model: 'openai:/m'}], budgets: [{usd: 1, per: year}]}]\n")
    result = CliRunner().invoke(app, ["gateway", "--config", str(bad)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {bad}: endpoints[0].budgets[0].per: Input should be 'day', 'week' or 'month'")


def test_the_command_serves_the_gateway(tmp_path: Path, fake: dict[str, Any]) -> None:
    import yaml

    cfg = tmp_path / "gateway.yaml"
    cfg.write_text(yaml.safe_dump({"auth": {"allow_anonymous": True}, "endpoints": [
        {"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")]}]}))
    port = free_port()
    env = {**os.environ, "JURIST_GATEWAY_DB": f"sqlite:///{tmp_path / 'gw.db'}"}
    proc = subprocess.Popen([sys.executable, "-m", "jurist.cli", "gateway", "--config", str(cfg), "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the gateway did not come up"
            time.sleep(0.1)
        r = httpx.post(f"http://127.0.0.1:{port}/gateway/v1/chat/completions",
                       json={"model": "judge", "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 200, r.text
        assert fake["a"].calls == 1
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert "jurist gateway on http://127.0.0.1:" in out
    assert fake["a"].api_key not in out
