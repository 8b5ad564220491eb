"""Office look-up, materials, fallbacks, handover and stopping a form."""

from __future__ import annotations


import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import (
    ActionAskStop,
    ActionDropForm,
    ActionFallback,
    ActionHandoff,
    ActionResumeForm,
    consecutive_fallbacks,
)
from actions.forms.lookups import ValidateOfficeForm
from actions.materials import ActionTellMaterials
from actions.offices import ActionOfficeInfo
from conftest import make_tracker, responses


def user(intent: str) -> dict:
    return {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent}}}


async def test_office_of_the_city(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionOfficeInfo().run(dispatcher, make_tracker({"city": "宁波市"}), domain)
    assert responses(dispatcher) == ["utter_office_info"]
    info = dispatcher.messages[0]
    assert info["office_name"].startswith("宁波市职业技能鉴定指导中心") and info["office_hours"]
    assert events == [SlotSet("city", "宁波"), SlotSet("office_name", info["office_name"]),
                      SlotSet("office_phone", info["office_phone"])]


async def test_office_closed_today_by_the_calendar(year_end_backend: str, dispatcher: CollectingDispatcher,
                                                   domain: dict) -> None:
    # The backend's today is a Saturday.
    await ActionOfficeInfo().run(dispatcher, make_tracker({"city": "杭州"}), domain)
    assert responses(dispatcher) == ["utter_office_info", "utter_office_more", "utter_office_closed_today"]


async def test_office_unknown_city(backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionOfficeInfo().run(dispatcher, make_tracker({"city": "拉萨"}), domain)
    assert events == [SlotSet("city", None)]
    assert responses(dispatcher) == ["utter_office_not_found"]


async def test_office_backend_down(backend_down: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    assert await ActionOfficeInfo().run(dispatcher, make_tracker({"city": "杭州"}), domain) == []
    assert responses(dispatcher) == ["utter_backend_unavailable"]


async def test_office_without_a_city_inside_another_form(dispatcher: CollectingDispatcher, domain: dict) -> None:
    assert await ActionOfficeInfo().run(dispatcher, make_tracker({}, active_loop="mail_form"), domain) == []
    assert responses(dispatcher) == ["utter_office_need_city"]


@pytest.mark.parametrize("method, response", [
    ("本人", "utter_materials_self"), ("代领", "utter_materials_proxy"), ("单位", "utter_materials_organization"),
    (None, "utter_materials_all"),
])
async def test_materials_by_pickup_method(method: str | None, response: str, dispatcher: CollectingDispatcher,
                                          domain: dict) -> None:
    assert await ActionTellMaterials().run(dispatcher, make_tracker({"pickup_method": method}), domain) == []
    assert responses(dispatcher) == [response]


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def test_consecutive_fallbacks_are_counted_from_the_end() -> None:
    events = [user("nlu_fallback"), user("greet"), action("utter_greet"), user("nlu_fallback"),
              action("action_fallback"), {"event": "bot"}, user("nlu_fallback")]
    assert consecutive_fallbacks(events) == 2
    assert consecutive_fallbacks([user("greet"), action("utter_greet"), user("inform")]) == 1


def test_core_fallbacks_count_too() -> None:
    events = [user("greet"), action("utter_greet"), user("inform"), action("action_default_fallback"),
              {"event": "rewind"}, user("affirm")]
    assert consecutive_fallbacks(events) == 2


async def test_core_fallback_hands_over_the_second_time(dispatcher: CollectingDispatcher, domain: dict) -> None:
    from rasa_sdk.events import UserUtteranceReverted
    from actions.conversation import ActionDefaultFallback
    first = await ActionDefaultFallback().run(dispatcher, make_tracker({}, intent="inform"), domain)
    history = [user("inform"), action("action_default_fallback"), {"event": "rewind"}]
    second = await ActionDefaultFallback().run(dispatcher, make_tracker({}, intent="deny", events=history), domain)
    assert first == second == [UserUtteranceReverted()]
    assert responses(dispatcher) == ["utter_please_rephrase", "utter_handoff"]


async def test_materials_inside_the_proxy_form_are_the_proxys(dispatcher: CollectingDispatcher,
                                                               domain: dict) -> None:
    tracker = make_tracker({"pickup_method": "本人"}, intent="ask_materials", active_loop="proxy_form")
    await ActionTellMaterials().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_materials_proxy"]


async def test_materials_asked_inside_another_form_follow_the_question(dispatcher: CollectingDispatcher,
                                                                       domain: dict) -> None:
    # A method left from an earlier question does not answer this one.
    for text in ("单位统一领要带什么", "要带什么材料"):
        tracker = make_tracker({"pickup_method": "代领"}, intent="ask_materials", text=text, active_loop="status_form")
        await ActionTellMaterials().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_materials_organization", "utter_materials_all"]


async def test_first_fallback_asks_to_rephrase(dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionFallback().run(dispatcher, make_tracker({}, intent="nlu_fallback",
                                                        events=[user("greet"), action("utter_greet")]), domain)
    assert responses(dispatcher) == ["utter_please_rephrase"]


async def test_second_fallback_hands_over_with_the_office_phone(dispatcher: CollectingDispatcher,
                                                                domain: dict) -> None:
    tracker = make_tracker({"office_phone": "0571-00000001", "office_name": "杭州市中心"}, intent="nlu_fallback",
                           events=[user("nlu_fallback"), {"event": "bot", "text": "?"}])
    await ActionFallback().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_office"]
    assert dispatcher.messages[0]["office_phone"] == "0571-00000001"


async def test_handoff_without_an_office(dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionHandoff().run(dispatcher, make_tracker({}, intent="human_handoff"), domain)
    assert responses(dispatcher) == ["utter_handoff"]


async def test_stop_remembers_the_paused_form(dispatcher: CollectingDispatcher, domain: dict) -> None:
    history = [{"event": "active_loop", "name": "mail_form"}, user("inform"), {"event": "active_loop", "name": None}]
    events = await ActionAskStop().run(dispatcher, make_tracker({}, intent="stop", events=history), domain)
    assert events == [SlotSet("stopped_form", "mail_form")]
    assert responses(dispatcher) == ["utter_ask_confirm_stop"]


async def test_confirmed_stop_clears_what_the_form_collected(dispatcher: CollectingDispatcher, domain: dict) -> None:
    slots = {"stopped_form": "mail_form", "person_name": "陈小明", "phone": "13800138000", "address": None}
    events = await ActionDropForm().run(dispatcher, make_tracker(slots, intent="affirm"), domain)
    assert events == [SlotSet("person_name", None), SlotSet("phone", None), SlotSet("stopped_form", None),
                      SlotSet("requested_slot", None), SlotSet("idempotency_key", None),
                      SlotSet("confirm_submission", None)]
    assert responses(dispatcher) == ["utter_form_stopped"]


async def test_confirmed_stop_forgets_a_certificate_choice(dispatcher: CollectingDispatcher,
                                                           domain: dict) -> None:
    choice = {"certificate_no": "ZS2026C0011", "occupation": "电工", "level": "四级"}
    slots = {"stopped_form": "proxy_form", "certificate_choices": [choice], "certificate_no": "ZS2026C0011",
             "certificate_label": "电工 四级（ZS2026C0011）"}
    events = await ActionDropForm().run(dispatcher, make_tracker(slots, intent="affirm"), domain)
    assert events[:3] == [SlotSet("certificate_choices", None), SlotSet("certificate_no", None),
                          SlotSet("certificate_label", None)]
    assert SlotSet("stopped_form", None) in events


async def test_declined_stop_resumes(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ActionResumeForm().run(dispatcher, make_tracker({"stopped_form": "mail_form"}, intent="deny"),
                                          domain)
    # Made active again: RulePolicy runs the form next, whichever it is.
    assert events == [SlotSet("stopped_form", None), ActiveLoop("mail_form")]
    assert responses(dispatcher) == ["utter_form_resumed"]


async def test_a_city_left_by_an_earlier_message_does_not_answer_an_office_question(
        dispatcher: CollectingDispatcher, domain: dict) -> None:
    """王金华 is a name, and carries 金华: its city slot must not send an office question to 金华."""
    earlier = [{"event": "user", "text": "王金华", "parse_data": {
        "intent": {"name": "inform"}, "entities": [{"entity": "city", "value": "金华", "start": 1, "end": 3}]}},
        {"event": "slot", "name": "city", "value": "金华"}]
    # Rasa hands the slots filled before the form starts to its validation as this turn's SlotSets
    tracker = make_tracker({"requested_slot": None}, intent="ask_location", text="领证地点在哪里",
                           events=earlier, candidates={"city": "金华"})
    assert await ValidateOfficeForm().extract_city(dispatcher, tracker, domain) == {"city": None}
    events = await ValidateOfficeForm().run(dispatcher, tracker, domain)
    assert {"event": "slot", "timestamp": None, "name": "city", "value": None} in events


async def test_the_city_the_office_question_names_is_taken(dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = make_tracker({"city": "金华", "requested_slot": None}, intent="ask_location", text="杭州在哪里领证",
                           entities=[{"entity": "city", "value": "杭州", "start": 0, "end": 2}],
                           candidates={"city": "杭州"})  # as the slot's entity mapping sets it
    assert await ValidateOfficeForm().extract_city(dispatcher, tracker, domain) == {"city": "杭州"}
    events = await ValidateOfficeForm().run(dispatcher, tracker, domain)
    assert {"event": "slot", "timestamp": None, "name": "city", "value": "杭州"} in events
    # once the form has asked, the answer's text is the city, as before
    asked = make_tracker({"requested_slot": "city"}, intent="inform", text="宁波")
    assert await ValidateOfficeForm().extract_city(dispatcher, asked, domain) == {"city": "宁波"}
