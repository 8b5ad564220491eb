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
    from cluster_stack import started_cluster

    with started_cluster() as running:
        yield running
