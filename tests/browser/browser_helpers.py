"""What the browser tests do with the widget and Rasa (a module of its own: tests/conftest.py
is also named `conftest`, so helpers imported from a conftest depend on collection order)."""

from __future__ import annotations

import re
import time

import requests
from playwright.sync_api import Locator, Page, expect
from servers import Stack

# The demo people of backend/app/demo.py.
READY = ("陈小明", "330106199001010018")
READY_MASKED = "330106********0018"
RETURNED = ("孙丽娟", "330102198503150029")  # a mail application 退回 with a reason
HOTLINE = "12333"
TURN_TIMEOUT = 45_000  # ms: the first turns after the model loads are slow on 2 shared cores


def open_demo(page: Page, stack: Stack, *, transport: str | None = "socket") -> None:
    page.goto(f"{stack.backend.url}/demo")
    launcher = page.locator(".zjc-launcher")
    if launcher.is_visible():
        launcher.click()
    expect(page.locator(".zjc-panel")).to_be_visible()
    if transport:
        expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", transport, timeout=20_000)


def bot_bubbles(page: Page) -> Locator:
    return page.locator(".zjc-bot .zjc-bubble")


def user_bubbles(page: Page) -> Locator:
    return page.locator(".zjc-user .zjc-bubble")


def say(page: Page, text: str, expect_reply: str | re.Pattern) -> str:
    """Type `text` as a visitor and wait for a NEW bot message matching `expect_reply`; return it."""
    before = bot_bubbles(page).count()
    page.locator(".zjc-input").fill(text)
    page.locator(".zjc-input").press("Enter")
    return wait_for_reply(page, expect_reply, before)


def wait_for_reply(page: Page, contains: str | re.Pattern, before: int) -> str:
    """Wait for a bot message after the first `before` ones that matches `contains`."""
    pattern = contains if isinstance(contains, re.Pattern) else re.compile(re.escape(contains))
    deadline = time.monotonic() + TURN_TIMEOUT / 1000
    texts: list[str] = []
    while time.monotonic() < deadline:
        texts = bot_bubbles(page).all_inner_texts()[before:]
        found = [t for t in texts if pattern.search(t)]
        if found:
            return found[-1]
        page.wait_for_timeout(200)
    raise AssertionError(f"no new bot message matching {pattern.pattern!r}; new ones: {texts}")


MATERIALS_ANSWER = "本人身份证原件"


def ask_materials(page: Page) -> bool:
    """领证要带什么: the assistant answers for every pickup method, or first asks which one
    (buttons); then the 本人领取 button is clicked. True when it was."""
    reply = say(page, "领证要带什么", re.compile(f"{MATERIALS_ANSWER}|怎么领取"))
    if MATERIALS_ANSWER not in reply:
        before = bot_bubbles(page).count()
        page.locator(".zjc-msg.zjc-bot").last.get_by_role("button", name="本人领取").click()
        wait_for_reply(page, MATERIALS_ANSWER, before)
        return True
    return False


def session_id(page: Page) -> str:
    return page.evaluate("window.__zjcertWidget.sessionId()")


def tracker_events(stack: Stack, sender_id: str) -> list[dict]:
    resp = requests.get(f"{stack.rasa.url}/conversations/{sender_id}/tracker",
                        params={"token": stack.rasa_token}, timeout=10)
    resp.raise_for_status()
    return resp.json()["events"]


def user_texts(stack: Stack, sender_id: str) -> list[str]:
    return [e.get("text") for e in tracker_events(stack, sender_id) if e["event"] == "user"]


def status(stack: Stack, name: str, id_number: str) -> dict:
    resp = requests.post(f"{stack.backend.url}/api/v1/status", json={"name": name, "id_number": id_number},
                         timeout=10)
    resp.raise_for_status()
    return resp.json()
