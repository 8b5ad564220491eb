"""The hotline agents' guide as agents use it (issue #17): Enter asks, prompts carry no
alarming citation line, no response names, readable contrast (axe-core) at desktop and
phone size, with screenshots."""

from __future__ import annotations

from pathlib import Path

from browser_helpers import TURN_TIMEOUT
from playwright.sync_api import Page, expect
from servers import Stack
from test_hotline_page import NO_SOURCE, domain_source, log_in
from ux_helpers import DESKTOP, PHONE, axe_violations, dump, screenshot_path


def asked(page: Page) -> int:
    return page.locator(".turn").count()


def test_enter_asks_and_shift_enter_breaks_the_line(page: Page, stack: Stack):
    log_in(page, stack)
    question = page.get_by_label("输入来电人的问题")
    question.fill("领证有期限吗")
    question.press("Shift+Enter")
    question.press_sequentially("全国统考的呢")
    assert question.input_value() == "领证有期限吗\n全国统考的呢"
    assert asked(page) == 0  # nothing was asked yet
    question.fill("领证有期限吗")
    question.press("Enter")
    expect(page.locator(".turn")).to_have_count(1, timeout=TURN_TIMEOUT)
    expect(page.locator(".turn-q").first).to_have_text("问：领证有期限吗")
    expect(page.locator(".answer").filter(has_text="10个工作日").first).to_be_visible()
    expect(question).to_have_value("")


def test_prompts_have_no_citation_line_and_no_response_names_show(page: Page, stack: Stack):
    log_in(page, stack)
    question = page.get_by_label("输入来电人的问题")
    question.fill("我要快递到家")
    question.press("Enter")
    prompt = page.locator(".answer").filter(has_text="请告诉我证书持有人的姓名")
    expect(prompt).to_have_count(1, timeout=TURN_TIMEOUT)
    assert domain_source("utter_ask_person_name") is None  # a question, no rule in it
    expect(prompt.locator(".citation")).to_have_count(0)
    expect(prompt).not_to_contain_text(NO_SOURCE)
    # an answer that states a rule still shows where it comes from
    question.fill("领证有期限吗")
    question.press("Enter")
    rule = page.locator(".answer").filter(has_text="10个工作日").first
    expect(rule).to_be_visible(timeout=TURN_TIMEOUT)
    source = domain_source("utter_deadline_rule")
    expect(rule.locator(".citation")).to_have_text(f"依据：{source}" if source else NO_SOURCE)
    expect(page.locator("body")).not_to_contain_text("utter_")


def test_the_guide_passes_axe_and_contrast_at_both_sizes(context, stack: Stack, tmp_path: Path):
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = context.new_page()
        page.set_viewport_size(viewport)
        page.goto(f"{stack.backend.url}/hotline")
        assert not axe_violations(page, ["color-contrast"]), "login form"
        log_in(page, stack)
        question = page.get_by_label("输入来电人的问题")
        for text in ("我要快递到家", "领证有期限吗"):
            before = page.locator(".turn").count()
            question.fill(text)
            question.press("Enter")
            expect(page.locator(".turn")).to_have_count(before + 1, timeout=TURN_TIMEOUT)
        # nothing sticks out sideways, and 退出 covers none of the header's text
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
        logout = page.locator("#logout").bounding_box()
        for text in page.locator(".top h1, .top p").all():
            box = text.evaluate("""n => { const r = document.createRange(); r.selectNodeContents(n);
                                          const b = r.getBoundingClientRect(); return {x: b.x, y: b.y, width: b.width, height: b.height}; }""")
            apart = (box["x"] + box["width"] <= logout["x"] or logout["x"] + logout["width"] <= box["x"]
                     or box["y"] + box["height"] <= logout["y"] or logout["y"] + logout["height"] <= box["y"])
            assert apart, (size, box, logout)
        page.locator(".turn").first.scroll_into_view_if_needed()
        violations = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
        assert not violations, dump(violations)
        assert not axe_violations(page, ["color-contrast"])
        page.evaluate("scrollTo(0, 0)")
        page.screenshot(path=str(screenshot_path(f"hotline-{size}.png", tmp_path)), full_page=size == "phone")
        page.close()
