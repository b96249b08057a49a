"""The one exception tree of jurist.

::

                                 what it means                                              HTTP
    JuristError                  root of every error jurist raises on purpose               500
    ├── ConfigError              the caller's mistake (bad URI, missing key, bad template); 400
    │   │                        never retried
    │   ├── NotFoundError        no such experiment, run, trace, dataset or judge           404
    │   ├── AlreadyExistsError   the name is taken (a second experiment of one name)        409
    │   └── OtlpError            an OTLP request that cannot be read                        400 (415)
    ├── UnauthorizedError        a request to the server or gateway without a known token   401
    ├── ProviderError            a model provider answered badly or not at all              502
    │   ├── AuthError            401/403: the key is missing, wrong or lacks access
    │   ├── BadRequestError      400/404/422: the request itself is wrong
    │   │   ├── ContextLengthError   the prompt is longer than the model's context window
    │   │   └── SchemaUnsupportedError  the endpoint rejected the structured-output schema
    │   ├── ContentFilteredError the provider refused to answer (safety filter)
    │   ├── RateLimitError       429 (retryable; carries ``retry_after`` seconds when the server said)
    │   ├── ServerError          5xx, 529 overloaded, broken connection (retryable)
    │   │   └── EngineCrashError   the local model's engine process died (retryable while it restarts)
    │   └── ProviderTimeout      no answer in time (retryable)
    ├── JudgeParseError          the judge's text could not be read as a verdict            500
    ├── StoreError               the tracking or gateway store failed, or a query ran       503
    │                            longer than its statement timeout
    └── GatewayError             the AI gateway failed                                      502

Each class says whether it is ``retryable``; the single retry loop in
:mod:`jurist.models._http` reads only that attribute. Each class also says which ``http_status`` it is
answered with when it ends a request to ``jurist server`` or the gateway: their exception handlers read
that attribute alone (a subclass inherits its parent's status).
"""

from __future__ import annotations

from collections.abc import Mapping


class JuristError(Exception):
    """Root of every error jurist raises on purpose."""

    retryable: bool = False
    #: A stable, machine-readable code, also used as ``AssessmentError.error_code``.
    code: str = "JURIST_ERROR"
    #: The HTTP status ``jurist server`` and the gateway answer with when this error ends a request.
    http_status: int = 500


class ConfigError(JuristError, ValueError):
    """The caller asked for something that cannot work; the message says how to fix it."""

    code = "CONFIG_ERROR"
    http_status = 400


class NotFoundError(ConfigError):
    """An experiment, run, trace, dataset or judge that the store does not hold (HTTP 404)."""

    code = "NOT_FOUND"
    http_status = 404


class AlreadyExistsError(ConfigError):
    """A name that is already taken, such as a second experiment of one name (HTTP 409)."""

    code = "ALREADY_EXISTS"
    http_status = 409


class OtlpError(ConfigError):
    """An OTLP request that is not a readable ExportTraceServiceRequest; the message says where and why.

    Answered 400, or 415 (``status=415``) for a Content-Type or Content-Encoding the server does not read.
    """

    code = "OTLP_ERROR"

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.http_status = status

    @property
    def status(self) -> int:
        """The HTTP status to answer with (the same as ``http_status``)."""
        return self.http_status


class UnauthorizedError(JuristError):
    """A request to ``jurist server`` or the gateway without the token it needs (HTTP 401)."""

    code = "UNAUTHORIZED"
    http_status = 401


class ProviderError(JuristError):
    """A model provider failed. Carries what the provider said (never the request's secrets)."""

    code = "PROVIDER_ERROR"
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status: int | None = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.body = body
        self.headers = dict(headers) if headers else {}


class AuthError(ProviderError):
    """The provider refused the credentials (HTTP 401/403)."""

    code = "AUTH_ERROR"


class BadRequestError(ProviderError):
    """The provider rejected the request as malformed (HTTP 400/404/422)."""

    code = "BAD_REQUEST"


class ContextLengthError(BadRequestError):
    """The prompt does not fit the model's context window."""

    code = "CONTEXT_LENGTH_EXCEEDED"


class SchemaUnsupportedError(BadRequestError):
    """The endpoint does not accept the structured-output schema (``response_format`` or tool)."""

    code = "SCHEMA_UNSUPPORTED"


class ContentFilteredError(ProviderError):
    """The provider's content filter stopped the answer."""

    code = "CONTENT_FILTERED"


class RateLimitError(ProviderError):
    """HTTP 429. ``retry_after`` is the wait in seconds the provider asked for, if any."""

    retryable = True
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(ProviderError):
    """HTTP 5xx (and Anthropic's 529 overloaded) or a dropped connection."""

    retryable = True
    code = "SERVER_ERROR"


class EngineCrashError(ServerError):
    """The embedded local model's engine process died: a native crash, the OOM killer, a kill.

    Retryable when the engine was restarted for the next attempt; not once its restarts are spent.
    """

    code = "ENGINE_CRASHED"

    def __init__(self, message: str, *, restarted: bool, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retryable = restarted


class ProviderTimeout(ProviderError):
    """The provider did not answer within the timeout."""

    retryable = True
    code = "TIMEOUT"


class JudgeParseError(JuristError):
    """A judge's output could not be parsed into a value of the declared type."""

    code = "PARSE_ERROR"

    def __init__(self, message: str, *, raw: str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class StoreError(JuristError):
    """The tracking store (or the gateway's) failed, or a query ran longer than its statement timeout."""

    code = "STORE_ERROR"
    http_status = 503


class GatewayError(JuristError):
    """The AI gateway failed."""

    code = "GATEWAY_ERROR"
    http_status = 502


__all__ = [
    "AlreadyExistsError",
    "AuthError",
    "BadRequestError",
    "ConfigError",
    "ContentFilteredError",
    "ContextLengthError",
    "EngineCrashError",
    "GatewayError",
    "JudgeParseError",
    "JuristError",
    "NotFoundError",
    "OtlpError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimitError",
    "SchemaUnsupportedError",
    "ServerError",
    "StoreError",
    "UnauthorizedError",
]
