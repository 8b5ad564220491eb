"""Start the project's three servers on free loopback ports for the browser tests: the
backend (fresh SQLite file with the demo data, `python -m app.prestart --demo`, then
uvicorn), the action server (`rasa run actions`) and Rasa (`rasa run --enable-api` with
the trained model in models/, a temporary endpoints file pointing at that action
server, and the project's credentials.yml with the WeChat channel pointed at a recorder
on loopback that plays WeChat's API, tests/channels/recorder.py).

Each server's output goes to a log file in the given directory; `Server.log_tail()`
shows it when a test fails. A module of its own rather than conftest.py, so that other
test folders can import it.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from tests.channels.recorder import Recorder

REPO = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO / "backend"
WECHAT_TOKEN = "browser-tests-wechat-token"
# The servers' "today" (FIXED_TODAY), as in tests/conftest.py: the same dates on any day.
FIXED_TODAY = "2026-06-01"


def rasa_bin() -> Path:
    """`rasa` of the Rasa environment: RASA_VENV, else .venv-rasa."""
    for venv in (os.environ.get("RASA_VENV"), REPO / ".venv-rasa"):
        if venv and (Path(venv) / "bin" / "rasa").exists():
            return Path(venv) / "bin" / "rasa"
    raise RuntimeError("no Rasa environment found: run `make venvs` or set RASA_VENV")


def backend_python() -> Path:
    return Path(os.environ.get("BACKEND_PYTHON") or REPO / ".venv-backend" / "bin" / "python")


def trained_model() -> Path | None:
    models = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    url: str
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> "Server":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def wait_until(self, probe_url: str, seconds: float) -> "Server":
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process and self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                if requests.get(probe_url, timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer {probe_url} within {seconds:.0f} s:\n{self.log_tail()}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to the server's own process group (it started it), then SIGKILL."""
        if not self.running:
            return
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass

    def log_tail(self, chars: int = 4000) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return text[-chars:]


@dataclass
class Stack:
    backend: Server
    actions: Server
    rasa: Server
    staff_token: str
    rasa_token: str
    logs: Path
    wechat: Recorder

    @property
    def servers(self) -> list[Server]:
        return [self.backend, self.actions, self.rasa]

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.wechat.stop()

    def logs_report(self) -> str:
        return "\n".join(f"----- {s.name} ({s.log_path}) -----\n{s.log_tail()}" for s in self.servers)


def credentials_with_wechat(target: Path, wechat: Recorder) -> Path:
    """credentials.yml with the WeChat channel speaking to the recorder that plays WeChat's API."""
    with (REPO / "credentials.yml").open(encoding="utf-8") as f:
        credentials = yaml.safe_load(f) or {}
    [key] = [k for k in credentials if "wechat" in k.lower()]
    credentials[key] = {**(credentials[key] or {}), "token": WECHAT_TOKEN, "appid": wechat.appid,
                        "secret": wechat.secret, "api_base_url": wechat.base_url}
    target.write_text(yaml.safe_dump(credentials, allow_unicode=True), encoding="utf-8")
    return target


def endpoints_for(actions_url: str, target: Path, events_db: Path | None = None) -> Path:
    """The project's endpoints.yml with this stack's action server, a tracker store of its own
    (the same kind, its file beside the target) and the event broker writing `events_db` (the
    backend reads it for the console's unanswered questions)."""
    with (REPO / "endpoints.yml").open(encoding="utf-8") as f:
        endpoints = yaml.safe_load(f) or {}
    endpoints.setdefault("action_endpoint", {})["url"] = f"{actions_url}/webhook"
    if endpoints.get("tracker_store", {}).get("dialect") == "sqlite":
        endpoints["tracker_store"]["db"] = str(target.parent / "tracker.db")
    if endpoints.get("event_broker", {}).get("dialect") == "sqlite":
        endpoints["event_broker"]["db"] = str(events_db or target.parent / "events.db")
    target.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return target


def start_stack(work: Path, *, model: Path, debug_logs: bool = False) -> Stack:
    """Backend, action server and Rasa, each on a free port; all stopped if one fails.

    `debug_logs` runs the action server and Rasa with --debug: their debug lines print slot
    values and message texts, the hardest case for "no full ID number in any log"."""
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    staff_token = secrets.token_urlsafe(32)
    # hex: a urlsafe token starting with "-" is read by `rasa run` as an option (1 run in 64).
    # The backend signs JWTs with the secret; the token is for the tests' own calls to Rasa.
    rasa_token = secrets.token_hex(24)
    rasa_jwt_secret = secrets.token_hex(32)
    ports = {name: free_port() for name in ("backend", "actions", "rasa")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1", "FIXED_TODAY": FIXED_TODAY}

    backend_env = {
        **base_env,
        "DATABASE_URL": f"sqlite:///{work / 'backend.db'}",
        "ENVIRONMENT": "development",
        "STAFF_TOKEN": staff_token,
        "RASA_URL": urls["rasa"],
        "RASA_JWT_SECRET": rasa_jwt_secret,
        "RASA_EVENTS_URL": f"sqlite:///{work / 'rasa_events.db'}",
        # The tests look the same demo people up several times.
        "LOOKUP_LIMIT_PER_CLIENT": "10000",
        "LOOKUP_MISSES_PER_CLIENT": "10000",
        "LOOKUP_MISSES_PER_CLIENT_ID": "10000",
    }
    prestart = subprocess.run([str(backend_python()), "-m", "app.prestart", "--demo"], cwd=BACKEND_DIR,
                              env=backend_env, capture_output=True, text=True, timeout=180)
    if prestart.returncode != 0:
        raise RuntimeError(f"app.prestart --demo failed:\n{prestart.stdout}\n{prestart.stderr}")

    wechat = Recorder(appid="wx" + secrets.token_hex(8), secret=secrets.token_hex(16)).start()
    rasa = rasa_bin()
    debug = ["--debug"] if debug_logs else []
    rasa_env = {**base_env, "PYTHONPATH": str(REPO), "RASA_TELEMETRY_ENABLED": "false",
                "TRACKER_STORE_KEY": secrets.token_urlsafe(32)}
    stack = Stack(
        backend=Server("backend", [str(backend_python()), "-m", "uvicorn", "--factory", "app.main:create_app",
                                   "--host", "127.0.0.1", "--port", str(ports["backend"]),
                                   "--forwarded-allow-ips", ""],
                       BACKEND_DIR, backend_env, logs / "backend.log", urls["backend"]),
        actions=Server("action server", [str(rasa), "run", "actions", "--actions", "actions",
                                         "--port", str(ports["actions"]), *debug],
                       REPO, {**rasa_env, "BACKEND_URL": urls["backend"], "BACKEND_PUBLIC_URL": urls["backend"]},
                       logs / "actions.log", urls["actions"]),
        rasa=Server("rasa", [str(rasa), "run", "--enable-api", "--jwt-secret", rasa_jwt_secret,
                             "--auth-token", rasa_token,
                             "--interface", "127.0.0.1", "--port", str(ports["rasa"]), "--cors", "*",
                             "--model", str(model),
                             "--credentials", str(credentials_with_wechat(work / "credentials.yml", wechat)),
                             "--endpoints", str(endpoints_for(urls["actions"], work / "endpoints.yml",
                                                             work / "rasa_events.db")), *debug],
                    REPO, rasa_env, logs / "rasa.log", urls["rasa"]),
        staff_token=staff_token, rasa_token=rasa_token, logs=logs, wechat=wechat,
    )
    try:
        # All three start at once (2 cores: Rasa's model load is the long pole).
        for server in stack.servers:
            server.start()
        stack.backend.wait_until(f"{urls['backend']}/api/v1/health", 90)
        stack.actions.wait_until(f"{urls['actions']}/health", 180)
        # RASA_START_SECONDS: longer on a machine shared with other test runs (2 cores).
        stack.rasa.wait_until(f"{urls['rasa']}/status?token={rasa_token}",
                              float(os.environ.get("RASA_START_SECONDS", "420")))
    except BaseException:
        stack.stop()
        raise
    return stack


def staff_user(stack: Stack, username: str, role: str, office: str, password: str) -> None:
    """An account as `make staff-user` makes it (app.staff_user, STAFF_PASSWORD), in the stack's database."""
    done = subprocess.run([str(backend_python()), "-m", "app.staff_user", "--username", username, "--role", role,
                           "--office", office], cwd=BACKEND_DIR, env={**stack.backend.env, "STAFF_PASSWORD": password},
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"app.staff_user failed:\n{done.stdout}\n{done.stderr}")
