"""Out-of-scope questions get where to go instead, by the document they name
(actions/out_of_scope.py), with every sentence and its source in domain.yml."""

from __future__ import annotations

import re

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.out_of_scope import GENERAL, OUT_OF_SCOPE_TOPICS, ActionOutOfScope, out_of_scope_response
from conftest import make_tracker, responses

CASES = {
    "utter_out_of_scope_skill_level_certificate": [
        "职业技能等级证书和职业资格证书有什么区别", "职业技能等级证书在哪领", "我考的是技能等级认定，证书找谁拿",
        "技能等级证书能寄到家吗", "職業技能等級證書怎麼領", "评价机构发的证书丢了怎么办",
        "等级证书和资格证书哪个有用",
    ],
    "utter_out_of_scope_id_card": [
        "身份证怎么领", "办身份证要带什么", "身份证丢了去哪补", "临时身份证在哪办", "户口本丢了怎么补",
        "户籍证明在哪开", "身份證過期了怎麼換",
    ],
    "utter_out_of_scope_driving_licence": [
        "驾照能邮寄吗", "驾驶证到期了去哪换", "驾照丢了可以让别人代领吗", "車管所幾點上班",
    ],
    "utter_out_of_scope_marriage": [
        "结婚证在哪领", "领结婚证要带什么", "离婚证丢了怎么补", "民政局几点上班",
    ],
    "utter_out_of_scope_housing_fund": [
        "公积金怎么提取", "住房公积金中心在哪", "公积金能委托别人办吗", "公積金餘額怎麼查",
    ],
    "utter_out_of_scope_hrss": [
        "社保卡丢了怎么补", "社保卡在哪领", "职称证书什么时候能拿", "养老金怎么查", "失业金要带什么材料",
        "工伤认定在哪办", "技能补贴怎么申领", "公司拖欠工资找谁", "職稱證書在哪領",
    ],
    "utter_out_of_scope_other_document": [
        "四六级证书在哪领", "银行卡丢了怎么补", "毕业证丢了去哪补办", "教师资格证书在哪领", "护照能寄到家吗",
        "医保卡怎么激活", "营业执照在哪办", "健康证多少钱", "计算机等级证书在哪领", "工资卡丢了怎么办",
    ],
    GENERAL: ["今天天气怎么样", "讲个笑话", "帮我买张高铁票", "你几岁", "1+1等于几"],
}


@pytest.mark.parametrize("response, text", [(r, t) for r, texts in CASES.items() for t in texts])
async def test_each_document_gets_where_to_go(response: str, text: str, dispatcher: CollectingDispatcher,
                                              domain: dict) -> None:
    events = await ActionOutOfScope().run(dispatcher, make_tracker(intent="out_of_scope", text=text), domain)
    assert events == []
    assert responses(dispatcher) == [response]


def test_every_topic_is_tested_and_in_the_domain(domain: dict) -> None:
    topics = {response for response, _ in OUT_OF_SCOPE_TOPICS} | {GENERAL}
    assert topics == set(CASES)
    for response in topics:
        [variant] = domain["responses"][response]
        assert variant["metadata"]["source"]


async def test_inside_a_form_the_answer_changes_nothing(dispatcher: CollectingDispatcher, domain: dict) -> None:
    # RulePolicy runs the form again after the general rule's answer (data/rules/answers.yml).
    tracker = make_tracker({"requested_slot": "id_number", "person_name": "王依法"}, intent="out_of_scope",
                           text="身份证丢了怎么补", active_loop="status_form")
    assert await ActionOutOfScope().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_out_of_scope_id_card"]


def test_a_message_without_text_gets_the_general_answer() -> None:
    assert out_of_scope_response(None) == GENERAL


def test_the_answers_invent_no_phone_number_or_address(domain: dict) -> None:
    # Offices are named by kind only; 12333 is the one number the project states everywhere.
    for response in {r for r, _ in OUT_OF_SCOPE_TOPICS} | {GENERAL}:
        text = domain["responses"][response][0]["text"]
        assert set(re.findall(r"\d{5,}", text)) <= {"12333"}, response
        assert not re.search(r"[路街]\d|号楼|\d+号", text), response


def test_the_skill_level_certificate_is_told_apart(domain: dict) -> None:
    text = domain["responses"]["utter_out_of_scope_skill_level_certificate"][0]["text"]
    # DOMAIN.md: issued and handed out by the evaluation organisation, not the HRSS centre;
    # checkable on the national query service.
    for fact in ("评价的机构", "用人单位", "社会培训评价组织", "不由人社部门的领证机构发放", "jndj.osta.org.cn"):
        assert fact in text
