"""The configuration file: a mistake names the file, the field, and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from jurist.errors import ConfigError
from jurist.gateway import load_config
from jurist.gateway._config import parse_config
from tests._helpers import some

GOOD = """
endpoints:
  - name: judge
    targets:
      - {model: "openai:/gpt-4o-mini", key: "env:OPENAI_API_KEY", weight: 3}
      - {name: claude, model: "anthropic:/claude-3-5-haiku", key: {secret: anthropic-prod}, weight: 1}
    fallbacks:
      - {model: "openai:/gpt-4o", key: "env:OPENAI_API_KEY"}
    timeout: 30
    retries: 1
    limits: {requests_per_minute: 600, tokens_per_minute: 200000, per_client: {requests_per_minute: 60}}
    budgets:
      - {usd: 20, per: day}
      - {usd: 100, per: month, action: alert, scope: client}
auth: {allow_anonymous: false}
"""


def error(text: str) -> str:
    with pytest.raises(ConfigError) as e:
        parse_config(text, "gateway.yaml")
    return str(e.value)


def test_a_good_file_reads() -> None:
    cfg = parse_config(GOOD, "gateway.yaml")
    ep = cfg.endpoints[0]
    assert [t.label for t in ep.targets] == ["openai:/gpt-4o-mini", "claude"]
    assert str(ep.targets[0].key) == "env:OPENAI_API_KEY" and some(ep.targets[1].key).secret == "anthropic-prod"
    assert some(some(ep.limits).per_client).requests_per_minute == 60
    assert [(b.usd, b.per, b.action, b.scope) for b in ep.budgets] == [(20, "day", "reject", "endpoint"),
                                                                        (100, "month", "alert", "client")]


def test_an_unknown_field_lists_the_allowed_ones() -> None:
    msg = error("endpoints: [{name: j, targets: [{model: 'openai:/m'}], timeot: 3}]")
    assert msg.startswith("gateway.yaml: endpoints[0].timeot: unknown field; allowed here: name, targets, fallbacks,")
    assert "timeout" in msg


def test_a_bad_value_names_the_field_and_the_choices() -> None:
    msg = error("endpoints: [{name: j, targets: [{model: 'openai:/m'}], budgets: [{usd: 5, per: year}]}]")
    assert "gateway.yaml: endpoints[0].budgets[0].per: Input should be 'day', 'week' or 'month' (got 'year')" in msg
    msg = error("endpoints: [{name: j, targets: [{model: 'openai:/m', weight: -1}]}]")
    assert "endpoints[0].targets[0].weight: Input should be greater than or equal to 0" in msg
    msg = error("endpoints: [{name: j, targets: [{model: 'nosuch:/m'}]}]")
    assert "endpoints[0].targets[0].model: Unknown model provider 'nosuch'. Known providers:" in msg
    msg = error("endpoints: [{name: 'has space', targets: [{model: 'openai:/m'}]}]")
    assert "endpoints[0].name: endpoint name 'has space' is not allowed; use 1-128 letters" in msg


def test_a_key_written_in_the_file_is_refused_without_repeating_it() -> None:
    msg = error("endpoints: [{name: j, targets: [{model: 'openai:/m', key: sk-live-abcdef123456}]}]")
    assert "endpoints[0].targets[0].key: a key is referenced, never written here: use 'env:VARIABLE_NAME'" in msg
    assert "sk-live-abcdef123456" not in msg


def test_names_must_be_distinct() -> None:
    msg = error("endpoints: [{name: j, targets: [{model: 'openai:/m'}, {model: 'openai:/m'}]}]")
    assert "targets[0] and targets[1] are both named 'openai:/m'; give each a distinct 'name'" in msg
    msg = error("endpoints: [{name: j, targets: [{model: 'openai:/m'}]}, {name: j, targets: [{model: 'openai:/m'}]}]")
    assert "endpoints[0] and endpoints[1] are both named 'j'" in msg


def test_missing_fields_and_weights_that_cannot_route() -> None:
    assert "endpoints[0].targets: required field is missing" in error("endpoints: [{name: j}]")
    msg = error("endpoints: [{name: j, targets: [{model: 'openai:/m', weight: 0}]}]")
    assert "at least one of 'targets' needs a weight above 0" in msg


def test_yaml_errors_and_files(tmp_path: Path) -> None:
    assert error("endpoints: [").startswith("gateway.yaml: not valid YAML at line 1")
    # PyYAML quotes the broken line; that line may hold a pasted key, so only its place is named.
    msg = error('endpoints:\n  - {name: j, targets: [{model: "openai:/m", key: "env:sk-proj-Abc123456789xyz}]}\n')
    assert "not valid YAML at line" in msg and "sk-proj" not in msg and "Abc123456789xyz" not in msg
    assert "the top level must be a mapping" in error("- a\n- b\n")
    with pytest.raises(ConfigError, match="no such gateway configuration file"):
        load_config(tmp_path / "missing.yaml")
    p = tmp_path / "gw.yaml"
    p.write_text(GOOD)
    assert load_config(p).endpoints[0].name == "judge"
    p.write_text("endpoints: [{name: j, targets: []}]")
    with pytest.raises(ConfigError, match=r"gw\.yaml: endpoints\[0\]\.targets: List should have at least 1 item"):
        load_config(p)


@pytest.mark.parametrize("ref", ["env:sk-proj-Ab3dE5gH7jK9mN1pQ3", "secret:sk-ant-api03-Zx9Yw8Vu7", "env:sk_live_0123456789",
                                 "env:Ab12Cd34Ef56Gh78Ij90Kl12Mn34"])
def test_a_key_pasted_in_place_of_its_name_is_refused_without_repeating_it(ref: str) -> None:
    msg = error(f"endpoints: [{{name: j, targets: [{{model: 'openai:/m', key: '{ref}'}}]}}]")
    key = ref.split(":", 1)[1]
    assert "looks like an API key" in msg and "PUT /admin/secrets" in msg
    assert key not in msg and key[3:] not in msg and key[-8:] not in msg


def test_names_that_look_like_names_are_still_shown() -> None:
    from jurist.gateway._secrets import masked

    for name in ("OPENAI_API_KEY", "anthropic-prod", "GEMINI_KEY_2", "prod.openai.key"):
        assert masked(name) == name
