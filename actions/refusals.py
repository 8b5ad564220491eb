"""What the assistant says when the backend refuses, and what it asks again.

The backend's errors carry a stable `code` and, when one field is at fault, `details.field`
(and for ID numbers, phones and addresses `details.reason`, the shared rule's code). Its
Chinese `message` is never shown: every sentence the applicant reads is a response of the
domain, chosen here from the code. A refused field names the slots the form asks again;
nothing else the applicant gave is lost.
"""

from __future__ import annotations

from pickup_rules import ErrorCode

from actions.api.backend import ApiError, error_code
from actions.formatting import cn_date

# One response per code an applicant's request can be refused with (applications, status,
# subscriptions, notices, offices); an ID number is told by whose it is and why (below). A
# code missing here gets the general refusal, which points to the office and 12333 rather
# than guess.
RESPONSES = {
    ErrorCode.INVALID_PHONE: "utter_refused_phone",
    ErrorCode.INVALID_ADDRESS: "utter_refused_address",
    ErrorCode.PROXY_IS_APPLICANT: "utter_invalid_proxy_is_applicant",
    ErrorCode.INVALID_LEVEL: "utter_invalid_level",
    ErrorCode.NOT_ON_LIST: "utter_refused_not_on_list",
    ErrorCode.ALREADY_COLLECTED: "utter_refused_already_collected",
    ErrorCode.DUPLICATE_APPLICATION: "utter_refused_duplicate_application",
    ErrorCode.HEADCOUNT_EXCEEDS_LIST: "utter_refused_headcount",
    ErrorCode.VISIT_DATE_OUTSIDE_WINDOW: "utter_refused_visit_date_window",
    ErrorCode.VISIT_DATE_NOT_WORKING_DAY: "utter_refused_visit_date_not_working_day",
    ErrorCode.PICKUP_WINDOW_CLOSED: "utter_refused_pickup_window_closed",
    ErrorCode.BATCH_NOT_PUBLISHED: "utter_refused_batch_not_published",
    ErrorCode.OCCUPATION_NOT_IN_BATCH: "utter_refused_occupation_not_in_batch",
    ErrorCode.LEVEL_NOT_IN_BATCH: "utter_refused_level_not_in_batch",
    ErrorCode.TOO_MANY_REQUESTS: "utter_refused_too_many_requests",
    ErrorCode.NOTICE_NOT_FOUND: "utter_refused_notice_not_found",
}
GENERAL_REFUSAL = "utter_refused_general"

# The refused field (`details.field`) and the slots of the forms that hold it.
FIELD_SLOTS = {
    "id_number": ("id_number", "id_masked"),
    "proxy_id_number": ("proxy_id_number", "proxy_id_masked"),
    "collector_id_number": ("collector_id_number", "collector_id_masked"),
    "name": ("person_name",),
    "proxy_name": ("proxy_name",),
    "collector_name": ("collector_name",),
    "phone": ("phone",),
    "address": ("address",),
    "batch_no": ("batch_no",),
    "occupation": ("occupation",),
    "level": ("level",),
    "headcount": ("headcount",),
    "visit_date": ("visit_date",),
}
# Whose ID number a refusal concerns, named before the form asks for it again.
ID_OWNERS = {"id_number": "utter_refused_whose_id_holder", "proxy_id_number": "utter_refused_whose_id_proxy",
             "collector_id_number": "utter_refused_whose_id_collector"}
# The shared rule's reasons, as the forms explain them when they refuse a typed value.
ID_REASONS = {"format": "utter_invalid_id_format", "checksum": "utter_invalid_id_checksum",
              "birth_date": "utter_invalid_id_birth_date", "future_birth": "utter_invalid_id_birth_date",
              "implausible_birth": "utter_invalid_id_birth_date", "region": "utter_invalid_id_region"}


def refused_field(error: ApiError) -> str | None:
    details = error.details if isinstance(error.details, dict) else {}
    field = details.get("field")
    return field if field in FIELD_SLOTS else None


def refusal_messages(error: ApiError) -> list[tuple[str, dict]]:
    """The responses (name, values) that tell the applicant what the backend refused."""
    details = error.details if isinstance(error.details, dict) else {}
    if error.code == ErrorCode.NOT_ON_LIST and details.get("reason") in RESPONSES:
        return refusal_messages(ApiError(error_code(details["reason"]), details=details, status=error.status))
    if error.code == ErrorCode.INVALID_ID_NUMBER:
        owner = ID_OWNERS.get(details.get("field"), "utter_refused_whose_id_holder")
        return [(owner, {}), (ID_REASONS.get(details.get("reason"), "utter_invalid_id_format"), {})]
    values: dict = {}
    if error.code == ErrorCode.DUPLICATE_APPLICATION:
        values["number"] = str(details.get("number") or "")
    elif error.code == ErrorCode.HEADCOUNT_EXCEEDS_LIST:
        values["ready"] = details.get("ready", "")
    elif error.code in (ErrorCode.OCCUPATION_NOT_IN_BATCH, ErrorCode.LEVEL_NOT_IN_BATCH):
        values["options"] = "、".join(str(o) for o in details.get("options") or [])
    elif error.code in (ErrorCode.VISIT_DATE_OUTSIDE_WINDOW, ErrorCode.PICKUP_WINDOW_CLOSED,
                        ErrorCode.VISIT_DATE_NOT_WORKING_DAY):
        if error.code == ErrorCode.VISIT_DATE_OUTSIDE_WINDOW and not details.get("last"):
            return [("utter_refused_visit_date_past", {})]  # no batch known yet: only not before today
        values = {key: cn_date(details.get(key)) for key in ("first", "last", "date")}
    return [(RESPONSES.get(error.code, GENERAL_REFUSAL), values)]
