"""Issue #17 in the dialogue, against the real backend: a second mail or proxy application
is refused right after name and ID (before phone and address); a status answer offers the
next steps as buttons when a certificate can be collected; and it says the working days
left, as the backend counts them."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from pickup_rules.testing import older_holders
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.applications import ActionSubmitMail, ActionSubmitProxy
from actions.forms.applications import ValidateMailForm, ValidateProxyForm
from actions.api.answers import CertificateStatus, build
from actions.status import ActionCheckStatus, ActionDeadline, certificate_messages
from conftest import COLLECTED, PENDING_NATIONAL, PROXY_REVIEWING, STAFF_TOKEN, TEST_TODAY, make_tracker, publish_people, responses

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
_seeds = iter(range(1701, 1800))


def holder() -> tuple[str, str]:
    """A person born 1950-1980 in a district created later, new to the shared backend."""
    return older_holders(1, seed=next(_seeds))[0]


def apply(backend: str, person: tuple[str, str], kind: str, certificate_no: str | None = None) -> str:
    body = {"kind": kind, "name": person[0], "id_number": person[1], "certificate_no": certificate_no}
    if kind == "mail":
        body.update(phone="13912345678", address="浙江省杭州市上城区解放路18号3单元502室")
    else:
        proxy = older_holders(1, seed=next(_seeds) + 500)[0]
        body.update(proxy_name=proxy[0], proxy_id_number=proxy[1])
    answer = requests.post(f"{backend}/api/v1/applications", timeout=10, json=body,
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


def move(backend: str, number: str, to: str, **extra: str) -> None:
    answer = requests.post(f"{backend}/api/v1/staff/applications/{number}/transitions", headers=STAFF,
                           json={"to": to, **extra}, timeout=10)
    assert answer.ok, answer.text


def identity_given(person: tuple[str, str], form: str) -> object:
    """The form just asked for the ID and the applicant gave name and ID in one message."""
    return make_tracker({"requested_slot": "id_number"}, text=f"{person[0]} {person[1]}", active_loop=form,
                        candidates={"person_name": person[0], "id_number": person[1]})


def sent(dispatcher: CollectingDispatcher) -> str:
    return json.dumps(dispatcher.messages, ensure_ascii=False)


# -- 1. a second application is refused before phone and address ---------------------------

@pytest.mark.parametrize("form, validate, first_kind", [
    ("mail_form", ValidateMailForm, "mail"), ("mail_form", ValidateMailForm, "proxy"),
    ("proxy_form", ValidateProxyForm, "proxy"), ("proxy_form", ValidateProxyForm, "mail")])
async def test_a_holder_whose_certificate_has_a_live_application_hears_it_at_once(
        backend: str, domain: dict, form: str, validate: type, first_kind: str) -> None:
    person = holder()
    publish_people(backend, people=[person], occupation="中式烹调师", level="四级")
    number = apply(backend, person, first_kind)
    move(backend, number, "accepted")
    dispatcher = CollectingDispatcher()
    events = await validate().run(dispatcher, identity_given(person, form), domain)
    assert responses(dispatcher) == ["utter_already_applied", "utter_already_applied_form_ended"]
    told, ended = dispatcher.messages
    assert (told["number"], told["state_label"], told["occupation"]) == (number, "受理", "中式烹调师")
    assert told["kind_label"] == {"mail": "邮寄送达", "proxy": "委托代领"}[first_kind]
    assert ended["task"] == {"mail_form": "办理邮寄申请", "proxy_form": "办理委托代领"}[form]
    assert ended["office_name"] and ended["office_phone"]
    # The form ends here: requested_slot None is the last word (phone, address never asked).
    assert [e for e in events if e["name"] == "requested_slot"][-1] == SlotSet("requested_slot", None)
    assert {"person_name": person[0], "id_number": person[1]}.items() <= {
        e["name"]: e["value"] for e in events}.items()
    assert person[1] not in sent(dispatcher)


async def test_after_the_early_end_the_submission_sends_nothing(backend: str, domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person], occupation="育婴员", level="四级")
    number = apply(backend, person, "mail")
    for action, kind in ((ActionSubmitMail(), "mail"), (ActionSubmitProxy(), "proxy")):
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, make_tracker(
            {"person_name": person[0], "id_number": person[1], "requested_slot": None}), domain)
        assert dispatcher.messages == [], kind
        assert SlotSet("pending_submission", None) in events and not any(
            e["name"] == "application_number" for e in events)
    # Still the one application, unchanged: nothing was sent.
    report = requests.post(f"{backend}/api/v1/status", timeout=10,
                           json={"name": person[0], "id_number": person[1]}).json()
    assert [c["application"]["number"] for c in report["certificates"]] == [number]


async def test_a_second_certificate_free_of_applications_lets_the_form_go_on(backend: str, domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person], occupation="电工", level="四级")
    _, _ = publish_people(backend, people=[person], occupation="焊工", level="三级")
    report = requests.post(f"{backend}/api/v1/status", timeout=10,
                           json={"name": person[0], "id_number": person[1]}).json()
    first = report["certificates"][0]["certificate_no"]
    apply(backend, person, "mail", certificate_no=first)
    dispatcher = CollectingDispatcher()
    events = await ValidateMailForm().run(dispatcher, identity_given(person, "mail_form"), domain)
    assert dispatcher.messages == []
    assert SlotSet("requested_slot", None) not in events


async def test_a_returned_application_does_not_stand_in_the_way(backend: str, domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person], occupation="茶艺师", level="三级")
    number = apply(backend, person, "mail")
    move(backend, number, "accepted")
    move(backend, number, "returned", reason="收件地址不详，请补充门牌号")
    dispatcher = CollectingDispatcher()
    events = await ValidateMailForm().run(dispatcher, identity_given(person, "mail_form"), domain)
    assert dispatcher.messages == [] and SlotSet("requested_slot", None) not in events


async def test_the_backend_down_changes_nothing(backend_down: str, domain: dict) -> None:
    person = holder()
    dispatcher = CollectingDispatcher()
    events = await ValidateMailForm().run(dispatcher, identity_given(person, "mail_form"), domain)
    assert dispatcher.messages == [] and SlotSet("requested_slot", None) not in events


async def test_the_look_up_runs_only_when_the_identity_was_just_given(backend: str, domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person])
    apply(backend, person, "proxy")
    # The phone is being answered: name and ID were taken earlier, no second look-up.
    tracker = make_tracker({"person_name": person[0], "id_number": person[1], "requested_slot": "phone"},
                           text="13912345678", active_loop="mail_form", candidates={"phone": "13912345678"})
    dispatcher = CollectingDispatcher()
    await ValidateMailForm().run(dispatcher, tracker, domain)
    assert "utter_already_applied" not in responses(dispatcher)


async def test_a_message_for_another_task_is_not_a_reason_to_look_up(backend: str, domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person])
    apply(backend, person, "mail")
    # "帮<name>查进度" inside the mail form: the switch question comes, not the refusal.
    tracker = make_tracker({"person_name": person[0], "id_number": person[1], "requested_slot": "phone"},
                           intent="check_status", text=f"帮{person[0]}查进度", active_loop="mail_form",
                           candidates={"person_name": person[0]},
                           events=[{"event": "slot", "name": "person_name", "value": person[0]},
                                   {"event": "slot", "name": "id_number", "value": person[1]}])
    dispatcher = CollectingDispatcher()
    events = await ValidateMailForm().run(dispatcher, tracker, domain)
    assert events[-1]["event"] == "action_execution_rejected"
    assert dispatcher.messages == []


# -- 2. next steps after a status answer -----------------------------------------------------

def test_the_next_step_buttons_start_mail_proxy_and_location(domain: dict) -> None:
    [variant] = domain["responses"]["utter_status_next_steps"]
    assert [(b["title"], b["payload"]) for b in variant["buttons"]] == [
        ("邮寄到家", "/request_mail"), ("委托代领", "/request_proxy"), ("领证地点", "/ask_location")]
    assert {"request_mail", "request_proxy", "ask_location"} <= set(domain["intents"])


async def test_next_steps_follow_a_collectable_certificate_once(backend: str, domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person], occupation="电工", level="四级")
    publish_people(backend, people=[person], occupation="焊工", level="三级")
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, make_tracker({"person_name": person[0], "id_number": person[1]}),
                                  domain)
    assert responses(dispatcher).count("utter_status_ready") == 2
    assert responses(dispatcher).count("utter_status_next_steps") == 1
    assert responses(dispatcher)[-1] == "utter_status_next_steps"


@pytest.mark.parametrize("who", ["collected", "pending", "applied"])
async def test_no_next_steps_when_nothing_can_be_applied_for(backend: str, domain: dict, who: str) -> None:
    person = {"collected": COLLECTED, "pending": PENDING_NATIONAL, "applied": PROXY_REVIEWING}[who]
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, make_tracker({"person_name": person[0], "id_number": person[1]}),
                                  domain)
    assert responses(dispatcher)[0] == "utter_status_header"
    assert "utter_status_next_steps" not in responses(dispatcher)


async def test_no_next_steps_once_a_live_application_exists(backend: str, domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person], occupation="保育师", level="五级")
    apply(backend, person, "mail")
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, make_tracker({"person_name": person[0], "id_number": person[1]}),
                                  domain)
    assert "utter_status_application" in responses(dispatcher)
    assert "utter_status_next_steps" not in responses(dispatcher)


def _certificate(deadline: dict) -> CertificateStatus:
    """One certificate of a status report as the client builds it from the backend's JSON."""
    office = {"code": "330100", "level": "市", "region": "杭州", "name": "杭州市职业技能鉴定中心",
              "address": "杭州市示例路1号", "phone": "0571-00000000", "hours": "工作日 9:00-17:00"}
    return build(CertificateStatus, {
        "certificate_no": "2026330100000000000001", "occupation": "电工", "level": "四级", "state": "ready",
        "office": office, "deadline": {"rule": "notice", "counted_from": "2026-05-06", **deadline},
        "collection": None, "application": None, "refused_application": None})


def test_no_next_steps_after_the_last_day() -> None:
    cert = _certificate({"date": "2026-05-20", "passed": True, "estimated": False, "working_days_left": None})
    assert [name for name, _ in certificate_messages(cert)] == ["utter_status_ready_deadline_passed"]
    from actions.status import can_apply
    assert not can_apply(cert)


# -- 4. working days left -----------------------------------------------------------------------

async def test_the_days_left_are_the_backends_and_reach_the_last_day(backend: str, backend_url: str,
                                                                      domain: dict) -> None:
    person = holder()
    publish_people(backend, people=[person], occupation="美容师", level="四级")
    dispatcher = CollectingDispatcher()
    await ActionDeadline().run(dispatcher, make_tracker({"person_name": person[0], "id_number": person[1]}), domain)
    assert responses(dispatcher) == ["utter_status_header", "utter_deadline_personal",
                                     "utter_deadline_working_days_left"]
    days = dispatcher.messages[2]["days"]
    report = requests.post(f"{backend_url}/api/v1/status", timeout=10,
                           json={"name": person[0], "id_number": person[1]}).json()["certificates"][0]
    # Counted independently: that many working days after today is the last day itself.
    due = requests.get(f"{backend_url}/api/v1/working-days/due", timeout=10,
                       params={"start": TEST_TODAY, "days": days}).json()["due"]
    assert due == report["deadline"]["date"] and report["deadline"]["working_days_left"] == days
    # Published today (TEST_TODAY): all ten days are left.
    assert days == 10


@pytest.mark.parametrize("deadline, said", [
    ({"date": "2026-06-12", "passed": False, "estimated": False, "working_days_left": 4},
     [("utter_deadline_working_days_left", {"days": 4})]),
    ({"date": "2027-01-12", "passed": False, "estimated": True, "working_days_left": 7},
     [("utter_deadline_working_days_left_estimated", {"days": 7}), ("utter_date_estimated", {})]),
    ({"date": "2026-06-01", "passed": False, "estimated": False, "working_days_left": 0},
     [("utter_deadline_last_day_today", {})]),
    ({"date": "2026-06-12", "passed": False, "estimated": False}, []),  # an older backend: nothing said
])
def test_the_days_left_are_said_as_the_backend_counts_them(deadline: dict, said: list) -> None:
    messages = certificate_messages(_certificate(deadline))
    assert messages[0][0] == "utter_status_ready"
    assert messages[1:] == said


def test_the_days_left_wording(domain: dict) -> None:
    text = domain["responses"]["utter_deadline_working_days_left"][0]["text"]
    assert "还剩{days}个工作日（含当日）" in text
    assert "估算" in domain["responses"]["utter_deadline_working_days_left_estimated"][0]["text"]
