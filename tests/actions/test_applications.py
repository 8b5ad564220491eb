"""Submitting applications against the real backend: created, retried with the same
idempotency key, refused, and not sent when the backend is down or slow."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.applications import ActionCancelSubmission, ActionSubmitMail, ActionSubmitOrganization, ActionSubmitProxy
from conftest import COLLECTED, TEST_TODAY, make_tracker, publish_people, responses

KEY = "0123456789abcdef0123456789abcdef"


def mail_slots(person: tuple[str, str], key: str | None = KEY) -> dict:
    return {"person_name": person[0], "id_number": person[1], "phone": "13800138000",
            "address": "浙江省杭州市西湖区文三路8号", "confirm_submission": True, "idempotency_key": key}


def slots_of(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_mail_application_is_created_once(backend: str, dispatcher: CollectingDispatcher,
                                                domain: dict) -> None:
    _, [person] = publish_people(backend)
    events = await ActionSubmitMail().run(dispatcher, make_tracker(mail_slots(person)), domain)
    assert responses(dispatcher) == ["utter_mail_created"]
    number = dispatcher.messages[0]["number"]
    assert number.startswith("SQ") and dispatcher.messages[0]["due"].endswith("日")
    assert events == [SlotSet("confirm_submission", None), SlotSet("requested_slot", None),
                      SlotSet("idempotency_key", None), SlotSet("pending_submission", None),
                      SlotSet("application_number", number), SlotSet("phone", None), SlotSet("address", None)]
    assert person[1] not in json.dumps(dispatcher.messages, ensure_ascii=False)

    again = CollectingDispatcher()  # the same key again: the same application, not a second one
    await ActionSubmitMail().run(again, make_tracker(mail_slots(person)), domain)
    assert again.messages[0]["number"] == number


@pytest.mark.parametrize("failing_backend", ["backend_down", "backend_slow"])
async def test_backend_failure_keeps_the_key_and_never_claims_success(
        failing_backend: str, request: pytest.FixtureRequest, dispatcher: CollectingDispatcher,
        domain: dict) -> None:
    request.getfixturevalue(failing_backend)
    slots = mail_slots(("陈小明", "330106199001010018"), key="retry-key-0001")
    events = await ActionSubmitMail().run(dispatcher, make_tracker(slots), domain)
    assert responses(dispatcher) == ["utter_submission_not_sent"]
    assert events == [SlotSet("confirm_submission", None), SlotSet("requested_slot", None),
                      SlotSet("idempotency_key", "retry-key-0001"), SlotSet("pending_submission", "mail")]


async def test_retry_after_an_outage_uses_the_same_key(backend_down: str, backend_url: str,
                                                       monkeypatch: pytest.MonkeyPatch, domain: dict) -> None:
    _, [person] = publish_people(backend_url)
    slots = mail_slots(person, key=None)  # key missing: the action makes one and keeps it
    first = await ActionSubmitMail().run(CollectingDispatcher(), make_tracker(slots), domain)
    kept = slots_of(first)
    assert kept["pending_submission"] == "mail" and len(kept["idempotency_key"]) == 32

    monkeypatch.setenv("BACKEND_URL", backend_url)  # the backend is back
    retry = CollectingDispatcher()
    events = await ActionSubmitMail().run(retry, make_tracker({**slots, **kept}), domain)
    assert responses(retry) == ["utter_mail_created"]
    assert slots_of(events)["pending_submission"] is None
    replay = CollectingDispatcher()
    await ActionSubmitMail().run(replay, make_tracker({**slots, **kept}), domain)
    assert replay.messages[0]["number"] == retry.messages[0]["number"]


async def test_refusal_is_told_by_its_code(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionSubmitMail().run(dispatcher, make_tracker(mail_slots(COLLECTED, key="refusal-key-0001")), domain)
    assert responses(dispatcher) == ["utter_refused_already_collected"]
    assert slots_of(events)["idempotency_key"] is None and slots_of(events)["pending_submission"] is None
    assert not any(e["event"] == "followup" for e in events)  # nothing the applicant could fix


async def test_proxy_application_lists_materials_and_the_letter(backend: str, dispatcher: CollectingDispatcher,
                                                                 domain: dict) -> None:
    batch_no, [person] = publish_people(backend)
    slots = {"person_name": person[0], "id_number": person[1], "proxy_name": "吴小燕",
             "proxy_id_number": "330106199009090024", "idempotency_key": KEY + "p"}
    events = await ActionSubmitProxy().run(dispatcher, make_tracker(slots), domain)
    assert responses(dispatcher) == ["utter_proxy_created", "utter_materials_proxy",
                                     "utter_proxy_letter_template_certificate"]
    letter = dispatcher.messages[2]
    assert letter["proxy_name"] == "吴小燕"  # and the only certificate, as the backend's answer names it
    assert (letter["occupation"], letter["level"], letter["certificate_no"]) == ("电工", "四级", f"ZS{batch_no}000")
    assert slots_of(events)["proxy_id_number"] is None


async def test_organization_application_links_the_contact_form(
        backend: str, dispatcher: CollectingDispatcher, domain: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_PUBLIC_URL", "https://zs.example.gov.cn/")
    batch_no, people = publish_people(backend, count=3, occupation="焊工", level="三级")

    slots = {"organization_name": "杭州示例电气有限公司", "batch_no": batch_no, "occupation": "焊工",
             "level": "三级", "headcount": 3, "collector_name": "王芳",
             "collector_id_number": "330106199001010018",
             "visit_date": (dt.date.fromisoformat(TEST_TODAY) + dt.timedelta(days=1)).isoformat(), "idempotency_key": KEY + "o"}
    await ActionSubmitOrganization().run(dispatcher, make_tracker(slots), domain)
    assert responses(dispatcher) == ["utter_organization_created", "utter_materials_organization"]
    url = dispatcher.messages[0]["contact_form_url"]
    assert url.startswith("https://zs.example.gov.cn/api/v1/applications/SQ") and "contact-form?token=" in url


async def test_organization_headcount_above_the_list_is_asked_again(
        backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    batch_no, _ = publish_people(backend, count=1, occupation="钳工", level="五级")

    slots = {"organization_name": "示例公司", "batch_no": batch_no, "occupation": "钳工", "level": "五级",
             "headcount": 5, "collector_name": "王芳", "collector_id_number": "330106199001010018",
             "visit_date": (dt.date.fromisoformat(TEST_TODAY) + dt.timedelta(days=1)).isoformat(), "idempotency_key": KEY + "h"}
    events = await ActionSubmitOrganization().run(dispatcher, make_tracker(slots), domain)
    assert responses(dispatcher) == ["utter_refused_headcount"]
    assert dispatcher.messages[0]["ready"] == 1
    assert slots_of(events)["headcount"] is None
    assert events[-1] == FollowupAction("organization_form")


async def test_cancel_a_pending_submission(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionCancelSubmission().run(
        dispatcher, make_tracker({"pending_submission": "mail", "idempotency_key": KEY}, intent="deny"), domain)
    assert events == [SlotSet("pending_submission", None), SlotSet("idempotency_key", None)]
    assert responses(dispatcher) == ["utter_submission_cancelled"]
