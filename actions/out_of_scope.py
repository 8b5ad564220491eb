"""Questions about other documents and services: where to go instead.

The assistant handles one certificate, 国家职业资格证书. A question about another document
gets the office that issues it when that is certain (the issue and DOMAIN.md name them:
公安 for ID cards, 户籍 and driving licences, 民政 for marriage, the 住房公积金管理中心,
12333 or the HRSS window for other HRSS services); the 职业技能等级证书 is told apart from this
certificate; any other document gets "the issuing office can answer", without naming an
office nobody is sure of. Every sentence is a response in domain.yml.
"""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Which document or service the message names, and the response that says where to go.
# The first match wins: "职业技能等级证书和职业资格证书有什么区别" is about the other
# certificate, "社保卡" is an HRSS matter before it is a card. A bare 等级证书 may be an
# English or computer test's: only 技能等级 or the two certificates compared name the
# 职业技能等级证书. Traditional characters too.
OUT_OF_SCOPE_TOPICS = (
    ("utter_out_of_scope_skill_level_certificate",
     re.compile(r"技能等级|技能等級|等级认定|等級認定|评价机构|評價機構|评价组织|評價組織|企业自主评价"
                r"|等级证.*资格证|资格证.*等级证|等級證.*資格證|資格證.*等級證")),
    ("utter_out_of_scope_housing_fund", re.compile(r"公积金|公積金")),
    ("utter_out_of_scope_driving_licence", re.compile(r"驾照|駕照|驾驶证|駕駛證|驾驶本|驾证|车管所|車管所")),
    ("utter_out_of_scope_id_card", re.compile(r"身份证|身份證|户口|戶口|户籍|戶籍")),
    ("utter_out_of_scope_marriage", re.compile(r"结婚|結婚|离婚|離婚|婚姻|民政")),
    ("utter_out_of_scope_hrss", re.compile(
        r"社保|社会保险|社會保險|养老|養老|退休|失业|失業|工伤|工傷|生育津贴|职称|職稱|劳动仲裁|勞動仲裁|劳动合同"
        r"|勞動合同|劳动监察|勞動監察|工资(?!卡)|工資(?!卡)|就业|就業|招聘|招工|求职|求職|创业|創業|补贴|補貼|人社")),
    ("utter_out_of_scope_other_document", re.compile(r"证|證|卡|执照|執照|护照|護照|文凭|文憑")),
)
GENERAL = "utter_out_of_scope"


def out_of_scope_response(text: object) -> str:
    """The response for an out-of-scope message: the first topic it names, else the general one."""
    value = str(text or "")
    return next((response for response, pattern in OUT_OF_SCOPE_TOPICS if pattern.search(value)), GENERAL)


class ActionOutOfScope(Action):
    """Answers out_of_scope, on its own and in the middle of a form (data/rules/)."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response=out_of_scope_response((tracker.latest_message or {}).get("text")))
        return []
