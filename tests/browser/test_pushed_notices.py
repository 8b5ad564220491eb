"""A published pickup notice reaches every subscriber on its list exactly once, on the
channel they subscribed from: a visitor with the widget open (socket.io) and a WeChat
follower (customer-service message through the recorder that plays WeChat's API). The
office's decisions on an application reach the conversation that applied, once each."""

from __future__ import annotations

import time

import requests
from browser_helpers import ask_materials, bot_bubbles, open_demo, session_id
from pickup_rules.identity import with_check_digit
from playwright.sync_api import Page, expect
from servers import FIXED_TODAY, Stack

from tests.channels.recorder import CUSTOM_SEND
from tests.published_lists import import_list, publish_notice, published_list

ANNOUNCEMENT = "证书领取通知已发布"


_id = with_check_digit


def _staff(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.staff_token}"}


def test_a_published_notice_reaches_the_web_and_the_wechat_subscriber_once(page: Page, stack: Stack):
    open_demo(page, stack)
    ask_materials(page)  # Rasa pushes only into a conversation it knows
    sid = session_id(page)
    openid = "o-e2e-" + sid[:8]
    web_person, wechat_person, unsubscribed = (("通知甲", _id("33010619910101771")),
                                                ("通知乙", _id("33010619920202772")),
                                                ("通知丙", _id("33010619930303773")))
    batch = f"JDPUSH{int(time.time()) % 100000:05d}"
    rows = ["姓名,身份证号,证书编号,职业,等级,鉴定批次号"] + [
        f"{name},{id_number},ZS{batch}{i},电工,四级,{batch}"
        for i, (name, id_number) in enumerate((web_person, wechat_person, unsubscribed))]
    import_list(stack.backend.url, stack.staff_token, rows)
    for channel, conversation, person in (("socketio", sid, web_person), ("wechat", openid, wechat_person)):
        subscribed = requests.post(f"{stack.backend.url}/api/v1/subscriptions", timeout=30, json={
            "channel": channel, "conversation_id": conversation, "name": person[0], "id_number": person[1]})
        assert subscribed.status_code == 201 and subscribed.json()["push_supported"] is True

    notice = publish_notice(stack.backend.url, stack.staff_token, [batch], published_on=FIXED_TODAY)
    assert notice["subscribers_queued"] == 2

    announcement = bot_bubbles(page).filter(has_text=ANNOUNCEMENT)
    expect(announcement).to_have_count(1, timeout=60_000)
    # Rasa's socket.io output sends each paragraph of a text as its own message.
    where = bot_bubbles(page).filter(has_text="地点：杭州市职业技能鉴定指导中心")
    expect(where).to_have_count(1)
    sent = stack.wechat.wait_for(CUSTOM_SEND, count=1, timeout=60)
    to_follower = [m for m in sent if m.get("touser") == openid]
    assert len(to_follower) == 1 and ANNOUNCEMENT in to_follower[0]["text"]["content"]

    # Nothing more arrives: the dispatcher has recorded both deliveries as sent.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        deliveries = requests.get(f"{stack.backend.url}/api/v1/staff/notices/{notice['id']}/deliveries",
                                  headers=_staff(stack), timeout=30).json()["deliveries"]
        if all(d["state"] == "sent" for d in deliveries):
            break
        time.sleep(0.5)
    assert sorted((d["channel"], d["state"]) for d in deliveries) == [("socketio", "sent"), ("wechat", "sent")]
    time.sleep(5)  # two more dispatcher rounds
    expect(announcement).to_have_count(1)
    expect(where).to_have_count(1)
    assert len([m for m in stack.wechat.sent(CUSTOM_SEND) if m.get("touser") == openid]) == 1


def test_decisions_on_an_application_reach_the_conversation_that_applied(page: Page, stack: Stack):
    open_demo(page, stack)
    ask_materials(page)
    sid = session_id(page)
    person = ("决定甲", _id("33011019630505774"))  # born 1963, 余杭区 (listed from 2001)
    batch = f"JDDECIDE{int(time.time()) % 100000:05d}"
    rows = ["姓名,身份证号,证书编号,职业,等级,鉴定批次号", f"{person[0]},{person[1]},ZS{batch}0,电工,四级,{batch}"]
    published_list(stack.backend.url, stack.staff_token, rows, [batch], published_on=FIXED_TODAY)
    applied = requests.post(f"{stack.backend.url}/api/v1/applications", timeout=30,
                            headers={"Idempotency-Key": f"decide-{sid}"}, json={
                                "kind": "mail", "name": person[0], "id_number": person[1], "phone": "13800138000",
                                "address": "浙江省杭州市余杭区良渚街道玉鸟路3号", "channel": "socketio",
                                "conversation_id": sid})
    assert applied.status_code == 201, applied.text
    number = applied.json()["number"]
    for to, extra in (("accepted", {}), ("returned", {"reason": "收件地址缺少门牌号，请补充后重新申请"})):
        moved = requests.post(f"{stack.backend.url}/api/v1/staff/applications/{number}/transitions",
                              headers=_staff(stack), json={"to": to, **extra}, timeout=30)
        assert moved.ok, moved.text
    accepted = bot_bubbles(page).filter(has_text=f"（编号{number}）已受理")
    returned = bot_bubbles(page).filter(has_text="已被领证机构退回，原因：收件地址缺少门牌号")
    expect(accepted).to_have_count(1, timeout=60_000)
    expect(returned).to_have_count(1, timeout=60_000)
    # The applying conversation is not sent the pickup notice it no longer needs.
    expect(bot_bubbles(page).filter(has_text=ANNOUNCEMENT)).to_have_count(0)
    time.sleep(5)  # two more dispatcher rounds: nobody is told twice
    expect(accepted).to_have_count(1)
    expect(returned).to_have_count(1)
