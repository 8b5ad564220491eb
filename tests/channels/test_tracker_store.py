"""The encrypted SQL tracker store: a conversation comes back whole after the store is opened
again (as after a restart of Rasa), and the database file holds no ID number, phone number,
address or message text in clear. (The browser tests restart a real Rasa mid-form.)"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import EncryptedSQLTrackerStore, fernet_for
from pickup_rules.testing import make_id
from tests.sqlite_files import stored_bytes

REPO = Path(__file__).resolve().parents[2]
KEY = "k3y-for-the-tests-only-0123456789abcdef"
# Born 1958 in 钱塘区 (330114), a district created in 2021.
ID_NUMBER = make_id("330114", dt.date(1958, 11, 2), 31)
PHONE = "13957112345"
ADDRESS = "杭州市钱塘区白杨街道学林街198号"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


def store_at(path: Path, domain: Domain, key: str = KEY) -> EncryptedSQLTrackerStore:
    return EncryptedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(path), key=key)


def half_way_mail_application(domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("wx-openid-o6_bmjrPTlm6_2sgVt7hMZOPfL2M", [
        ActionExecuted("action_listen"),
        UserUttered(f"我叫郑国华，身份证{ID_NUMBER}，电话{PHONE}",
                    {"name": "request_mail", "confidence": 0.97}),
        ActionExecuted("mail_form"),
        ActiveLoop("mail_form"),
        SlotSet("person_name", "郑国华"),
        SlotSet("id_number", ID_NUMBER),
        SlotSet("phone", PHONE),
        SlotSet("address", ADDRESS),
        BotUttered("请确认收件地址"),
        ActionExecuted("action_listen"),
    ], domain.slots)
    return tracker


async def test_a_conversation_comes_back_whole_from_a_reopened_store(tmp_path: Path, domain: Domain) -> None:
    tracker = half_way_mail_application(domain)
    await store_at(tmp_path / "tracker.db", domain).save(tracker)

    again = await store_at(tmp_path / "tracker.db", domain).retrieve(tracker.sender_id)

    assert again is not None
    assert again.active_loop_name == "mail_form"
    assert again.get_slot("id_number") == ID_NUMBER and again.get_slot("phone") == PHONE
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in tracker.events]


KILLED_AFTER_SAVING = """
import asyncio, os, signal, sys
from pathlib import Path
from rasa.shared.core.domain import Domain
from tests.channels.test_tracker_store import half_way_mail_application, store_at

domain = Domain.load(sys.argv[2])
store = store_at(Path(sys.argv[1]), domain)
asyncio.run(store.save(half_way_mail_application(domain)))
os.kill(os.getpid(), signal.SIGKILL)  # no clean close: the kept-open connection is never checkpointed
"""


async def test_a_saved_turn_survives_the_process_being_killed(tmp_path: Path, domain: Domain) -> None:
    """SQLite is kept open with a write-ahead log and `synchronous=NORMAL` (bot/store_engines.py):
    a commit is in the log when `save` returns, whatever happens to the process after."""
    path = tmp_path / "tracker.db"
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_SAVING, str(path), str(REPO / "domain.yml")],
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    assert Path(f"{path}-wal").exists()  # left behind, as by a killed Rasa

    store = store_at(path, domain)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    again = await store.retrieve("wx-openid-o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    assert again is not None and again.active_loop_name == "mail_form"
    assert again.get_slot("id_number") == ID_NUMBER and again.get_slot("address") == ADDRESS


async def test_nothing_personal_is_readable_in_the_database_file(tmp_path: Path, domain: Domain) -> None:
    path = tmp_path / "tracker.db"
    await store_at(path, domain).save(half_way_mail_application(domain))

    raw = stored_bytes(path)
    assert b"request_mail" in raw  # the clear query columns: the search reads where the rows are
    for secret in (ID_NUMBER, ID_NUMBER[-8:], PHONE, ADDRESS, "郑国华"):
        assert secret.encode() not in raw and secret.encode("unicode_escape") not in raw, secret
    # Rasa's own query columns stay readable (its event queries and session handling use them).
    with sqlite3.connect(path) as db:
        columns = set(db.execute("select type_name, intent_name, action_name from events").fetchall())
    assert ("user", "request_mail", None) in columns and ("action", None, "mail_form") in columns


async def test_another_key_cannot_read_the_conversation(tmp_path: Path, domain: Domain) -> None:
    tracker = half_way_mail_application(domain)
    await store_at(tmp_path / "tracker.db", domain).save(tracker)
    other = store_at(tmp_path / "tracker.db", domain, key="another-key-of-at-least-32-characters!")
    with pytest.raises(InvalidToken):
        await other.retrieve(tracker.sender_id)


@pytest.mark.parametrize("key", [None, "", "short", "${TRACKER_STORE_KEY}"])
def test_no_store_without_a_real_key(key: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_STORE_KEY", raising=False)
    with pytest.raises(ValueError, match="TRACKER_STORE_KEY"):
        fernet_for(key)


async def test_each_new_event_reaches_the_broker_once_in_one_commit_per_turn(
        tmp_path: Path, domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import event as sa_event

    from bot.event_broker import MaskingSQLEventBroker

    broker = MaskingSQLEventBroker(dialect="sqlite", db=str(tmp_path / "events.db"))
    commits: list[int] = []
    sa_event.listen(broker.engine, "commit", lambda connection: commits.append(1))
    store = EncryptedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"), key=KEY,
                                     event_broker=broker)

    async def no_read_back(*args, **kwargs):
        raise AssertionError("save read the conversation back to find its new events")

    monkeypatch.setattr(store, "retrieve", no_read_back)
    tracker = half_way_mail_application(domain)
    await store.save(tracker)
    first_turn = len(tracker.events)
    tracker.update(UserUttered("对的", {"name": "affirm", "confidence": 0.99}))
    tracker.update(ActionExecuted("mail_form"))
    await store.save(tracker)

    with sqlite3.connect(tmp_path / "events.db") as db:
        rows = [json.loads(data) for (data,) in db.execute("select data from events order by id")]
    assert [row["event"] for row in rows] == [e.as_dict()["event"] for e in tracker.events]
    assert rows[first_turn]["text"] == "对的" and rows[-1]["name"] == "mail_form"
    assert len(commits) == 2
    # the ID number and the phone were in the first turn's message: masked in the broker's table
    assert ID_NUMBER not in json.dumps(rows, ensure_ascii=False) and PHONE not in json.dumps(rows, ensure_ascii=False)
