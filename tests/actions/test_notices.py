"""The pushed pickup notice (EXTERNAL_pickup_notice) against the real backend, also while a
form is active: announced, and the form's slots left alone (the form then asks again); and
while a paused form waits for the answer to its stop or switch question: announced, then
that question again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionAskStop, ActionAskSwitch, ActionRepeatPauseQuestion
from actions.forms.applications import ValidateMailForm, ValidateOrganizationForm
from actions.forms.lookups import ValidateStatusForm
from actions.notices import ActionPushedMessage
from actions.status import ActionSubscribe
from conftest import READY, TEST_TODAY, make_tracker, publish_people, responses

RULES = Path(__file__).resolve().parents[2] / "data" / "rules"
# Either message the backend pushes: a pickup notice or a decision on an application.
PUSHED = {"or": [{"intent": "EXTERNAL_pickup_notice"}, {"intent": "EXTERNAL_application_update"}]}


def _notice_id(backend_url: str, batch_no: str) -> int:
    """The id of the notice that published this batch (notices are public)."""
    for notice_id in range(1, 500):
        found = requests.get(f"{backend_url}/api/v1/notices/{notice_id}", timeout=5)
        if found.ok and batch_no in {b["batch_no"] for b in found.json()["batches"]}:
            return notice_id
    raise AssertionError(f"no notice for {batch_no}")


def _pushed(notice_id: object, slots: dict | None = None, form: str | None = None) -> object:
    """The turn Rasa's trigger_intent makes: text "EXTERNAL: <intent>", no confidence."""
    tracker = make_tracker(slots, intent="EXTERNAL_pickup_notice", input_channel="socketio",
                           text="EXTERNAL: EXTERNAL_pickup_notice", active_loop=form,
                           entities=[{"entity": "notice_id", "value": str(notice_id)}])
    del tracker.latest_message["intent"]["confidence"]
    return tracker


async def test_notice_says_where_and_until_when(backend: str, backend_url: str, dispatcher: CollectingDispatcher,
                                                domain: dict) -> None:
    batch_no, _ = publish_people(backend_url)
    notice_id = _notice_id(backend_url, batch_no)
    events = await ActionPushedMessage().run(dispatcher, _pushed(notice_id), domain)
    assert responses(dispatcher) == ["utter_notice_published"]
    message = dispatcher.messages[0]
    assert message["office_name"].startswith("杭州市职业技能鉴定指导中心")
    expected = requests.get(f"{backend_url}/api/v1/working-days/due", timeout=5,
                            params={"start": TEST_TODAY, "days": 10}).json()
    due = dt.date.fromisoformat(expected["due"])
    assert message["deadline"] == f"{due.year}年{due.month}月{due.day}日"
    assert events == [SlotSet("office_name", message["office_name"]), SlotSet("office_phone", message["office_phone"])]


async def test_unknown_notice_and_missing_entity(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    assert await ActionPushedMessage().run(dispatcher, _pushed(None), domain) == []
    assert dispatcher.messages == []
    await ActionPushedMessage().run(dispatcher, _pushed(987654), domain)
    assert responses(dispatcher) == ["utter_refused_notice_not_found"]


async def test_backend_down_says_so(backend_down: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionPushedMessage().run(dispatcher, _pushed(1), domain)
    assert responses(dispatcher) == ["utter_backend_unavailable"]


async def test_subscribing_from_a_channel_without_push_says_so(backend: str, backend_url: str,
                                                               dispatcher: CollectingDispatcher, domain: dict) -> None:
    _, [(name, id_number)] = publish_people(backend_url)
    tracker = make_tracker({"person_name": name, "id_number": id_number}, input_channel="rest", sender_id="rest-sub")
    await ActionSubscribe().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_subscribed_no_push"]


@pytest.mark.parametrize("form, validation, slots", [
    ("mail_form", ValidateMailForm, {"person_name": READY[0], "id_number": READY[1], "requested_slot": "phone"}),
    ("status_form", ValidateStatusForm, {"person_name": READY[0], "requested_slot": "id_number"}),
    ("organization_form", ValidateOrganizationForm, {"requested_slot": "organization_name"}),
])
async def test_a_notice_inside_a_form_is_announced_and_answers_nothing(
        form: str, validation: type, slots: dict, backend: str, backend_url: str,
        dispatcher: CollectingDispatcher, domain: dict) -> None:
    batch_no, _ = publish_people(backend_url)
    tracker = _pushed(_notice_id(backend_url, batch_no), slots, form)
    # The slot extraction that runs first for the pushed turn: the form's question is not answered.
    assert await validation().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []
    # The rule then announces it; only the office is remembered, the form's slots stay.
    events = await ActionPushedMessage().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_notice_published"]
    assert [e["name"] for e in events] == ["office_name", "office_phone"]


def test_every_form_announces_a_notice_and_goes_on(domain: dict) -> None:
    """One general rule says the message; inside any form RulePolicy then runs the active
    form again (a general rule's action_listen becomes the loop), so no rule names a form.
    The test stories (tests/stories/test_notices.yml) check the form goes on."""
    rules = [r for path in sorted(RULES.glob("*.yml"))
             for r in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"] if r["steps"][0] == PUSHED]
    general = [r for r in rules if "condition" not in r]
    assert [r["steps"][1:] for r in general] == [[{"action": "action_pushed_message"}]]
    assert not [r for r in rules for form in domain["forms"] if {"active_loop": form} in r.get("condition", [])]


@pytest.mark.parametrize("form, intent, question", [
    ("mail_form", "check_status", ActionAskSwitch),  # 您正在办理邮寄申请，要先停下来，改为查询领证进度吗？
    ("proxy_form", "stop", ActionAskStop),           # 确定不办了吗？
])
async def test_a_notice_while_asked_to_stop_or_switch_asks_that_question_again(
        form: str, intent: str, question: type, backend: str, backend_url: str, domain: dict) -> None:
    # The question as it was asked when the applicant's message paused the form.
    asked = CollectingDispatcher()
    pausing = make_tracker({}, intent=intent, text="…", events=[{"event": "active_loop", "name": form}])
    paused_slots = {e["name"]: e["value"] for e in await question().run(asked, pausing, domain)}
    assert paused_slots["stopped_form"] == form

    batch_no, _ = publish_people(backend_url)
    slots = {"person_name": READY[0], "id_number": READY[1], **paused_slots}
    tracker = _pushed(_notice_id(backend_url, batch_no), slots)
    dispatcher = CollectingDispatcher()
    notice_events = await ActionPushedMessage().run(dispatcher, tracker, domain)
    again_events = await ActionRepeatPauseQuestion().run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_notice_published", *responses(asked)]
    assert dispatcher.messages[1] == asked.messages[0]  # the very same question, buttons included
    # The paused state is untouched: the answer (yes, no, another task) works as before.
    assert [e["name"] for e in notice_events] == ["office_name", "office_phone"] and again_events == []


def test_every_paused_form_asks_its_question_again_after_a_notice(domain: dict) -> None:
    """One rule for every paused form: `stopped_form` is a text slot, so its condition holds
    whichever form is paused."""
    assert domain["slots"]["stopped_form"]["type"] == "text"
    rules = yaml.safe_load((RULES / "notices.yml").read_text(encoding="utf-8"))["rules"]
    [rule] = [r for r in rules if any("stopped_form" in str(c) for c in r.get("condition", []))]
    assert rule["steps"] == [PUSHED, {"action": "action_pushed_message"}, {"action": "action_repeat_pause_question"}]