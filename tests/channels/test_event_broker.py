"""The masking SQL event broker: the table the staff console reads holds the questions and the
bot's answers, with no ID number, mobile number or personal slot value in clear."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from bot.event_broker import MaskingSQLEventBroker
from pickup_rules.testing import make_id
from tests.sqlite_files import stored_bytes

# Born 1953 in 临平区 (330113), created in 2021.
ID_NUMBER = make_id("330113", dt.date(1953, 6, 18), 45)
PHONE = "15869012345"


def published(tmp_path: Path, *events) -> list[dict]:
    path = tmp_path / "events.db"
    broker = MaskingSQLEventBroker(dialect="sqlite", db=str(path))
    for event in events:
        broker.publish({"sender_id": "socket-3f9a", **event.as_dict()})
    with sqlite3.connect(path) as db:
        rows = db.execute("select sender_id, data from events order by id").fetchall()
    assert all(sender == "socket-3f9a" for sender, _ in rows)
    return [json.loads(data) for _, data in rows]


def test_questions_are_kept_with_numbers_masked(tmp_path: Path) -> None:
    text = f"我爸爸身份证{ID_NUMBER}，电话{PHONE}，他的证能不能我去拿"
    [user] = published(tmp_path, UserUttered(text, {"name": "nlu_fallback", "confidence": 0.31},
                                              parse_data={"text": text}))
    assert user["event"] == "user" and user["parse_data"]["intent"]["name"] == "nlu_fallback"
    assert user["text"] == text.replace(ID_NUMBER, ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]).replace(
        PHONE, PHONE[:3] + "****" + PHONE[-4:])
    assert ID_NUMBER not in json.dumps(user, ensure_ascii=False) and PHONE not in json.dumps(user, ensure_ascii=False)


def test_personal_slots_are_hidden_and_the_rest_kept(tmp_path: Path) -> None:
    rows = published(tmp_path, SlotSet("person_name", "欧阳建华"), SlotSet("id_number", ID_NUMBER),
                     SlotSet("address", "杭州市临平区南苑街道"), SlotSet("occupation", "电工"),
                     SlotSet("proxy_id_number", None), BotUttered("请告诉我证书持有人的姓名"))
    values = {row.get("name"): row.get("value") for row in rows if row["event"] == "slot"}
    assert values == {"person_name": "***", "id_number": "***", "address": "***", "occupation": "电工",
                      "proxy_id_number": None}
    assert rows[-1]["event"] == "bot" and rows[-1]["text"] == "请告诉我证书持有人的姓名"
    raw = stored_bytes(tmp_path / "events.db")
    assert b"occupation" in raw  # the rows are where the search reads
    for secret in ("欧阳建华", ID_NUMBER, "临平区南苑"):
        assert secret.encode() not in raw and secret.encode("unicode_escape") not in raw
