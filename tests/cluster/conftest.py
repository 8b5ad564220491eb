"""The cluster tests' fixture: `make cluster` started once (cluster_stack.py).

Collected only by `make test-cluster` (CLUSTER_TESTS=1): the Rasa-side run of `tests/` leaves
this folder to it, so that the cluster starts once per `make test`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if os.environ.get("CLUSTER_TESTS") != "1" and HERE in collection_path.parents:
        return True
    return None


@pytest.fixture(scope="session")
def cluster():
    from cluster_stack import REPORT, started_cluster

    with started_cluster() as running:
        REPORT["cluster started in"] = f"{running.started_in:.0f} s"
        yield running


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    """The figures of the run (start-up time, what the applicant was told during the outages)."""
    from cluster_stack import REPORT

    for key, value in REPORT.items():
        terminalreporter.write_line(f"cluster: {key}: {value}")
