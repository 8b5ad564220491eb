"""Faults of production on the real stack: Rasa restarted in the middle of a form (the
conversation goes on where it was, from the encrypted SQL tracker store of endpoints.yml,
whose file holds none of what the applicant typed in clear); a frozen action server (the
applicant is told within seconds, bot/action_deadline.py, and the conversation goes on once
it is back)."""

from __future__ import annotations

import os
import secrets
import signal

import requests
from servers import Stack

from tests.sqlite_files import stored_bytes

# The demo's older holder collecting by mail: 林晓红 (born 1988 in 鄞州区, ready for mail).
HOLDER = ("林晓红", "33020319880512002X")
PHONE = "13900139000"
ASK_ID = "请输入证书持有人的18位身份证号码"
ASK_PHONE = "请留一个收件人联系电话"
ASK_ADDRESS = "请告诉我收件地址"
ADDRESS = "浙江省宁波市鄞州区首南街道天童南路588号"


def turn(stack: Stack, sender: str, text: str) -> str:
    answer = requests.post(f"{stack.rasa.url}/webhooks/rest/webhook",
                           json={"sender": sender, "message": text}, timeout=90)
    answer.raise_for_status()
    return "\n".join(message.get("text", "") for message in answer.json())


def test_a_frozen_action_server_is_told_and_the_form_goes_on_when_it_returns(stack: Stack) -> None:
    sender = "frozen-" + secrets.token_hex(6)
    assert stack.actions.process is not None
    group = os.getpgid(stack.actions.process.pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        # The status form validates through the action server as it starts: Rasa would wait
        # 300 s for it; the applicant is told after ACTION_TIMEOUT_SECONDS (8).
        told = turn(stack, sender, "查询证书状态")
    finally:
        os.killpg(group, signal.SIGCONT)
    assert "系统暂时没有响应" in told and "12333" in told, told
    # Back: the same conversation asks for what it lacks and looks the holder up.
    holder_name, holder_id = HOLDER
    answer = turn(stack, sender, "查询证书状态")
    if "姓名" in answer:
        answer = turn(stack, sender, holder_name)
    assert ASK_ID in answer, answer
    answer = turn(stack, sender, holder_id)
    assert "330203" in answer and holder_id not in answer, answer


def test_a_form_goes_on_after_rasa_restarts_and_nothing_is_readable_at_rest(stack: Stack) -> None:
    sender = "durable-" + secrets.token_hex(6)
    assert "姓名" in turn(stack, sender, "我要快递到家")
    assert ASK_ID in turn(stack, sender, HOLDER[0])
    assert ASK_PHONE in turn(stack, sender, HOLDER[1])
    assert ASK_ADDRESS in turn(stack, sender, PHONE)

    stack.rasa.stop()
    stack.rasa.start().wait_until(f"{stack.rasa.url}/", 420)

    # The new process reads the conversation back: the form and what was given are there ...
    tracker = requests.get(f"{stack.rasa.url}/conversations/{sender}/tracker",
                           params={"token": stack.rasa_token}, timeout=30).json()
    assert tracker["active_loop"].get("name") == "mail_form"
    assert tracker["slots"]["id_number"] == HOLDER[1] and tracker["slots"]["phone"] == PHONE
    # ... and the form goes on: the address is the last answer before the summary.
    summary = turn(stack, sender, ADDRESS)
    assert "请核对邮寄申请" in summary and HOLDER[0] in summary and PHONE in summary, summary
    assert "330203" in summary and HOLDER[1] not in summary

    raw = stored_bytes(stack.logs.parent / "tracker.db")
    assert b"mail_form" in raw  # the clear query columns: the search reads where the rows are
    for typed in (HOLDER[1], HOLDER[1][-8:], PHONE, HOLDER[0]):
        assert typed.encode() not in raw and typed.encode("unicode_escape") not in raw, typed
