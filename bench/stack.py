"""The servers the browser tests start (tests/browser/servers.py), for the benchmarks: one way
to start our stack, so the figures are those of the configuration the tests check."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.browser.servers import Server, Stack, free_port, rasa_bin, start_stack, trained_model  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its direct children, from /proc."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total_kb = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


__all__ = ["REPO", "Server", "Stack", "free_port", "rasa_bin", "rss_mb", "start_stack", "trained_model"]
