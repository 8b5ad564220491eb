"""Fixtures of the action tests: a REAL backend process on loopback (fresh SQLite file,
demo data), a backend that hangs, a port where nothing listens, trackers built from
explicit events, and the project's domain.

The backend runs with the interpreter named by BACKEND_PYTHON (default
.venv-backend/bin/python in the repository).
"""

from __future__ import annotations

import contextlib
import http.server
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from pickup_rules.identity import with_check_digit as id_with_check_digit
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

REPO = Path(__file__).resolve().parents[1]
BACKEND_DIR = REPO / "backend"
SENDER_ID = "test-conversation"
# Staff token of the test backend (staff endpoints set up fresh lists and notices).
STAFF_TOKEN = secrets.token_urlsafe(32)

# The demo people of backend/app/demo.py.
READY = ("陈小明", "330106199001010018")
MAILED = ("林晓红", "33020319880512002X")
COLLECTED = ("赵大伟", "330302199203150030")
PENDING_NATIONAL = ("周文静", "33040219951120004X")
PROXY_REVIEWING = ("吴建国", "330106198707070018")
RETURNED_MAIL = ("孙丽娟", "330102198503150029")
NATIONAL_PUBLISHED = ("郑国强", "330402197806200013")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"backend exited with {process.returncode}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("backend did not become healthy")


# The test backends' "today" (FIXED_TODAY): every date they compute is then the same on
# any day the suite runs, and inside the years chinesecalendar knows.
TEST_TODAY = "2026-06-01"
# A Saturday in December: offices are closed, and the national-exam date (30 working days
# on) falls in a year no calendar knows yet.
YEAR_END_TODAY = "2026-12-12"


@contextlib.contextmanager
def _running_backend(work: Path, today: str) -> Iterator[str]:
    python = os.environ.get("BACKEND_PYTHON") or str(REPO / ".venv-backend" / "bin" / "python")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'backend.db'}",
        "ENVIRONMENT": "development",
        "STAFF_TOKEN": STAFF_TOKEN,
        "FIXED_TODAY": today,
        # The tests look the same demo people up many times.
        "LOOKUP_LIMIT_PER_CLIENT": "10000",
        "LOOKUP_MISSES_PER_CLIENT": "10000",
        "LOOKUP_MISSES_PER_CLIENT_ID": "10000",
        "LOOKUP_BRAKE_MISSES_PER_ID": "10000",
    }
    subprocess.run([python, "-m", "app.prestart", "--demo"], cwd=BACKEND_DIR, env=env, check=True,
                   capture_output=True, timeout=120)
    port = free_port()
    log = (work / "backend.log").open("wb")
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "--factory", "app.main:create_app", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=BACKEND_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def backend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _running_backend(tmp_path_factory.mktemp("backend"), TEST_TODAY) as url:
        yield url


@pytest.fixture(scope="session")
def year_end_backend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _running_backend(tmp_path_factory.mktemp("backend-year-end"), YEAR_END_TODAY) as url:
        yield url


def _point_actions_at(url: str, today: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BACKEND_URL", url)
    monkeypatch.setenv("BACKEND_TIMEOUT", "5")
    monkeypatch.setenv("FIXED_TODAY", today)
    monkeypatch.delenv("BACKEND_PUBLIC_URL", raising=False)
    return url


@pytest.fixture
def backend(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The action client points at the real backend; both count from TEST_TODAY."""
    return _point_actions_at(backend_url, TEST_TODAY, monkeypatch)


@pytest.fixture
def year_end_backend(year_end_backend_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """As `backend`, on a Saturday in December (YEAR_END_TODAY)."""
    return _point_actions_at(year_end_backend_url, YEAR_END_TODAY, monkeypatch)


@pytest.fixture
def backend_down(monkeypatch: pytest.MonkeyPatch) -> str:
    """A loopback port where nothing listens."""
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("BACKEND_URL", url)
    monkeypatch.setenv("BACKEND_TIMEOUT", "1")
    return url


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    delay = 3.0

    def _answer(self) -> None:
        time.sleep(self.delay)
        body = b'{"status": "ok"}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up first
            pass

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def backend_slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A tiny local server that answers only after 3 s; the client's timeout is 0.5 s."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("BACKEND_URL", url)
    monkeypatch.setenv("BACKEND_TIMEOUT", "0.5")
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    with (REPO / "domain.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(slots: dict[str, Any] | None = None, *, intent: str = "inform", text: str = "",
                 entities: list[dict] | None = None, candidates: dict[str, Any] | None = None,
                 active_loop: str | None = None, events: list[dict] | None = None,
                 input_channel: str | None = "rest", sender_id: str = SENDER_ID) -> Tracker:
    """A tracker after one user message. `candidates` are the slot values extracted from
    it (SlotSet events after the user event), which a form validation action validates."""
    parse_data = {"intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "text": text}
    history = list(events or [])
    history.append({"event": "user", "text": text, "parse_data": parse_data, "input_channel": input_channel})
    history += [{"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()]
    all_slots = {**(slots or {}), **(candidates or {})}
    return Tracker(sender_id, all_slots, parse_data, history, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


_serial = iter(range(1, 10_000))


def publish_people(backend_url: str, count: int = 1, *, occupation: str = "电工", level: str = "四级",
                   office_code: str = "330100", people: list[tuple[str, str]] | None = None,
                   batch_no: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Import a new batch of `count` invented people (or the `people` given) through the staff
    API and publish its pickup notice: fresh certificates nobody has applied for yet. Returns
    (batch_no, people)."""
    n = next(_serial)
    stamp = int(time.time()) % 100000
    batch_no = batch_no or f"JD2026{stamp:05d}{n:03d}"
    people = people or [(f"测试{'甲乙丙丁戊己庚辛'[i % 8]}{'一二三四五六七八九十'[n % 10]}", id_with_check_digit(f"330106{1990 + n % 15}0{1 + i % 9}1{i % 10}{n % 1000:03d}"))
                        for i in range(count)]
    rows = ["姓名,身份证号,证书编号,职业,等级,鉴定批次号"] + [
        f"{name},{id_number},ZS{batch_no}{i:03d},{occupation},{level},{batch_no}"
        for i, (name, id_number) in enumerate(people)]
    headers = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    imported = requests.post(f"{backend_url}/api/v1/staff/lists", headers=headers, timeout=10,
                             data={"office_code": office_code, "exam_type": "local"},
                             files={"file": ("list.csv", "\n".join(rows).encode(), "text/csv")})
    assert imported.status_code == 201, imported.text
    notice = requests.post(f"{backend_url}/api/v1/staff/notices", headers=headers, timeout=10, json={
        "office_code": office_code, "batch_nos": [batch_no], "published_on": TEST_TODAY})
    assert notice.status_code == 201, notice.text
    return batch_no, people
