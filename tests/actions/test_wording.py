"""The responses word the rules as the seed does: a last day is included (最迟于…（含当日）),
the 5 working days are for delivery (送达) after the decision, no material can be waived,
old-style certificates stay valid, and the 委托书 is a reference only."""

from __future__ import annotations

import re

import pytest

# Responses that give a last day: the ready certificate, the personal deadline, the pushed
# notice, the national exam, mail delivery.
LAST_DAY_RESPONSES = {
    "utter_status_ready": "deadline", "utter_deadline_personal": "deadline",
    "utter_notice_published": "deadline", "utter_notice_published_estimated": "deadline",
    "utter_status_pending_national": "due", "utter_status_mail_due": "due", "utter_mail_created": "due",
}
MATERIALS_RESPONSES = ("utter_materials_self", "utter_materials_proxy", "utter_materials_organization",
                       "utter_materials_all")
LETTERS = ("utter_proxy_letter_template", "utter_proxy_letter_template_certificate")


def texts(domain: dict, response: str) -> list[str]:
    return [variant["text"] for variant in domain["responses"][response]]


@pytest.mark.parametrize("response, placeholder", LAST_DAY_RESPONSES.items())
def test_a_last_day_is_included(domain: dict, response: str, placeholder: str) -> None:
    for text in texts(domain, response):
        assert f"最迟于{{{placeholder}}}（含当日）" in text


def test_no_date_is_said_as_before(domain: dict) -> None:
    for name, variants in domain["responses"].items():
        for variant in variants:
            assert not re.search(r"\{(deadline|due)\}(（[^）]*）)?前", variant["text"]), name


def test_the_rule_says_the_tenth_working_day_counts(domain: dict) -> None:
    assert "第10个工作日当日仍可领取" in texts(domain, "utter_deadline_rule")[0]


def test_five_working_days_are_for_delivery_not_posting(domain: dict) -> None:
    for name, variants in domain["responses"].items():
        for variant in variants:
            if "5个工作日" in variant["text"]:
                assert "作出决定之日起5个工作日内送达" in variant["text"] and "寄出" not in variant["text"], name
    for response in ("utter_mail_created", "utter_status_mail_due"):
        assert "送达" in texts(domain, response)[0]


def test_pushed_notice_lines_fit_a_wechat_keyword(domain: dict) -> None:
    # The middle paragraphs become template keywords: one line of at most 20 characters.
    for response in ("utter_notice_published", "utter_notice_published_estimated"):
        text = texts(domain, response)[0].format(office_name="", deadline="2026年12月31日", office_address="",
                                                 office_phone="", office_hours="")
        paragraphs = text.split("\n\n")
        assert "最迟于2026年12月31日（含当日）" in paragraphs
        assert all(len(p) <= 20 for p in paragraphs[2:-1]), paragraphs


@pytest.mark.parametrize("response", MATERIALS_RESPONSES)
def test_no_material_can_be_waived(domain: dict, response: str) -> None:
    assert "不容缺" in texts(domain, response)[0]
    assert "是否容缺：否" in domain["responses"][response][0]["metadata"]["source"]


@pytest.mark.parametrize("response", ["utter_verify", "utter_legal_basis"])
def test_old_style_certificates_stay_valid(domain: dict, response: str) -> None:
    text = texts(domain, response)[0]
    assert "2016年9月1日" in text and "旧版" in text and "仍然有效" in text


@pytest.mark.parametrize("response", LETTERS)
def test_the_letter_is_a_reference(domain: dict, response: str) -> None:
    text = texts(domain, response)[0]
    assert text.startswith("委托书参考样式") and "未规定委托书格式" in text and "模板" not in text
    assert "自行出具" in domain["responses"][response][0]["metadata"]["source"]


@pytest.mark.parametrize("response", [*LAST_DAY_RESPONSES, *MATERIALS_RESPONSES, *LETTERS, "utter_deadline_rule",
                                      "utter_verify", "utter_legal_basis"])
def test_every_changed_response_names_its_source(domain: dict, response: str) -> None:
    assert all(variant["metadata"]["source"] for variant in domain["responses"][response])
