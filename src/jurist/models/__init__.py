"""Model URIs, chat request/response types, and the client that calls providers."""

from jurist.models._client import ModelClient, flush_cache
from jurist.models._fake import FakeModel
from jurist.models._http import RetryPolicy
from jurist.models._pricing import cost_usd
from jurist.models._types import (
    ChatRequest,
    ChatResponse,
    Message,
    ResponseSchema,
    TokenLogprob,
    Tool,
    ToolCall,
    Usage,
)
from jurist.models._uri import ModelURI, default_model, parse_model_uri

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "FakeModel",
    "Message",
    "ModelClient",
    "ModelURI",
    "ResponseSchema",
    "RetryPolicy",
    "TokenLogprob",
    "Tool",
    "ToolCall",
    "Usage",
    "cost_usd",
    "default_model",
    "flush_cache",
    "parse_model_uri",
]
