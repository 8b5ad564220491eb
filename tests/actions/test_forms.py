"""Form validation actions: every slot's re-ask, the shared name/ID validation, and the
confirmation that fixes an idempotency key."""

from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.applications import ValidateMailForm, ValidateOrganizationForm, ValidateProxyForm
from actions.forms.lookups import ValidateMaterialsForm, ValidateOfficeForm, ValidateStatusForm
from conftest import READY, make_tracker, responses


async def validate(action, dispatcher, domain, *, slots=None, candidates, intent="inform", form=None):
    tracker = make_tracker(slots, candidates=candidates, intent=intent,
                           active_loop=form or action.name()[len("validate_"):])
    return await action.run(dispatcher, tracker, domain)


async def test_valid_name_and_id_are_kept_and_the_id_masked(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateStatusForm(), dispatcher, domain,
                            candidates={"person_name": "我叫陈小明", "id_number": READY[1]})
    assert events == [SlotSet("person_name", "陈小明"), SlotSet("id_number", READY[1]),
                      SlotSet("id_masked", "330106********0018")]
    assert dispatcher.messages == []


async def test_bad_check_digit_is_asked_again(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateMailForm(), dispatcher, domain, candidates={"id_number": "330106199001010019"})
    assert events == [SlotSet("id_number", None)]
    assert responses(dispatcher) == ["utter_invalid_id_checksum"]


async def test_phone_of_wrong_length(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateMailForm(), dispatcher, domain, candidates={"phone": "1380013800"})
    assert events == [SlotSet("phone", None)]
    assert responses(dispatcher) == ["utter_invalid_phone_mobile"]


async def test_address_without_a_city(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateMailForm(), dispatcher, domain, candidates={"address": "西湖区文三路8号"})
    assert events == [SlotSet("address", None)]
    assert responses(dispatcher) == ["utter_invalid_address_city"]


async def test_free_text_name_that_is_not_a_name(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateMailForm(), dispatcher, domain, candidates={"person_name": "好的"})
    assert events == [SlotSet("person_name", None)]
    assert responses(dispatcher) == ["utter_invalid_name"]


async def test_confirming_fixes_an_idempotency_key(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateMailForm(), dispatcher, domain, intent="affirm",
                            candidates={"confirm_submission": True})
    assert [e["name"] for e in events] == ["confirm_submission", "idempotency_key"]
    assert events[0] == SlotSet("confirm_submission", True)
    assert len(events[1]["value"]) == 32


async def test_denying_the_summary_starts_the_form_over(dispatcher: CollectingDispatcher, domain: dict) -> None:
    slots = {"person_name": "陈小明", "id_number": READY[1], "phone": "13800138000", "address": "杭州市文三路8号"}
    events = await validate(ValidateMailForm(), dispatcher, domain, slots=slots, intent="deny",
                            candidates={"confirm_submission": False})
    assert {e["name"]: e["value"] for e in events} == {
        "confirm_submission": None, "person_name": None, "id_number": None, "phone": None, "address": None,
        "idempotency_key": None}
    assert responses(dispatcher) == ["utter_submission_restart"]


async def test_proxy_cannot_be_the_applicant(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateProxyForm(), dispatcher, domain, slots={"id_number": READY[1]},
                            candidates={"proxy_id_number": READY[1]})
    assert events == [SlotSet("proxy_id_number", None)]
    assert responses(dispatcher) == ["utter_invalid_proxy_is_applicant"]


async def test_proxy_id_is_masked_in_its_own_slot(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateProxyForm(), dispatcher, domain, slots={"id_number": READY[1]},
                            candidates={"proxy_name": "吴小燕", "proxy_id_number": "330106199009090024"})
    assert events == [SlotSet("proxy_name", "吴小燕"), SlotSet("proxy_id_number", "330106199009090024"),
                      SlotSet("proxy_id_masked", "330106********0024")]


async def test_organization_slots_are_normalised(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await validate(ValidateOrganizationForm(), dispatcher, domain, candidates={
        "organization_name": "单位名称：杭州示例电气有限公司", "batch_no": "jd20260101", "occupation": "电工",
        "level": "中级工", "headcount": "十二人", "collector_name": "王芳"})
    assert {e["name"]: e["value"] for e in events} == {
        "organization_name": "杭州示例电气有限公司", "batch_no": "JD20260101", "occupation": "电工",
        "level": "四级", "headcount": 12, "collector_name": "王芳"}


async def test_visit_date_in_the_past_is_asked_again(backend: str, dispatcher: CollectingDispatcher,
                                                     domain: dict) -> None:
    # The backend's rule (POST /applications/check): no batch known yet, only not before today.
    events = await validate(ValidateOrganizationForm(), dispatcher, domain, candidates={"visit_date": "2020-01-02"})
    assert events == [SlotSet("visit_date", None)]
    assert responses(dispatcher) == ["utter_refused_visit_date_past"]


async def test_city_and_pickup_method(dispatcher: CollectingDispatcher, domain: dict) -> None:
    # the answer to the form's question (on the form's start only the question's city counts)
    assert await validate(ValidateOfficeForm(), dispatcher, domain, slots={"requested_slot": "city"},
                          candidates={"city": "在杭州市"}) == [
        SlotSet("city", "杭州")]
    assert await validate(ValidateMaterialsForm(), dispatcher, domain, candidates={"pickup_method": "让朋友代领"}) == [
        SlotSet("pickup_method", "代领")]
    assert await validate(ValidateMaterialsForm(), dispatcher, domain, candidates={"pickup_method": "嗯"}) == [
        SlotSet("pickup_method", None)]
    assert responses(dispatcher) == ["utter_invalid_pickup_method"]


def answer(text: str, intent: str, confidence: float, requested: str, *, form: str,
           slots: dict | None = None, candidates: dict | None = None):
    tracker = make_tracker({"requested_slot": requested, **(slots or {})}, intent=intent, text=text,
                           candidates=candidates, active_loop=form)
    tracker.latest_message["intent"]["confidence"] = confidence
    return tracker


async def test_a_name_classified_as_something_else_still_answers(dispatcher: CollectingDispatcher,
                                                                 domain: dict) -> None:
    events = await ValidateStatusForm().run(
        dispatcher, answer("陈小明", "affirm", 0.61, "person_name", form="status_form"), domain)
    assert events == [SlotSet("person_name", "陈小明")]


async def test_an_unsure_question_intent_with_a_valid_name_is_a_name(dispatcher: CollectingDispatcher,
                                                                     domain: dict) -> None:
    events = await ValidateStatusForm().run(
        dispatcher, answer("李娜", "ask_fee", 0.5, "person_name", form="status_form"), domain)
    assert events == [SlotSet("person_name", "李娜")]


async def test_a_confident_question_is_left_to_the_rules(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ValidateMailForm().run(
        dispatcher, answer("领证要带什么", "ask_materials", 0.97, "phone", form="mail_form"), domain)
    assert events == [] and dispatcher.messages == []


async def test_the_full_address_wins_over_the_entity(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ValidateMailForm().run(dispatcher, answer(
        "浙江省杭州市西湖区文三路8号", "request_mail", 0.99, "address", form="mail_form",
        candidates={"address": "杭州市西湖区文三路8号"}), domain)
    assert events == [SlotSet("address", "浙江省杭州市西湖区文三路8号")]


async def test_a_bad_answer_is_taken_and_explained(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ValidateMailForm().run(
        dispatcher, answer("33010619900101001", "inform", 0.9, "id_number", form="mail_form"), domain)
    assert events == [SlotSet("id_number", None)]
    assert responses(dispatcher) == ["utter_invalid_id_format"]


async def test_an_id_where_the_name_was_asked_fills_the_id_only(dispatcher: CollectingDispatcher,
                                                                domain: dict) -> None:
    tracker = answer(READY[1], "inform", 1.0, "person_name", form="status_form",
                     candidates={"id_number": READY[1]})
    events = await ValidateStatusForm().run(dispatcher, tracker, domain)
    assert {e["name"]: e["value"] for e in events} == {
        "person_name": None, "id_number": READY[1], "id_masked": "330106********0018"}
    assert dispatcher.messages == []


async def test_button_payloads_are_not_free_text(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ValidateMaterialsForm().run(dispatcher, answer(
        '/inform{"pickup_method":"本人"}', "inform", 1.0, "pickup_method", form="materials_form"), domain)
    assert events == []


async def test_a_whole_name_wins_over_a_cut_entity(dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = answer("吴建国", "inform", 0.9, "person_name", form="proxy_form", candidates={"person_name": "建国"})
    assert await ValidateProxyForm().run(dispatcher, tracker, domain) == [SlotSet("person_name", "吴建国")]


async def test_an_entity_in_a_longer_sentence_is_kept(dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = answer("帮我查一下我朋友王芳的证书好吗谢谢", "inform", 0.9, "person_name", form="status_form",
                     candidates={"person_name": "王芳"})
    assert await ValidateStatusForm().run(dispatcher, tracker, domain) == [SlotSet("person_name", "王芳")]


async def test_slots_cleared_by_an_action_are_not_answers(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ValidateMailForm().run(dispatcher, make_tracker(
        {}, intent="check_status", candidates={"person_name": None, "id_number": None, "confirm_submission": None},
        active_loop="mail_form"), domain)
    assert {e["name"]: e["value"] for e in events} == {"person_name": None, "id_number": None,
                                                       "confirm_submission": None}
    assert dispatcher.messages == []


async def test_another_task_is_not_an_answer(dispatcher: CollectingDispatcher, domain: dict) -> None:
    # "let my wife collect it" would pass as a (Latin) name; confidently another task, it is
    # left to the rules.
    from actions.validation import check_person_name
    assert check_person_name("let my wife collect it").ok
    events = await ValidateMailForm().run(
        dispatcher, answer("let my wife collect it", "request_proxy", 0.93, "person_name", form="mail_form"), domain)
    assert events == [] and dispatcher.messages == []


async def test_an_unsure_task_intent_with_a_valid_answer_is_the_answer(dispatcher: CollectingDispatcher,
                                                                      domain: dict) -> None:
    events = await ValidateMailForm().run(
        dispatcher, answer("王查理", "check_status", 0.45, "person_name", form="mail_form"), domain)
    assert events == [SlotSet("person_name", "王查理")]


async def test_the_forms_own_task_may_answer(dispatcher: CollectingDispatcher, domain: dict) -> None:
    events = await ValidateStatusForm().run(
        dispatcher, answer("李娜", "check_status", 0.9, "person_name", form="status_form"), domain)
    assert events == [SlotSet("person_name", "李娜")]


async def test_proxy_and_organisation_answer_the_materials_question(dispatcher: CollectingDispatcher,
                                                                    domain: dict) -> None:
    events = await ValidateMaterialsForm().run(
        dispatcher, answer("让朋友帮我代领", "request_proxy", 0.97, "pickup_method", form="materials_form"), domain)
    assert events == [SlotSet("pickup_method", "代领")]
    events = await ValidateMaterialsForm().run(
        dispatcher, answer("我要寄到家", "request_mail", 0.97, "pickup_method", form="materials_form"), domain)
    assert events == []


async def test_the_materials_question_names_the_method(dispatcher: CollectingDispatcher, domain: dict) -> None:
    # "代领要带什么" starts the form and answers it; a question naming none asks again,
    # even when an earlier question set the slot.
    for text, slots, expected in (("代领人要带哪些证件", {}, "代领"), ("领证要带啥", {"pickup_method": "单位"}, None)):
        tracker = make_tracker(slots, intent="ask_materials", text=text, active_loop="materials_form")
        assert await ValidateMaterialsForm().run(dispatcher, tracker, domain) == [SlotSet("pickup_method", expected)]
    assert dispatcher.messages == []


async def test_a_pushed_notice_is_never_an_answer(dispatcher: CollectingDispatcher, domain: dict) -> None:
    # Rasa's trigger_intent: text "EXTERNAL: <intent>", an intent without a confidence. The
    # text would pass as an organisation's name.
    tracker = answer("EXTERNAL: EXTERNAL_pickup_notice", "EXTERNAL_pickup_notice", 1.0, "organization_name",
                     form="organization_form")
    del tracker.latest_message["intent"]["confidence"]
    assert await ValidateOrganizationForm().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


async def test_typed_change_request_at_the_summary_starts_over(dispatcher: CollectingDispatcher,
                                                               domain: dict) -> None:
    filled = {"person_name": READY[0], "id_number": READY[1], "phone": "13800138000",
              "address": "浙江省杭州市西湖区文三路100号"}
    events = await ValidateMailForm().run(
        dispatcher, answer("我要修改一下", "ask_correction", 0.93, "confirm_submission", form="mail_form",
                           slots=filled), domain)
    assert responses(dispatcher) == ["utter_submission_restart"]
    assert SlotSet("person_name", None) in events and SlotSet("confirm_submission", None) in events


async def test_a_correction_question_at_the_summary_is_not_a_change_request(dispatcher: CollectingDispatcher,
                                                                            domain: dict) -> None:
    events = await ValidateMailForm().run(
        dispatcher, answer("证书上名字印错了怎么修改", "ask_correction", 0.93, "confirm_submission",
                           form="mail_form"), domain)
    assert events == [] and dispatcher.messages == []
