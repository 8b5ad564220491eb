"""Status, deadline and subscription actions against the real backend."""

from __future__ import annotations

import datetime as dt
import json

import requests

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import cn_date
from actions.status import ActionCheckStatus, ActionDeadline, ActionSubscribe
from conftest import (
    COLLECTED,
    MAILED,
    NATIONAL_PUBLISHED,
    PENDING_NATIONAL,
    PROXY_REVIEWING,
    READY,
    RETURNED_MAIL,
    make_tracker,
    responses,
)


def identity(person: tuple[str, str]) -> dict[str, str]:
    return {"person_name": person[0], "id_number": person[1]}


def assert_no_full_id(dispatcher: CollectingDispatcher, *ids: str) -> None:
    sent = json.dumps(dispatcher.messages, ensure_ascii=False)
    for id_number in ids:
        assert id_number not in sent


async def test_ready_certificate(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionCheckStatus().run(dispatcher, make_tracker(identity(READY)), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_status_ready", "utter_deadline_working_days_left",
                                     "utter_status_next_steps"]
    header, ready, left, _ = dispatcher.messages
    assert isinstance(left["days"], int) and left["days"] > 0
    assert header["id_masked"] == "330106********0018"
    assert ready["office_name"].startswith("杭州市职业技能鉴定指导中心")
    assert ready["deadline"].endswith("日") and ready["occupation"] == "电工"
    assert events == [SlotSet("city", "杭州"), SlotSet("office_name", ready["office_name"]),
                      SlotSet("office_phone", ready["office_phone"])]
    assert_no_full_id(dispatcher, READY[1])


async def test_mailed_certificate_names_company_and_tracking_number(
        backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionCheckStatus().run(dispatcher, make_tracker(identity(MAILED)), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_status_mailed"]
    mailed = dispatcher.messages[1]
    assert (mailed["express_company"], mailed["tracking_no"]) == ("示例快递", "SF0000000001")
    assert_no_full_id(dispatcher, MAILED[1])


async def test_collected_certificate(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionCheckStatus().run(dispatcher, make_tracker(identity(COLLECTED)), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_status_collected"]
    assert dispatcher.messages[1]["method"] == "本人"


async def test_pending_national_exam_gives_the_expected_date(
        backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionCheckStatus().run(dispatcher, make_tracker(identity(PENDING_NATIONAL)), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_status_pending_national",
                                     "utter_deadline_working_days_left"]
    # Blanks arrived 2026-05-25 (7 days before TEST_TODAY); 30 working days on, 端午 6-19 off.
    assert dispatcher.messages[1]["due"] == "2026年7月7日"
    # 6-02 .. 7-07: 26 weekdays less 端午 (6-19), the last day included.
    assert dispatcher.messages[2]["days"] == 25


async def test_a_date_in_a_year_no_calendar_knows_is_marked_estimated(
        year_end_backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionCheckStatus().run(dispatcher, make_tracker(identity(PENDING_NATIONAL)), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_status_pending_national",
                                     "utter_deadline_working_days_left_estimated", "utter_date_estimated"]
    assert dispatcher.messages[1]["due"].startswith("2027年")


async def test_application_under_review(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionCheckStatus().run(dispatcher, make_tracker(identity(PROXY_REVIEWING)), domain)
    # Not yet decided: the proxy is not sent to the counter, the next step is said instead.
    assert responses(dispatcher) == ["utter_status_header", "utter_status_application", "utter_status_proxy_wait"]
    assert (dispatcher.messages[1]["state_label"], dispatcher.messages[1]["kind_label"]) == ("审核", "委托代领")


async def test_not_on_a_list(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionCheckStatus().run(
        dispatcher, make_tracker({"person_name": "陈小明", "id_number": COLLECTED[1]}), domain)
    assert events == []
    assert responses(dispatcher) == ["utter_status_not_found"]
    assert dispatcher.messages[0]["id_masked"] == "330302********0030"
    assert_no_full_id(dispatcher, COLLECTED[1])


async def test_backend_down_says_so(backend_down: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionCheckStatus().run(dispatcher, make_tracker(identity(READY)), domain)
    assert (events, responses(dispatcher)) == ([], ["utter_backend_unavailable"])


async def test_deadline_of_the_applicant(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionDeadline().run(dispatcher, make_tracker(identity(READY)), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_deadline_personal",
                                     "utter_deadline_working_days_left"]
    personal = dispatcher.messages[1]
    assert personal["counted_from"] and personal["deadline"] != personal["counted_from"]


async def test_a_published_national_exam_certificate_counts_30_days_from_the_blanks(
        backend: str, backend_url: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionDeadline().run(dispatcher, make_tracker(identity(NATIONAL_PUBLISHED)), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_deadline_personal_national",
                                     "utter_deadline_working_days_left"]
    told = dispatcher.messages[1]
    report = requests.post(f"{backend_url}/api/v1/status", timeout=5, json={
        "name": NATIONAL_PUBLISHED[0], "id_number": NATIONAL_PUBLISHED[1]}).json()["certificates"][0]
    blanks = dt.date.fromisoformat(report["deadline"]["counted_from"])
    due = requests.get(f"{backend_url}/api/v1/working-days/due", timeout=5,
                       params={"start": blanks.isoformat(), "days": 30}).json()["due"]
    assert told["deadline"] == cn_date(due) and told["counted_from"] == cn_date(blanks)


async def test_a_returned_mail_application_is_told(backend: str, dispatcher: CollectingDispatcher,
                                                   domain: dict) -> None:
    await ActionCheckStatus().run(dispatcher, make_tracker(identity(RETURNED_MAIL)), domain)
    assert responses(dispatcher)[:3] == ["utter_status_header", "utter_status_refused_application",
                                         "utter_status_ready"]
    assert dispatcher.messages[1]["state_label"] == "退回" and dispatcher.messages[1]["reason"]


async def test_deadline_rule_without_identity(backend_down: str, dispatcher: CollectingDispatcher,
                                              domain: dict) -> None:
    events = await ActionDeadline().run(dispatcher, make_tracker({}), domain)
    assert (events, responses(dispatcher)) == ([], ["utter_deadline_rule", "utter_deadline_offer_lookup"])


async def test_deadline_when_not_found_gives_the_rule(backend: str, dispatcher: CollectingDispatcher,
                                                      domain: dict) -> None:
    await ActionDeadline().run(dispatcher, make_tracker({"person_name": "无此人", "id_number": READY[1]}), domain)
    assert responses(dispatcher) == ["utter_status_not_found", "utter_deadline_rule"]


async def test_subscribe_uses_channel_and_sender(backend: str, dispatcher: CollectingDispatcher,
                                                 domain: dict) -> None:
    tracker = make_tracker(identity(PENDING_NATIONAL), input_channel="socketio", sender_id="sub-1")
    events = await ActionSubscribe().run(dispatcher, tracker, domain)
    assert events == []
    assert responses(dispatcher) == ["utter_subscribed"]
    assert dispatcher.messages[0]["id_masked"] == "330402********004X"


async def test_new_lookup_forgets_an_old_identity(dispatcher: CollectingDispatcher, domain: dict) -> None:
    from actions.status import ActionForgetOldIdentity
    tracker = make_tracker({**identity(READY), "id_masked": "330106********0018"}, intent="check_status")
    assert await ActionForgetOldIdentity().run(dispatcher, tracker, domain) == [
        SlotSet("person_name", None), SlotSet("id_number", None), SlotSet("id_masked", None)]


async def test_new_lookup_keeps_what_the_message_just_gave(dispatcher: CollectingDispatcher, domain: dict) -> None:
    from actions.status import ActionForgetOldIdentity
    tracker = make_tracker({"id_masked": "x"}, intent="check_status", candidates=identity(COLLECTED))
    assert await ActionForgetOldIdentity().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []
