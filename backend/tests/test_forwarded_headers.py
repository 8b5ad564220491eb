"""The backend as `make backend` (and so `make run`) starts it believes no X-Forwarded-For:
a forged header changes neither the client the look-up limit counts nor the address in the
audit log. A reverse proxy is trusted only when FORWARDED_ALLOW_IPS names it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import select

from app.models import AuditEntry
from tests.factories import people
from tests.served import BACKEND_DIR, Served, free_port, server_env, stop, wait_until_healthy

REPO = BACKEND_DIR.parent


@contextmanager
def make_backend(db_url: str, log_path: Path, **env: str) -> Iterator[Served]:
    """`make backend` itself, with this interpreter and without (re)building the environment."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv-backend/.installed", "backend",
             f"BACKEND_PORT={port}", f"BACKEND_PY={sys.executable}"],
            cwd=REPO, env=server_env(db_url, **env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, url, log_path, seconds=180)
        yield Served(process, url, log_path)
    finally:
        stop(process)


def _look_up(url: str, forged: str, id_number: str) -> int:
    return requests.post(f"{url}/api/v1/status", headers={"X-Forwarded-For": forged},
                         json={"name": "王建国", "id_number": id_number}, timeout=30).status_code


def test_a_forged_forwarded_for_is_not_believed(db_url, session, tmp_path):
    holders = people(4)
    forged = ["203.0.113.1", "203.0.113.2", "198.51.100.3", "192.0.2.4"]
    with make_backend(db_url, tmp_path / "backend.log", LOOKUP_LIMIT_PER_CLIENT="3") as served:
        codes = [_look_up(served.url, address, id_number) for address, (_, id_number) in zip(forged, holders)]
        log = served.log()
    # One client, whatever the header says: the fourth look-up is over its limit.
    assert codes == [404, 404, 404, 429]
    # Look-up rows are written by the server's audit thread, all of them before it exits.
    actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "status_lookup")).all()
    assert actors == ["applicant:127.0.0.1"] * 3
    assert not any(address in log for address in forged)


def test_a_proxy_named_in_forwarded_allow_ips_is_believed(db_url, session, tmp_path):
    """The deployment's reverse proxy (here loopback itself) passes the client's address on."""
    holders = people(4)
    forged = ["203.0.113.1", "203.0.113.2", "198.51.100.3", "192.0.2.4"]
    with make_backend(db_url, tmp_path / "backend.log", LOOKUP_LIMIT_PER_CLIENT="3",
                      FORWARDED_ALLOW_IPS="127.0.0.1") as served:
        codes = [_look_up(served.url, address, id_number) for address, (_, id_number) in zip(forged, holders)]
    assert codes == [404] * 4
    actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "status_lookup")).all()
    assert sorted(actors) == sorted(f"applicant:{address}" for address in forged)
