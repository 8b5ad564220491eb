"""`make cluster` for the tests: scripts/cluster.sh started in a folder of its own on free
loopback ports, and the fault helpers: which Rasa process served a turn (nginx's access log),
a service's pid and its supervisor's (run/NAME.pid, run/NAME.supervisor.pid)."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
# The servers' "today", as in the other suites: the same dates on any day the suite runs.
FIXED_TODAY = "2026-06-01"
START_SECONDS = 1200
# Figures of the run, printed at its end (conftest.py).
REPORT: dict[str, str] = {}


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_base() -> int:
    """A base port whose whole block (base .. base+42) is free, as scripts/cluster.sh counts."""
    for _ in range(200):
        base = random.randrange(20000, 60000, 100)
        if all(_port_free(base + n) for n in range(0, 43)):
            return base
    raise RuntimeError("no free block of ports")


@dataclass
class Cluster:
    root: Path
    url: str
    base: int
    staff_token: str
    process: subprocess.Popen | None
    started_in: float

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def pid(self, name: str) -> int:
        return int((self.root / "run" / f"{name}.pid").read_text().split()[0])

    def supervisor_pid(self, name: str) -> int:
        return int((self.root / "run" / f"{name}.supervisor.pid").read_text().split()[0])

    def postmaster_pid(self) -> int:
        return int((self.root / "pg" / "postmaster.pid").read_text().split()[0])

    def rasa_name(self, port: int) -> str:
        return {self.base + 21: "rasa-1", self.base + 22: "rasa-2"}[port]

    @property
    def redis_port(self) -> int:
        return self.base + 11

    @property
    def pg_port(self) -> int:
        return self.base + 10

    def last_upstreams(self, path: str) -> list[int]:
        """The processes nginx tried, in order, for the last request to `path`."""
        lines = (self.logs / "nginx-access.log").read_text().splitlines()
        for line in reversed(lines):
            if f" {path}\"" in line:
                return [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", line.split("upstream=")[1])]
        raise AssertionError(f"no request to {path} in nginx's log")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@contextmanager
def started_cluster() -> Iterator[Cluster]:
    """A new cluster, stopped afterwards; or, with TEST_CLUSTER_DIR (and TEST_CLUSTER_PORT,
    TEST_CLUSTER_BASE_PORT as it was started with), a running `make cluster` left running."""
    if os.environ.get("TEST_CLUSTER_DIR"):
        root = Path(os.environ["TEST_CLUSTER_DIR"]).resolve()
        port = int(os.environ.get("TEST_CLUSTER_PORT", "8080"))
        yield Cluster(root=root, url=f"http://127.0.0.1:{port}", base=int(os.environ.get(
            "TEST_CLUSTER_BASE_PORT", "18000")), staff_token=(root / "staff_token").read_text().strip(),
            process=None, started_in=0.0)
        return
    # Not under pytest's own temporary folder (mode 700): PostgreSQL runs as its own user in it.
    root = Path(tempfile.mkdtemp(prefix="cluster-"))
    os.chmod(root, 0o755)
    base = _free_base()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_")}
    env.update(CLUSTER_DIR=str(root), CLUSTER_PORT=str(base), CLUSTER_BASE_PORT=str(base),
               CLUSTER_START_SECONDS=str(START_SECONDS), FIXED_TODAY=FIXED_TODAY, ENVIRONMENT="development")
    for inherited in ("STAFF_TOKEN", "RASA_JWT_SECRET", "TRACKER_STORE_KEY", "DATABASE_URL", "REDIS_URL"):
        env.pop(inherited, None)
    output = root / "cluster.out"
    started = time.monotonic()
    with output.open("wb") as out:
        process = subprocess.Popen(["bash", "scripts/cluster.sh"], cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = started + START_SECONDS + 120
        while "cluster ready in" not in output.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"make cluster did not start:\n{output.read_text(errors='replace')[-3000:]}")
            time.sleep(1)
        yield Cluster(root=root, url=f"http://127.0.0.1:{base}", base=base,
                      staff_token=(root / "staff_token").read_text().strip(), process=process,
                      started_in=time.monotonic() - started)
    finally:
        for name in ("redis", "postgresql"):  # a test may have left a supervisor stopped
            try:
                os.kill(int((root / "run" / f"{name}.supervisor.pid").read_text()), signal.SIGCONT)
            except (OSError, ValueError):
                pass
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(90)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # PostgreSQL runs under runuser in its own process group: stop it if it outlived the script.
        try:
            os.kill(int((root / "pg" / "postmaster.pid").read_text().split()[0]), signal.SIGQUIT)
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(root, ignore_errors=True)


def turn(cluster: Cluster, sender: str, text: str, timeout: float = 60) -> tuple[str, float]:
    """One REST turn through nginx: the assistant's text and how long it took."""
    started = time.monotonic()
    answer = requests.post(f"{cluster.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                           timeout=timeout)
    answer.raise_for_status()
    return "\n".join(m.get("text", "") for m in answer.json()), time.monotonic() - started
