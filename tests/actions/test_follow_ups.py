"""A short follow-up read with the previous turn's topic (actions/context.py): the unsure
"那要多久" after a mail question becomes ask_deadline and gets the delivery rule, "他要带什么"
after a proxy question gets the proxy's materials; without a topic before, or when the
message is long or no topic reading is likely enough, the fallback still asks to rephrase."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.context import FOLLOW_UP_MIN_CONFIDENCE, follow_up_reading, previous_topic
from actions.conversation import ActionDefaultFallback, ActionFallback
from actions.forms.lookups import ValidateMaterialsForm
from actions.materials import ActionTellMaterials
from actions.status import ActionDeadline
from conftest import make_tracker, responses


def user(intent: str, text: str = "…") -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}, "text": text}}


def bot(name: str) -> dict:
    return {"event": "action", "name": name}


MAIL_QUESTION = [user("request_mail", "证书能寄给我吗"), bot("mail_form")]
PROXY_QUESTION = [user("request_proxy", "我儿子可以代领吗"), bot("action_tell_proxy")]


def unsure(text: str, ranking: list[tuple[str, float]], events: list[dict], **slots: str):
    tracker = make_tracker(dict(slots), intent="nlu_fallback", text=text, events=events)
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return tracker


async def test_an_unsure_how_long_after_a_mail_question_is_read_as_ask_deadline(
        dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = unsure("那要多久", [("out_of_scope", 0.3), ("ask_deadline", 0.28), ("check_status", 0.2)], MAIL_QUESTION)
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert [e["event"] for e in events] == ["rewind", "action", "user"]
    assert events[1]["name"] == "action_listen"
    assert events[2]["text"] == "那要多久"
    assert events[2]["parse_data"]["intent"] == {"name": "ask_deadline", "confidence": 1.0}
    assert events[2]["parse_data"]["follow_up_of"] == "request_mail"
    assert dispatcher.messages == []


async def test_the_deadline_of_a_mail_follow_up_is_the_delivery_rule(backend_down: str,
                                                                     dispatcher: CollectingDispatcher,
                                                                     domain: dict) -> None:
    # as the tracker reads after the fallback's events: the unsure turn taken out, read again
    history = [*MAIL_QUESTION, user("nlu_fallback", "那要多久"), bot("action_fallback"), {"event": "rewind"},
               bot("action_listen")]
    await ActionDeadline().run(dispatcher, make_tracker({}, intent="ask_deadline", text="那要多久", events=history),
                               domain)
    assert responses(dispatcher) == ["utter_deadline_mail_rule", "utter_deadline_offer_lookup"]


async def test_a_mail_time_question_gets_the_delivery_rule_and_others_the_pickup_rule(
        backend_down: str, dispatcher: CollectingDispatcher, domain: dict) -> None:
    await ActionDeadline().run(dispatcher, make_tracker({}, intent="ask_deadline", text="邮寄一般几天能到"), domain)
    await ActionDeadline().run(dispatcher, make_tracker({}, intent="ask_deadline", text="还要等多久"), domain)
    assert responses(dispatcher) == ["utter_deadline_mail_rule", "utter_deadline_offer_lookup",
                                     "utter_deadline_rule", "utter_deadline_offer_lookup"]


def test_the_delivery_rule_is_the_seeds(domain: dict) -> None:
    (rule,) = domain["responses"]["utter_deadline_mail_rule"]
    assert "5个工作日" in rule["text"] and "结果送达" in rule["metadata"]["source"]


async def test_without_a_topic_before_the_fallback_asks_to_rephrase(dispatcher: CollectingDispatcher,
                                                                    domain: dict) -> None:
    tracker = unsure("那要多久", [("ask_deadline", 0.35), ("out_of_scope", 0.3)], [user("greet"), bot("utter_greet")])
    assert await ActionFallback().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_please_rephrase"]


async def test_a_long_or_unlikely_message_is_not_taken_as_a_follow_up(dispatcher: CollectingDispatcher,
                                                                      domain: dict) -> None:
    long = unsure("我想问一下那个东西到底要多久才能弄好呢麻烦告诉我", [("ask_deadline", 0.35)], MAIL_QUESTION)
    unlikely = unsure("嗯嗯嗯", [("out_of_scope", 0.5), ("ask_deadline", FOLLOW_UP_MIN_CONFIDENCE / 2)],
                      MAIL_QUESTION)
    chitchat_only = unsure("哈哈", [("affirm", 0.38), ("goodbye", 0.3)], MAIL_QUESTION)
    assert [follow_up_reading(t) for t in (long, unlikely, chitchat_only)] == [None, None, None]


async def test_rasas_core_fallback_never_rereads(dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = unsure("那要多久", [("ask_deadline", 0.35)], MAIL_QUESTION)
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert [e["event"] for e in events] == ["rewind"] and responses(dispatcher) == ["utter_please_rephrase"]


async def test_what_he_needs_after_a_proxy_question_is_the_proxys_materials(dispatcher: CollectingDispatcher,
                                                                            domain: dict) -> None:
    tracker = make_tracker({}, intent="ask_materials", text="他去的话要带什么", events=PROXY_QUESTION)
    assert previous_topic(tracker) == "request_proxy"
    extracted = await ValidateMaterialsForm().extract_pickup_method(dispatcher, tracker, domain)
    assert extracted == {"pickup_method": "代领"}
    await ActionTellMaterials().run(dispatcher, make_tracker({}, intent="ask_materials", text="他去的话要带什么",
                                                             events=PROXY_QUESTION, active_loop="status_form"), domain)
    assert responses(dispatcher) == ["utter_materials_proxy"]


async def test_a_materials_question_without_a_topic_before_still_asks_the_method(
        dispatcher: CollectingDispatcher, domain: dict) -> None:
    tracker = make_tracker({}, intent="ask_materials", text="要带什么", events=[user("greet"), bot("utter_greet")])
    assert await ValidateMaterialsForm().extract_pickup_method(dispatcher, tracker, domain) == {"pickup_method": None}


async def test_a_question_naming_the_pickup_deadline_after_a_mail_question_gets_the_pickup_rule(
        dispatcher, domain) -> None:
    """"领证有期限吗" right after "我要快递到家" asks about collecting, not about the post."""
    tracker = make_tracker({}, intent="ask_deadline", text="领证有期限吗", events=MAIL_QUESTION)
    await ActionDeadline().run(dispatcher, tracker, domain)
    said = [m.get("response") for m in dispatcher.messages]
    assert "utter_deadline_rule" in said and "utter_deadline_mail_rule" not in said
