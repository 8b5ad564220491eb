"""Another task asked for in the middle of a form: the applicant is asked once, yes drops
the form but keeps the holder's name and ID number and starts the wanted task (the status
look-up then runs against the real backend for that holder), no resumes the form. The
rules (data/rules/forms.yml, generated from the table of forms) and the actions agree on
which intent switches where.
A task message that names a holder ("帮陈小明查进度") fills none of the form's slots: the
switch is asked as for any task message, and the new task is for the holder it named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionAskSwitch, ActionDropForm, ActionResumeForm, ActionSwitchTask
from actions.forms.applications import ValidateMailForm, ValidateProxyForm
from actions.forms.registry import TASK_FORMS, TASK_LABELS, switches_task
from actions.forms.lookups import ValidateOfficeForm, ValidateStatusForm
from actions.status import ActionCheckStatus
from actions.validation import mask_id
from conftest import PROXY_REVIEWING, READY, make_tracker, publish_people, responses

RULES = Path(__file__).resolve().parents[2] / "data" / "rules"


def paused(form: str) -> list[dict]:
    """The form was active, the applicant said something, the form was deactivated."""
    return [{"event": "active_loop", "name": form},
            {"event": "user", "text": "…", "parse_data": {"intent": {"name": "inform"}}},
            {"event": "active_loop", "name": None}]


def slots_after(slots: dict, events: list[dict]) -> dict:
    return {**slots, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}


def render(domain: dict, response: str, message: dict, slots: dict) -> str:
    """The variant Rasa would pick (first whose conditions hold), with the values filled in."""
    for variant in domain["responses"][response]:
        if all(slots.get(c["name"]) == c["value"] for c in variant.get("condition", [])):
            return variant["text"].format(**message)
    raise AssertionError(f"no variant of {response} fits {slots}")


async def test_another_task_inside_a_form_is_asked_once(dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = make_tracker({}, intent="check_status", text="我想查一下进度", events=paused("mail_form"))
    events = await ActionAskSwitch().run(dispatcher, tracker, domain)
    assert events == [SlotSet("stopped_form", "mail_form"), SlotSet("switch_to", "status_form")]
    assert responses(dispatcher) == ["utter_ask_switch_task"]
    assert render(domain, "utter_ask_switch_task", dispatcher.messages[0], {}) == \
        "您正在办理邮寄申请，要先停下来，改为查询领证进度吗？"
    question = domain["responses"]["utter_ask_switch_task"][0]
    assert [(b["title"], b["payload"]) for b in question["buttons"]] == [("是", "/affirm"), ("否", "/deny")]
    assert question["metadata"]["source"]


async def test_confirmed_switch_keeps_the_holder_and_runs_the_status_check(
        backend: str, backend_url: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    _, [(name, id_number)] = publish_people(backend_url)
    masked = mask_id(id_number)
    slots = {"stopped_form": "mail_form", "switch_to": "status_form", "person_name": name,
             "id_number": id_number, "id_masked": masked, "phone": "13800138000",
             "address": "浙江省杭州市西湖区文三路8号", "idempotency_key": None,
             "certificate_choices": [{"certificate_no": "ZS1", "occupation": "电工", "level": "四级"}],
             "certificate_no": "ZS1", "certificate_label": "电工 四级（ZS1）"}
    events = await ActionSwitchTask().run(dispatcher, make_tracker(slots, intent="affirm", text="是"), domain)
    assert events == [
        SlotSet("phone", None), SlotSet("address", None), SlotSet("certificate_choices", None),
        SlotSet("certificate_no", None), SlotSet("certificate_label", None), SlotSet("stopped_form", None),
        SlotSet("switch_to", None), SlotSet("requested_slot", None), SlotSet("idempotency_key", None),
        SlotSet("confirm_submission", None), ActiveLoop("status_form"), FollowupAction("status_form")]
    assert responses(dispatcher) == ["utter_task_switched"]
    assert render(domain, "utter_task_switched", dispatcher.messages[0], slots).startswith(
        "好的，已停止办理邮寄申请，改为查询领证进度。已填写的证书持有人姓名、身份证号继续沿用")

    # The status form has what it needs; its look-up is for the same holder.
    after = slots_after(slots, events)
    assert (after["person_name"], after["id_number"], after["id_masked"]) == (name, id_number, masked)
    status = CollectingDispatcher()
    await ActionCheckStatus().run(status, make_tracker(after, intent="affirm"), domain)
    assert responses(status) == ["utter_status_header", "utter_status_ready", "utter_deadline_working_days_left",
                                 "utter_status_next_steps"]
    assert (status.messages[0]["person_name"], status.messages[0]["id_masked"]) == (name, masked)


async def test_switching_to_an_application_introduces_it(dispatcher: CollectingDispatcher, domain: dict) -> None:
    slots = {"stopped_form": "status_form", "switch_to": "mail_form", "person_name": READY[0]}
    events = await ActionSwitchTask().run(dispatcher, make_tracker(slots, intent="affirm"), domain)
    assert responses(dispatcher) == ["utter_task_switched", "utter_mail_intro"]
    assert SlotSet("person_name", None) not in events
    assert events[-2:] == [ActiveLoop("mail_form"), FollowupAction("mail_form")]
    assert "继续沿用" in render(domain, "utter_task_switched", dispatcher.messages[0], slots)


async def test_the_organisation_form_keeps_nothing_of_its_own(dispatcher: CollectingDispatcher,
                                                               domain: dict) -> None:
    slots = {"stopped_form": "organization_form", "switch_to": "proxy_form", "organization_name": "杭州示例电气有限公司",
             "collector_name": "王芳", "collector_id_number": "330106199009090024"}
    events = await ActionSwitchTask().run(dispatcher, make_tracker(slots, intent="affirm"), domain)
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"organization_name", "collector_name", "collector_id_number"} <= cleared
    assert responses(dispatcher) == ["utter_task_switched", "utter_proxy_intro"]
    assert events[-2:] == [ActiveLoop("proxy_form"), FollowupAction("proxy_form")]
    # No holder given: nothing is said to be kept.
    assert render(domain, "utter_task_switched", dispatcher.messages[0], slots) == \
        "好的，已停止办理单位领取，改为办理委托代领，刚才填写的信息不会保留。"


async def test_a_task_named_as_the_answer_is_the_one_started(dispatcher: CollectingDispatcher,
                                                             domain: dict) -> None:
    # Asked "确定不办了吗？" (stop: no switch_to), the applicant names another task instead.
    slots = {"stopped_form": "proxy_form", "person_name": READY[0], "id_number": READY[1],
             "proxy_name": "吴小燕"}
    tracker = make_tracker(slots, intent="subscribe_notice", text="有通知告诉我")
    events = await ActionSwitchTask().run(dispatcher, tracker, domain)
    assert events == [SlotSet("proxy_name", None), SlotSet("stopped_form", None), SlotSet("requested_slot", None),
                      SlotSet("idempotency_key", None), SlotSet("confirm_submission", None),
                      ActiveLoop("subscribe_form"), FollowupAction("subscribe_form")]
    assert dispatcher.messages[0]["new_task"] == "登记领证通知提醒"


async def test_declined_switch_resumes_the_form(dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = make_tracker({"stopped_form": "mail_form", "switch_to": "status_form"}, intent="deny")
    events = await ActionResumeForm().run(dispatcher, tracker, domain)
    # Made active again: RulePolicy's loop happy path runs whichever form this is next.
    assert events == [SlotSet("stopped_form", None), SlotSet("switch_to", None), ActiveLoop("mail_form")]
    assert responses(dispatcher) == ["utter_form_resumed"]


@pytest.mark.parametrize("form", sorted(TASK_LABELS))
async def test_every_paused_form_is_the_one_resumed(form: str, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionResumeForm().run(dispatcher, make_tracker({"stopped_form": form}, intent="inform"), domain)
    assert events == [SlotSet("stopped_form", None), ActiveLoop(form)]


@pytest.mark.parametrize("intent", sorted(TASK_FORMS))
async def test_the_paused_forms_own_task_named_as_the_answer_resumes_it(intent: str, domain: dict) -> None:
    form = TASK_FORMS[intent]
    slots = {"stopped_form": form, "switch_to": "status_form" if form != "status_form" else "mail_form",
             "person_name": READY[0], "id_number": READY[1]}
    dispatcher = CollectingDispatcher()
    events = await ActionSwitchTask().run(dispatcher, make_tracker(slots, intent=intent), domain)
    assert events == [SlotSet("stopped_form", None), SlotSet("switch_to", None), ActiveLoop(form)]
    assert responses(dispatcher) == ["utter_form_resumed"]


async def test_stop_instead_of_yes_or_no_drops_everything(dispatcher: CollectingDispatcher, domain: dict) -> None:
    slots = {"stopped_form": "status_form", "switch_to": "mail_form", "person_name": READY[0], "id_number": READY[1]}
    events = await ActionDropForm().run(dispatcher, make_tracker(slots, intent="stop"), domain)
    assert events == [SlotSet("person_name", None), SlotSet("id_number", None), SlotSet("stopped_form", None),
                      SlotSet("switch_to", None), SlotSet("requested_slot", None), SlotSet("idempotency_key", None),
                      SlotSet("confirm_submission", None)]
    assert responses(dispatcher) == ["utter_form_stopped"]


def test_the_domain_knows_every_form_and_task(domain: dict) -> None:
    assert set(TASK_LABELS) == set(domain["forms"])
    assert set(TASK_FORMS) <= set(domain["intents"])
    # Rules see only whether a form is paused or a task wanted; the actions read which.
    assert domain["slots"]["stopped_form"]["type"] == domain["slots"]["switch_to"]["type"] == "text"


def _rules() -> list[dict]:
    return [rule for path in sorted(RULES.glob("*.yml"))
            for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]]


def _intents(step: dict) -> set[str]:
    return {s["intent"] for s in step["or"]} if "or" in step else {step.get("intent")}


def _in_form(form: str, intent: str) -> list[dict]:
    return [r for r in _rules() if r.get("condition") == [{"active_loop": form}] and intent in _intents(r["steps"][0])]


@pytest.mark.parametrize("form", sorted(TASK_LABELS))
@pytest.mark.parametrize("intent", sorted(TASK_FORMS))
def test_every_task_intent_inside_every_form_has_its_rule(form: str, intent: str) -> None:
    [rule] = _in_form(form, intent)
    actions = [step.get("action") for step in rule["steps"][1:] if "action" in step]
    if switches_task(intent, form):
        assert actions == ["action_deactivate_loop", "action_ask_switch"]
    else:  # the form's own task (or, in the materials form, an answer): the form goes on
        assert actions == ["utter_form_resumed", form]


def test_the_answers_to_the_pause_questions_are_one_rule_each_for_every_form() -> None:
    paused = [r for r in _rules() if {"slot_was_set": r.get("condition", [{}])[-1].get("slot_was_set")}
              in r.get("condition", []) and any("stopped_form" in s for s in
                                                 r["condition"][-1].get("slot_was_set") or [])]
    by_intent = {intent: r["steps"][1]["action"] for r in paused for intent in _intents(r["steps"][0])}
    assert {i: by_intent[i] for i in TASK_FORMS} == {i: "action_switch_task" for i in TASK_FORMS}
    assert by_intent["deny"] == by_intent["inform"] == "action_resume_form"
    assert by_intent["stop"] == "action_drop_form"
    affirm = {r["steps"][1]["action"] for r in paused if _intents(r["steps"][0]) == {"affirm"}}
    assert affirm == {"action_drop_form", "action_switch_task"}
    # No rule names a paused form: a new form needs none of them.
    assert not any(form in str(r) for r in paused for form in TASK_LABELS)


def test_materials_form_takes_proxy_and_organisation_as_answers() -> None:
    assert not switches_task("request_proxy", "materials_form")
    assert not switches_task("ask_organization_pickup", "materials_form")
    assert switches_task("request_mail", "materials_form")
    assert not switches_task("request_mail", "mail_form") and switches_task("request_mail", "proxy_form")
    assert not switches_task("ask_fee", "mail_form") and not switches_task("check_status", None)




# -- a task message that names a holder --------------------------------------------------------

def slot_events(slots: dict) -> list[dict]:
    return [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]


def entity(name: str, value: str) -> dict:
    return {"entity": name, "value": value}


def task_message(form: str, slots: dict, text: str, intent: str, entities: list[dict], *,
                 confidence: float = 0.95):
    """Inside `form` (what it collected so far: `slots`), a message of `intent` whose entities
    Rasa's slot mappings have already put into the form's slots (the candidates)."""
    candidates = {e["entity"]: e["value"] for e in entities}
    tracker = make_tracker(slots, intent=intent, text=text, entities=entities, candidates=candidates,
                           active_loop=form, events=[*slot_events(slots), {"event": "active_loop", "name": form}])
    tracker.latest_message["intent"]["confidence"] = confidence
    return tracker


LINA = ("李娜", "330106199202020028")


@pytest.mark.parametrize("form, validation, slots, text, intent, entities", [
    # the mail form asks for the phone; its holder is someone else
    ("mail_form", ValidateMailForm,
     {"person_name": LINA[0], "id_number": LINA[1], "id_masked": mask_id(LINA[1]), "requested_slot": "phone"},
     "帮陈小明查进度", "check_status", [entity("person_name", "陈小明")]),
    # the mail form asks for the holder's name itself
    ("mail_form", ValidateMailForm, {"requested_slot": "person_name"},
     "帮陈小明查进度", "check_status", [entity("person_name", "陈小明")]),
    # the status form asks for the ID number; name and ID come with a wish to have it mailed
    ("status_form", ValidateStatusForm, {"person_name": LINA[0], "requested_slot": "id_number"},
     f"陈小明 {READY[1]} 证书寄到家", "request_mail", [entity("person_name", "陈小明"), entity("id_number", READY[1])]),
    # the proxy form asks for the holder's name; asked to be told instead
    ("proxy_form", ValidateProxyForm, {"requested_slot": "person_name"},
     "陈小明的证好了通知我", "subscribe_notice", [entity("person_name", "陈小明")]),
    # the office form asks for the city: "寄到杭州" is the mail task, not the answer
    ("office_form", ValidateOfficeForm, {"requested_slot": "city"},
     "帮我寄到杭州", "request_mail", [entity("city", "杭州")]),
])
async def test_a_task_message_fills_none_of_the_forms_slots(
        form: str, validation: type, slots: dict, text: str, intent: str, entities: list[dict],
        dispatcher: CollectingDispatcher, domain: dict) -> None:
    assert switches_task(intent, form)
    tracker = task_message(form, slots, text, intent, entities)
    events = await validation().run(dispatcher, tracker, domain)
    # Every slot the message set goes back to what it was, and the form rejects: the rules then
    # ask whether to switch (data/rules/forms.yml), as for the same message without a name.
    restored = [SlotSet(e["entity"], slots.get(e["entity"])) for e in entities]
    assert events == [*restored, ActionExecutionRejected(form)]
    assert dispatcher.messages == []


async def test_an_unsure_task_message_that_is_the_answer_still_answers(dispatcher: CollectingDispatcher,
                                                                      domain: dict) -> None:
    tracker = task_message("mail_form", {"requested_slot": "person_name"}, "陈小明", "check_status",
                           [entity("person_name", "陈小明")], confidence=0.5)
    assert await ValidateMailForm().run(dispatcher, tracker, domain) == [SlotSet("person_name", "陈小明")]


async def test_the_forms_own_task_with_a_name_still_answers(dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = task_message("status_form", {"requested_slot": "person_name"}, "帮陈小明查进度", "check_status",
                           [entity("person_name", "陈小明")])
    assert await ValidateStatusForm().run(dispatcher, tracker, domain) == [SlotSet("person_name", "陈小明")]


def asked_to_switch(form: str, slots: dict, text: str, intent: str, entities: list[dict]) -> list[dict]:
    """The history up to the switch question: the form's slots, the task message (whose slots
    the form's validation put back), the form deactivated, the question asked."""
    wanted = TASK_FORMS[intent]
    return [*slot_events(slots), {"event": "active_loop", "name": form},
            {"event": "user", "text": text,
             "parse_data": {"intent": {"name": intent, "confidence": 0.95}, "entities": entities, "text": text}},
            *slot_events({e["entity"]: slots.get(e["entity"]) for e in entities}),
            {"event": "active_loop", "name": None},
            {"event": "action", "name": "action_ask_switch"},
            *slot_events({"stopped_form": form, "switch_to": wanted})]


async def test_yes_starts_the_new_task_for_the_holder_the_message_named(
        dispatcher: CollectingDispatcher, domain: dict) -> None:
    # In the mail form for 李娜, "帮陈小明查进度": the status check is for 陈小明, not with 李娜's ID.
    form_slots = {"person_name": LINA[0], "id_number": LINA[1], "id_masked": mask_id(LINA[1]),
                  "phone": "13800138000", "requested_slot": "address"}
    history = asked_to_switch("mail_form", form_slots, "帮陈小明查进度", "check_status", [entity("person_name", "陈小明")])
    slots = {**form_slots, "stopped_form": "mail_form", "switch_to": "status_form"}
    events = await ActionSwitchTask().run(dispatcher, make_tracker(slots, intent="affirm", text="是", events=history),
                                          domain)
    after = slots_after(slots, events)
    assert (after["person_name"], after["id_number"], after["id_masked"]) == ("陈小明", None, None)
    assert after["phone"] is None and after["stopped_form"] is None
    assert events[-2:] == [ActiveLoop("status_form"), FollowupAction("status_form")]
    assert responses(dispatcher) == ["utter_task_switched_to_holder"]
    assert render(domain, "utter_task_switched_to_holder", dispatcher.messages[0], slots) == \
        "好的，已停止办理邮寄申请，改为查询领证进度，证书持有人：陈小明。刚才填写的其他信息不会保留。"
    # The status form then asks only for the ID number.
    assert [slot for slot in domain["forms"]["status_form"]["required_slots"] if after.get(slot) is None] == \
        ["id_number"]


async def test_the_same_holder_named_keeps_the_id_and_the_check_runs(
        backend: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    form_slots = {"person_name": READY[0], "id_number": READY[1], "id_masked": mask_id(READY[1]),
                  "requested_slot": "phone"}
    history = asked_to_switch("mail_form", form_slots, "帮陈小明查进度", "check_status", [entity("person_name", "陈小明")])
    slots = {**form_slots, "stopped_form": "mail_form", "switch_to": "status_form"}
    events = await ActionSwitchTask().run(dispatcher, make_tracker(slots, intent="affirm", text="是", events=history),
                                          domain)
    after = slots_after(slots, events)
    assert (after["person_name"], after["id_number"], after["id_masked"]) == (READY[0], READY[1], mask_id(READY[1]))
    assert responses(dispatcher) == ["utter_task_switched_to_holder_id"]
    text = render(domain, "utter_task_switched_to_holder_id", dispatcher.messages[0], slots)
    assert text == "好的，已停止办理邮寄申请，改为查询领证进度，证书持有人：陈小明（身份证号 330106********0018）。刚才填写的其他信息不会保留。"
    assert READY[1] not in text
    status = CollectingDispatcher()
    await ActionCheckStatus().run(status, make_tracker(after, intent="affirm"), domain)
    assert responses(status) == ["utter_status_header", "utter_status_ready", "utter_deadline_working_days_left",
                                 "utter_status_next_steps"]


async def test_a_holder_named_in_the_answer_to_the_question_is_the_one_used(
        dispatcher: CollectingDispatcher, domain: dict) -> None:
    # Asked "确定不办了吗？" in the proxy form for 李娜, the applicant says what they want instead,
    # for someone else, with the ID number. Rasa's mappings (no form active) already set the
    # name and the ID; the masked ID follows.
    form_slots = {"person_name": LINA[0], "id_number": LINA[1], "id_masked": mask_id(LINA[1]), "proxy_name": "吴小燕"}
    name, id_number = PROXY_REVIEWING
    history = [*slot_events(form_slots), {"event": "active_loop", "name": "proxy_form"},
               {"event": "active_loop", "name": None}, *slot_events({"stopped_form": "proxy_form"})]
    tracker = make_tracker({**form_slots, "stopped_form": "proxy_form"}, intent="check_status",
                           text=f"帮{name}查一下进度 {id_number}", events=history,
                           entities=[entity("person_name", name), entity("id_number", id_number)],
                           candidates={"person_name": name, "id_number": id_number})
    events = await ActionSwitchTask().run(dispatcher, tracker, domain)
    after = slots_after({**form_slots, "person_name": name, "id_number": id_number}, events)
    assert (after["person_name"], after["id_number"], after["id_masked"]) == (name, id_number, mask_id(id_number))
    assert after["proxy_name"] is None
    assert responses(dispatcher) == ["utter_task_switched_to_holder_id"]
    assert dispatcher.messages[0]["id_masked"] == mask_id(id_number)


def test_who_the_new_task_is_for() -> None:
    from actions.conversation import holder_for_new_task
    kept = {"person_name": "李娜", "id_number": LINA[1]}
    assert holder_for_new_task(kept, {"person_name": "李娜"}) == {
        "person_name": "李娜", "id_number": LINA[1], "id_masked": mask_id(LINA[1])}
    assert holder_for_new_task(kept, {"person_name": "陈小明"}) == {
        "person_name": "陈小明", "id_number": None, "id_masked": None}
    assert holder_for_new_task(kept, {"id_number": READY[1]}) == {
        "person_name": None, "id_number": READY[1], "id_masked": mask_id(READY[1])}
    assert holder_for_new_task({"person_name": "陈小明", "id_number": None}, {"id_number": READY[1]}) == {
        "person_name": "陈小明", "id_number": READY[1], "id_masked": mask_id(READY[1])}
