"""What applicants asked that the assistant could not place: user messages that fell to
`nlu_fallback` or came under the confidence threshold, with the bot's answer that followed.

Read (read-only) from the table Rasa's own SQL event broker writes (`events`: id, sender_id,
data as JSON), not from trackers. Every text shown is masked: ID numbers, mobiles, landlines.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from pickup_rules.masking import mask_for_log, mask_ids_in_text
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.core.clock import CHINA
from app.core.errors import AppError

FALLBACK_INTENT = "nlu_fallback"
# The most recent events read per request: weeks of a busy assistant, bounded.
MAX_EVENTS = 50_000
# Landlines with their area code (0571-87654321): pickup_rules masks mobiles and IDs.
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")


def mask_text(value: str) -> str:
    masked = mask_for_log(mask_ids_in_text(value))
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-{'*' * len(m.group(2))}{m.group(3)}", masked)


@dataclass
class Question:
    sender_id: str
    at: dt.datetime
    text: str
    intent: str  # the best guess, under the threshold (or what fell to nlu_fallback)
    confidence: float
    answer: list[str]

    def public(self) -> dict:
        week = self.at.astimezone(CHINA).isocalendar()
        return {"at": self.at.isoformat(), "week": f"{week.year}-W{week.week:02d}",
                "text": mask_text(self.text), "intent": self.intent,
                "confidence": round(self.confidence, 3), "answer": [mask_text(a) for a in self.answer]}


@lru_cache(maxsize=4)
def events_engine(url: str) -> Engine:
    return create_engine(_read_only(url), hide_parameters=True, pool_pre_ping=True)


def _not_written_yet(exc: SQLAlchemyError) -> bool:
    """Rasa creates the file and its table when it starts: before that there is nothing to read."""
    text_ = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text_ or "unable to open database file" in text_ or "does not exist" in text_


def _read_only(url: str) -> str:
    """A SQLite file is opened read-only (and not created when Rasa has not written it yet)."""
    if url.startswith("sqlite:///") and "?" not in url and url != "sqlite:///:memory:":
        return f"sqlite:///file:{url[len('sqlite:///'):]}?mode=ro&uri=true"
    return url


def _typed(event: dict, intent: str | None) -> bool:
    """What a person typed: not a button's `/intent` payload, not an event the backend pushed
    through Rasa's trigger_intent (EXTERNAL_pickup_notice, EXTERNAL_application_update)."""
    typed = (event.get("text") or "").strip()
    return bool(typed) and not typed.startswith(("/", "EXTERNAL:")) and not (intent or "").startswith("EXTERNAL_")


def _best_guess(parse: dict) -> tuple[str, float]:
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name") or "", float(intent.get("confidence") or 0.0)
    if name == FALLBACK_INTENT:
        for ranked in parse.get("intent_ranking") or []:
            if ranked.get("name") != FALLBACK_INTENT:
                return ranked.get("name") or FALLBACK_INTENT, float(ranked.get("confidence") or 0.0)
    return name or FALLBACK_INTENT, confidence


def unanswered_questions(engine: Engine, *, threshold: float, since: dt.datetime) -> list[Question]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, sender_id, data FROM events ORDER BY id DESC LIMIT :n"),
                                {"n": MAX_EVENTS}).all()
    except SQLAlchemyError as exc:
        if _not_written_yet(exc):
            return []
        raise AppError(503, "events_unavailable", "暂时无法读取对话事件记录，请稍后再试。") from exc
    questions: list[Question] = []
    open_question: dict[str, Question | None] = {}
    for _, sender_id, data in reversed(rows):
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            continue
        kind = event.get("event")
        if kind == "user":
            open_question[sender_id] = None
            at = dt.datetime.fromtimestamp(float(event.get("timestamp") or 0), dt.timezone.utc)
            parse = event.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name")
            guess, confidence = _best_guess(parse)
            if at >= since and (intent == FALLBACK_INTENT or confidence < threshold) and _typed(event, intent):
                question = Question(sender_id, at, event.get("text") or "", guess, confidence, [])
                questions.append(question)
                open_question[sender_id] = question
        elif kind == "bot" and open_question.get(sender_id) is not None and event.get("text"):
            open_question[sender_id].answer.append(event["text"])
    return questions


def weekly_report(questions: list[Question]) -> dict:
    counts = Counter((q.public()["week"], q.intent) for q in questions)
    return {
        "total": len(questions),
        "by_week_and_intent": [{"week": w, "intent": i, "count": n} for (w, i), n in
                               sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]), reverse=False)],
        "questions": [q.public() for q in sorted(questions, key=lambda q: q.at, reverse=True)],
    }
