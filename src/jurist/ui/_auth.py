"""``/login`` and ``/logout``: sign in with the server token; the browser keeps a signed session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from jurist.ui._context import SECURITY_HEADERS, SESSION_COOKIE, UI, form_data, post_session, same_origin


def _safe_next(target: str | None) -> str:
    """Only a path on this server: never another site (``//evil``, ``https://…``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/experiments"
    return target


def router(ui: UI) -> APIRouter:
    r = APIRouter()

    @r.get("/login")
    def login_page(request: Request, next: str | None = None) -> Response:
        if not ui.login_required or ui.session_id(request):
            return RedirectResponse(_safe_next(next), status_code=303)
        return ui.page(request, "login.html", next=_safe_next(next), error="")

    @r.post("/login")
    async def login(request: Request) -> Response:
        form = await form_data(request)
        token, next = form.get("token", ""), form.get("next", "")
        if not ui.login_required:
            return RedirectResponse(_safe_next(next), status_code=303)
        if not same_origin(request):
            return ui.page(request, "login.html", status_code=403, next=_safe_next(next),
                           error="Sign in from this server's own login page.")
        if not ui.check_token(token):
            return ui.page(request, "login.html", status_code=401, next=_safe_next(next),
                           error="That is not this server's token. It is the value of JURIST_SERVER_TOKEN "
                                 "(or --token) the server was started with.")
        response = RedirectResponse(_safe_next(next), status_code=303, headers=SECURITY_HEADERS)
        ui.set_session_cookie(request, response, ui.new_session())
        return response

    @r.post("/logout", dependencies=[Depends(post_session(ui))])
    def logout() -> Response:
        response = RedirectResponse("/login" if ui.login_required else "/experiments", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return r
