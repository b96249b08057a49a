"""Rate limits (429 with Retry-After) and budgets (alert, or reject once spent), in one process."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from jurist.gateway._limits import period
from tests.gateway.conftest import (
    Harness,
    admin,
    chat,
    clear_of_minute_boundary,
    new_client,
    target,
    usage_rows,
)

#: What one request to the fake costs: 42 input and 17 output tokens of gpt-4o-mini ($0.15 / $0.60 per M).
ONE = (42 * 0.15 + 17 * 0.60) / 1e6


@pytest.fixture(autouse=True)
def _one_window() -> None:
    clear_of_minute_boundary()


def endpoint(fake: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"endpoints": [{"name": "judge", "targets": [target(fake["a"], "a", key_env="FAKE_A_KEY")], **kw}]}


def test_requests_per_minute(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(endpoint(fake, limits={"requests_per_minute": 3}))
    with new_client(gw) as c:
        statuses = [chat(c, "judge").status_code for _ in range(3)]
        refused = chat(c, "judge")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    err = refused.json()["error"]
    assert err["code"] == "rate_limit_exceeded"
    assert "endpoint 'judge' allows 3 requests per minute" in err["message"]
    assert fake["a"].calls == 3
    assert usage_rows(gw)[-1]["status"] == 429


def test_per_client_limits_leave_other_clients_alone(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(endpoint(fake, limits={"requests_per_minute": 100, "per_client": {"requests_per_minute": 2}}))
    with new_client(gw, "greedy") as greedy, new_client(gw, "polite") as polite:
        assert [chat(greedy, "judge").status_code for _ in range(3)] == [200, 200, 429]
        assert chat(polite, "judge").status_code == 200
        assert "client 'greedy' may send 2 requests per minute" in chat(greedy, "judge").json()["error"]["message"]


def test_tokens_per_minute(harness: Harness, fake: dict[str, Any]) -> None:
    """59 tokens a request under a 100-token limit: the second crosses it, the third is refused."""
    gw = harness.start(endpoint(fake, limits={"tokens_per_minute": 100}))
    with new_client(gw) as c:
        assert [chat(c, "judge").status_code for _ in range(3)] == [200, 200, 429]


def test_a_budget_that_rejects(harness: Harness, fake: dict[str, Any]) -> None:
    usd = 2.5 * ONE  # the third request crosses it; the fourth is refused
    gw = harness.start(endpoint(fake, budgets=[{"usd": usd, "per": "day"}]))
    with new_client(gw) as c:
        statuses = [chat(c, "judge").status_code for _ in range(4)]
        refused = chat(c, "judge")
    assert statuses == [200, 200, 200, 429]
    err = refused.json()["error"]
    assert err["code"] == "budget_exceeded" and "has spent its budget" in err["message"]
    now = dt.datetime.now(dt.timezone.utc)
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(int(refused.headers["retry-after"]) - (midnight - now).total_seconds()) <= 5
    assert fake["a"].calls == 3


def test_a_budget_that_alerts_once(harness: Harness, fake: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="jurist.gateway")
    gw = harness.start(endpoint(fake, budgets=[{"usd": 2.5 * ONE, "per": "week", "action": "alert"}]))
    with new_client(gw) as c:
        assert [chat(c, "judge").status_code for _ in range(6)] == [200] * 6
    alerts = [r.getMessage() for r in caplog.records if "budget alert" in r.getMessage()]
    assert len(alerts) == 1
    assert "endpoint 'judge' has spent" in alerts[0] and "per week budget; requests go on" in alerts[0]


def test_a_budget_per_client(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(endpoint(fake, budgets=[{"usd": 1.5 * ONE, "per": "month", "scope": "client"}]))
    with new_client(gw, "one") as one, new_client(gw, "two") as two:
        assert [chat(one, "judge").status_code for _ in range(3)] == [200, 200, 429]
        assert chat(two, "judge").status_code == 200


def test_a_price_for_a_model_jurist_does_not_price(harness: Harness, fake: dict[str, Any]) -> None:
    price = {"input_per_million": 1000.0, "output_per_million": 2000.0}
    t = target(fake["a"], "a", model="my-finetune", key_env="FAKE_A_KEY", price=price)
    gw = harness.start({"endpoints": [{"name": "judge", "targets": [t], "budgets": [{"usd": 0.1, "per": "day"}]}]})
    with new_client(gw) as c:
        # 42 * 1000 / 1e6 + 17 * 2000 / 1e6 = $0.076 a request: the second crosses $0.10.
        assert [chat(c, "judge").status_code for _ in range(3)] == [200, 200, 429]
    assert usage_rows(gw)[0]["cost_usd"] == pytest.approx(0.076)


def test_limits_change_with_the_configuration(harness: Harness, fake: dict[str, Any]) -> None:
    gw = harness.start(endpoint(fake, limits={"requests_per_minute": 1}))
    with new_client(gw) as c, admin(gw):
        assert [chat(c, "judge").status_code for _ in range(2)] == [200, 429]
        harness.write({"reload_interval": 0.1, **endpoint(fake, limits={"requests_per_minute": 5})})
        import time

        deadline = time.monotonic() + 5
        while gw.gateway.table.routes["judge"].config.limits.requests_per_minute != 5:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert chat(c, "judge").status_code == 200


@pytest.mark.parametrize("when, per, pid, end", [
    ("2025-03-05T13:00:00", "day", "d2025-03-05", "2025-03-06T00:00:00"),
    ("2025-03-05T13:00:00", "week", "w2025-03-03", "2025-03-10T00:00:00"),
    ("2025-03-09T23:59:59", "week", "w2025-03-03", "2025-03-10T00:00:00"),
    ("2025-12-31T23:00:00", "month", "m2025-12", "2026-01-01T00:00:00"),
    ("2024-02-29T10:00:00", "month", "m2024-02", "2024-03-01T00:00:00"),
])
def test_budget_periods_are_utc_days_iso_weeks_and_months(when: str, per: str, pid: str, end: str) -> None:
    ts = dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc).timestamp()
    got_pid, got_end = period(per, ts)
    assert got_pid == pid
    assert got_end == dt.datetime.fromisoformat(end).replace(tzinfo=dt.timezone.utc).timestamp()
