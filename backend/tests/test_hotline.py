"""The hotline guide's API and the pages of web/.

Rasa is played here by a loopback recorder that speaks its REST webhook and tracker
JSON as Rasa 3.6 writes them (a BotUttered event keeps the response name in
`metadata.utter_action` and the response's own `metadata:` map under
`metadata.metadata`); the browser tests in tests/browser/ use the real Rasa.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import jwt
import pytest
from fastapi.testclient import TestClient

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings, get_settings
from app.core.db import get_session, make_engine
from app.main import create_app
from app.models import AuditEntry
from app.prestart import migrate
from app.services.assistant import TURN_KEY, response_source, turn_messages
from tests.rasa_auth import RASA_JWT_SECRET, rasa_accepts

STAFF_TOKEN = "hotline-staff-token-0123456789abcdef"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
SOURCE = "办事指南（十三）办理时限"


def user_event(text: str, turn: str | None = None) -> dict:
    return {"event": "user", "timestamp": time.time(), "text": text, "input_channel": "rest",
            "metadata": {TURN_KEY: turn} if turn else {},
            "parse_data": {"intent": {"name": "ask_deadline", "confidence": 0.99}, "entities": []}}


def bot_event(text: str, response: str, source: str | None = None, buttons: list | None = None) -> dict:
    metadata: dict = {"utter_action": response}
    if source is not None:
        metadata["metadata"] = {"source": source}
    return {"event": "bot", "timestamp": time.time(), "text": text, "metadata": metadata,
            "data": {"elements": None, "quick_replies": None, "buttons": buttons, "attachment": None,
                     "image": None, "custom": None}}


class FakeRasa:
    """Answers each REST turn with `replies` and keeps the events like Rasa's tracker store."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict]] = {}
        self.replies: list[dict] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.authorizations: list[str | None] = []
        self.webhook_status = 200
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        rasa = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                rasa.requests.append(("POST", self.path, body))
                if self.path != "/webhooks/rest/webhook":
                    return self._json(404, {})
                if rasa.webhook_status != 200:
                    return self._json(rasa.webhook_status, {"status": "failure"})
                events = rasa.events.setdefault(body["sender"], [])
                events.append(user_event(body["message"], (body.get("metadata") or {}).get(TURN_KEY)))
                events.extend(rasa.replies)
                events.append({"event": "action", "name": "action_listen", "timestamp": time.time()})
                self._json(200, [{"recipient_id": body["sender"], "text": e["text"]} for e in rasa.replies])

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = parse_qs(url.query)
                rasa.requests.append(("GET", url.path, query))
                rasa.authorizations.append(self.headers.get("Authorization"))
                parts = url.path.strip("/").split("/")
                if len(parts) != 3 or parts[0] != "conversations" or parts[2] != "tracker":
                    return self._json(404, {})
                if not rasa_accepts(self.headers.get("Authorization"), query):
                    return self._json(401, {"status": "failure", "reason": "NotAuthenticated"})
                sender = unquote(parts[1])
                self._json(200, {"sender_id": sender, "events": rasa.events.get(sender, [])})

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def start(self) -> "FakeRasa":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    server = FakeRasa().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('hotline') / 'hotline.db'}"
    migrate(url)
    return url


def client_for(database: str, **overrides: object) -> TestClient:
    """Without the lifespan (no `with`): the notice dispatcher is not part of these tests."""
    settings = Settings(environment="test", staff_token=STAFF_TOKEN, database_url=database,
                        hotline_timeout_seconds=2.0, **overrides)
    engine = make_engine(database)
    factory = sessionmaker(engine, expire_on_commit=False)

    def session() -> Iterator[Session]:
        with factory() as s:
            yield s

    app = create_app(settings)
    app.dependency_overrides[get_session] = session
    app.dependency_overrides[get_settings] = lambda: settings
    return TestClient(app, raise_server_exceptions=False)


def audit_actions(database: str) -> list[tuple[str, str, str]]:
    engine = make_engine(database)
    with Session(engine) as session:
        rows = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


@pytest.fixture
def client(rasa: FakeRasa, database: str) -> Iterator[TestClient]:
    yield client_for(database, rasa_url=rasa.url, rasa_jwt_secret=RASA_JWT_SECRET)


def ask(client: TestClient, question: str = "领证有时间限制吗", conversation: str = "A001-1a2b3c",
        headers: dict | None = None):
    return client.post("/api/v1/hotline/ask", json={"question": question, "conversation": conversation},
                       headers=STAFF if headers is None else headers)


# -- the endpoint ----------------------------------------------------------------------------

def test_answer_comes_with_the_citation_of_its_response(client: TestClient, rasa: FakeRasa):
    rasa.replies = [bot_event("领取期限：自证书领取通知发布之日起10个工作日。", "utter_deadline_rule", SOURCE),
                    bot_event("告诉我姓名和身份证号，我可以查到具体日期。", "utter_deadline_offer_lookup")]
    resp = ask(client)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["sender_id"] == "hotline-A001-1a2b3c"
    assert [(m["text"], m["response"], m["source"], m["citation"]) for m in body["messages"]] == [
        ("领取期限：自证书领取通知发布之日起10个工作日。", "utter_deadline_rule", SOURCE, SOURCE),
        ("告诉我姓名和身份证号，我可以查到具体日期。", "utter_deadline_offer_lookup", None, "（该回答未标注依据）"),
    ]
    # the BotUttered event's metadata as Rasa wrote it
    assert body["messages"][0]["metadata"] == {"utter_action": "utter_deadline_rule", "metadata": {"source": SOURCE}}


def test_the_question_goes_to_rasa_as_the_agents_conversation(client: TestClient, rasa: FakeRasa):
    rasa.replies = [bot_event("本人领取：请携带本人身份证原件1份。", "utter_materials_self", "办事指南 申请材料")]
    ask(client, "  领证要带什么  ", conversation="A007-ff00")
    (method, path, body), (get, tracker_path, query) = rasa.requests
    assert (method, path) == ("POST", "/webhooks/rest/webhook")
    assert body["sender"] == "hotline-A007-ff00" and body["message"] == "领证要带什么"
    assert (get, tracker_path) == ("GET", "/conversations/hotline-A007-ff00/tracker")
    # A short-lived JWT in the Authorization header, nothing secret in the query string.
    assert query == {"include_events": ["ALL"]}
    [authorization] = rasa.authorizations
    assert rasa_accepts(authorization, query)
    claims = jwt.decode(authorization.removeprefix("Bearer "), RASA_JWT_SECRET, algorithms=["HS256"])
    assert claims["user"]["role"] == "admin" and 0 < claims["exp"] - time.time() <= 60


def test_only_this_turns_messages_even_when_the_question_was_asked_before(client: TestClient, rasa: FakeRasa):
    rasa.replies = [bot_event("第一次的答复", "utter_first", "依据一")]
    ask(client, "同一个问题")
    rasa.replies = [bot_event("第二次的答复", "utter_second", "依据二"),
                    bot_event("请选择", "utter_ask_pickup_method", None,
                              buttons=[{"title": "本人领取", "payload": '/inform{"pickup_method":"本人"}'}])]
    body = ask(client, "同一个问题").json()
    assert [m["text"] for m in body["messages"]] == ["第二次的答复", "请选择"]
    assert body["messages"][1]["buttons"] == [{"title": "本人领取", "payload": '/inform{"pickup_method":"本人"}'}]


def test_each_question_is_in_the_audit_log_without_its_text(client: TestClient, rasa: FakeRasa, database: str):
    rasa.replies = [bot_event("答复", "utter_x")]
    ask(client, "陈小明 330106199001010018 的证书", conversation="A009-audit")
    entries = [e for e in audit_actions(database) if e[1] == "hotline_ask"]
    assert ("staff:hotline", "hotline_ask", "hotline-A009-audit") in entries
    engine = make_engine(database)
    with Session(engine) as session:
        details = [repr(e.detail) for e in session.scalars(select(AuditEntry))]
    engine.dispose()
    assert not any("330106199001010018" in d for d in details)


def test_staff_token_is_required(client: TestClient, rasa: FakeRasa):
    assert ask(client, headers={}).status_code == 401
    assert ask(client, headers={"Authorization": "Bearer wrong-token-0123456789abcdef"}).status_code == 401
    assert rasa.requests == []


@pytest.mark.parametrize("conversation", ["", "含中文", "a/b", "x" * 65, "../tracker"])
def test_conversation_ids_are_plain(client: TestClient, rasa: FakeRasa, conversation: str):
    resp = ask(client, conversation=conversation)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_request"
    assert rasa.requests == []


def test_rasa_errors_are_a_clear_503(client: TestClient, rasa: FakeRasa):
    rasa.webhook_status = 500
    resp = ask(client)
    assert resp.status_code == 503
    assert resp.json()["code"] == "assistant_unavailable"


def test_a_wrong_rasa_jwt_secret_is_a_503_not_an_empty_answer(rasa: FakeRasa, database: str):
    rasa.replies = [bot_event("答复", "utter_x", "依据")]
    client = client_for(database, rasa_url=rasa.url, rasa_jwt_secret="not-the-secret-0123456789abcdefghij")
    resp = ask(client)
    assert resp.status_code == 503 and resp.json()["code"] == "assistant_unavailable"


def test_rasa_down_is_a_503(database: str):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = client_for(database, rasa_url=f"http://127.0.0.1:{port}", rasa_jwt_secret=RASA_JWT_SECRET)
    resp = ask(client)
    assert resp.status_code == 503
    assert resp.json() == {"code": "assistant_unavailable",
                           "message": "智能助手暂时无法连接，请稍后再试；可先按办事指南解答来电。"}


def test_without_rasa_url_the_guide_says_it_is_not_configured(database: str):
    client = client_for(database, rasa_url=None)
    resp = ask(client)
    assert resp.status_code == 503 and resp.json()["code"] == "assistant_not_configured"


# -- reading Rasa's events -----------------------------------------------------------------------

def test_response_source_reads_the_domain_metadata_and_a_flat_source():
    assert response_source({"utter_action": "utter_x", "metadata": {"source": f" {SOURCE} "}}) == SOURCE
    assert response_source({"source": "依据"}) == "依据"
    assert response_source({"utter_action": "utter_x"}) is None
    assert response_source({"metadata": {"source": "  "}}) is None


def test_turn_messages_stop_at_the_next_user_message():
    events = [user_event("问", "t1"), bot_event("答一", "utter_a"), user_event("又问", "t2"),
              bot_event("答二", "utter_b")]
    assert [m.text for m in turn_messages(events, "t1")] == ["答一"]
    assert [m.text for m in turn_messages(events, "t2")] == ["答二"]


# -- the pages -----------------------------------------------------------------------------------

def test_demo_page_embeds_the_widget_with_the_public_rasa_url(database: str):
    client = client_for(database, rasa_url="http://10.0.0.5:5005", rasa_public_url='https://chat.example.cn/"x')
    page = client.get("/demo")
    assert page.status_code == 200
    assert "示例" in page.text
    assert '<script src="/widget/widget.js" data-rasa-url="https://chat.example.cn/&quot;x" defer></script>' in page.text


def test_demo_page_falls_back_to_rasa_url(database: str):
    client = client_for(database, rasa_url="http://127.0.0.1:5999")
    assert 'data-rasa-url="http://127.0.0.1:5999"' in client.get("/demo").text


@pytest.mark.parametrize("path,media", [("/widget/widget.js", "text/javascript"), ("/widget/widget.css", "text/css"),
                                        ("/hotline", "text/html"), ("/hotline/hotline.js", "text/javascript"),
                                        ("/hotline/hotline.css", "text/css")])
def test_pages_and_assets_are_served(path: str, media: str, database: str):
    client = client_for(database)
    resp = client.get(path)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith(media)


def test_only_listed_files_are_served(database: str):
    client = client_for(database)
    for path in ("/widget/../README.md", "/widget/%2e%2e/README.md", "/widget/package.json",
                 "/hotline/index.html"):
        assert client.get(path).status_code == 404, path
