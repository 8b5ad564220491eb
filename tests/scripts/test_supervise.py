"""scripts/supervise.sh, which `make run` starts each service with: a service that dies is
named with its exit code and log and started again; stopping the supervisor stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def supervised(tmp_path: Path, command: str, **env: str) -> subprocess.Popen:
    script = f'set -euo pipefail; source scripts/supervise.sh; supervise "action server" {tmp_path}/svc.log {command}'
    return subprocess.Popen(["bash", "-c", script], cwd=REPO, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SUPERVISE_MAX_DELAY": "1", **env}, start_new_session=True)


def test_a_dying_service_is_named_and_started_again(tmp_path: Path) -> None:
    counter = tmp_path / "starts"
    process = supervised(tmp_path, f"bash -c 'echo started >> {counter}; echo boom; exit 3'",
                         SUPERVISE_MAX_RESTARTS="2")
    _, err = process.communicate(timeout=30)
    assert counter.read_text().count("started") == 3  # the first start and two restarts
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all("action server exited with code 3" in line for line in lines), err
    assert "restarting in 1s" in lines[0] and "is not restarted again" in lines[-1]
    assert f"{tmp_path}/svc.log" in lines[0]
    assert (tmp_path / "svc.log").read_text().count("boom") == 3  # output appended, not lost
    assert process.returncode == 3


def test_stopping_the_supervisor_stops_its_service(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    process = supervised(tmp_path, f"bash -c 'echo $$ > {pid_file}; exec sleep 300'")
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.1)
    service = int(pid_file.read_text())
    os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=10)
    time.sleep(0.2)
    assert not Path(f"/proc/{service}").exists() or "zombie" in Path(f"/proc/{service}/status").read_text().lower()
    assert "exited" not in err  # a stop asked for is not reported as a death
