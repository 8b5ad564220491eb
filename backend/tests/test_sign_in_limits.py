"""Refused sign-ins per client address, on top of the per-name lock-out: one address cannot
walk through names (or lock every colleague out), its refusal names no account, and another
address signs in meanwhile."""

from __future__ import annotations

from app.api.deps import sign_in_limits
from tests.conftest import make_client
from tests.factories import offices_loaded
from tests.staff_accounts import PASSWORD, account


def _sign_in(client, address, username, password):
    return client.post("/api/v1/staff/session", headers={"X-Client-Id": address},
                       json={"username": username, "password": password})


def test_one_address_trying_many_names_is_refused_whatever_the_name(settings, engine, session, staff):
    forwarded = settings.model_copy(update={"trusted_forwarders": ["testclient"]})
    with make_client(forwarded, engine) as client:
        offices_loaded(client, staff)
        account(session, "hz.limit", "city", "330100")
        wrong = [_sign_in(client, "198.51.100.7", f"guess.{i}", "wrong password").status_code
                 for i in range(sign_in_limits(settings).misses_per_client)]
        assert wrong == [401] * sign_in_limits(settings).misses_per_client  # one try per name: no name locked
        real = _sign_in(client, "198.51.100.7", "hz.limit", PASSWORD)
        unknown = _sign_in(client, "198.51.100.7", "nobody.limit", PASSWORD)
        assert real.status_code == unknown.status_code == 429
        assert real.json() == unknown.json() and real.json()["code"] == "sign_in_throttled"
        assert int(real.headers["Retry-After"]) > 0 and "set-cookie" not in real.headers
        # A colleague at another address signs in.
        assert _sign_in(client, "203.0.113.20", "hz.limit", PASSWORD).status_code == 200


def test_the_address_limit_is_a_setting(settings, engine, session, staff):
    three = settings.model_copy(update={"trusted_forwarders": ["testclient"], "sign_in_misses_per_address": 3})
    with make_client(three, engine) as client:
        offices_loaded(client, staff)
        account(session, "hz.three", "city", "330100")
        assert [_sign_in(client, "198.51.100.9", f"guess.{i}", "wrong").status_code for i in range(3)] == [401] * 3
        assert _sign_in(client, "198.51.100.9", "hz.three", PASSWORD).status_code == 429


def test_right_passwords_do_not_count(settings, engine, session, staff):
    forwarded = settings.model_copy(update={"trusted_forwarders": ["testclient"]})
    with make_client(forwarded, engine) as client:
        offices_loaded(client, staff)
        account(session, "hz.often", "city", "330100")
        for _ in range(sign_in_limits(settings).misses_per_client + 2):
            assert _sign_in(client, "198.51.100.8", "hz.often", PASSWORD).status_code == 200
