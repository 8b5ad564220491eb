"""The chat widget in a real browser against the real assistant: the demo page, a
question, a mail application with a corrected ID number, buttons, links, reloads, a
pushed message, the mobile layout, escaping, and Rasa going away."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
import requests
from browser_helpers import (HOTLINE, READY, RETURNED, ask_materials, bot_bubbles, open_demo, say, session_id, status,
                             user_bubbles, user_texts, wait_for_reply)
from pickup_rules.testing import make_id
from playwright.sync_api import Page, Route, expect
from servers import FIXED_TODAY, Stack
from ux_helpers import serve_page

from tests.published_lists import published_list

# The mail form's questions (domain.yml): each turn ends with one of them.
ASK_NAME = "请告诉我证书持有人的姓名"
ASK_ID = "请输入证书持有人的18位身份证号码"
ASK_PHONE = "请留一个收件人联系电话"
ASK_ADDRESS = "请告诉我收件地址"
# Words of the demo's reason for sending 孙丽娟's mail application back (backend/app/demo.py).
RETURNED_REASON_WORDS = "收件地址无法投递"


def test_demo_page_is_a_marked_example_with_the_widget(page: Page, stack: Stack):
    page.goto(f"{stack.backend.url}/demo")
    assert "示例" in page.title()
    expect(page.locator(".demo-flag")).to_contain_text("示例")
    # one script tag, pointing at Rasa
    scripts = page.locator("script[src$='/widget/widget.js']")
    expect(scripts).to_have_count(1)
    assert scripts.get_attribute("data-rasa-url") == stack.rasa.url
    expect(page.locator(".zjc-launcher")).to_have_text("在线咨询")
    page.locator(".zjc-launcher").click()
    expect(page.locator(".zjc-panel")).to_be_visible()
    expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", "socket", timeout=20_000)


def test_question_is_answered(page: Page, stack: Stack):
    open_demo(page, stack)
    clicked = ask_materials(page)
    expect(user_bubbles(page).first).to_have_text("领证要带什么")
    if clicked:  # the assistant asked how; the button's title shows, its payload went to Rasa
        expect(user_bubbles(page).last).to_have_text("本人领取")
        assert user_texts(stack, session_id(page))[-1] == '/inform{"pickup_method":"本人"}'
    # the typing indicator is gone once the answer is there
    expect(page.locator(".zjc-typing")).to_be_hidden()


def test_materials_question_naming_the_method_is_answered_at_once(page: Page, stack: Stack):
    # The materials form reads 代领 from the question itself: no "怎么领取" buttons.
    open_demo(page, stack)
    reply = say(page, "代领人要带哪些证件", re.compile("受托人需携带|怎么领取|代领"))
    assert "受托人需携带" in reply


def test_mail_application_with_a_corrected_id_number(page: Page, stack: Stack):
    name, good_id = READY
    wrong_id = good_id[:-1] + "9"
    open_demo(page, stack)
    say(page, "我要快递到家", ASK_NAME)
    say(page, name, ASK_ID)
    say(page, wrong_id, ASK_ID)  # the bot's re-ask …
    assert any("校验位" in t for t in bot_bubbles(page).all_inner_texts()[-2:])  # … says why
    say(page, good_id, ASK_PHONE)
    # what the visitor typed is shown and kept masked; Rasa got the real number
    expect(user_bubbles(page).last).to_have_text("330106********0018")
    assert good_id not in page.evaluate("JSON.stringify(localStorage)")
    assert good_id in user_texts(stack, session_id(page))
    say(page, "13800138000", ASK_ADDRESS)
    say(page, "浙江省杭州市西湖区文三路100号", "请核对邮寄申请")
    summary = page.locator(".zjc-msg.zjc-bot").nth(page.locator(".zjc-msg.zjc-bot").count() - 1)
    expect(summary).to_contain_text("330106********0018")
    before = bot_bubbles(page).count()
    summary.get_by_role("button", name="确认提交").click()
    wait_for_reply(page, "邮寄申请已提交", before)
    # the button's title is shown, its payload was sent
    expect(user_bubbles(page).last).to_have_text("确认提交")
    assert user_texts(stack, session_id(page))[-1] == "/affirm"
    expect(summary.get_by_role("button", name="确认提交")).to_be_disabled()
    # the application is in the backend
    kinds = [c["application"]["kind"] for c in status(stack, name, good_id)["certificates"] if c["application"]]
    assert "mail" in kinds


def test_button_click_sends_the_payload_and_shows_the_title(page: Page, stack: Stack):
    open_demo(page, stack)
    say(page, "我要快递到家", ASK_NAME)
    say(page, "林晓红", ASK_ID)
    say(page, "33020319880512002X", ASK_PHONE)
    say(page, "13900139000", ASK_ADDRESS)
    say(page, "浙江省宁波市海曙区中山西路1号", "请核对邮寄申请")
    buttons = page.locator(".zjc-msg.zjc-bot").last.locator(".zjc-button")
    expect(buttons).to_have_text(["确认提交", "修改"])
    before = bot_bubbles(page).count()
    buttons.filter(has_text="修改").click()
    expect(user_bubbles(page).last).to_have_text("修改")
    wait_for_reply(page, re.compile("."), before)  # the assistant took it
    assert user_texts(stack, session_id(page))[-1] == "/deny"


def test_link_opens_in_a_new_tab(page: Page, stack: Stack):
    page.context.route("https://jndj.osta.org.cn/**",
                       lambda route: route.fulfill(body="<title>查询</title>", content_type="text/html"))
    open_demo(page, stack)
    say(page, "怎么查证书真伪", "jndj.osta.org.cn")
    link = bot_bubbles(page).last.get_by_role("link", name="jndj.osta.org.cn")
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel").split()
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url == "https://jndj.osta.org.cn/"
    assert popup.evaluate("window.opener") is None
    assert page.url.endswith("/demo")


def test_printable_contact_form_opens_in_a_new_tab(page: Page, stack: Stack):
    """An organisation's application ends with the link to its 联系单 (print-ready, from the backend)."""
    open_demo(page, stack)
    say(page, "单位统一领取怎么办", "请告诉我领证单位的全称")
    say(page, "杭州示例科技有限公司", "鉴定批次号")
    say(page, "JD20260101", "什么职业")
    say(page, "电工", "证书等级是几级")
    before = bot_bubbles(page).count()
    page.locator(".zjc-msg.zjc-bot").last.get_by_role("button", name="四级（中级工）").click()
    wait_for_reply(page, "多少人", before)
    say(page, "1", "工作人员姓名")
    say(page, "王芳", "领证工作人员的18位身份证号码")
    say(page, "330106198505050027", "哪天来领取")
    say(page, "明天", "请核对单位领取联系单")
    before = bot_bubbles(page).count()
    page.locator(".zjc-msg.zjc-bot").last.get_by_role("button", name="确认提交").click()
    wait_for_reply(page, "单位领取申请已提交", before)
    link = bot_bubbles(page).filter(has_text="单位领取申请已提交").last.locator("a")
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    assert href.startswith(f"{stack.backend.url}/api/v1/applications/") and "/contact-form?token=" in href
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel").split()
    with page.expect_popup() as popup_info:
        link.click()
    form = popup_info.value
    form.wait_for_load_state()
    assert form.url == href
    expect(form.locator("body")).to_contain_text("联系单")
    expect(form.locator("body")).to_contain_text("杭州示例科技有限公司")
    assert form.evaluate("window.opener") is None


def test_reload_keeps_the_transcript_and_the_session(page: Page, stack: Stack):
    open_demo(page, stack)
    ask_materials(page)
    sid = session_id(page)
    texts = page.locator(".zjc-bubble").all_inner_texts()
    page.reload()
    expect(page.locator(".zjc-panel")).to_be_visible()  # it was open
    expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", "socket", timeout=20_000)
    assert session_id(page) == sid
    assert page.evaluate("Object.keys(localStorage).some(k => localStorage.getItem(k) === JSON.stringify(%s))"
                         % json.dumps(sid))
    assert page.locator(".zjc-bubble").all_inner_texts() == texts
    # the same conversation goes on in Rasa
    say(page, "领证有期限吗", "10个工作日")
    assert user_texts(stack, sid)[0] == "领证要带什么" and user_texts(stack, sid)[-1] == "领证有期限吗"


def test_pushed_message_arrives_while_the_page_is_open(page: Page, stack: Stack):
    open_demo(page, stack)
    ask_materials(page)  # Rasa executes actions only in known conversations
    sid = session_id(page)
    resp = requests.post(f"{stack.rasa.url}/conversations/{sid}/execute",
                         params={"token": stack.rasa_token, "output_channel": "socketio"},
                         json={"name": "utter_greet"}, timeout=30)
    assert resp.status_code == 200, resp.text
    expect(bot_bubbles(page).filter(has_text="证书领取助手").last).to_be_visible(timeout=15_000)


def test_mobile_layout_is_full_screen_and_desktop_floats(context, stack: Stack):
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    open_demo(page, stack, transport=None)
    box = page.locator(".zjc-panel").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 740}
    page.set_viewport_size({"width": 1280, "height": 800})
    box = page.locator(".zjc-panel").bounding_box()
    assert box["width"] == 380 and box["x"] > 800 and box["y"] > 0


def _fake_rasa(route: Route) -> None:
    headers = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type",
               "Access-Control-Allow-Methods": "GET, POST, OPTIONS"}
    if route.request.method == "OPTIONS":
        route.fulfill(status=204, headers=headers)
    elif route.request.url.endswith("/webhooks/rest/webhook"):
        body = [{"text": '<img src=x onerror="window.__xss=1">见 https://example.cn/a?b=1&c=2。'
                         ' 另见 javascript:alert(1)'},
                {"text": "请选择", "buttons": [{"title": "<b>是</b>", "payload": "/affirm"}]}]
        route.fulfill(json=body, headers=headers)
    else:
        route.fulfill(body="Hello from Rasa", headers=headers)


def test_bot_text_is_escaped_and_only_http_links_are_made(context, stack: Stack):
    """A page on another origin embeds the widget; its Rasa (faked here) answers with markup."""
    context.route("http://fake-rasa.test/**", _fake_rasa)
    page_html = ("<!doctype html><meta charset=utf-8><title>示例</title><p>其他政府网站（示例）</p>"
                 f'<script src="{stack.backend.url}/widget/widget.js" data-rasa-url="http://fake-rasa.test" defer>'
                 "</script>")
    page = context.new_page()
    # A real loopback server: Chromium refuses loopback scripts to pages it thinks public.
    with serve_page(page_html) as embed:
        page.goto(embed)
        page.locator(".zjc-launcher").click()
        expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", "rest", timeout=20_000)
        page.locator(".zjc-input").fill("你好")
        page.locator(".zjc-input").press("Enter")
        first = bot_bubbles(page).first
        expect(first).to_contain_text('<img src=x onerror="window.__xss=1">见')
        expect(first.locator("img")).to_have_count(0)
        links = first.locator("a")
        expect(links).to_have_count(1)
        assert links.get_attribute("href") == "https://example.cn/a?b=1&c=2"
        assert page.evaluate("window.__xss") is None
        expect(page.locator(".zjc-button")).to_have_text(["<b>是</b>"])


@pytest.mark.stops_rasa
def test_rasa_stopped_shows_the_unreachable_message(page: Page, stack: Stack):
    open_demo(page, stack)
    stack.rasa.stop()
    expect(page.locator("#zjcert-chat")).to_have_attribute("data-transport", "rest", timeout=20_000)
    page.locator(".zjc-input").fill("领证要带什么")
    page.locator(".zjc-input").press("Enter")
    notice = page.locator(".zjc-notice .zjc-bubble").last
    expect(notice).to_contain_text("暂时无法连接智能客服", timeout=30_000)
    expect(notice).to_contain_text(HOTLINE)
    expect(notice.locator("a[href='tel:12333']")).to_have_count(1)
    expect(page.locator(".zjc-typing")).to_be_hidden()
    # a new visit says so at once
    page.reload()
    expect(page.locator(".zjc-status")).to_contain_text(HOTLINE, timeout=30_000)


def test_a_returned_mail_application_is_told_with_its_reason(page: Page, stack: Stack):
    """The office sent the demo holder's mail application back: the status says so, with the
    staff's reason and what can be done, instead of showing the certificate as merely ready."""
    name, id_number = RETURNED
    open_demo(page, stack)
    say(page, "查询证书状态", ASK_NAME)
    say(page, name, ASK_ID)
    told = say(page, id_number, "退回")
    assert "原因：" in told and RETURNED_REASON_WORDS in told
    assert "现场领取" in told  # what to do next
    assert id_number not in page.content()


def test_an_older_holders_genuine_id_is_found(page: Page, stack: Stack):
    """Someone born in 1962 whose ID carries the code of 余杭区 (listed from 2001) is found."""
    person = ("宇文知秋", make_id("330110", dt.date(1962, 9, 9), 18))
    batch = f"2026-33-{int(time.time()) % 10000:04d}"
    rows = ["序号,姓名,性别,身份证号码,证书编号,职业（工种）,级别,批次号,备注",
            f"1,{person[0]},女,{person[1]},1733010000000400012345,育婴员,四级（中级工）,{batch},"]
    published_list(stack.backend.url, stack.staff_token, rows, [batch], published_on=FIXED_TODAY)
    open_demo(page, stack)
    say(page, "查询证书状态", ASK_NAME)
    say(page, person[0], ASK_ID)  # a compound surname is a name, not a question
    say(page, person[1], "已可领取")
    expect(bot_bubbles(page).filter(has_text="最迟于").last).to_contain_text("（含当日）")
    # Issue #17: the working days left (published today: all ten), then the next steps as buttons.
    expect(bot_bubbles(page).filter(has_text="距领取期限还剩").last).to_contain_text("还剩10个工作日（含当日）")
    expect(page.locator(".zjc-msg.zjc-bot").last.locator(".zjc-button")).to_have_text(
        ["邮寄到家", "委托代领", "领证地点"])


def _publish_realistic_list(stack: Stack, batch: str, people: list[tuple[str, str]], occupation: str,
                            level: str) -> None:
    """A list as a centre publishes it: a title row, 序号/性别/工作单位/备注, header variants."""
    rows = [f"{FIXED_TODAY[:4]}年职业技能鉴定合格人员证书领取名单（{batch}）",
            "序号,姓名,性别,身份证号码,证书编号,职业（工种）,级别,批次号,工作单位,备注"]
    rows += [f"{i},{name},男,{id_number},17330100000004000{int(time.time()) % 10000:04d}{i},{occupation},{level},"
             f"{batch},杭州示例电气有限公司," for i, (name, id_number) in enumerate(people, start=1)]
    imported = published_list(stack.backend.url, stack.staff_token, rows, [batch], published_on=FIXED_TODAY,
                              encoding="gb18030")
    assert "序号" in imported["columns"]["ignored"]


def test_an_organisation_with_its_provinces_batch_style_finishes(page: Page, stack: Stack):
    batch = f"杭人社鉴〔2026〕{int(time.time()) % 1000}号"
    people = [(f"工人{'甲乙丙'[i]}", make_id("330110", dt.date(1966 + i, 3, 3), 40 + i)) for i in range(3)]
    _publish_realistic_list(stack, batch, people, "维修电工", "三级（高级工）")
    open_demo(page, stack)
    say(page, "单位统一领取怎么办", "请告诉我领证单位的全称")
    say(page, "杭州示例电气有限公司", "鉴定批次号")
    say(page, f"我们的批次号是{batch}", "什么职业")
    say(page, "维修电工", "证书等级是几级")
    say(page, "高级工", "多少人")
    say(page, "3", "工作人员姓名")
    say(page, "欧阳建国", "领证工作人员的18位身份证号码")
    say(page, make_id("330106", dt.date(1971, 1, 21), 9), "哪天来领取")
    reply = say(page, "6月6日", re.compile("不是工作日|请核对单位领取联系单"))  # a Saturday
    assert "不是工作日" in reply
    say(page, "6月3日", "请核对单位领取联系单")
    expect(page.locator(".zjc-msg.zjc-bot").last).to_contain_text(batch)
    before = bot_bubbles(page).count()
    page.locator(".zjc-msg.zjc-bot").last.get_by_role("button", name="确认提交").click()
    wait_for_reply(page, "单位领取申请已提交", before)


def test_a_proxy_born_in_1965_finishes_the_proxy_application(page: Page, stack: Stack):
    holder = ("司马知秋", make_id("440305", dt.date(1976, 10, 1), 6))  # 南山区, listed from 1990
    _publish_realistic_list(stack, f"2026-33-{int(time.time()) % 10000:04d}", [holder], "育婴员", "四级")
    open_demo(page, stack)
    say(page, "我想让我爸帮我去领证", ASK_NAME)
    say(page, holder[0], ASK_ID)
    say(page, holder[1], "受托人（代您领取的人）的姓名")
    say(page, "司马依法", "受托人的18位身份证号码")
    say(page, make_id("330110", dt.date(1965, 2, 14), 31), "请核对代领申请")  # 余杭区, listed from 2001
    before = bot_bubbles(page).count()
    page.locator(".zjc-msg.zjc-bot").last.get_by_role("button", name="确认提交").click()
    created = wait_for_reply(page, "代领申请已提交", before)
    assert "办结后" in created  # not sent to the counter while the application is at 申请


def test_an_older_holder_has_the_certificate_mailed(page: Page, stack: Stack):
    holder = ("诸葛寄", make_id("310115", dt.date(1958, 12, 30), 77))  # 浦东新区, listed from 1992
    _publish_realistic_list(stack, f"沪鉴2026-{int(time.time()) % 10000:04d}", [holder], "中式烹调师", "五级")
    open_demo(page, stack)
    say(page, "我要快递到家", ASK_NAME)
    say(page, holder[0], ASK_ID)
    say(page, holder[1], ASK_PHONE)
    say(page, "0574-87654321", ASK_ADDRESS)
    say(page, "新疆维吾尔自治区喀什市人民东路5号", "请核对邮寄申请")
    before = bot_bubbles(page).count()
    page.locator(".zjc-msg.zjc-bot").last.get_by_role("button", name="确认提交").click()
    created = wait_for_reply(page, "邮寄申请已提交", before)
    assert "5个工作日内送达" in created and "（含当日）" in created
