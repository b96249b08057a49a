"""Bedrock Converse: golden wire format, SigV4 signing, error mapping, and the client against the fake."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from jurist.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    ContentFilteredError,
    ContextLengthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    SchemaUnsupportedError,
    ServerError,
)
from jurist.models import ModelClient
from jurist.models.providers import bedrock
from tests.fakes._server import Reply
from tests.fakes.bedrock import FakeBedrock, access_denied, bedrock_error, throttled, too_long, unavailable
from tests.models._providers import FAST, PLAIN, REQUEST, chat, golden

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"


# -- pure translation --------------------------------------------------------------------------------
def test_to_wire_matches_the_documented_request() -> None:
    assert bedrock.to_wire(REQUEST, REQUEST.params) == golden("bedrock_request")


def test_to_wire_without_schema_has_no_tool_config_and_a_default_max_tokens() -> None:
    body = bedrock.to_wire(PLAIN, {"temperature": 0})
    assert "toolConfig" not in body
    assert body["inferenceConfig"] == {"maxTokens": bedrock.DEFAULT_MAX_TOKENS, "temperature": 0}


def test_from_wire_reads_the_forced_tool_input() -> None:
    resp = bedrock.from_wire(golden("bedrock_response_tool"))
    assert json.loads(resp.text) == {"rationale": "2+2 is 4, as stated.", "result": "yes"}
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (412, 58)
    assert resp.finish_reason == "tool_use"


def test_from_wire_reads_text_and_counts_cached_input() -> None:
    resp = bedrock.from_wire(golden("bedrock_response_text"))
    assert json.loads(resp.text)["result"] == "yes"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (530, 14)


def test_guardrail_intervention_is_content_filtered() -> None:
    with pytest.raises(ContentFilteredError, match="guardrail_intervened"):
        bedrock.from_wire(golden("bedrock_response_guardrail"))


# -- SigV4 --------------------------------------------------------------------------------------------
def test_signature_matches_the_aws_test_suite_vector() -> None:
    # AWS Signature Version 4 test suite, "get-vanilla".
    out = bedrock.sigv4_headers(
        "GET", "https://example.amazonaws.com/", {}, b"", access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", session_token=None, region="us-east-1",
        service="service", now=dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.timezone.utc))
    assert out["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


@pytest.mark.parametrize("model_id", [
    CLAUDE,
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
])
def test_signature_agrees_with_botocore(model_id: str) -> None:
    p = bedrock.BedrockProvider.__new__(bedrock.BedrockProvider)
    p.model, p.base_url = model_id, "https://bedrock-runtime.us-west-2.amazonaws.com"
    url = p.url(PLAIN)
    body = json.dumps(bedrock.to_wire(PLAIN, {})).encode()
    now = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    out = bedrock.sigv4_headers("POST", url, {"Content-Type": "application/json"}, body, access_key="AKIDEXAMPLE",
                                secret_key="secret/KEY+x", session_token="tok/en+==", region="us-west-2", now=now)
    # botocore signs the URL as aiohttp sends it (yarl's normalised path).
    import yarl

    sent = str(yarl.URL(url))
    req = AWSRequest("POST", sent, data=body, headers={k: v for k, v in out.items() if k != "Authorization"})
    req.context["timestamp"] = out["X-Amz-Date"]
    signer = SigV4Auth(Credentials("AKIDEXAMPLE", "secret/KEY+x", "tok/en+=="), "bedrock", "us-west-2")
    expected = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
    assert out["Authorization"].endswith(f"Signature={expected}")
    assert "x-amz-security-token" in out["Authorization"]


# -- error mapping -----------------------------------------------------------------------------------
def _map(reply: Reply) -> ProviderError:
    return bedrock.map_error("bedrock", reply.status, json.dumps(reply.json_body), reply.headers)


@pytest.mark.parametrize("reply,cls", [
    (throttled(), RateLimitError),
    (too_long(), ContextLengthError),
    (unavailable(), ServerError),
    (access_denied(), AuthError),
    (bedrock_error(403, "UnrecognizedClientException", "The security token included in the request is invalid."),
     AuthError),
    (bedrock_error(424, "ModelErrorException", "The model failed to process the request."), ServerError),
    (bedrock_error(408, "ModelTimeoutException", "The request took too long to process."), ProviderTimeout),
    (bedrock_error(400, "ValidationException", "This model doesn't support the toolConfig.toolChoice.tool field."),
     SchemaUnsupportedError),
    (bedrock_error(400, "ValidationException", "The provided model identifier is invalid."), BadRequestError),
])
def test_error_types_map_onto_the_error_tree(reply: Reply, cls: type[ProviderError]) -> None:
    err = _map(reply)
    assert type(err) is cls
    assert reply.headers["x-amzn-ErrorType"].split(":")[0] in str(err)


def test_auth_errors_say_which_credentials_to_check() -> None:
    assert "AWS_ACCESS_KEY_ID" in str(_map(access_denied())) and "AWS_PROFILE" in str(_map(access_denied()))


def test_error_type_can_come_from_the_body() -> None:
    err = bedrock.map_error("bedrock", 400, json.dumps({"__type": "com.amazon.coral.validate#ValidationException",
                                                        "message": "Input is too long for requested model."}), {})
    assert isinstance(err, ContextLengthError)


# -- against the fake server -------------------------------------------------------------------------
def test_signed_request_on_the_wire(fake_bedrock: FakeBedrock) -> None:
    resp = chat(ModelClient(f"bedrock:/{CLAUDE}", retry=FAST))
    rec = fake_bedrock.requests[-1]
    assert rec.path == f"/model/{CLAUDE}/converse"
    assert rec.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={fake_bedrock.access_key}/")
    assert rec.headers["X-Amz-Security-Token"] == fake_bedrock.session_token
    assert rec.body == golden("bedrock_request")
    assert json.loads(resp.text)["result"] == "yes"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (42, 17)
    assert resp.cost_usd == pytest.approx((42 * 3.00 + 17 * 15.00) / 1e6)


def test_an_inference_profile_arn_is_signed_right(fake_bedrock: FakeBedrock) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"
    chat(ModelClient(f"bedrock:/{arn}", retry=FAST), PLAIN)
    assert fake_bedrock.calls == 1


def test_a_wrong_secret_fails_the_signature_check_and_is_not_retried(fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789")
    with pytest.raises(AuthError, match="InvalidSignatureException") as info:
        chat(ModelClient(f"bedrock:/{CLAUDE}", retry=FAST))
    assert fake_bedrock.calls == 1
    assert "not-the-secret-0123456789" not in str(info.value) + (info.value.body or "")


def test_throttling_is_retried_and_the_retry_is_signed_again(fake_bedrock: FakeBedrock) -> None:
    fake_bedrock.enqueue(throttled(), unavailable())
    chat(ModelClient(f"bedrock:/{CLAUDE}", retry=FAST))
    assert fake_bedrock.calls == 3


def test_context_length_is_not_retried(fake_bedrock: FakeBedrock) -> None:
    fake_bedrock.enqueue(too_long())
    with pytest.raises(ContextLengthError):
        chat(ModelClient(f"bedrock:/{CLAUDE}", retry=FAST))
    assert fake_bedrock.calls == 1


def test_a_model_without_forced_tools_falls_back_to_prompt_json(fake_bedrock: FakeBedrock) -> None:
    model = "meta.llama3-1-70b-instruct-v1:0"
    fake_bedrock.no_tool_choice.add(model)
    client = ModelClient(f"bedrock:/{model}", retry=FAST)
    chat(client)
    chat(client)
    assert ["toolConfig" in r.body for r in fake_bedrock.requests] == [True, False, False]


def test_seed_is_dropped_with_a_debug_log(fake_bedrock: FakeBedrock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="jurist.models")
    chat(ModelClient(f"bedrock:/{CLAUDE}", retry=FAST))
    assert "seed" not in json.dumps(fake_bedrock.requests[-1].body["inferenceConfig"])
    assert "'seed'" in caplog.text


def test_extra_headers_and_base_url_reach_the_request(fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
    client = ModelClient(f"bedrock:/{CLAUDE}", base_url=fake_bedrock.base_url,
                         extra_headers={"X-Team": "judges"}, retry=FAST)
    chat(client, PLAIN)
    assert fake_bedrock.requests[-1].headers["X-Team"] == "judges"


def test_credentials_from_a_shared_profile(fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text(f"[judge]\naws_access_key_id = {fake_bedrock.access_key}\n"
                     f"aws_secret_access_key = {fake_bedrock.secret_key}\n"
                     f"aws_session_token = {fake_bedrock.session_token}\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_PROFILE", "judge")
    chat(ModelClient(f"bedrock:/{CLAUDE}", retry=FAST), PLAIN)
    assert fake_bedrock.calls == 1


def test_default_endpoint_is_the_regional_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    client = ModelClient(f"bedrock:/{CLAUDE}")
    assert client.provider.url(PLAIN) == (
        "https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse")


def test_missing_region_names_aws_region() -> None:
    with pytest.raises(ConfigError, match="AWS_REGION"):
        ModelClient(f"bedrock:/{CLAUDE}")


def test_missing_credentials_say_how_to_provide_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"):
        ModelClient(f"bedrock:/{CLAUDE}").check_ready()


def test_without_botocore_the_error_says_to_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setitem(sys.modules, "botocore.session", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r"pip install 'jurist\[bedrock\]'"):
        ModelClient(f"bedrock:/{CLAUDE}").check_ready()
