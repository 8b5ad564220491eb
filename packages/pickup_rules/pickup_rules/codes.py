"""Every `code` an error answer of the backend may carry, listed once for both processes.

The backend refuses to raise a code missing here (`AppError` converts its code to an
`ErrorCode`), its OpenAPI description lists them as the error schema's enum, and the actions
compare with these members, never with string literals. `str` and `Enum` rather than
`StrEnum`: the action server runs Python 3.10. Keep the values stable: clients store none but
compare them.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    def __str__(self) -> str:
        return self.value

    # Any request
    INVALID_REQUEST = "invalid_request"  # schema refused; details.field names the first field
    INVALID_BODY = "invalid_body"
    BODY_TOO_LARGE = "body_too_large"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    HTTP_ERROR = "http_error"
    INTERNAL_ERROR = "internal_error"
    DATABASE_BUSY = "database_busy"  # SQLite's one write lock held past the busy timeout (503)
    TOO_MANY_REQUESTS = "too_many_requests"
    # Values the rules refuse (details.reason: the pickup_rules code)
    INVALID_ID_NUMBER = "invalid_id_number"
    INVALID_PHONE = "invalid_phone"
    INVALID_ADDRESS = "invalid_address"
    INVALID_LEVEL = "invalid_level"
    INVALID_YEAR = "invalid_year"
    INVALID_PERIOD = "invalid_period"
    # Applications
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    NOT_ON_LIST = "not_on_list"
    CERTIFICATE_AMBIGUOUS = "certificate_ambiguous"
    CERTIFICATE_MISMATCH = "certificate_mismatch"
    CERTIFICATE_NOT_FOUND = "certificate_not_found"
    DUPLICATE_APPLICATION = "duplicate_application"
    ALREADY_COLLECTED = "already_collected"
    PROXY_IS_APPLICANT = "proxy_is_applicant"
    APPLICATION_NOT_FOUND = "application_not_found"
    APPLICATION_NOT_COMPLETED = "application_not_completed"
    APPLICATION_REQUIRED = "application_required"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    TRACKING_REQUIRED = "tracking_required"
    # An organisation's 联系单 (the check's errors[].code and the application's refusals)
    BATCH_NOT_PUBLISHED = "batch_not_published"
    OCCUPATION_NOT_IN_BATCH = "occupation_not_in_batch"
    LEVEL_NOT_IN_BATCH = "level_not_in_batch"
    HEADCOUNT_EXCEEDS_LIST = "headcount_exceeds_list"
    VISIT_DATE_OUTSIDE_WINDOW = "visit_date_outside_window"
    VISIT_DATE_NOT_WORKING_DAY = "visit_date_not_working_day"
    PICKUP_WINDOW_CLOSED = "pickup_window_closed"
    # Collections at the counter
    NOT_COLLECTABLE = "not_collectable"
    METHOD_MISMATCH = "method_mismatch"
    COLLECTOR_MISMATCH = "collector_mismatch"
    COLLECTOR_NAME_REQUIRED = "collector_name_required"
    MAIL_APPLICATION_OPEN = "mail_application_open"
    PROXY_APPLICATION_OPEN = "proxy_application_open"
    WALK_IN_NOT_APPLICABLE = "walk_in_not_applicable"
    WALK_IN_WITH_APPLICATION = "walk_in_with_application"
    # Notices, lists, calendar, offices
    NOTICE_NOT_FOUND = "notice_not_found"
    ALREADY_PUBLISHED = "already_published"
    UNKNOWN_BATCH = "unknown_batch"
    OFFICE_NOT_FOUND = "office_not_found"
    FILE_TOO_LARGE = "file_too_large"
    INVALID_FILE = "invalid_file"
    INVALID_HEADER = "invalid_header"
    EMPTY_FILE = "empty_file"
    IMPORT_REJECTED = "import_rejected"
    INVALID_EXAM_TYPE = "invalid_exam_type"
    BLANKS_DATE_REQUIRED = "blanks_date_required"
    INVALID_HOLIDAY_FILE = "invalid_holiday_file"
    # Staff accounts and their sessions
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    CSRF_FAILED = "csrf_failed"
    SESSION_EXPIRED = "session_expired"
    READ_ONLY = "read_only"
    ROLE_FORBIDDEN = "role_forbidden"
    OFFICE_FORBIDDEN = "office_forbidden"
    OFFICE_REQUIRED = "office_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    SIGN_IN_LOCKED = "sign_in_locked"
    SIGN_IN_THROTTLED = "sign_in_throttled"  # one address over its refused sign-ins, whatever the names
    INVALID_ROLE = "invalid_role"
    INVALID_USERNAME = "invalid_username"
    ROLE_OFFICE_MISMATCH = "role_office_mismatch"
    WEAK_PASSWORD = "weak_password"
    # Services behind the backend
    ASSISTANT_NOT_CONFIGURED = "assistant_not_configured"
    ASSISTANT_UNAVAILABLE = "assistant_unavailable"
    EVENTS_UNAVAILABLE = "events_unavailable"
    # The actions' client when the backend gave no error answer of its own
    BACKEND_TIMEOUT = "backend_timeout"
    BACKEND_UNAVAILABLE = "backend_unavailable"
    BACKEND_BAD_ANSWER = "backend_bad_answer"
