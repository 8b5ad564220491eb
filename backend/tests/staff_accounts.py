"""Staff accounts for the tests: created as `make staff-user` creates them, signed in through the
session endpoint. The cookie is Secure outside development and the test client speaks plain
HTTP, so the cookie is carried by hand."""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.staff_session import COOKIE_NAME
from app.services.staff_accounts import save_account

PASSWORD = "correct horse battery 2026"


def account(session: Session, username: str, role: str, office_code: str | None,
            password: str = PASSWORD) -> None:
    save_account(session, username=username, password=password, role=role, office_code=office_code)
    session.commit()


def set_cookie(response) -> SimpleCookie:
    cookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookie.load(header)
    return cookie


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Headers of a signed-in browser: its cookie and its CSRF token."""
    response = client.post("/api/v1/staff/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    value = set_cookie(response)[COOKIE_NAME].value
    return {"Cookie": f"{COOKIE_NAME}={value}", "X-CSRF-Token": response.json()["csrf_token"]}


def without_csrf(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "X-CSRF-Token"}
