"""The edge (app/core/edge.py): the staff token before a byte of a staff body is read, every
body held to its route's cap, security headers, and the settings the server starts with.

The upload cases run twice: against the ASGI app in process, counting every byte the app pulls
from the request, and against a real uvicorn on loopback, counting what the server process
writes (/proc/<pid>/io: a spooled upload is written to a temporary file). The forged upload
is 300 MB, streamed from a generator; neither side ever holds it whole."""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pydantic import ValidationError

from app.core.config import Settings
from app.core.edge import DEFAULT_CAP, LIST_UPLOAD_CAP, SECURITY_HEADERS, STAFF_JSON_CAP
from app.main import create_app
from app.prestart import migrate
from tests.conftest import STAFF_TOKEN, _free_port, make_client

BACKEND_DIR = Path(__file__).resolve().parents[1]
FORGED_BYTES = 300 * 1024 * 1024
CHUNK = 256 * 1024
BOUNDARY = "edgeboundary7MA4YWxkTrZu0gW"


def _multipart_head() -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"office_code\"\r\n\r\n330100\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()


def forged_upload(total: int = FORGED_BYTES) -> Iterator[bytes]:
    """A multipart list upload of `total` bytes, made as it is sent."""
    yield _multipart_head()
    sent = len(_multipart_head())
    row = "张三,330106196501010012,ZS0001,电工,四级,JD1\n".encode() * 4096
    while sent < total:
        chunk = row[:min(len(row), total - sent)]
        sent += len(chunk)
        yield chunk


# -- in process: what the app reads ------------------------------------------------------------

def _app():
    return create_app(Settings(environment="test", database_url="sqlite://", staff_token=STAFF_TOKEN))


def call_asgi(app, method: str, path: str, headers: dict[str, str], body: Iterator[bytes]):
    """One request through the ASGI app; the body is pulled chunk by chunk and counted."""
    pulled = 0
    messages: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        chunk = next(body, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict) -> None:
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, content, pulled


UPLOAD_HEADERS = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
LENGTHS = {
    "chunked": {"transfer-encoding": "chunked"},
    "declared": {"content-length": str(FORGED_BYTES)},
    "lying": {"content-length": "1000"},
}


@pytest.mark.parametrize("length", LENGTHS)
def test_an_anonymous_upload_is_refused_before_a_byte_is_read(length):
    status, headers, content, pulled = call_asgi(
        _app(), "POST", "/api/v1/staff/lists", {**UPLOAD_HEADERS, **LENGTHS[length]}, forged_upload())
    assert status == 401
    assert json.loads(content)["code"] == "unauthorized"
    assert headers["www-authenticate"] == "Bearer"
    assert pulled == 0


@pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer wrong-token", f"Basic {STAFF_TOKEN}",
                                           f"Bearer {STAFF_TOKEN}x", "Bearer 令牌"])
def test_every_staff_path_wants_the_token_first(authorization):
    for path in ("/api/v1/staff/offices", "/api/v1/staff/nowhere", "/api/v1/hotline/ask"):
        status, _, content, pulled = call_asgi(_app(), "PUT", path, {"authorization": authorization},
                                               iter([b"{}"]))
        assert (status, json.loads(content)["code"], pulled) == (401, "unauthorized", 0)


def test_a_staff_upload_past_the_cap_is_cut_off_at_the_cap():
    status, _, content, pulled = call_asgi(
        _app(), "POST", "/api/v1/staff/lists",
        {**UPLOAD_HEADERS, "transfer-encoding": "chunked", "authorization": f"Bearer {STAFF_TOKEN}"},
        forged_upload())
    assert status == 413
    body = json.loads(content)
    assert body["code"] == "body_too_large" and "50MB" in body["message"]
    assert LIST_UPLOAD_CAP.limit < pulled <= LIST_UPLOAD_CAP.limit + 2 * CHUNK


def test_a_declared_length_over_the_cap_is_refused_unread():
    status, _, content, pulled = call_asgi(
        _app(), "POST", "/api/v1/staff/lists",
        {**UPLOAD_HEADERS, "content-length": str(FORGED_BYTES), "authorization": f"Bearer {STAFF_TOKEN}"},
        forged_upload())
    assert (status, json.loads(content)["code"], pulled) == (413, "body_too_large", 0)


@pytest.mark.parametrize(("path", "cap"), [("/api/v1/status", DEFAULT_CAP),
                                           ("/api/v1/staff/collections", STAFF_JSON_CAP)])
def test_json_bodies_have_a_small_cap(path, cap):
    big = json.dumps({"certificate_nos": ["ZS0001"] * (cap.limit // 8)}).encode()
    chunks = [big[i:i + CHUNK] for i in range(0, len(big), CHUNK)]
    headers = {"content-type": "application/json", "authorization": f"Bearer {STAFF_TOKEN}"}
    status, _, content, _ = call_asgi(_app(), "POST", path, {**headers, "transfer-encoding": "chunked"},
                                      iter(chunks))
    assert (status, json.loads(content)["code"]) == (413, "body_too_large")
    status, _, content, pulled = call_asgi(_app(), "POST", path, {**headers, "content-length": str(len(big))},
                                           iter(chunks))
    assert (status, json.loads(content)["code"], pulled) == (413, "body_too_large", 0)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in json.loads(content)["message"])


def test_a_body_within_its_cap_goes_through(client):
    response = client.post("/api/v1/status", content=b"x" * 1000, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


# -- a real server: what reaches the disk, and what the access log keeps ----------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """uvicorn as `make backend` starts it, in production mode; its temporary files go to a
    folder of the test's own."""
    work = tmp_path_factory.mktemp("edge-server")
    (work / "spool").mkdir()
    database = f"sqlite:///{work / 'backend.db'}"
    migrate(database)
    port = _free_port()
    env = {**os.environ, "ENVIRONMENT": "production", "STAFF_TOKEN": STAFF_TOKEN, "DATABASE_URL": database,
           "TMPDIR": str(work / "spool"), "PYTHONUNBUFFERED": "1"}
    log = (work / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app",
                                "--host", "127.0.0.1", "--port", str(port)],
                               cwd=BACKEND_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, (work / "server.log").read_text()
            time.sleep(0.2)
        yield {"url": url, "port": port, "pid": process.pid, "log": work / "server.log", "spool": work / "spool"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _written(pid: int) -> int:
    """Bytes the process has passed to write(): a spooled upload is written to its temp file."""
    fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return int(fields["wchar"])


def send_raw(port: int, head: str, body: Iterator[bytes], *, chunked: bool) -> tuple[int, dict, int]:
    """Sends the request until the server answers (or the body ends); returns the status, the JSON
    body and how many body bytes went out."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        for chunk in body:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered
            data = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        response = b""
        sock.settimeout(120)
        try:
            while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                response += data
        except ConnectionResetError:
            pass
    status = int(response.split(b" ", 2)[1])
    return status, json.loads(response.split(b"\r\n\r\n", 1)[1]), sent


def _upload_head(port: int, length: str, token: str | None = None) -> str:
    lines = ["POST /api/v1/staff/lists HTTP/1.1", f"Host: 127.0.0.1:{port}",
             f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
             "Transfer-Encoding: chunked" if length == "chunked"
             else f"Content-Length: {FORGED_BYTES if length == 'declared' else 1000}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return "\r\n".join(lines) + "\r\n\r\n"


@pytest.mark.parametrize("length", LENGTHS)
def test_a_forged_anonymous_upload_never_reaches_the_disk(server, length):
    before = _written(server["pid"])
    status, body, sent = send_raw(server["port"], _upload_head(server["port"], length), forged_upload(),
                                  chunked=length == "chunked")
    assert (status, body["code"]) == (401, "unauthorized")
    assert sent < FORGED_BYTES
    assert _written(server["pid"]) - before < 1024 * 1024
    assert list(server["spool"].iterdir()) == []
    assert requests.get(f"{server['url']}/api/v1/health", timeout=5).json() == {"status": "ok"}


def test_a_staff_upload_stops_at_the_cap_on_a_real_server(server):
    before = _written(server["pid"])
    status, body, sent = send_raw(server["port"], _upload_head(server["port"], "chunked", STAFF_TOKEN),
                                  forged_upload(), chunked=True)
    assert (status, body["code"]) == (413, "body_too_large")
    assert sent < FORGED_BYTES
    assert _written(server["pid"]) - before < LIST_UPLOAD_CAP.limit + 4 * 1024 * 1024
    assert requests.get(f"{server['url']}/api/v1/health", timeout=5).json() == {"status": "ok"}


def test_too_large_json_on_a_real_server(server):
    response = requests.post(f"{server['url']}/api/v1/status", data=b"{" + b" " * (DEFAULT_CAP.limit + 1) + b"}",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert (response.status_code, response.json()["code"]) == (413, "body_too_large")
    assert requests.get(f"{server['url']}/api/v1/health", timeout=5).status_code == 200


def test_the_access_log_keeps_neither_tokens_nor_id_numbers(server):
    secret = "tok-3Fq9_zW1xY2v8Lr0mNcKpA"
    holder_id = "330102195710279358"
    for path in (f"/api/v1/applications/SQ20260930000001/contact-form?token={secret}",
                 f"/api/v1/applications/SQ20260930000001/contact-form?x=1&TOKEN={secret}",
                 f"/api/v1/applications/SQ20260930000001/contact-form?tok%65n={secret}",  # requests decodes it
                 f"/api/v1/applications/{holder_id}", f"/api/v1/offices?city={holder_id}"):
        assert requests.get(server["url"] + path, timeout=5).status_code in (200, 404, 422)
    time.sleep(0.5)
    log = server["log"].read_text()
    assert "/contact-form?token=***" in log and "TOKEN=***" in log
    assert secret not in log and holder_id not in log
    assert "330102********9358" in log


# -- headers ------------------------------------------------------------------------------------

def test_every_answer_carries_the_security_headers(client):
    for response in (client.get("/api/v1/health"), client.get("/api/v1/nowhere"),
                     client.post("/api/v1/staff/offices")):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (response.url, name)


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ")}


def test_the_pages_name_what_they_may_load(client):
    demo = _directives(client.get("/demo"))
    assert demo["script-src"] == "'self'" and "unsafe" not in " ".join(demo.values())
    # The widget reaches Rasa from the browser: over HTTP and socket.io's websocket.
    assert demo["connect-src"] == "'self' http://127.0.0.1:5005 ws://127.0.0.1:5005"
    assert demo["style-src"].startswith("'self' 'sha256-")
    assert demo["frame-ancestors"] == "'none'"
    hotline = _directives(client.get("/hotline"))
    assert hotline["script-src"] == hotline["connect-src"] == "'self'"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert _directives(docs)["script-src"].startswith("https://cdn.jsdelivr.net 'sha256-")
    for page in ("/demo", "/hotline", "/docs"):
        response = client.get(page)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_rasa_address_that_is_not_an_origin_is_left_out_of_the_policy(engine, settings):
    for url in ("https://rasa.example.gov.cn; script-src *", "http://[::1", "javascript:alert(1)"):
        odd = settings.model_copy(update={"rasa_public_url": url})
        with make_client(odd, engine) as client:
            demo = _directives(client.get("/demo"))
        assert demo["connect-src"] == "'self'" and demo["script-src"] == "'self'"


# -- settings -------------------------------------------------------------------------------------

def test_without_environment_the_server_is_production(monkeypatch):
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.delenv("STAFF_TOKEN", raising=False)
    assert Settings(staff_token="x7Q-b9zL_2mK4pW8nR1tY6vC").environment == "production"
    with pytest.raises(ValidationError, match="STAFF_TOKEN must be set"):
        Settings()


@pytest.mark.parametrize("token", ["a", "changethis", "a" * 40, "12" * 20, "0123456789abcdefghij"])
def test_weak_staff_tokens_are_refused_outside_development(monkeypatch, token):
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.setenv("STAFF_TOKEN", token)
    with pytest.raises(ValidationError, match="too weak"):
        Settings()
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert Settings().staff_token == token


def test_a_server_started_without_environment_refuses_a_weak_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ENVIRONMENT"}
    started = subprocess.run(
        [sys.executable, "-c", "from app.main import create_app; create_app()"], cwd=BACKEND_DIR,
        env={**env, "STAFF_TOKEN": "a", "DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"},
        capture_output=True, text=True, timeout=60)
    assert started.returncode != 0 and "STAFF_TOKEN is too weak" in started.stderr
