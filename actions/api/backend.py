"""The one client for every call the actions make to the pickup-list backend (`/api/v1`).

Every method returns an `ApiResult`: `answer` (the typed answer, `actions.api.answers`) on
success, or `error` (`code` from `pickup_rules.ErrorCode`, `message`, HTTP `status`) on
failure; an answer without the shape it should have is the error `backend_bad_answer`. Network failures never raise:
they come back as the codes `backend_timeout` and `backend_unavailable`, marked
`transient` together with 5xx answers, so that an action can say "try again" and, for a
submission, keep its idempotency key for the retry.

Blocking (requests); actions call it through `asyncio.to_thread`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import requests
from pickup_rules import ErrorCode

from actions.api import answers
from actions.config import get_settings

log = logging.getLogger(__name__)

TIMEOUT = ErrorCode.BACKEND_TIMEOUT
UNAVAILABLE = ErrorCode.BACKEND_UNAVAILABLE
BAD_ANSWER = ErrorCode.BACKEND_BAD_ANSWER


def error_code(value: object) -> ErrorCode | str:
    """A known code as its `ErrorCode`; one a newer backend added stays text (the general
    refusal answers it)."""
    try:
        return ErrorCode(str(value))
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class ApiError:
    code: ErrorCode | str
    message: str = ""
    status: int | None = None
    details: Any = None

    @property
    def transient(self) -> bool:
        """The backend could not answer; the same request may succeed later."""
        return self.code in (TIMEOUT, UNAVAILABLE, BAD_ANSWER) or (self.status or 0) >= 500


@dataclass(frozen=True)
class ApiResult:
    answer: Any = None
    error: ApiError | None = None
    status: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class BackendClient:
    """HTTP client of the backend. `client_id` (the conversation's sender id) goes out as
    `X-Client-Id`: the backend trusts it from loopback and rate-limits look-ups per client."""

    def __init__(self, base_url: str, timeout: float, client_id: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.client_id = client_id

    @classmethod
    def from_env(cls, client_id: str | None = None) -> "BackendClient":
        settings = get_settings()
        return cls(settings.backend_url, settings.backend_timeout, client_id)

    # -- public endpoints -------------------------------------------------------------

    def health(self) -> ApiResult:
        return self._request("GET", "/api/v1/health", answers.Health)

    def offices(self, city: str | None = None) -> ApiResult:
        return self._request("GET", "/api/v1/offices", answers.OfficeList, params={"city": city} if city else None)

    def working_day(self, day: dt.date | None = None) -> ApiResult:
        """Without a day: today, by the backend's clock."""
        params = {"date": day.isoformat()} if day else {}
        return self._request("GET", "/api/v1/working-days/check", answers.WorkingDay, params=params)

    def notice(self, notice_id: int) -> ApiResult:
        return self._request("GET", f"/api/v1/notices/{int(notice_id)}", answers.Notice)

    # -- applicant endpoints ----------------------------------------------------------

    def status(self, name: str, id_number: str) -> ApiResult:
        return self._request("POST", "/api/v1/status", answers.StatusReport,
                             json={"name": name, "id_number": id_number})

    def create_application(self, payload: dict, idempotency_key: str) -> ApiResult:
        return self._request("POST", "/api/v1/applications", answers.CreatedApplication, json=payload,
                             headers={"Idempotency-Key": idempotency_key})

    def check_organization(self, fields: dict) -> ApiResult:
        """What the backend makes of an organisation's 联系单 fields so far (a dry run): the
        published batch found in the text, the occupation, level, pickup window, and the
        first problem per field (`errors`)."""
        return self._request("POST", "/api/v1/applications/check", answers.OrganizationCheck, json=fields)

    def subscribe(self, *, channel: str, conversation_id: str, name: str, id_number: str) -> ApiResult:
        return self._request("POST", "/api/v1/subscriptions", answers.Subscription, json={
            "channel": channel, "conversation_id": conversation_id, "name": name, "id_number": id_number,
        })

    # -- plumbing ---------------------------------------------------------------------

    def _request(self, method: str, path: str, answer: type, *, params: dict | None = None,
                 json: dict | None = None, headers: dict | None = None) -> ApiResult:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if self.client_id:
            all_headers["X-Client-Id"] = self.client_id[:128]
        url = self.base_url + path
        try:
            response = requests.request(method, url, params=params, json=json, headers=all_headers,
                                        timeout=self.timeout)
        except requests.Timeout:
            # Path only: bodies and query strings may hold personal data.
            log.warning("backend %s %s timed out after %ss", method, path, self.timeout)
            return ApiResult(error=ApiError(TIMEOUT))
        except requests.RequestException as exc:
            log.warning("backend %s %s unreachable: %s", method, path, type(exc).__name__)
            return ApiResult(error=ApiError(UNAVAILABLE))
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.warning("backend %s %s answered %s without a JSON object", method, path, response.status_code)
            return ApiResult(error=ApiError(BAD_ANSWER, status=response.status_code),
                             status=response.status_code)
        if response.ok:
            try:
                return ApiResult(answer=answers.build(answer, body), status=response.status_code)
            except answers.BadAnswer as exc:  # field names and kinds only, never values
                log.warning("backend %s %s answered %s without a %s: %s", method, path, response.status_code,
                            answer.__name__, exc)
                return ApiResult(error=ApiError(BAD_ANSWER, status=response.status_code),
                                 status=response.status_code)
        error = ApiError(code=error_code(body.get("code") or ErrorCode.HTTP_ERROR), message=str(body.get("message") or ""),
                         status=response.status_code, details=body.get("details"))
        log.info("backend %s %s answered %s %s", method, path, response.status_code, error.code)
        return ApiResult(error=error, status=response.status_code)
