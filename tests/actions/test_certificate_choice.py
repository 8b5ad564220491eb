"""Several ready certificates: the backend's 409 `certificate_ambiguous` sends the mail or
proxy form back to ask which one (buttons), the answer is checked against the choices, the
summary shows it, and the application is made for the chosen certificate (checked in the
real backend); the proxy's 委托书 template names that certificate. The choice is forgotten
after the application, a denied summary or a stop."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
import requests
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.answers import BadAnswer, CreatedApplication, build
from actions.applications import ActionCancelSubmission, ActionSubmitMail, ActionSubmitProxy
from actions.forms.applications import ValidateMailForm, ValidateProxyForm
from actions.forms.certificates import ActionAskCertificateNo
from actions.validation import check_certificate_choice, find_id_number
from conftest import STAFF_TOKEN, TEST_TODAY, id_with_check_digit, make_tracker, publish_people, responses

_serial = itertools.count(1)

SUBMIT = {"mail": ActionSubmitMail, "proxy": ActionSubmitProxy}
VALIDATE = {"mail": ValidateMailForm, "proxy": ValidateProxyForm}
CHOICES = [{"certificate_no": "ZS2026C0011", "occupation": "电工", "level": "四级"},
           {"certificate_no": "ZS2026C0012", "occupation": "焊工", "level": "三级"}]


def publish_holder_of_two(backend_url: str) -> tuple[tuple[str, str], list[dict]]:
    """One invented person on a published list twice: 电工 四级 and 焊工 三级 (one batch).
    Returns the person and the two certificates as the backend lists them."""
    n = next(_serial)
    id_number = id_with_check_digit(f"330106{1991 + n % 12}0{1 + n % 9}2{n % 10}{n:03d}")
    person = (f"双证{'甲乙丙丁戊己庚辛壬癸'[n % 10]}", id_number)
    batch_no = f"JDC2026{n:04d}"
    certificates = [{"certificate_no": f"ZS2026C{n:03d}1", "occupation": "电工", "level": "四级"},
                    {"certificate_no": f"ZS2026C{n:03d}2", "occupation": "焊工", "level": "三级"}]
    rows = ["姓名,身份证号,证书编号,职业,等级,鉴定批次号"] + [
        f"{person[0]},{person[1]},{c['certificate_no']},{c['occupation']},{c['level']},{batch_no}" for c in certificates]
    headers = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    imported = requests.post(f"{backend_url}/api/v1/staff/lists", headers=headers, timeout=10,
                             data={"office_code": "330100", "exam_type": "local"},
                             files={"file": ("list.csv", "\n".join(rows).encode(), "text/csv")})
    assert imported.status_code == 201, imported.text
    notice = requests.post(f"{backend_url}/api/v1/staff/notices", headers=headers, timeout=10, json={
        "office_code": "330100", "batch_nos": [batch_no], "published_on": TEST_TODAY})
    assert notice.status_code == 201, notice.text
    return person, certificates


def applications_in_backend(backend_url: str, person: tuple[str, str]) -> dict[str, str | None]:
    """certificate_no -> the kind of its live application (None without one)."""
    answer = requests.post(f"{backend_url}/api/v1/status", timeout=10,
                           json={"name": person[0], "id_number": person[1]})
    assert answer.status_code == 200, answer.text
    return {c["certificate_no"]: (c["application"] or {}).get("kind") for c in answer.json()["certificates"]}


def form_slots(kind: str, person: tuple[str, str]) -> dict:
    slots = {"person_name": person[0], "id_number": person[1], "id_masked": "330106********0000"}
    if kind == "mail":
        return {**slots, "phone": "13800138000", "address": "浙江省杭州市西湖区文三路8号"}
    return {**slots, "proxy_name": "吴小燕", "proxy_id_number": "330106199009090024",
            "proxy_id_masked": "330106********0024"}


def slots_of(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def choices_stored(choices: list[dict]) -> list[dict]:
    return [{"event": "slot", "name": "certificate_choices", "value": choices, "timestamp": None}]


async def answer(kind: str, slots: dict, text: str, domain: dict, *, intent: str = "inform",
                 events: list[dict] | None = None) -> tuple[list[dict], CollectingDispatcher]:
    """The form's validation action on the applicant's answer to the certificate question."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({**slots, "requested_slot": "certificate_no"}, intent=intent, text=text,
                           active_loop=f"{kind}_form", events=events or choices_stored(slots["certificate_choices"]))
    return await VALIDATE[kind]().run(dispatcher, tracker, domain), dispatcher


# -- the backend's 409 leads to the question ------------------------------------------------

@pytest.mark.parametrize("kind", ["mail", "proxy"])
async def test_several_ready_certificates_send_the_form_back_to_ask_which(
        kind: str, backend: str, domain: dict) -> None:
    person, certificates = publish_holder_of_two(backend)
    slots = {**form_slots(kind, person), "confirm_submission": True, "idempotency_key": f"ambiguous-{kind}-{person[1]}"}
    dispatcher = CollectingDispatcher()
    events = await SUBMIT[kind]().run(dispatcher, make_tracker(slots, intent="affirm", text="确认"), domain)

    assert dispatcher.messages == []  # the form's question explains
    assert events[-2:] == [ActiveLoop(f"{kind}_form"), FollowupAction(f"{kind}_form")]
    stored = slots_of(events)
    assert sorted(stored["certificate_choices"], key=lambda c: c["certificate_no"]) == certificates
    assert stored["confirm_submission"] is None and stored["requested_slot"] is None
    assert stored["idempotency_key"] is None and stored["pending_submission"] is None
    kept = set(form_slots(kind, person)) - {"id_masked", "proxy_id_masked"}
    assert not kept & set(stored)  # the form's answers stay
    assert set(applications_in_backend(backend, person).values()) == {None}

    # Back in the form (active, after the submission): its validation action asks for the certificate.
    back = {**slots, **stored}
    tracker = make_tracker(back, intent="affirm", text="确认", active_loop=f"{kind}_form",
                           events=choices_stored(stored["certificate_choices"]))
    asked = await VALIDATE[kind]().run(CollectingDispatcher(), tracker, domain)
    assert asked == [SlotSet("requested_slot", "certificate_no")]

    question = CollectingDispatcher()
    assert await ActionAskCertificateNo().run(question, make_tracker({**back, "requested_slot": "certificate_no"}),
                                              domain) == []
    assert responses(question) == ["utter_ask_certificate_no"]
    assert question.messages[0]["certificate_count"] == 2
    assert sorted(question.messages[0]["buttons"], key=lambda b: b["payload"]) == [
        {"title": f"电工 四级（{certificates[0]['certificate_no']}）", "payload": certificates[0]["certificate_no"]},
        {"title": f"焊工 三级（{certificates[1]['certificate_no']}）", "payload": certificates[1]["certificate_no"]}]


# -- the choice, then the application for it ------------------------------------------------

@pytest.mark.parametrize(("kind", "text", "chosen"), [
    ("mail", "{no1}", 0),        # the button's payload: the plain number
    ("mail", "焊工", 1),          # the occupation
    ("mail", "要电工四级那本", 0),  # occupation and level in a sentence
    ("mail", "第二本", 1),         # a place in the list
    ("mail", "1", 0),             # WeChat: a bare number for a button
    ("proxy", "{no2}", 1),
    ("proxy", "第一个", 0),
])
async def test_the_chosen_certificate_is_the_one_applied_for(
        kind: str, text: str, chosen: int, backend: str, domain: dict) -> None:
    person, certificates = publish_holder_of_two(backend)
    dispatcher = CollectingDispatcher()
    first = {**form_slots(kind, person), "confirm_submission": True, "idempotency_key": f"first-{kind}-{person[1]}"}
    stored = slots_of(await SUBMIT[kind]().run(dispatcher, make_tracker(first), domain))
    slots = {**first, **stored}
    # the order the backend lists them in is the order of the buttons and of 第一本
    by_place = slots["certificate_choices"]
    text = text.format(no1=by_place[0]["certificate_no"], no2=by_place[1]["certificate_no"])

    events, said = await answer(kind, slots, text, domain)
    choice = by_place[chosen]
    label = f"{choice['occupation']} {choice['level']}（{choice['certificate_no']}）"
    assert events == [SlotSet("certificate_no", choice["certificate_no"]), SlotSet("certificate_label", label),
                      SlotSet("requested_slot", "confirm_submission")]
    assert said.messages == []

    confirmed = {**slots, **slots_of(events), "confirm_submission": True, "idempotency_key": f"chosen-{kind}-{person[1]}"}
    created = CollectingDispatcher()
    events = await SUBMIT[kind]().run(created, make_tracker(confirmed, intent="affirm"), domain)
    assert responses(created)[0] == f"utter_{kind}_created"
    assert {k: slots_of(events)[k] for k in ("certificate_choices", "certificate_no", "certificate_label")} == {
        "certificate_choices": None, "certificate_no": None, "certificate_label": None}
    other = by_place[1 - chosen]
    assert applications_in_backend(backend, person) == {choice["certificate_no"]: kind, other["certificate_no"]: None}


async def rendered(messages: list[dict], slots: dict) -> list[str]:
    """The texts Rasa makes of the action's messages (its NLG, the domain's responses, the
    slots of the tracker the action ran on, the values the action passed)."""
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet as RasaSlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    known = {name: value for name, value in slots.items() if name in rasa_domain.slots and value is not None}
    tracker = DialogueStateTracker.from_events("letter", [RasaSlotSet(k, v) for k, v in known.items()],
                                               slots=rasa_domain.slots)
    return [(await nlg.generate(m["response"], tracker, "rest", **{
        k: v for k, v in m.items() if k not in ("response", "template") and v not in (None, [], {})}))["text"]
            for m in messages]


async def test_the_letter_names_the_chosen_certificate_as_the_backend_lists_it(backend: str, domain: dict) -> None:
    person, _ = publish_holder_of_two(backend)
    first = {**form_slots("proxy", person), "confirm_submission": True, "idempotency_key": f"letter-{person[1]}"}
    stored = slots_of(await ActionSubmitProxy().run(CollectingDispatcher(), make_tracker(first), domain))
    slots = {**first, **stored}
    choice = slots["certificate_choices"][1]  # as the backend listed it
    events, _ = await answer("proxy", slots, "第二本", domain)
    confirmed = {**slots, **slots_of(events), "confirm_submission": True,
                 "idempotency_key": f"letter-chosen-{person[1]}"}

    created = CollectingDispatcher()
    await ActionSubmitProxy().run(created, make_tracker(confirmed, intent="affirm"), domain)
    assert responses(created) == ["utter_proxy_created", "utter_materials_proxy",
                                  "utter_proxy_letter_template_certificate"]
    texts = await rendered(created.messages, confirmed)
    letter = texts[2]
    assert (f"国家职业资格证书（职业：{choice['occupation']}，等级：{choice['level']}，"
            f"证书编号：{choice['certificate_no']}）") in letter
    # Everything else is the plain template: the same blanks for what the backend does not know.
    plain = (await rendered([{"response": "utter_proxy_letter_template", "person_name": person[0],
                              "proxy_name": "吴小燕"}], confirmed))[0]
    assert letter == plain.replace("职业：__________，等级：______，证书编号：____________________",
                                   f"职业：{choice['occupation']}，等级：{choice['level']}，"
                                   f"证书编号：{choice['certificate_no']}")
    # No ID number in any message, the letter's ID lines stay blank for the people to fill in.
    assert not any(find_id_number(text) for text in texts)
    assert "委托人：" + person[0] + "，身份证号：____________________" in letter


async def test_the_letter_names_the_only_certificate_the_backend_took_without_asking(
        backend: str, domain: dict) -> None:
    _, [person] = publish_people(backend, occupation="焊工", level="三级")
    status = requests.post(f"{backend}/api/v1/status", timeout=10,
                           json={"name": person[0], "id_number": person[1]}).json()
    [certificate] = status["certificates"]
    slots = {**form_slots("proxy", person), "confirm_submission": True, "idempotency_key": f"letter-one-{person[1]}"}

    created = CollectingDispatcher()
    events = await ActionSubmitProxy().run(created, make_tracker(slots, intent="affirm"), domain)
    assert responses(created) == ["utter_proxy_created", "utter_materials_proxy",
                                  "utter_proxy_letter_template_certificate"]
    assert "certificate_choices" not in slots_of(events)  # nothing was asked
    texts = await rendered(created.messages, slots)
    assert (f"国家职业资格证书（职业：焊工，等级：三级，证书编号：{certificate['certificate_no']}）") in texts[2]
    assert certificate["occupation"] == "焊工" and certificate["level"] == "三级"
    assert not any(find_id_number(text) for text in texts)
    assert "委托人：" + person[0] + "，身份证号：____________________" in texts[2]


def _created(number: str, certificate: dict | None) -> CreatedApplication:
    """A proxy application as the client builds it from the backend's answer."""
    return build(CreatedApplication, {
        "number": number, "kind": "proxy", "certificate": certificate, "state": "applied", "state_label": "已申请",
        "reason": None, "steps": [], "delivery_due_on": None, "delivery_due_estimated": False,
        "delivery_due_basis": "application_date", "delivery": None, "access_token": "t" * 32})


async def test_without_the_certificate_in_the_backends_answer_the_letter_keeps_its_blanks(domain: dict) -> None:
    person = ("陈小明", "330106199001010018")
    # The backend's answer is the one source: a choice in the slots alone prints nothing.
    dispatcher = CollectingDispatcher()
    chosen = {**form_slots("proxy", person), "certificate_no": CHOICES[0]["certificate_no"],
              "certificate_choices": CHOICES}
    ActionSubmitProxy().reply(dispatcher, make_tracker(chosen), _created("SQ2", None))
    assert responses(dispatcher)[-1] == "utter_proxy_letter_template"
    # A number without its occupation and level is no certificate to print.
    dispatcher = CollectingDispatcher()
    ActionSubmitProxy().reply(dispatcher, make_tracker(form_slots("proxy", person)), _created(
        "SQ3", {"certificate_no": "ZS2026C0011", "occupation": "", "level": "", "batch_no": "JD20260101"}))
    assert responses(dispatcher)[-1] == "utter_proxy_letter_template"
    # An answer without the certificate field at all is no answer: the client refuses it.
    with pytest.raises(BadAnswer):
        build(CreatedApplication, {"number": "SQ1"})


@pytest.mark.parametrize("text", ["育婴员", "电工三级", "第三本", "好的", "ZS2026900001", "ZS2026C0013"])
async def test_an_answer_that_picks_none_of_them_is_asked_again_with_the_options(text: str, domain: dict) -> None:
    slots = {**form_slots("mail", ("陈小明", "330106199001010018")), "certificate_choices": CHOICES}
    events, said = await answer("mail", slots, text, domain)
    assert events == [SlotSet("certificate_no", None), SlotSet("certificate_label", None),
                      SlotSet("requested_slot", "certificate_no")]
    assert responses(said) == ["utter_invalid_certificate_no"]
    assert said.messages[0]["options"] == "1. 电工 四级（ZS2026C0011）；2. 焊工 三级（ZS2026C0012）"


async def test_a_question_in_the_middle_is_left_to_the_rules(domain: dict) -> None:
    slots = {**form_slots("mail", ("陈小明", "330106199001010018")), "certificate_choices": CHOICES}
    events, said = await answer("mail", slots, "电工证在哪里领", domain, intent="ask_location")
    assert events == [SlotSet("requested_slot", "certificate_no")]  # nothing extracted: the form rejects
    assert said.messages == []


def test_only_a_listed_certificate_is_ever_accepted() -> None:
    assert check_certificate_choice("ZS2026C0012", CHOICES).value == CHOICES[1]
    assert check_certificate_choice("zs-2026-c0011", CHOICES).value == CHOICES[0]
    assert check_certificate_choice("尾号0012", CHOICES).value == CHOICES[1]
    assert check_certificate_choice("最后一本", CHOICES).value == CHOICES[1]
    assert check_certificate_choice("高级工", CHOICES).value == CHOICES[1]  # 三级
    for text in ("ZS2026C0013", "ZS2026C001", "第0本", "3", "电工三级", "电工和焊工", ""):
        assert not check_certificate_choice(text, CHOICES).ok, text
    assert not check_certificate_choice("ZS2026C0011", []).ok
    same_occupation = [{"certificate_no": "A0001", "occupation": "电工", "level": "四级"},
                       {"certificate_no": "A0002", "occupation": "电工", "level": "三级"}]
    assert not check_certificate_choice("电工", same_occupation).ok
    assert check_certificate_choice("电工三级", same_occupation).value == same_occupation[1]
    nested = [{"certificate_no": "B0001", "occupation": "电工", "level": "四级"},
              {"certificate_no": "B0002", "occupation": "维修电工", "level": "四级"}]
    assert check_certificate_choice("维修电工", nested).value == nested[1]
    assert check_certificate_choice("电工", nested).value == nested[0]


# -- the summary ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["mail", "proxy"])
def test_the_summary_shows_the_certificate_only_when_one_was_chosen(kind: str) -> None:
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet as RasaSlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    slots = form_slots(kind, ("陈小明", "330106199001010018"))
    tracker = DialogueStateTracker.from_events("summary", [RasaSlotSet(k, v) for k, v in slots.items()],
                                               slots=rasa_domain.slots)
    summary = f"utter_ask_{kind}_form_confirm_submission"
    plain = asyncio.run(nlg.generate(summary, tracker, "rest"))
    assert "证书：" not in plain["text"] and "None" not in plain["text"]
    tracker.update(RasaSlotSet("certificate_label", "焊工 三级（ZS2026C0012）"))
    chosen = asyncio.run(nlg.generate(summary, tracker, "rest"))
    assert "证书：焊工 三级（ZS2026C0012）" in chosen["text"]
    assert [b["payload"] for b in chosen["buttons"]] == ["/affirm", "/deny"]


# -- when the choice is forgotten -------------------------------------------------------------

async def test_denying_the_summary_forgets_the_choice(domain: dict) -> None:
    slots = {**form_slots("mail", ("陈小明", "330106199001010018")), "certificate_choices": CHOICES,
             "certificate_no": "ZS2026C0011", "certificate_label": "电工 四级（ZS2026C0011）"}
    tracker = make_tracker(slots, intent="deny", text="修改", active_loop="mail_form",
                           candidates={"confirm_submission": False}, events=choices_stored(CHOICES))
    events = await ValidateMailForm().run(CollectingDispatcher(), tracker, domain)
    cleared = slots_of(events)
    assert cleared["certificate_choices"] is None and cleared["certificate_no"] is None
    assert cleared["certificate_label"] is None and cleared["person_name"] is None
    assert "requested_slot" not in cleared  # Rasa asks the domain's first slot: no certificate question


def stop_events(choices: list[dict], *, confirmed: bool) -> list[dict]:
    """The choice stored, then `stop` inside the form: confirmed (action_drop_form clears the
    applicant's name and ID number) or declined (action_resume_form)."""
    events = choices_stored(choices) + [
        {"event": "active_loop", "name": None, "timestamp": None},
        {"event": "slot", "name": "stopped_form", "value": "mail_form", "timestamp": None}]
    if confirmed:
        events += [{"event": "slot", "name": slot, "value": None, "timestamp": None}
                   for slot in ("person_name", "id_number", "phone", "address")]
    return events + [{"event": "slot", "name": "stopped_form", "value": None, "timestamp": None}]


async def test_a_stopped_form_forgets_the_choice_when_it_starts_again(domain: dict) -> None:
    # `stop` confirmed, later the mail form starts again (activation: no loop active yet)
    slots = {"certificate_choices": CHOICES, "certificate_no": "ZS2026C0011",
             "certificate_label": "电工 四级（ZS2026C0011）"}
    tracker = make_tracker(slots, intent="request_mail", text="我要邮寄证书",
                           events=stop_events(CHOICES, confirmed=True))
    events = await ValidateMailForm().run(CollectingDispatcher(), tracker, domain)
    assert events == [SlotSet("certificate_choices", None), SlotSet("certificate_no", None),
                      SlotSet("certificate_label", None)]


async def test_a_declined_stop_keeps_the_choice(domain: dict) -> None:
    slots = {**form_slots("mail", ("陈小明", "330106199001010018")), "certificate_choices": CHOICES}
    tracker = make_tracker(slots, intent="deny", text="继续", events=stop_events(CHOICES, confirmed=False))
    events = await ValidateMailForm().run(CollectingDispatcher(), tracker, domain)
    assert events == [SlotSet("requested_slot", "certificate_no")]


async def test_cancelling_a_pending_submission_forgets_the_choice(domain: dict) -> None:
    slots = {"pending_submission": "mail", "idempotency_key": "k" * 32, "certificate_choices": CHOICES,
             "certificate_no": "ZS2026C0011", "certificate_label": "电工 四级（ZS2026C0011）"}
    events = await ActionCancelSubmission().run(CollectingDispatcher(), make_tracker(slots, intent="deny"), domain)
    assert slots_of(events) == {"pending_submission": None, "idempotency_key": None, "certificate_choices": None,
                                "certificate_no": None, "certificate_label": None}


# -- the backend refuses the chosen certificate, or cannot be reached -------------------------

async def test_a_certificate_applied_for_meanwhile_is_taken_out_and_the_other_offered(
        backend: str, domain: dict) -> None:
    person, certificates = publish_holder_of_two(backend)
    first, second = certificates
    again = {**form_slots("mail", person), "confirm_submission": True, "idempotency_key": f"again-{person[1]}"}
    stored = slots_of(await ActionSubmitMail().run(CollectingDispatcher(), make_tracker(again), domain))
    assert len(stored["certificate_choices"]) == 2
    # While the applicant chooses, the first certificate is applied for on another channel.
    elsewhere = {**form_slots("mail", person), "confirm_submission": True,
                 "certificate_no": first["certificate_no"], "idempotency_key": f"applied-{person[1]}"}
    await ActionSubmitMail().run(CollectingDispatcher(), make_tracker(elsewhere), domain)

    chosen = {**again, **stored, "certificate_no": first["certificate_no"], "confirm_submission": True,
              "certificate_label": "电工 四级", "idempotency_key": f"again-chosen-{person[1]}"}
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitMail().run(dispatcher, make_tracker(chosen), domain)
    assert responses(dispatcher) == ["utter_refused_duplicate_application"]
    assert dispatcher.messages[0]["number"].startswith("SQ")
    assert slots_of(events)["certificate_choices"] == [second]
    assert slots_of(events)["certificate_no"] is None and slots_of(events)["certificate_label"] is None
    assert events[-2:] == [ActiveLoop("mail_form"), FollowupAction("mail_form")]


async def test_once_one_is_applied_for_the_other_is_taken_without_asking(backend: str, domain: dict) -> None:
    person, (first, second) = publish_holder_of_two(backend)
    applied = {**form_slots("mail", person), "confirm_submission": True,
               "certificate_no": first["certificate_no"], "idempotency_key": f"first-{person[1]}"}
    await ActionSubmitMail().run(CollectingDispatcher(), make_tracker(applied), domain)
    dispatcher = CollectingDispatcher()
    proxy = {**form_slots("proxy", person), "confirm_submission": True, "idempotency_key": f"rest-{person[1]}"}
    events = await ActionSubmitProxy().run(dispatcher, make_tracker(proxy), domain)
    assert responses(dispatcher)[0] == "utter_proxy_created"
    assert slots_of(events)["application_number"]
    status = requests.post(f"{backend}/api/v1/status", timeout=5,
                           json={"name": person[0], "id_number": person[1]}).json()
    kinds = {c["certificate_no"]: c["application"]["kind"] for c in status["certificates"]}
    assert kinds == {first["certificate_no"]: "mail", second["certificate_no"]: "proxy"}


async def test_an_outage_keeps_the_choice_and_the_retry_sends_it(
        backend_down: str, backend_url: str, monkeypatch: pytest.MonkeyPatch, domain: dict) -> None:
    person, certificates = publish_holder_of_two(backend_url)
    chosen = certificates[1]
    slots = {**form_slots("mail", person), "confirm_submission": True, "certificate_choices": certificates,
             "certificate_no": chosen["certificate_no"], "certificate_label": "焊工 三级",
             "idempotency_key": f"outage-{person[1]}"}
    events = await ActionSubmitMail().run(CollectingDispatcher(), make_tracker(slots), domain)
    assert slots_of(events)["pending_submission"] == "mail"
    assert not {"certificate_choices", "certificate_no", "certificate_label"} & set(slots_of(events))

    monkeypatch.setenv("BACKEND_URL", backend_url)  # back: "确认" retries with the same key
    retry = CollectingDispatcher()
    await ActionSubmitMail().run(retry, make_tracker({**slots, **slots_of(events)}, intent="affirm"), domain)
    assert responses(retry) == ["utter_mail_created"]
    assert applications_in_backend(backend_url, person) == {certificates[0]["certificate_no"]: None,
                                                            chosen["certificate_no"]: "mail"}


def test_choices_from_a_tracker_are_only_well_formed_ones() -> None:
    from actions.forms.certificates import certificate_choices, valid_choices
    tracker = Tracker("t", {"certificate_choices": [CHOICES[0], "x", {"occupation": "电工"}]}, {}, [], False,
                      None, {}, "action_listen")
    assert certificate_choices(tracker) == [CHOICES[0]]
    assert valid_choices({"certificates": [{"certificate_no": "A1", "occupation": None}, 3]}) == [
        {"certificate_no": "A1", "occupation": "", "level": ""}]
    assert valid_choices(None) == [] and valid_choices({"certificates": "x"}) == []
