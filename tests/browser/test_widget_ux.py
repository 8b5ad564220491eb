"""What people expect of a chat on a government page (issue #17), walked in headless
Chromium against the real backend and Rasa: where a reloaded chat opens, the host page
that must not move, the layout at desktop and phone size, keyboard use, phone numbers,
chosen buttons, undelivered messages, larger text, clearing a shared computer, the
always-visible ways to a person, the privacy notice and the suggested questions."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import requests
from browser_helpers import bot_bubbles, open_demo, say, session_id, user_bubbles, user_texts, wait_for_reply
from pickup_rules.testing import older_holders
from playwright.sync_api import Page, Route, expect
from servers import Stack
from ux_helpers import (DESKTOP, PHONE, at_latest, axe_violations, dump, embedding_page, log_position,
                        long_transcript, screenshot_path, seed_transcript, serve_page, storage_prefix)

ASK_NAME = "请告诉我证书持有人的姓名"
ASK_ID = "请输入证书持有人的18位身份证号码"
DISCLAIMER = "智能回答仅供参考，以领证机构通知为准"
SUGGESTIONS = ["领证要带什么", "在哪里领证", "查询证书状态", "我要快递到家"]


def shadow(page: Page, script: str):
    """Evaluate `script` (a function body) with `root` bound to the widget's shadow root."""
    return page.evaluate(f"() => {{ const root = document.querySelector('#zjcert-chat').shadowRoot; {script} }}")


def wait_socket(page: Page) -> None:
    expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", "socket", timeout=20_000)


# -- where a reloaded chat opens ------------------------------------------------------------------

def test_reload_opens_at_the_latest_message_and_the_host_page_does_not_move(page: Page, stack: Stack):
    page.goto(f"{stack.backend.url}/demo")
    heading_top = page.evaluate("document.querySelector('main').getBoundingClientRect().top")
    seed_transcript(page, stack, long_transcript())

    # widget.css arrives late, as on a slow line: nothing may be drawn or focused before it.
    def slow_css(route: Route) -> None:
        time.sleep(1.0)
        route.continue_()

    page.route("**/widget/widget.css", slow_css)
    page.add_init_script("window.__maxScrollY = 0; addEventListener('scroll', "
                         "() => { window.__maxScrollY = Math.max(window.__maxScrollY, scrollY); });")
    page.reload()
    expect(page.locator(".zjc-panel")).to_be_visible()
    wait_socket(page)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__maxScrollY") == 0 and page.evaluate("scrollY") == 0
    assert page.evaluate("document.querySelector('main').getBoundingClientRect().top") == heading_top
    position = log_position(page)
    assert position["height"] > position["client"] * 2, dump(position)  # long enough to scroll
    assert at_latest(position), dump(position)
    # the input has the focus, inside the widget
    assert shadow(page, "return root.activeElement && root.activeElement.className") == "zjc-input"


def test_a_new_message_out_of_view_shows_a_marker(page: Page, stack: Stack):
    page.goto(f"{stack.backend.url}/demo")
    seed_transcript(page, stack, long_transcript())
    page.reload()
    wait_socket(page)
    say(page, "领证有期限吗", "10个工作日")  # Rasa pushes only into conversations it knows
    marker = page.locator(".zjc-new-messages")
    expect(marker).to_be_hidden()
    assert at_latest(log_position(page))
    shadow(page, "root.querySelector('.zjc-log').scrollTop = 0;")  # the visitor reads back
    resp = requests.post(f"{stack.rasa.url}/conversations/{session_id(page)}/execute",
                         params={"token": stack.rasa_token, "output_channel": "socketio"},
                         json={"name": "utter_greet"}, timeout=30)
    assert resp.status_code == 200, resp.text
    expect(bot_bubbles(page).filter(has_text="证书领取助手")).to_have_count(1, timeout=15_000)
    expect(marker).to_be_visible()
    expect(marker).to_have_text("新消息 ↓")
    assert log_position(page)["top"] == 0  # not pulled away from what they read
    marker.click()
    expect(marker).to_be_hidden()
    assert at_latest(log_position(page))


# -- layout, header, disclaimer, placeholder, larger text ---------------------------------------

GEOMETRY = """
const rect = (s) => { const n = root.querySelector(s); if (!n) return null;
  const r = n.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height,
  right: r.right, bottom: r.bottom, sw: n.scrollWidth, cw: n.clientWidth}; };
const input = root.querySelector('.zjc-input');
const before = input.value;
input.value = input.placeholder;
const placeholder = {scroll: input.scrollHeight, client: input.clientHeight};
input.value = before;
const parts = {};
for (const s of ['.zjc-header', '.zjc-title', '.zjc-large-toggle', '.zjc-close', '.zjc-human', '.zjc-hours',
                 '.zjc-disclaimer', '.zjc-log', '.zjc-input', '.zjc-send', '.zjc-clear']) parts[s] = rect(s);
return {panel: rect('.zjc-panel'), parts, placeholder,
        pageOverflow: document.documentElement.scrollWidth - innerWidth,
        bubbleFont: parseFloat(getComputedStyle(root.querySelector('.zjc-bubble') || root.querySelector('.zjc-intro-text')).fontSize)};
"""


def check_layout(page: Page, viewport: dict) -> dict:
    geometry = shadow(page, GEOMETRY)
    panel = geometry["panel"]
    if viewport["width"] <= 480:
        assert (panel["x"], panel["y"], panel["w"], panel["h"]) == (0, 0, viewport["width"], viewport["height"])
    else:
        assert panel["w"] == 380 and panel["right"] <= viewport["width"] - 16 and panel["y"] > 0
    assert panel["sw"] <= panel["cw"], dump(geometry)  # nothing sticks out sideways
    for name, part in geometry["parts"].items():
        assert part and part["w"] > 0 and part["h"] > 0, f"{name} not shown: {dump(geometry)}"
        assert panel["x"] - 0.5 <= part["x"] and part["right"] <= panel["right"] + 0.5, f"{name}: {dump(geometry)}"
        assert panel["y"] - 0.5 <= part["y"] and part["bottom"] <= panel["bottom"] + 0.5, f"{name}: {dump(geometry)}"
    disclaimer = geometry["parts"][".zjc-disclaimer"]
    assert disclaimer["sw"] <= disclaimer["cw"] and disclaimer["h"] < 40, f"disclaimer cut or wrapped: {dump(geometry)}"
    assert geometry["placeholder"]["scroll"] <= geometry["placeholder"]["client"], \
        f"placeholder wraps: {dump(geometry)}"
    assert geometry["pageOverflow"] <= 0
    return geometry


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_layout_header_and_disclaimer_at_both_sizes(context, stack: Stack, size: str, tmp_path: Path):
    viewport = DESKTOP if size == "desktop" else PHONE
    page = context.new_page()
    page.set_viewport_size(viewport)
    open_demo(page, stack)
    # an empty chat offers questions to start with
    expect(page.locator(".zjc-suggestions .zjc-button")).to_have_text(SUGGESTIONS)
    # the way to a person and what the answers are worth: always in view
    human = page.locator(".zjc-human")
    expect(human).to_be_visible()
    expect(human).to_have_text("人工服务 12333")
    assert human.get_attribute("href") == "tel:12333"
    expect(page.locator(".zjc-hours")).to_have_text("服务时间以当地人社部门公布为准")
    expect(page.locator(".zjc-disclaimer")).to_have_text(DISCLAIMER)
    check_layout(page, viewport)
    page.locator(".zjc-suggestions .zjc-button", has_text="领证要带什么").click()
    expect(user_bubbles(page).first).to_have_text("领证要带什么")
    reply = wait_for_reply(page, re.compile("本人身份证原件|怎么领取"), 0)
    if "本人身份证原件" not in reply:
        before = bot_bubbles(page).count()
        page.locator(".zjc-msg.zjc-bot").last.get_by_role("button", name="本人领取").click()
        wait_for_reply(page, "本人身份证原件", before)
    # a question longer than a line: the input grows, no line is hidden
    page.locator(".zjc-input").fill("我是1962年出生的，腿脚不方便，可以让女儿帮我去领证吗")
    grown = page.locator(".zjc-input").evaluate("t => ({scroll: t.scrollHeight, client: t.clientHeight})")
    assert grown["scroll"] <= grown["client"] and grown["client"] > 30, grown
    check_layout(page, viewport)
    page.screenshot(path=str(screenshot_path(f"widget-{size}.png", tmp_path)))
    # 大字模式 for older applicants: larger everywhere, the layout still holds, kept on reload
    normal = check_layout(page, viewport)["bubbleFont"]
    page.get_by_role("button", name="大字模式").click()
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    large = check_layout(page, viewport)
    assert large["bubbleFont"] >= 20 > normal
    page.reload()
    expect(page.locator(".zjc-panel")).to_be_visible()
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    assert check_layout(page, viewport)["bubbleFont"] >= 20
    page.screenshot(path=str(screenshot_path(f"widget-{size}-large.png", tmp_path)))


def test_the_widget_passes_axe_at_both_sizes(context, stack: Stack):
    page = context.new_page()
    open_demo(page, stack)
    say(page, "领证有期限吗", "10个工作日")
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        violations = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
        assert not violations, dump(violations)
        assert not axe_violations(page, ["color-contrast"])


# -- keyboard ---------------------------------------------------------------------------------------

def test_focus_stays_in_the_full_screen_chat_on_a_phone(context, stack: Stack):
    page = context.new_page()
    page.set_viewport_size(PHONE)
    open_demo(page, stack)
    expect(page.locator(".zjc-panel")).to_have_attribute("aria-modal", "true")
    reached = set()
    for key in ["Tab"] * 25 + ["Shift+Tab"] * 25:
        page.keyboard.press(key)
        assert page.evaluate("document.activeElement && document.activeElement.id") == "zjcert-chat", \
            f"focus left the chat after {key}"
        reached.add(shadow(page, "const a = root.activeElement; return a ? a.className : null;"))
    # every control is reachable in the loop
    assert {"zjc-large-toggle", "zjc-close", "zjc-human", "zjc-input", "zjc-send", "zjc-clear"} <= reached, reached
    # Escape closes it, and then the page is the page's again
    page.keyboard.press("Escape")
    expect(page.locator(".zjc-panel")).to_be_hidden()
    expect(page.locator(".zjc-launcher")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") != "zjcert-chat"


def test_the_desktop_panel_does_not_trap_the_page(page: Page, stack: Stack):
    open_demo(page, stack)
    expect(page.locator(".zjc-panel")).to_have_attribute("aria-modal", "false")
    left = False
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") != "zjcert-chat":
            left = True
            break
    assert left, "a floating panel must leave the host page usable"


# -- what the messages look like --------------------------------------------------------------------

def test_office_phone_numbers_are_tel_links_that_do_not_break(context, stack: Stack):
    page = context.new_page()
    page.set_viewport_size(PHONE)
    open_demo(page, stack)
    say(page, "杭州在哪里领证", re.compile("电话："))
    answer = bot_bubbles(page).filter(has_text="电话：").last
    # the number the backend holds for the office (its demo rows add "（示例号码）")
    offices = requests.get(f"{stack.backend.url}/api/v1/offices", params={"city": "杭州"}, timeout=10).json()["offices"]
    numbers = [re.match(r"[0-9-]+", o["phone"]).group() for o in offices if o.get("phone")]
    tel = answer.locator("a.zjc-tel").first
    assert tel.inner_text() in numbers, (tel.inner_text(), numbers)
    assert tel.get_attribute("href") == "tel:" + tel.inner_text().replace("-", "")
    assert tel.evaluate("a => a.getClientRects().length") == 1  # one piece, on one line
    # also where the line is at its narrowest: the larger text mode on the phone
    page.get_by_role("button", name="大字模式").click()
    for link in page.locator(".zjc-bubble a.zjc-tel").all():
        assert link.evaluate("a => a.getClientRects().length") == 1, link.inner_text()


def _fake_rasa(delay: float):
    headers = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type",
               "Access-Control-Allow-Methods": "GET, POST, OPTIONS"}

    def handle(route: Route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=headers)
        elif route.request.url.endswith("/webhooks/rest/webhook"):
            time.sleep(delay)
            holder = older_holders(1, seed=1971)[0]
            route.fulfill(json=[{"text": f"请致电0571-87654321（工作日）或拨打12333。证书编号1733010000000400012345，"
                                         f"鉴定批次2026-33-0015，通知发布于2026-06-01，"
                                         f"持证人{holder[0]}（身份证号 {holder[1][:6]}********{holder[1][-4:]}）。"}],
                                headers=headers)
        else:
            route.fulfill(body="Hello from Rasa", headers=headers)
    return handle


def test_typing_is_announced_and_only_phone_numbers_become_tel_links(context, stack: Stack):
    context.route("http://fake-rasa.test/**", _fake_rasa(delay=1.0))
    page = context.new_page()
    with serve_page(embedding_page(stack, "http://fake-rasa.test")) as embed:
        page.goto(embed)
        page.locator(".zjc-launcher").click()
        expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", "rest", timeout=20_000)
        announcer = page.locator(".zjc-sr-only[role=status]")
        assert announcer.get_attribute("aria-live") == "polite"
        shadow(page, """window.__announced = [];
            new MutationObserver(() => window.__announced.push(root.querySelector('.zjc-sr-only').textContent))
              .observe(root.querySelector('.zjc-sr-only'), {childList: true, characterData: true, subtree: true});""")
        page.locator(".zjc-input").fill("在哪里领证")
        page.locator(".zjc-input").press("Enter")
        expect(bot_bubbles(page)).to_have_count(1)
        assert "客服正在输入…" in page.evaluate("window.__announced")
        expect(announcer).to_have_text("")
        links = bot_bubbles(page).first.locator("a")
        expect(links).to_have_text(["0571-87654321", "12333"])
        assert [a.get_attribute("href") for a in links.all()] == ["tel:057187654321", "tel:12333"]


def test_the_chosen_button_stays_marked(page: Page, stack: Stack):
    open_demo(page, stack)
    say(page, "我要快递到家", ASK_NAME)
    say(page, "不办了", "确定不办了吗")
    choices = page.locator(".zjc-msg.zjc-bot").last.locator(".zjc-button")
    expect(choices).to_have_text(["确定不办了", "继续办理"])
    before = bot_bubbles(page).count()
    choices.filter(has_text="继续办理").click()
    wait_for_reply(page, re.compile("."), before)

    def marked() -> None:
        chosen = page.locator(".zjc-button.zjc-chosen")
        expect(chosen).to_have_count(1)
        expect(chosen).to_have_text("继续办理")
        expect(chosen).to_have_attribute("aria-pressed", "true")
        other = page.get_by_role("button", name="确定不办了")
        expect(other).to_be_disabled()
        assert other.get_attribute("aria-pressed") is None
        colours = [b.evaluate("b => getComputedStyle(b).backgroundColor") for b in (chosen, other)]
        assert colours[0] != colours[1], colours

    marked()
    page.reload()
    expect(page.locator(".zjc-panel")).to_be_visible()
    marked()


# -- privacy, shared computers ------------------------------------------------------------------------

def test_the_privacy_notice_comes_before_the_first_id_question(page: Page, stack: Stack):
    name, id_number = older_holders(1, seed=1953)[0]
    open_demo(page, stack)
    say(page, "查询证书状态", ASK_NAME)
    expect(page.locator(".zjc-privacy")).to_have_count(0)  # not before it is needed
    say(page, name, ASK_ID)
    rows = page.locator(".zjc-log > .zjc-msg")
    classes = [c.split() for c in rows.evaluate_all("rows => rows.map(r => r.className)")]
    assert "zjc-privacy" in classes[-2] and "zjc-bot" in classes[-1], classes
    notice = page.locator(".zjc-privacy .zjc-bubble")
    expect(notice).to_contain_text("对话记录在本机浏览器保存1天")
    expect(notice).to_contain_text("保存期限以领证机构规定为准")
    expect(notice).to_contain_text("结束对话并清除记录")
    say(page, id_number[:-1] + ("0" if id_number[-1] != "0" else "1"), ASK_ID)  # a typo: asked again
    expect(page.locator(".zjc-privacy")).to_have_count(1)  # told once


def test_ending_the_conversation_clears_it_from_the_computer(page: Page, stack: Stack):
    name, id_number = older_holders(2, seed=1977)[1]
    open_demo(page, stack)
    say(page, "查询证书状态", ASK_NAME)
    say(page, name, ASK_ID)
    say(page, id_number, re.compile("查询结果|没有查到"))
    old_session = session_id(page)
    page.get_by_role("button", name="结束对话并清除记录").click()
    expect(page.locator(".zjc-user, .zjc-bot, .zjc-privacy")).to_have_count(0)
    expect(page.locator(".zjc-notice")).to_contain_text("本机的对话记录已清除")
    expect(page.locator(".zjc-suggestions .zjc-button")).to_have_text(SUGGESTIONS)
    stored = page.evaluate("JSON.stringify(localStorage)")
    assert name not in stored and id_number[:6] + "********" not in stored, stored
    kept = page.evaluate(f"localStorage.getItem({json.dumps(storage_prefix(stack) + 'transcript')})")
    assert kept in (None, "[]"), kept
    assert session_id(page) != old_session
    wait_socket(page)
    page.locator(".zjc-suggestions .zjc-button", has_text="领证要带什么").click()
    wait_for_reply(page, re.compile("本人身份证原件|怎么领取"), 0)
    assert user_texts(stack, session_id(page)) == ["领证要带什么"]
    page.reload()  # and a reload does not bring the old one back
    expect(page.locator(".zjc-panel")).to_be_visible()
    assert name not in page.locator(".zjc-log").inner_text()


# -- Rasa away, then back ----------------------------------------------------------------------------

@pytest.mark.stops_rasa
def test_an_undelivered_message_is_marked_and_sent_when_rasa_is_back(page: Page, stack: Stack):
    open_demo(page, stack, transport=None)
    stack.rasa.stop()
    expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", "rest", timeout=20_000)
    page.locator(".zjc-input").fill("领证有期限吗")
    page.locator(".zjc-input").press("Enter")
    failed = page.locator(".zjc-user.zjc-undelivered")
    expect(failed).to_have_count(1, timeout=30_000)
    expect(failed.locator(".zjc-failed")).to_contain_text("未送达")
    retry = failed.get_by_role("button", name="重试")
    expect(retry).to_be_visible()
    expect(page.locator(".zjc-notice .zjc-bubble").last).to_contain_text("暂时无法连接智能客服")
    retry.click()  # while Rasa is still away, it stays marked
    expect(failed.locator(".zjc-failed-text")).to_contain_text("未送达", timeout=15_000)
    expect(failed).to_have_count(1)
    stack.rasa.start()
    # Loading the model again: minutes when other jobs share the two cores.
    stack.rasa.wait_until(f"{stack.rasa.url}/status?token={stack.rasa_token}", 900)
    # sent again without the visitor typing it again, and answered
    wait_for_reply(page, "10个工作日", 0)
    expect(page.locator(".zjc-undelivered")).to_have_count(0)
    expect(user_bubbles(page)).to_have_text(["领证有期限吗"])
    assert user_texts(stack, session_id(page)).count("领证有期限吗") == 1
    stored = json.loads(page.evaluate(f"localStorage.getItem({json.dumps(storage_prefix(stack) + 'transcript')})"))
    assert not any(item.get("failed") for item in stored)
