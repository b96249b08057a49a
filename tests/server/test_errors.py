"""Each error of jurist's tree answers with the status its class names, over real HTTP: the REST API,
the OTLP intake and the gateway read ``http_status`` alone, never the message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from jurist import errors
from jurist.server._serve import ServerThread
from tests.server.conftest import TOKEN, Http


def test_the_tree_names_a_status_for_each_class() -> None:
    assert errors.JuristError.http_status == 500
    assert errors.ConfigError.http_status == 400
    assert errors.NotFoundError.http_status == 404 and issubclass(errors.NotFoundError, errors.ConfigError)
    assert errors.AlreadyExistsError.http_status == 409 and issubclass(errors.AlreadyExistsError, errors.ConfigError)
    assert errors.UnauthorizedError.http_status == 401
    assert errors.StoreError.http_status == 503
    assert errors.OtlpError("no").http_status == 400 and errors.OtlpError("no", status=415).http_status == 415
    assert errors.OtlpError("no", status=415).status == 415
    for name in ("NotFoundError", "AlreadyExistsError", "OtlpError", "UnauthorizedError"):
        assert name in errors.__doc__ and name in errors.__all__  # drawn in the tree, and exported


def test_the_old_import_paths_name_the_same_classes() -> None:
    from jurist.gateway._service import Unauthorized
    from jurist.server._otlp import OtlpError
    from jurist.tracking import NotFoundError
    from jurist.tracking._entities import NotFoundError as FromEntities

    assert NotFoundError is FromEntities is errors.NotFoundError
    assert OtlpError is errors.OtlpError
    assert Unauthorized is errors.UnauthorizedError


def _drop(store_path: str, table: str) -> None:
    conn = sqlite3.connect(store_path.removeprefix("sqlite:///"))
    conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()


def test_rest_statuses_follow_the_class(client: Http, store_path: str) -> None:
    assert client.request("POST", "/api/experiments", {"name": "qa"}).status == 201
    cases = [
        (errors.AlreadyExistsError, "ALREADY_EXISTS", ("POST", "/api/experiments", {"name": "qa"})),
        (errors.NotFoundError, "NOT_FOUND", ("GET", "/api/experiments/no-such-id", None)),
        (errors.NotFoundError, "NOT_FOUND", ("DELETE", "/api/monitors/no-such-monitor", None)),
        (errors.NotFoundError, "NOT_FOUND", ("GET", "/api/datasets/no-such-dataset", None)),
        (errors.ConfigError, "BAD_REQUEST", ("POST", "/api/traces/search", {"filter_string": "nonsense ==="})),
    ]
    for cls, code, (method, path, body) in cases:
        r = client.request(method, path, body)
        assert (r.status, r.json["error_code"]) == (cls.http_status, code), (path, r.body)
    _drop(store_path, "judges")  # the database fails under the server
    r = client.request("GET", "/api/judges")
    assert (r.status, r.json["error_code"]) == (errors.StoreError.http_status, "STORE_ERROR")
    assert "no such table" in r.json["message"]


def test_a_missing_token_is_an_unauthorized_error(secured: ServerThread) -> None:
    http = Http(secured.port)
    r = http.request("GET", "/api/experiments")
    assert r.status == errors.UnauthorizedError.http_status
    assert r.json["error_code"] == "UNAUTHORIZED" and r.headers["www-authenticate"] == "Bearer"
    assert "JURIST_TRACKING_TOKEN" in r.json["message"]
    otlp = http.request("POST", "/v1/traces", b"{}", {"Content-Type": "application/json"})
    assert otlp.status == 401
    ok = http.request("GET", "/api/experiments", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status == 200


def test_otlp_statuses_follow_the_class(client: Http, store_path: str) -> None:
    as_json = {"Content-Type": "application/json"}
    r = client.request("POST", "/v1/traces", b"{}", {**as_json, "Content-Encoding": "br"})
    assert r.status == 415 and "Content-Encoding" in r.json["message"]
    r = client.request("POST", "/v1/traces", b"{not json", as_json)
    assert r.status == errors.OtlpError.http_status and r.json["code"] == 3
    span = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "root", "startTimeUnixNano": "1",
            "endTimeUnixNano": "2"}
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    r = client.request("POST", "/v1/traces", body, {**as_json, "x-jurist-experiment-id": "no-such-id"})
    assert r.status == errors.NotFoundError.http_status and r.json["code"] == 5
    _drop(store_path, "spans")
    r = client.request("POST", "/v1/traces", body, as_json)
    assert r.status == errors.StoreError.http_status and r.json["code"] == 14


@pytest.fixture
def gateway_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "gateway.db"
    monkeypatch.setenv("JURIST_GATEWAY_DB", f"sqlite:///{path}")
    monkeypatch.setenv("JURIST_GATEWAY_ADMIN_TOKEN", "admin-token")
    monkeypatch.setenv("JURIST_SECRET_KEY", "yqxbNTeRjvxVYQ0itrwDUeijs7L1jlD1a9q0WHwDmo4=")
    return str(path)


def test_gateway_statuses_follow_the_class(gateway_db: str) -> None:
    import httpx

    from jurist.gateway import create_gateway_app
    from tests.gateway.conftest import Served

    served = Served(create_gateway_app(None)).start()
    try:
        admin = {"Authorization": "Bearer admin-token"}
        made = httpx.post(f"{served.url}/admin/clients", json={"name": "ci"}, headers=admin)
        assert made.status_code == 201
        r = httpx.get(f"{served.url}/v1/models", headers={"Authorization": "Bearer not-a-client-token"})
        assert r.status_code == errors.UnauthorizedError.http_status
        assert r.json()["error"]["code"] == "invalid_client_token" and r.headers["www-authenticate"] == "Bearer"
        r = httpx.get(f"{served.url}/v1/models/anything", headers={})
        assert r.status_code == 401
        conn = sqlite3.connect(gateway_db)
        conn.execute("DROP TABLE gateway_secrets")
        conn.commit()
        conn.close()
        r = httpx.get(f"{served.url}/admin/secrets", headers=admin)
        assert r.status_code == errors.StoreError.http_status and r.json()["error"]["code"] == "store_unavailable"
    finally:
        served.stop()
