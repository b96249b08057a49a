"""What every page of the UI shares: the store and gateway it reads, templates, sessions, CSRF, headers.

Sessions. With a server token set, a person signs in once on ``/login`` by typing the token; the browser
then holds a session cookie (HttpOnly, SameSite=Strict) whose value is a random id signed with a key
derived from the token by HMAC, never the token itself. Changing the token ends every session. Without a
token there is nothing to sign in to, but each browser still gets a signed session cookie, made with a
key this process draws at start, so that forms can carry a CSRF token.

CSRF. Every POST must carry the session's CSRF token (the ``csrf_token`` form field or the
``X-CSRF-Token`` header; an HMAC of the session id) and, when the browser sends one, an ``Origin`` that is
the server's own. A cross-site form can neither read the token nor pass the origin check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from jurist.tracking._store import Store

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "jurist_session"
#: How long a session lasts before signing in again (seconds).
SESSION_TTL_S = 7 * 24 * 3600

#: Sent with every page: scripts and styles only from this server, no inline script, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every value renders as text: judged outputs may hold markup or <script>
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from jurist.ui import _format

    env.filters.update(_format.FILTERS)
    return env


@dataclass
class UI:
    """The UI's state: built once by :func:`jurist.ui.create_ui` and handed to every section's router."""

    store: Store
    #: The server's running monitors by id (shared with ``/api/monitors``).
    monitors: dict[str, Any]
    #: The server token, or None when the server runs without one.
    token: str | None = None
    #: The mounted AI Gateway (:class:`jurist.gateway.Gateway`), or None.
    gateway: Any = None
    #: Background runs of saved judges over an experiment's traces, by id (in memory).
    jobs: dict[str, Any] = field(default_factory=dict)
    env: jinja2.Environment = field(default_factory=_environment)
    key: bytes = b""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = (hmac.new(self.token.encode(), b"jurist-ui-session-key", hashlib.sha256).digest()
                        if self.token else secrets.token_bytes(32))

    @property
    def login_required(self) -> bool:
        return bool(self.token)

    # -- sessions -------------------------------------------------------------------------------
    def _sign(self, purpose: str, value: str) -> str:
        return hmac.new(self.key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def new_session(self) -> str:
        sid = f"{int(time.time())}-{secrets.token_hex(16)}"
        return f"{sid}.{self._sign('session', sid)}"

    def session_id(self, request: Request) -> str | None:
        """The id of the request's valid session, or None."""
        cookie = request.cookies.get(SESSION_COOKIE) or ""
        sid, _, sig = cookie.partition(".")
        if not sid or not hmac.compare_digest(sig, self._sign("session", sid)):
            return None
        try:
            issued = int(sid.split("-", 1)[0])
        except ValueError:
            return None
        return sid if 0 <= time.time() - issued < SESSION_TTL_S else None

    def csrf_token(self, sid: str) -> str:
        return self._sign("csrf", sid)[:40]

    def check_token(self, typed: str) -> bool:
        return bool(self.token) and hmac.compare_digest(typed.strip().encode(), str(self.token).encode())

    def set_session_cookie(self, request: Request, response: Response, value: str) -> None:
        response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_TTL_S, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")

    # -- rendering ------------------------------------------------------------------------------
    def page(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page from ``templates/<template>``, with the session's CSRF token and the security headers."""
        sid: str = getattr(request.state, "ui_session", None) or ""
        html = self.env.get_template(template).render(
            request_path=request.url.path, csrf_token=self.csrf_token(sid) if sid else "",
            login_required=self.login_required, signed_in=bool(sid), **context)
        response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
        fresh = getattr(request.state, "ui_new_session", None)
        if fresh:
            self.set_session_cookie(request, response, fresh)
        return response

    def error_page(self, request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
        return self.page(request, "error.html", status_code=status_code, title=title, message=message)


async def form_data(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (first value of each field); {} otherwise.

    The UI's forms are all urlencoded (no file uploads), so they need no multipart parser."""
    if "application/x-www-form-urlencoded" not in (request.headers.get("content-type") or ""):
        return {}
    cached = getattr(request.state, "ui_form", None)
    if cached is None:
        fields = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
        cached = {k: v[0] for k, v in fields.items()}
        request.state.ui_form = cached
    return cached


def json_response(body: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


# -- dependencies -----------------------------------------------------------------------------------
def page_session(ui: UI) -> Any:
    """A dependency for pages: the session id; without a valid session, off to the login page (token set)
    or a fresh session (no token)."""

    def dep(request: Request) -> str:
        sid = ui.session_id(request)
        if sid is None:
            if ui.login_required:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise HTTPException(303, "sign in first", headers={"Location": f"/login?next={quote(target)}"})
            fresh = ui.new_session()
            request.state.ui_new_session = fresh
            sid = fresh.partition(".")[0]
        request.state.ui_session = sid
        return sid

    return dep


def same_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` (else ``Referer``), when it has one, is this server."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin") or ""
    if not origin or origin == "null":
        referer = request.headers.get("referer") or ""
        if not referer:
            return origin != "null"
        origin = "/".join(referer.split("/")[:3])
    host = request.headers.get("host") or ""
    return origin in (f"http://{host}", f"https://{host}")


def post_session(ui: UI) -> Any:
    """A dependency for POSTs: a valid session, its CSRF token, and a same-origin request; else 401/403."""

    async def dep(request: Request) -> str:
        sid = ui.session_id(request)
        if sid is None:
            raise HTTPException(401, "sign in first: this server asks for its token on /login"
                                if ui.login_required else "your session has expired: reload the page")
        if not same_origin(request):
            raise HTTPException(403, "cross-site request refused: submit forms from this server's own pages")
        given = request.headers.get("x-csrf-token") or ""
        if not given:
            given = (await form_data(request)).get("csrf_token", "")
        if not hmac.compare_digest(given.encode(), ui.csrf_token(sid).encode()):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        request.state.ui_session = sid
        return sid

    return dep
