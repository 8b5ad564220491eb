"""The one backend client against a real backend, a dead port and a backend that hangs."""

from __future__ import annotations

import time

from actions.api.backend import TIMEOUT, UNAVAILABLE, BackendClient
from conftest import READY


def test_status_of_a_ready_holder(backend: str) -> None:
    result = BackendClient.from_env(client_id="client-1").status(*READY)
    assert result.ok and result.status == 200
    assert result.answer.id_number_masked == "330106********0018"
    assert result.answer.certificates[0].state == "ready"


def test_not_found_is_an_error_with_code_and_message(backend: str) -> None:
    result = BackendClient.from_env(client_id="client-1").status("陈小明", "330302199203150030")
    assert not result.ok
    assert (result.error.code, result.error.status, result.error.transient) == ("not_found", 404, False)
    assert "12333" in result.error.message


def test_offices_by_city(backend: str) -> None:
    result = BackendClient.from_env().offices("杭州市")
    assert [o.level for o in result.answer.offices][:1] == ["市"]


def test_nothing_listening_is_unavailable(backend_down: str) -> None:
    result = BackendClient.from_env().health()
    assert result.error.code == UNAVAILABLE and result.error.transient


def test_slow_backend_times_out_after_the_configured_timeout(backend_slow: str) -> None:
    started = time.monotonic()
    result = BackendClient.from_env().status(*READY)
    assert result.error.code == TIMEOUT and result.error.transient
    assert time.monotonic() - started < 2.5
