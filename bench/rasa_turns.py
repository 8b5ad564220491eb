"""Benchmark of the assistant over Rasa's REST webhook: FAQ turns and turns whose action
calls the backend, against the real backend, action server and Rasa server on loopback
(started as the browser tests start them). Also the Rasa server's resident memory.

    .venv-rasa/bin/python bench/rasa_turns.py [--requests 300] [--model models/x.tar.gz]

Figures go to reports/bench-rasa.json and are printed. Targets (issue 3): p95 < 100 ms for
an FAQ turn, < 250 ms for a turn that calls the backend, Rasa server < 1.5 GB resident.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "browser"))

from servers import start_stack, trained_model  # noqa: E402

# Each question is sent as the first message of a fresh conversation (one sender per
# request, as Rasa's load-testing guide advises), so every turn does the same work.
FAQ = ["领证要收费吗", "证书丢了怎么补办", "怎么验证证书真假", "依据是哪个文件"]
BACKEND_TURNS = ["杭州在哪里领证", "宁波的领证地址在哪", "温州领证点在哪里"]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def measure(url: str, texts: list[str], count: int, must_contain: str | None = None) -> dict:
    session = requests.Session()
    for text in texts:  # warm-up: the first turns load lazily
        session.post(url, json={"sender": f"warm-{uuid.uuid4().hex}", "message": text}, timeout=60)
    latencies = []
    for i in range(count):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        response = session.post(url, json={"sender": f"bench-{uuid.uuid4().hex}", "message": text}, timeout=60)
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        if must_contain and must_contain not in json.dumps(response.json(), ensure_ascii=False):
            raise RuntimeError(f"unexpected answer to {text!r}: {response.text[:300]}")
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {"requests": count, "p50_ms": round(pick(0.50), 1), "p95_ms": round(pick(0.95), 1),
            "p99_ms": round(pick(0.99), 1), "max_ms": round(latencies[-1], 1),
            "mean_ms": round(statistics.mean(latencies), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = args.model or trained_model()
    if model is None:
        print("no model in models/: run `make train` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-rasa-") as work:
        stack = start_stack(Path(work), model=model)
        try:
            url = f"{stack.rasa.url}/webhooks/rest/webhook"
            results = {
                "model": model.name,
                "faq_turn": measure(url, FAQ, args.requests),
                "backend_turn": measure(url, BACKEND_TURNS, args.requests, must_contain="示例"),
                "rasa_rss_mb": round(rss_mb(stack.rasa.process.pid), 0),
                "action_server_rss_mb": round(rss_mb(stack.actions.process.pid), 0),
                "loadavg_1m_after": os.getloadavg()[0],
            }
        finally:
            stack.stop()
    out = REPO / "reports" / "bench-rasa.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"written to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
