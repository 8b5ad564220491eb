"""Unanswered questions from a real `events` table written by Rasa's own SQLEventBroker (run in
the Rasa environment), read by the backend: fallback and low-confidence turns, masked, counted
per week and intent, with the bot's answer."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
from pathlib import Path

from pickup_rules.testing import make_id

from app.core.config import REPO_ROOT
from tests.conftest import make_client
from tests.staff_accounts import account, sign_in

RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"

# Rasa's own classes build and publish the events, as `rasa run` does with endpoints.yml's broker.
PUBLISH = r"""
import json, sys
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.events import BotUttered, UserUttered
broker = SQLEventBroker(dialect="sqlite", db=sys.argv[1])
for sender, kind, payload in json.loads(sys.stdin.read()):
    if kind == "user":
        event = UserUttered(payload["text"], intent=payload["intent"], parse_data=payload["parse"],
                            timestamp=payload["ts"])
    else:
        event = BotUttered(payload["text"], timestamp=payload["ts"])
    broker.publish({"sender_id": sender, **event.as_dict()})
"""


def _user(sender, text, intent, confidence, ts, ranking=()):
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
             "intent_ranking": [{"name": intent, "confidence": confidence}, *ranking], "entities": []}
    return [sender, "user", {"text": text, "intent": {"name": intent, "confidence": confidence},
                             "parse": parse, "ts": ts}]


def _bot(sender, text, ts):
    return [sender, "bot", {"text": text, "ts": ts}]


def test_config_yml_threshold_is_the_backends(settings):
    config = (REPO_ROOT / "config.yml").read_text(encoding="utf-8")
    found = re.search(r"name: FallbackClassifier\s*\n\s*threshold: ([0-9.]+)", config)
    assert found and float(found.group(1)) == settings.nlu_fallback_threshold


def test_fallbacks_and_low_confidence_turns_masked_and_counted(tmp_path: Path, settings, engine, session):
    events_db = tmp_path / "rasa_events.db"
    now = time.time()
    holder_id = make_id("330110", dt.date(1962, 4, 18), 37)
    events = [
        _user("wx-1", f"我的身份证{holder_id}证书丢了能补吗", "nlu_fallback", 0.4, now - 60,
              ranking=[{"name": "ask_lost", "confidence": 0.31}]),
        _bot("wx-1", "抱歉，我没有理解您的问题，您可以换个说法或拨打12333。", now - 59),
        _user("wx-1", "谢谢", "thank", 0.98, now - 50),
        _bot("wx-1", "不客气！", now - 49),
        _user("web-2", "电话13812345678和0571-87654321哪个能打通", "ask_office_hours", 0.22, now - 40),
        _bot("web-2", "各领证机构的办公时间以当地公布为准。", now - 39),
        _user("web-3", "去年的证还能领吗", "nlu_fallback", 0.4, now - 30,
              ranking=[{"name": "ask_lost", "confidence": 0.28}]),
        # Pushed by the backend (trigger_intent), and a button's payload: nobody typed them.
        _user("web-3", "EXTERNAL: EXTERNAL_pickup_notice", "EXTERNAL_pickup_notice", 0.0, now - 20),
        _bot("web-3", "您关注的证书领取通知已发布", now - 19),
        _user("web-3", "/ask_materials", "ask_materials", 0.0, now - 10),
        # Older than the weeks asked for: left out.
        _user("web-4", "很久以前的问题", "nlu_fallback", 0.4, now - 60 * 86400),
    ]
    done = subprocess.run([str(RASA_PYTHON), "-c", PUBLISH, str(events_db)], input=json.dumps(events),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    with_events = settings.model_copy(update={"rasa_events_url": f"sqlite:///{events_db}"})
    with make_client(with_events, engine) as client:
        client.put("/api/v1/staff/offices", headers={"Authorization": f"Bearer {settings.staff_token}"}, json=[
            {"code": "330000", "level": "省", "region": "浙江", "name": "浙江省职业技能鉴定指导中心（测试）",
             "address": "杭州市测试路1号", "phone": "0571-00000000", "hours": "工作日"}])
        account(session, "nlu.keeper", "province", "330000")
        response = client.get("/api/v1/staff/unanswered?weeks=4", headers=sign_in(client, "nlu.keeper"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3 and body["threshold"] == 0.4
    week = dt.datetime.fromtimestamp(now - 60).astimezone(dt.timezone(dt.timedelta(hours=8))).isocalendar()
    week_name = f"{week.year}-W{week.week:02d}"
    assert {(r["week"], r["intent"], r["count"]) for r in body["by_week_and_intent"]} == {
        (week_name, "ask_lost", 2), (week_name, "ask_office_hours", 1)}
    texts = [q["text"] for q in body["questions"]]
    assert texts[0] == "去年的证还能领吗"
    assert holder_id not in response.text and "13812345678" not in response.text and "87654321" not in response.text
    assert "330110********" in texts[2] and "138****5678" in texts[1] and "0571-****4321" in texts[1]
    assert body["questions"][2]["answer"] == ["抱歉，我没有理解您的问题，您可以换个说法或拨打12333。"]
    assert "谢谢" not in texts


def test_unanswered_without_an_events_database_says_so(client, staff):
    response = client.get("/api/v1/staff/unanswered", headers=staff)
    assert response.status_code == 200
    assert response.json()["configured"] is False and response.json()["total"] == 0


def test_before_rasa_has_written_anything_the_page_is_empty_and_nothing_is_created(tmp_path, settings, engine):
    missing = tmp_path / "not-yet" / "rasa_events.db"
    with_events = settings.model_copy(update={"rasa_events_url": f"sqlite:///{missing}"})
    with make_client(with_events, engine) as client:
        response = client.get("/api/v1/staff/unanswered", headers={"Authorization": f"Bearer {settings.staff_token}"})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0 and response.json()["questions"] == []
    assert not missing.exists()
