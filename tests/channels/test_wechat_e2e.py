"""End to end: a real `rasa run` process with the channel configured in its credentials
file, WeChat's calls over loopback, and the recorder as WeChat's server API.

The model is a tiny one trained here (rules only, so it trains in seconds and leaves
models/ alone) whose welcome is the project's own `utter_greet`, read from domain.yml.
The project's full model and conversations are covered by the Rasa test harness.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
import yaml
from recorder import CUSTOM_SEND, TEMPLATE_SEND, Recorder
from wechat_helpers import AES_KEY, APPID, SECRET, TOKEN, event_xml, openid, reply_content, signed_query, text_xml
from wechatpy.crypto import WeChatCrypto

REPO = Path(__file__).resolve().parents[2]
AUTH_TOKEN = "e2e-" + os.urandom(8).hex()
JWT_SECRET = os.urandom(32).hex()  # Rasa runs as deployed (--jwt-secret); the test calls with the token
NOTICE = "您的证书已可领取。\n\n请在10个工作日内领取。"

RULES = """\
version: "3.1"
rules:
  - rule: welcome
    steps:
      - intent: greet
      - action: utter_greet
  - rule: pickup notice
    steps:
      - intent: EXTERNAL_pickup_ready
      - action: utter_pickup_ready
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_greeting() -> str:
    with (REPO / "domain.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)["responses"]["utter_greet"][0]["text"]


@pytest.fixture(scope="module")
def recorder_e2e() -> Iterator[Recorder]:
    server = Recorder(APPID, SECRET).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def rasa_server(tmp_path_factory: pytest.TempPathFactory, recorder_e2e: Recorder) -> Iterator[str]:
    work = tmp_path_factory.mktemp("wechat_e2e")
    (work / "data").mkdir()
    (work / "data" / "rules.yml").write_text(RULES, encoding="utf-8")
    (work / "config.yml").write_text(
        "recipe: default.v1\nassistant_id: wechat-e2e\nlanguage: zh\npipeline: []\n"
        "policies:\n  - name: RulePolicy\n", encoding="utf-8")
    domain = {"version": "3.1", "intents": ["greet", "EXTERNAL_pickup_ready"],
              "responses": {"utter_greet": [{"text": project_greeting()}],
                            "utter_pickup_ready": [{"text": NOTICE}]}}
    (work / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    (work / "credentials.yml").write_text(
        "bot.wechat.WeChatInput:\n"
        "  token:\n  appid:\n  secret:\n  aes_key:\n  template_id:\n"
        f"  api_base_url: \"{recorder_e2e.base_url}\"\n  reply_budget: 4.0\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "RASA_TELEMETRY_ENABLED": "false",
           "WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_SECRET": SECRET,
           "WECHAT_AES_KEY": AES_KEY, "WECHAT_NOTICE_TEMPLATE_ID": "TPL_e2e"}
    subprocess.run([sys.executable, "-m", "rasa", "train", "--out", "models", "--fixed-model-name", "e2e"],
                   cwd=work, env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    log = (work / "rasa.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--model", "models/e2e.tar.gz", "--credentials",
         "credentials.yml", "-i", "127.0.0.1", "--port", str(port), "--enable-api",
         "--jwt-secret", JWT_SECRET, "--auth-token", AUTH_TOKEN],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"rasa run exited: {(work / 'rasa.log').read_text()[-2000:]}")
            try:
                if requests.get(f"{url}/status", params={"token": AUTH_TOKEN}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("rasa run did not start")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def post(url: str, xml: str) -> requests.Response:
    return requests.post(f"{url}/webhooks/wechat/webhook", params=signed_query(), data=xml.encode("utf-8"),
                         timeout=10)


def test_subscribe_is_welcomed_with_the_domain_greeting(rasa_server):
    resp = post(rasa_server, event_xml("subscribe", sender=openid(40)))
    assert resp.status_code == 200
    assert reply_content(resp.text)["Content"] == project_greeting()


def test_safe_mode_text_through_rasa(rasa_server):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    query = signed_query()
    envelope = reply_content(crypto.encrypt_message(text_xml("/greet", sender=openid(41)),
                                                    query["nonce"], query["timestamp"]))
    query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
    body = f"<xml><ToUserName>gh_e2e</ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    resp = requests.post(f"{rasa_server}/webhooks/wechat/webhook", params=query, data=body.encode(), timeout=10)
    reply = reply_content(resp.text)
    plain = reply_content(crypto.decrypt_message(resp.text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]))
    assert plain["Content"] == project_greeting()


def test_forged_signature_is_403_and_no_conversation_starts(rasa_server):
    query = signed_query(token="forged")
    resp = requests.post(f"{rasa_server}/webhooks/wechat/webhook", params=query,
                         data=text_xml("/greet", sender=openid(42)).encode(), timeout=10)
    assert resp.status_code == 403
    tracker = requests.get(f"{rasa_server}/conversations/{openid(42)}/tracker",
                           params={"token": AUTH_TOKEN}, timeout=10).json()
    assert not [e for e in tracker["events"] if e["event"] == "user"]


def test_trigger_intent_pushes_through_customer_service(rasa_server, recorder_e2e):
    resp = requests.post(f"{rasa_server}/conversations/{openid(43)}/trigger_intent",
                         params={"output_channel": "wechat", "token": AUTH_TOKEN},
                         data=json.dumps({"name": "EXTERNAL_pickup_ready"}), timeout=30)
    assert resp.status_code == 200, resp.text
    sent = recorder_e2e.wait_for(CUSTOM_SEND, 1)
    assert {"touser": openid(43), "msgtype": "text", "text": {"content": NOTICE}} in sent


def test_trigger_intent_outside_48_hours_sends_the_template(rasa_server, recorder_e2e):
    recorder_e2e.out_of_window.add(openid(44))
    resp = requests.post(f"{rasa_server}/conversations/{openid(44)}/trigger_intent",
                         params={"output_channel": "wechat", "token": AUTH_TOKEN},
                         data=json.dumps({"name": "EXTERNAL_pickup_ready"}), timeout=30)
    assert resp.status_code == 200, resp.text
    templates = recorder_e2e.wait_for(TEMPLATE_SEND, 1)
    assert templates == [{"touser": openid(44), "template_id": "TPL_e2e",
                          "data": {"first": {"value": "您的证书已可领取。"},
                                   "keyword1": {"value": "请在10个工作日内领取。"}}}]


def test_trigger_intent_that_wechat_refuses_is_an_error_and_leaves_no_turn(rasa_server, recorder_e2e):
    """The backend's dispatcher retries failed pushes: the failed turn must not stay in
    the conversation, or a retry would leave two."""
    user = openid(45)
    recorder_e2e.unsubscribed.add(user)
    trigger = {"output_channel": "wechat", "token": AUTH_TOKEN}
    resp = requests.post(f"{rasa_server}/conversations/{user}/trigger_intent", params=trigger,
                         data=json.dumps({"name": "EXTERNAL_pickup_ready"}), timeout=30)
    assert resp.status_code == 500
    recorder_e2e.unsubscribed.discard(user)
    resp = requests.post(f"{rasa_server}/conversations/{user}/trigger_intent", params=trigger,
                         data=json.dumps({"name": "EXTERNAL_pickup_ready"}), timeout=30)
    assert resp.status_code == 200
    events = requests.get(f"{rasa_server}/conversations/{user}/tracker", params={"token": AUTH_TOKEN},
                          timeout=10).json()["events"]
    assert [e["parse_data"]["intent"]["name"] for e in events if e["event"] == "user"] == ["EXTERNAL_pickup_ready"]
    assert [e["text"] for e in events if e["event"] == "bot"] == [NOTICE]
