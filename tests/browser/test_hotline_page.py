"""The hotline agents' guide in a real browser, with the real assistant behind the backend."""

from __future__ import annotations

from pathlib import Path

import requests
import yaml
from browser_helpers import READY, READY_MASKED, RETURNED, TURN_TIMEOUT
from playwright.sync_api import Page, expect
from servers import REPO, Stack

NO_SOURCE = "（该回答未标注依据）"


def domain_source(response: str) -> str | None:
    """The `metadata.source` domain.yml gives a response (the model is trained from it)."""
    domain = yaml.safe_load(Path(REPO / "domain.yml").read_text(encoding="utf-8"))
    variants = domain["responses"][response]
    return ((variants[0].get("metadata") or {}).get("source")) if variants else None


def log_in(page: Page, stack: Stack, token: str | None = None) -> None:
    page.goto(f"{stack.backend.url}/hotline")
    page.get_by_label("工作人员令牌").fill(token or stack.staff_token)
    page.get_by_label("坐席工号").fill("A001")
    page.get_by_role("button", name="进入").click()
    expect(page.locator("#desk")).to_be_visible()


def test_agent_gets_the_answer_with_its_citation(page: Page, stack: Stack):
    log_in(page, stack)
    page.get_by_label("输入来电人的问题").fill("领证有期限吗")
    page.get_by_role("button", name="查询答复").click()
    answer = page.locator(".answer").filter(has_text="10个工作日").first
    expect(answer).to_be_visible(timeout=TURN_TIMEOUT)
    # the response's name is data for maintainers, not text for the agent
    assert answer.get_attribute("data-response") == "utter_deadline_rule"
    expect(answer).not_to_contain_text("utter_")
    source = domain_source("utter_deadline_rule")
    expect(answer.locator(".citation")).to_have_text(f"依据：{source}" if source else NO_SOURCE)
    # the token stays in this tab's sessionStorage, and a reload keeps the agent in
    assert page.evaluate("sessionStorage.getItem('hotline.token')") == stack.staff_token
    assert page.evaluate("localStorage.length") == 0
    page.reload()
    expect(page.locator("#desk")).to_be_visible()
    # a caller's ID number in a question stays on screen masked
    name, id_number = READY
    page.get_by_label("输入来电人的问题").fill(f"查询证书状态，{name} {id_number}")
    page.get_by_role("button", name="查询答复").click()
    expect(page.locator(".turn-q").first).to_have_text(f"问：查询证书状态，{name} {READY_MASKED}", timeout=TURN_TIMEOUT)
    assert id_number not in page.content()


def test_agent_looks_up_a_callers_status_with_a_masked_id(page: Page, stack: Stack):
    log_in(page, stack)
    name, id_number = READY
    page.get_by_label("姓名").fill(name)
    page.get_by_label("身份证号").fill(id_number)
    page.locator("#status-form").get_by_role("button", name="查询").click()
    result = page.locator("#status-result")
    expect(result).to_contain_text(READY_MASKED)
    expect(result).to_contain_text("陈小明")
    expect(result).to_contain_text("杭州")
    expect(result).to_contain_text("（含当日）（自通知发布起10个工作日）")
    # beside the last day, the working days left as the backend counts them
    certificates = requests.post(f"{stack.backend.url}/api/v1/status", json={"name": name, "id_number": id_number},
                                 timeout=15).json()["certificates"]
    left = next(c["deadline"] for c in certificates if c["deadline"])["working_days_left"]
    assert isinstance(left, int) and left > 0
    expect(result).to_contain_text(f"还剩{left}个工作日（含当日）")
    assert id_number not in page.content()


def test_agent_sees_a_returned_application_and_its_reason(page: Page, stack: Stack):
    log_in(page, stack)
    name, id_number = RETURNED
    page.get_by_label("姓名").fill(name)
    page.get_by_label("身份证号").fill(id_number)
    page.locator("#status-form").get_by_role("button", name="查询").click()
    result = page.locator("#status-result")
    expect(result).to_contain_text("未受理的申请")
    expect(result).to_contain_text("退回")
    expect(result).to_contain_text("收件地址无法投递")


def test_a_wrong_token_asks_for_it_again(page: Page, stack: Stack):
    log_in(page, stack, token="wrong-token-0123456789abcdefghij")
    page.get_by_label("输入来电人的问题").fill("领证要带什么")
    page.get_by_role("button", name="查询答复").click()
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login .hint").filter(has_text="令牌无效")).to_be_visible()
