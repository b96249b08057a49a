"""What every route of the server shares: bearer-token auth, the error body, and the one exception handler.

An error of jurist's tree answers with the status its class names (``http_status``, see
:mod:`jurist.errors`) and ``{"error_code", "message"}``; no message is read to choose it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse

from jurist.errors import JuristError, UnauthorizedError
from jurist.server._schemas import ErrorOut

#: The error answers the OpenAPI spec lists on every ``/api`` route.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A bad request; the message says what to fix"},
    401: {"model": ErrorOut, "description": "A missing or wrong bearer token"},
    404: {"model": ErrorOut, "description": "No such experiment, run, trace or judge"},
}

#: ``error_code`` in the body, by status (the REST client and MLflow-style callers read these).
_BODY_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 409: "ALREADY_EXISTS",
               503: "STORE_ERROR"}

UNAUTHORIZED = ("this server needs 'Authorization: Bearer <token>' with its token "
                "(the client reads it from JURIST_TRACKING_TOKEN)")


def error(status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status_code, headers=headers)


def bearer_auth(secret: str | None) -> Callable[..., None]:
    """A dependency that lets a request through when ``secret`` is None or its bearer token equals it."""

    def auth(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if secret is None:
            return
        given = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise UnauthorizedError(UNAUTHORIZED)

    return auth


def add_error_handler(app: FastAPI) -> None:
    """Answer every :class:`~jurist.errors.JuristError` with its class's status and the error body."""

    async def _jurist_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JuristError)
        status = exc.http_status
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, UnauthorizedError) else None
        return error(status, _BODY_CODES.get(status, exc.code), str(exc), headers)

    app.add_exception_handler(JuristError, _jurist_error)
