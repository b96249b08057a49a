"""Sign-in and CSRF, checked with a plain HTTP client against a real server (no browser needed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import closing

import httpx

from tests.ui.conftest import UIServer

TOKEN = "s3cret-token-for-tests"


def _csrf(html: str) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    assert m, "the page has no CSRF token"
    return m.group(1)


def _signed_in(server: UIServer) -> httpx.Client:
    c = server.client()
    r = c.post("/login", data={"token": TOKEN, "next": "/experiments"}, headers={"Origin": server.url})
    assert r.status_code == 303 and r.headers["location"] == "/experiments"
    return c


def test_pages_ask_for_sign_in_and_the_cookie_is_not_the_token(start_ui: Callable[..., UIServer]) -> None:
    server = start_ui(token=TOKEN)
    with server.client() as c:
        r = c.get(f"/experiments/{server.experiment_id}/traces?filter=status%20%3D%20%27OK%27")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=/experiments/")
        assert TOKEN not in r.headers["location"]
        login = c.get("/login")
        assert login.status_code == 200 and 'type="password"' in login.text
        wrong = c.post("/login", data={"token": "nope"}, headers={"Origin": server.url})
        assert wrong.status_code == 401 and "not this server" in wrong.text
        assert "jurist_session" not in wrong.cookies
    with closing(_signed_in(server)) as c:
        cookie = c.cookies["jurist_session"]
        assert TOKEN not in cookie
        raw = c.post("/login", data={"token": TOKEN}, headers={"Origin": server.url}).headers["set-cookie"]
        assert "httponly" in raw.lower() and "samesite=strict" in raw.lower()
        assert c.get("/experiments").status_code == 200
        # The REST API still wants the bearer token: a UI session cookie is no key to /api.
        assert c.get("/api/experiments").status_code == 401


def test_a_forged_or_foreign_cookie_is_refused(start_ui: Callable[..., UIServer]) -> None:
    server = start_ui(token=TOKEN)
    other = start_ui(token="another-token")
    with closing(_signed_in(server)) as c:
        cookie = c.cookies["jurist_session"]
    with other.client(cookies={"jurist_session": cookie}) as c:
        assert c.get("/experiments").status_code == 303  # signed with another server's key
    sid = cookie.partition(".")[0]
    with server.client(cookies={"jurist_session": f"{sid}.{'0' * 64}"}) as c:
        assert c.get("/experiments").status_code == 303


def test_posts_need_the_csrf_token_and_the_same_origin(start_ui: Callable[..., UIServer]) -> None:
    server = start_ui(token=TOKEN)
    body = {"name": "tone", "instructions": "Is {{ outputs }} polite?", "model_choice": "fake:/"}
    with server.client() as anonymous:
        assert anonymous.post("/judges/validate", json=body).status_code == 401
    with closing(_signed_in(server)) as c:
        token = _csrf(c.get("/experiments").text)
        assert token
        assert c.post("/judges/validate", json=body).status_code == 403  # no CSRF token
        assert c.post("/judges/validate", json=body, headers={"X-CSRF-Token": "x" * 40}).status_code == 403
        evil = c.post("/judges/validate", json=body, headers={"X-CSRF-Token": token, "Origin": "http://evil.test"})
        assert evil.status_code == 403 and "cross-site" in evil.text
        ok = c.post("/judges/validate", json=body, headers={"X-CSRF-Token": token, "Origin": server.url})
        assert ok.status_code == 200 and ok.json()["errors"] == []
        # A form POST (sign out) is held to the same rules.
        assert c.post("/logout", data={}).status_code == 403
        assert c.post("/logout", data={"csrf_token": token}).status_code == 303


def test_without_a_token_a_browser_still_gets_a_session_for_csrf(ui_server: UIServer) -> None:
    with ui_server.client() as c:
        page = c.get("/experiments")
        assert page.status_code == 200 and "jurist_session" in c.cookies
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        token = _csrf(page.text)
        body = {"name": "tone", "instructions": "Is it polite?", "model_choice": "fake:/"}
        assert c.post("/judges/validate", json=body).status_code == 403
        r = c.post("/judges/validate", json=body, headers={"X-CSRF-Token": token})
        assert r.status_code == 200 and "at least one of" in r.json()["errors"][0]


def test_login_never_redirects_off_the_server(start_ui: Callable[..., UIServer]) -> None:
    server = start_ui(token=TOKEN)
    with server.client() as c:
        for target in ("//evil.test/x", "https://evil.test/", "/\\evil.test"):
            r = c.post("/login", data={"token": TOKEN, "next": target}, headers={"Origin": server.url})
            assert r.headers["location"] == "/experiments"
