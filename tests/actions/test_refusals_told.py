"""What the backend refuses, decides and pushes, as the applicant reads it: every sentence a
response of the domain, the refused field (and only it) asked again, refusals and decisions
told with the staff's reason, and real people (older holders, other provinces' batch styles)
through to the end. Against the real backend."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from pickup_rules.testing import make_id, older_holders
from rasa_sdk.events import ActiveLoop, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.api.backend import ApiError
from actions.applications import ActionSubmitMail, ActionSubmitProxy
from actions.forms.applications import ValidateOrganizationForm, ValidateProxyForm
from actions.forms.lookups import ValidateStatusForm
from actions.notices import ActionPushedMessage
from actions.refusals import FIELD_SLOTS, GENERAL_REFUSAL, ID_OWNERS, ID_REASONS, RESPONSES, refusal_messages
from actions.status import ActionCheckStatus, ActionDeadline
from conftest import COLLECTED, STAFF_TOKEN, make_tracker, publish_people, responses

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


def slots_of(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_every_refusal_response_is_in_the_domain(domain: dict) -> None:
    named = {*RESPONSES.values(), GENERAL_REFUSAL, *ID_OWNERS.values(), *ID_REASONS.values()}
    assert named - set(domain["responses"]) == set()
    assert "utter_backend_refused" not in domain["responses"]  # no backend sentence is shown as is
    assert {slot for slots in FIELD_SLOTS.values() for slot in slots} <= set(domain["slots"])


def test_an_unknown_code_gets_the_general_refusal() -> None:
    assert refusal_messages(ApiError("something_new", message="后端的话")) == [(GENERAL_REFUSAL, {})]


def test_a_list_mismatch_is_told_by_its_reason() -> None:
    error = ApiError("not_on_list", details={"field": "occupation", "reason": "occupation_not_in_batch",
                                             "options": ["电工", "焊工"]})
    assert refusal_messages(error) == [("utter_refused_occupation_not_in_batch", {"options": "电工、焊工"})]


# -- a refused field, and only it, is asked again ------------------------------------------

def proxy_slots(holder: tuple[str, str], proxy_id: str) -> dict:
    return {"person_name": holder[0], "id_number": holder[1], "id_masked": "x", "proxy_name": "王依法",
            "proxy_id_number": proxy_id, "proxy_id_masked": "y", "confirm_submission": True,
            "idempotency_key": f"proxy-refused-{proxy_id}"}


async def test_a_refused_proxy_id_is_asked_again_not_the_holders(backend: str, domain: dict) -> None:
    _, [holder] = publish_people(backend)
    # A slot restored from an old conversation, never validated: the backend is the last word.
    bad_proxy = make_id("339999", dt.date(1965, 4, 4), 5)
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitProxy().run(dispatcher, make_tracker(proxy_slots(holder, bad_proxy)), domain)
    assert responses(dispatcher) == ["utter_refused_whose_id_proxy", "utter_invalid_id_region"]
    cleared = {name for name, value in slots_of(events).items() if value is None}
    assert {"proxy_id_number", "proxy_id_masked"} <= cleared
    assert not {"id_number", "person_name", "proxy_name", "id_masked"} & cleared
    assert events[-2:] == [ActiveLoop("proxy_form"), FollowupAction("proxy_form")]


async def test_a_father_born_in_1965_in_a_district_created_later_can_be_the_proxy(backend: str, domain: dict) -> None:
    _, [holder] = publish_people(backend)
    father = make_id("330110", dt.date(1965, 2, 14), 31)  # 余杭区: listed from 2001
    validated = await ValidateProxyForm().validate_proxy_id_number(father, CollectingDispatcher(),
                                                                   make_tracker({"id_number": holder[1]}), domain)
    assert validated["proxy_id_number"] == father
    dispatcher = CollectingDispatcher()
    await ActionSubmitProxy().run(dispatcher, make_tracker(proxy_slots(holder, father)), domain)
    assert responses(dispatcher)[0] == "utter_proxy_created"


async def test_a_refused_address_is_asked_again_alone(backend: str, domain: dict) -> None:
    _, [holder] = publish_people(backend)
    slots = {"person_name": holder[0], "id_number": holder[1], "phone": "13800138000", "address": "西湖区某路8号",
             "confirm_submission": True, "idempotency_key": "mail-refused-address"}
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitMail().run(dispatcher, make_tracker(slots), domain)
    assert responses(dispatcher) == ["utter_refused_address"]
    assert slots_of(events)["address"] is None and "phone" not in slots_of(events)


async def test_an_already_collected_certificate_is_told_in_the_domains_words(backend: str, domain: dict) -> None:
    slots = {"person_name": COLLECTED[0], "id_number": COLLECTED[1], "phone": "13800138000",
             "address": "浙江省杭州市西湖区文三路8号", "confirm_submission": True, "idempotency_key": "collected-0001"}
    dispatcher = CollectingDispatcher()
    await ActionSubmitMail().run(dispatcher, make_tracker(slots), domain)
    assert responses(dispatcher) == ["utter_refused_already_collected"]
    assert "message" not in dispatcher.messages[0]


# -- refusals and decisions are told ----------------------------------------------------

def _mail_application(backend: str, holder: tuple[str, str], key: str) -> str:
    answer = requests.post(f"{backend}/api/v1/applications", timeout=10, headers={"Idempotency-Key": key}, json={
        "kind": "mail", "name": holder[0], "id_number": holder[1], "phone": "13800138000",
        "address": "浙江省杭州市西湖区文三路8号"})
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


def _move(backend: str, number: str, to: str, **extra: str) -> None:
    answer = requests.post(f"{backend}/api/v1/staff/applications/{number}/transitions", headers=STAFF,
                           json={"to": to, **extra}, timeout=10)
    assert answer.ok, answer.text


async def test_a_returned_mail_application_is_told_with_its_reason(backend: str, domain: dict) -> None:
    _, [holder] = publish_people(backend)
    number = _mail_application(backend, holder, "returned-0001")
    _move(backend, number, "accepted")
    _move(backend, number, "returned", reason=f"收件地址不详，请补充门牌号（核对身份证{holder[1]}）")
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, make_tracker({"person_name": holder[0], "id_number": holder[1]}), domain)
    # Sent back, so nothing is under way: the next steps are offered again.
    assert responses(dispatcher) == ["utter_status_header", "utter_status_refused_application", "utter_status_ready",
                                     "utter_deadline_working_days_left", "utter_status_next_steps"]
    told = dispatcher.messages[1]
    assert told["number"] == number and told["state_label"] == "退回" and "收件地址不详" in told["reason"]
    assert holder[1] not in json.dumps(dispatcher.messages, ensure_ascii=False)


@pytest.mark.parametrize("state, kind, response", [
    ("accepted", "mail", "utter_update_accepted"), ("rejected", "mail", "utter_update_rejected"),
    ("returned", "proxy", "utter_update_returned"), ("completed", "mail", "utter_update_completed_mail"),
    ("completed", "proxy", "utter_update_completed_proxy"), ("delivered", "mail", "utter_update_mailed"),
])
async def test_pushed_decisions(state: str, kind: str, response: str, domain: dict) -> None:
    entities = {"application_number": "SQ20260601000042", "kind": kind, "state": state, "reason": "材料不全",
                "certificate_occupation": "电工", "certificate_level": "四级", "certificate_no": "0833010130400123",
                "delivery_due_on": "2026-06-08", "express_company": "邮政EMS", "tracking_no": "1234567890123"}
    tracker = make_tracker(intent="EXTERNAL_application_update", text="EXTERNAL: EXTERNAL_application_update",
                           entities=[{"entity": k, "value": v} for k, v in entities.items()], input_channel="socketio")
    dispatcher = CollectingDispatcher()
    assert await ActionPushedMessage().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == [response]
    assert dispatcher.messages[0]["number"] == "SQ20260601000042"


async def test_a_pushed_decision_without_a_number_says_nothing(domain: dict) -> None:
    tracker = make_tracker(intent="EXTERNAL_application_update", entities=[{"entity": "state", "value": "accepted"}])
    dispatcher = CollectingDispatcher()
    await ActionPushedMessage().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []


# -- organisations: batch numbers in any province's style, visits on working days -----------

async def _validate(form: ValidateOrganizationForm, slot: str, value: object, slots: dict, domain: dict
                    ) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    result = await getattr(form, f"validate_{slot}")(value, dispatcher, make_tracker(slots), domain)
    return result, responses(dispatcher)


async def test_an_organisation_names_its_batch_in_its_provinces_style(backend: str, domain: dict) -> None:
    batch_no = f"浙鉴2026第{int(dt.datetime.now().timestamp()) % 100000}批"
    publish_people(backend, 3, occupation="养老护理员", level="三级", batch_no=batch_no)
    form = ValidateOrganizationForm()
    found, said = await _validate(form, "batch_no", f"我们的鉴定批次号是{batch_no}", {}, domain)
    assert found == {"batch_no": batch_no} and said == []
    slots = {"batch_no": batch_no}
    assert (await _validate(form, "occupation", "我们都是养老护理员", slots, domain))[0] == {"occupation": "养老护理员"}
    assert (await _validate(form, "occupation", "电工", slots, domain))[1] == ["utter_refused_occupation_not_in_batch"]
    slots["occupation"] = "养老护理员"
    assert (await _validate(form, "level", "高级工", slots, domain))[0] == {"level": "三级"}
    assert (await _validate(form, "level", "四级", slots, domain))[1] == ["utter_refused_level_not_in_batch"]
    slots["level"] = "三级"
    assert (await _validate(form, "headcount", "4人", slots, domain))[1] == ["utter_refused_headcount"]
    assert (await _validate(form, "headcount", "3", slots, domain))[0] == {"headcount": 3}
    # 2026-06-01 is a Monday: the Saturday after is no working day; the next Tuesday is.
    assert (await _validate(form, "visit_date", "6月6日", slots, domain))[1] == [
        "utter_refused_visit_date_not_working_day"]
    assert (await _validate(form, "visit_date", "6月2日", slots, domain))[0] == {"visit_date": "2026-06-02"}
    outside, said = await _validate(form, "visit_date", "2026-08-03", slots, domain)
    assert outside == {"visit_date": None} and said == ["utter_refused_visit_date_window"]


async def test_an_unpublished_batch_is_refused_without_guessing_its_format(backend: str, domain: dict) -> None:
    result, said = await _validate(ValidateOrganizationForm(), "batch_no", "2026-33-9999", {}, domain)
    assert result == {"batch_no": None} and said == ["utter_refused_batch_not_published"]


async def test_when_the_backend_cannot_check_the_typed_value_is_kept(backend_down: str, domain: dict) -> None:
    result, said = await _validate(ValidateOrganizationForm(), "batch_no", "浙鉴2026第15批", {}, domain)
    assert result == {"batch_no": "浙鉴2026第15批"} and said == []


# -- older holders, found and served ------------------------------------------------------

async def test_older_holders_in_districts_created_after_their_birth_are_found(backend: str, domain: dict) -> None:
    people = older_holders(6, seed=int(dt.datetime.now().timestamp()) % 1000)
    publish_people(backend, people=people)
    for name, id_number in people:
        dispatcher = CollectingDispatcher()
        await ActionDeadline().run(dispatcher, make_tracker({"person_name": name, "id_number": id_number}), domain)
        assert responses(dispatcher)[:2] == ["utter_status_header", "utter_deadline_personal"], (name, id_number[:6])
        assert dispatcher.messages[1]["counted_from"] == "2026年6月1日"


# -- no form loops: from the second refusal in a row, the way out ------------------------------

async def _status_form_turn(slots: dict, typed: str, domain: dict) -> tuple[list[dict], list[str]]:
    tracker = make_tracker({"requested_slot": "id_number", **slots}, text=typed, candidates={"id_number": typed},
                           active_loop="status_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateStatusForm().run(dispatcher, tracker, domain)
    return events, responses(dispatcher)


async def test_the_second_refusal_of_a_question_offers_the_way_out(backend: str, domain: dict) -> None:
    bad = "330106199001010019"
    events, said = await _status_form_turn({"person_name": "王依法"}, bad, domain)
    assert said == ["utter_invalid_id_checksum"] and slots_of(events)["refused_answers"] == {"id_number": 1}
    events, said = await _status_form_turn({"person_name": "王依法", "refused_answers": {"id_number": 1}},
                                           bad, domain)
    assert said == ["utter_invalid_id_checksum", "utter_form_way_out"]
    assert slots_of(events)["refused_answers"] == {"id_number": 2}
    assert "person_name" not in slots_of(events)  # what was given is kept
    events, said = await _status_form_turn({"person_name": "王依法", "refused_answers": {"id_number": 2}},
                                           "330106199001010018", domain)
    assert said == [] and slots_of(events)["refused_answers"] is None


async def test_a_field_the_backend_refuses_twice_offers_the_way_out(backend: str, domain: dict) -> None:
    _, [holder] = publish_people(backend)
    slots = {"person_name": holder[0], "id_number": holder[1], "phone": "13800138000", "address": "西湖区某路8号",
             "confirm_submission": True, "idempotency_key": "mail-refused-twice"}
    first = CollectingDispatcher()
    events = await ActionSubmitMail().run(first, make_tracker(slots), domain)
    assert responses(first) == ["utter_refused_address"]
    counted = slots_of(events)["refused_answers"]
    again = CollectingDispatcher()
    await ActionSubmitMail().run(again, make_tracker({**slots, "refused_answers": counted,
                                                      "idempotency_key": "mail-refused-twice-2"}), domain)
    assert responses(again) == ["utter_refused_address", "utter_form_way_out"]
