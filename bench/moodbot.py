"""`rasa init`'s moodbot as the yardstick: trained in a temporary folder in the same run (the
project template ships inside the rasa package, nothing is downloaded) and served by `rasa run`
on a free loopback port, with the template's own config, credentials and endpoints."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from bench.stack import Server, free_port, rasa_bin

# rasa init has no --num-threads: TensorFlow reads these (the machine has 2 cores, shared).
TF_THREADS = {"TF_INTRA_OP_PARALLELISM_THREADS": "2", "TF_INTER_OP_PARALLELISM_THREADS": "2"}


def train_moodbot(folder: Path, *, timeout: float = 1200) -> tuple[Path, float]:
    """`rasa init --no-prompt --init-dir folder`: the template copied and trained. Returns the
    model and the seconds it took."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **TF_THREADS}
    started = time.monotonic()
    done = subprocess.run([str(rasa_bin()), "init", "--no-prompt", "--init-dir", str(folder)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    models = sorted((folder / "models").glob("*.tar.gz"))
    if done.returncode != 0 or not models:
        raise RuntimeError(f"rasa init failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return models[-1], seconds


def start_moodbot(folder: Path, model: Path, *, start_seconds: float = 420) -> Server:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RASA_TELEMETRY_ENABLED": "false"}
    server = Server("moodbot", [str(rasa_bin()), "run", "--interface", "127.0.0.1", "--port", str(port),
                                "--model", str(model), "--enable-api"],
                    folder, env, folder / "moodbot.log", f"http://127.0.0.1:{port}").start()
    try:
        server.wait_until(f"{server.url}/status", start_seconds)
    except BaseException:
        server.stop()
        raise
    return server

