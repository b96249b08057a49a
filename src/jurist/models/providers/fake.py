"""``fake:/<name>``: an offline model answered in this process, for tests and benchmarks (no HTTP, no key).

``fake:/`` and ``fake:/default`` answer every request with a value that fits its output schema; any other
name reaches the :class:`~jurist.models.FakeModel` registered under it, which scripts answers and errors
and records requests. Answers are never cached, so that every call reaches the model and is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping

from jurist.errors import ConfigError
from jurist.models._fake import DEFAULT_NAME, FakeModel, default_answer, fake_model, registered_names, respond
from jurist.models._types import ChatRequest, ChatResponse
from jurist.models.providers._base import Provider


class FakeProvider(Provider):
    """``fake:/<name>``: answered by :class:`~jurist.models.FakeModel`, in this process."""

    name = "fake"
    requires_key = False
    in_process = True
    cacheable = False
    supports_tools = True

    def __init__(self, model: str, *, base_url: str | None = None, extra_headers: Mapping[str, str] | None = None,
                 api_key: str | None = None) -> None:
        super().__init__(model, base_url=base_url or f"fake://{model}", extra_headers=extra_headers, api_key=api_key)

    @property
    def connection_key(self) -> str:
        return f"fake|{self.model}"

    def _model(self) -> FakeModel | None:
        found = fake_model(self.model)
        if found is None and self.model != DEFAULT_NAME:
            known = ", ".join(f"fake:/{n}" for n in registered_names()) or "none yet"
            raise ConfigError(
                f"No fake model is registered as 'fake:/{self.model}' (registered: {known}): create it first with "
                f"jurist.models.FakeModel(..., name={self.model!r}), or use 'fake:/default', which fits any schema."
            )
        return found

    def check_ready(self) -> None:
        self._model()

    async def complete(self, request: ChatRequest) -> ChatResponse:
        model = self._model()
        if model is not None:
            return await model.answer(request)
        return respond(request, default_answer(request), f"fake:/{DEFAULT_NAME}")
