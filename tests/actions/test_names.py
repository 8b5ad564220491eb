"""Names at the forms' name questions: real names are names, even those made of this
domain's words (王依法, 郑多久, 宇文知秋) that the classifier confidently takes for questions;
plain questions and short commands are not names."""

from __future__ import annotations

import pytest
from pickup_rules.testing import older_holders, realistic_names
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms.applications import ValidateMailForm, ValidateOrganizationForm, ValidateProxyForm
from actions.forms.registry import INTERRUPTING_INTENTS, TASK_FORMS
from actions.forms.lookups import ValidateStatusForm, ValidateSubscribeForm
from actions.validation import check_person_name, plainly_a_name
from conftest import READY, make_tracker, responses

# Every question the forms ask for a name: (validation action, form, slot, slots filled before).
ORGANIZATION_SO_FAR = {"organization_name": "杭州示例电气有限公司", "batch_no": "JD20260101",
                       "occupation": "电工", "level": "四级", "headcount": 3}
NAME_PROMPTS = [
    (ValidateStatusForm, "status_form", "person_name", {}),
    (ValidateSubscribeForm, "subscribe_form", "person_name", {}),
    (ValidateMailForm, "mail_form", "person_name", {}),
    (ValidateProxyForm, "proxy_form", "person_name", {}),
    (ValidateProxyForm, "proxy_form", "proxy_name", {"person_name": READY[0], "id_number": READY[1]}),
    (ValidateOrganizationForm, "organization_form", "collector_name", ORGANIZATION_SO_FAR),
]
PROMPT_IDS = [f"{form}:{slot}" for _, form, slot, _ in NAME_PROMPTS]
# What the classifier confidently makes of such names (measured on the project's model:
# 王依法 ask_legal_basis 0.99, 王寄 request_mail 1.0, 周证 ask_office_hours 1.0, 查证
# check_status 1.0, 阿卜杜拉·艾合买提 out_of_scope 0.98 …), and every other intent that the
# rules answer in the middle of a form, or that asks for another task.
WRONG_INTENTS = ["ask_legal_basis", "request_mail", "ask_deadline", "ask_office_hours", "check_status",
                 "out_of_scope", *sorted(i for i in INTERRUPTING_INTENTS if not i.startswith("EXTERNAL_")),
                 *sorted(TASK_FORMS)]


def at_name_prompt(text: str, intent: str, confidence: float, form: str, slot: str, filled: dict, *,
                   entity: str | None = None):
    """The tracker right after the form asked for `slot`; `entity` is what entity extraction
    took from the text (DIET often keeps only the surname: 王依法 -> 王)."""
    tracker = make_tracker({"requested_slot": slot, **filled}, intent=intent, text=text,
                           candidates={slot: entity} if entity else None, active_loop=form)
    tracker.latest_message["intent"]["confidence"] = confidence
    return tracker


@pytest.mark.parametrize("action, form, slot, filled", NAME_PROMPTS, ids=PROMPT_IDS)
async def test_every_realistic_name_is_taken_even_when_the_classifier_is_sure_it_is_a_question(
        action, form, slot, filled, domain: dict) -> None:
    names = realistic_names()
    refused = []
    for n, name in enumerate(names):
        intent = WRONG_INTENTS[n % len(WRONG_INTENTS)]
        entity = name[:1] if n % 3 == 0 else None  # a cut entity must not win either
        dispatcher = CollectingDispatcher()
        events = await action().run(dispatcher, at_name_prompt(name, intent, 0.99, form, slot, filled,
                                                               entity=entity), domain)
        if SlotSet(slot, name) not in events or dispatcher.messages:
            refused.append((name, intent, events))
    assert len(names) > 300
    assert refused == []


@pytest.mark.parametrize("action, form, slot, filled", NAME_PROMPTS, ids=PROMPT_IDS)
async def test_older_holders_names_are_taken(action, form, slot, filled, domain: dict) -> None:
    people = older_holders(200, seed=1958)
    refused = []
    for n, (name, _) in enumerate(people):
        tracker = at_name_prompt(name, WRONG_INTENTS[n % len(WRONG_INTENTS)], 1.0, form, slot, filled)
        if SlotSet(slot, name) not in await action().run(CollectingDispatcher(), tracker, domain):
            refused.append(name)
    assert refused == []


@pytest.mark.parametrize("text, name", [
    ("王依法", "王依法"), ("宇文知秋", "宇文知秋"), ("郑多久", "郑多久"), ("周证", "周证"), ("马依据", "马依据"),
    ("陈寄", "陈寄"), ("我叫王依法", "王依法"), ("名字是宇文知秋。", "宇文知秋"),
    ("阿依古丽•买买提", "阿依古丽·买买提"), ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("陈䶮", "陈䶮"), ("李𬌗", "李𬌗"), ("张〇", "张〇"), ("巴特尔", "巴特尔"), ("皇甫电话", "皇甫电话"),
    ("王依法 330106199001010018", "王依法"),
])
def test_plain_names(text: str, name: str) -> None:
    assert check_person_name(text).value == name
    assert plainly_a_name(text)


# Typed at a name question, these are questions or commands: the classifier's intent decides.
QUESTIONS_AND_COMMANDS = [
    "查进度", "查询进度", "查一下", "查状态", "查证书", "不办了", "不查了", "转人工", "人工客服", "取消", "暂停",
    "撤销", "放弃", "退订", "几点开门", "几点下班", "在哪领", "要带什么", "带什么", "能寄吗", "能寄不", "多少钱",
    "收费吗", "费用", "时间", "何时领", "要多久", "多久能拿", "邮寄", "寄到家", "代领", "单位领取", "公司领证",
    "通知我", "订阅", "全国统考", "有何依据", "政策依据", "依据呢", "电子证书", "電子證書", "证书丢了", "證書遺失",
    "扫码验真", "讲个笑话", "天气预报", "背首古诗", "王依法吗", "是王依法吗？", "宇文知秋?", "上班時間", "幾點下班",
    "转真人", "找真人", "为什么要名字", "帮我查一下", "委托别人领", "单位统一领", "哈哈",
]
# Of those, the ones the project's model is unsure about (ask_fee 0.46, out_of_scope 0.78,
# ask_legal_basis 0.58) or takes for an answer (inform 0.91-0.99): they are not names either.
SENTENCES = ["要多久", "多久能拿", "为什么要名字", "委托别人领", "单位统一领", "公司领证", "帮我查一下"]


@pytest.mark.parametrize("text", QUESTIONS_AND_COMMANDS)
def test_questions_and_commands_are_not_plainly_names(text: str) -> None:
    assert not plainly_a_name(text)


@pytest.mark.parametrize("text", QUESTIONS_AND_COMMANDS)
async def test_a_confident_question_at_a_name_prompt_is_left_to_the_rules(text: str, domain: dict) -> None:
    for action, form, slot, filled in NAME_PROMPTS:
        dispatcher = CollectingDispatcher()
        events = await action().run(dispatcher, at_name_prompt(text, "ask_office_hours", 0.95, form, slot, filled),
                                    domain)
        assert events == [] and dispatcher.messages == [], (form, slot)


@pytest.mark.parametrize("text", ["查进度", "查询", "查一下", "转人工", "不办了", "能查吗", "是谁？"])
def test_short_commands_are_never_names(text: str) -> None:
    # 查 is a surname: "查进度" is still the status command, never a Mr 查's name.
    assert check_person_name(text).problem == "utter_invalid_name"


async def test_the_forms_own_command_at_its_name_question_is_asked_again(domain: dict) -> None:
    # Inside the status form, 查进度 is its own task: no switch, and not a name either.
    dispatcher = CollectingDispatcher()
    events = await ValidateStatusForm().run(
        dispatcher, at_name_prompt("查进度", "check_status", 0.99, "status_form", "person_name", {}), domain)
    assert events == [SlotSet("person_name", None)]
    assert responses(dispatcher) == ["utter_invalid_name"]


async def test_the_whole_name_wins_over_the_surname_the_entity_kept(domain: dict) -> None:
    # DIET gives person_name 欧阳 for 欧阳依法 (classified ask_legal_basis 0.99): the holder is
    # not called 欧阳.
    dispatcher = CollectingDispatcher()
    events = await ValidateStatusForm().run(dispatcher, at_name_prompt(
        "欧阳依法", "ask_legal_basis", 0.99, "status_form", "person_name", {}, entity="欧阳"), domain)
    assert events == [SlotSet("person_name", "欧阳依法")]


async def test_a_name_is_taken_only_at_a_name_question(domain: dict) -> None:
    # 王依法 while the form asks for the ID number: the legal-basis answer, then the ID again.
    dispatcher = CollectingDispatcher()
    tracker = at_name_prompt("王依法", "ask_legal_basis", 0.99, "status_form", "id_number", {"person_name": "王芳"})
    assert await ValidateStatusForm().run(dispatcher, tracker, domain) == []


@pytest.mark.parametrize("text", SENTENCES)
def test_sentences_are_not_names(text: str) -> None:
    assert check_person_name(text).problem == "utter_invalid_name"


@pytest.mark.parametrize("text", SENTENCES)
async def test_an_unsure_question_that_is_a_sentence_is_left_to_the_rules(text: str, domain: dict) -> None:
    for action, form, slot, filled in NAME_PROMPTS:
        dispatcher = CollectingDispatcher()
        tracker = at_name_prompt(text, "ask_fee", 0.46, form, slot, filled)
        assert await action().run(dispatcher, tracker, domain) == [], (form, slot)


@pytest.mark.parametrize("text, name", [("李不凡", "李不凡"), ("哈力克", "哈力克"), ("张王丽华", "张王丽华"),
                                        ("索南达杰", "索南达杰"), ("多吉", "多吉")])
async def test_names_the_classifier_is_unsure_about_are_still_names(text: str, name: str, domain: dict) -> None:
    # 李不凡 is not plainly a name (不), but a name all the same when the classifier is unsure.
    events = await ValidateStatusForm().run(
        CollectingDispatcher(), at_name_prompt(text, "ask_fee", 0.5, "status_form", "person_name", {}), domain)
    assert events == [SlotSet("person_name", name)]
