"""The hotline guide's API: agents (staff) put a caller's question to the same assistant
applicants talk to, and get its answer with the rule it rests on."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from app import answers
from app.api.deps import SessionDep, SettingsDep, StaffDep
from app.core.errors import AppError, error_responses
from app.services import audit
from app.services.assistant import AssistantUnavailable, RasaAssistant

router = APIRouter(prefix="/hotline", tags=["hotline"], responses=error_responses(401))
logger = logging.getLogger(__name__)

NO_SOURCE = "（该回答未标注依据）"


class HotlineQuestion(BaseModel):
    question: str = Field(min_length=1, max_length=500)
    # One conversation per agent and caller, chosen by the page (e.g. the agent's number
    # and a call counter); the Rasa sender id is "hotline-<conversation>".
    conversation: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


def get_assistant(settings: SettingsDep) -> RasaAssistant:
    if not settings.rasa_url:
        raise AppError(503, "assistant_not_configured", "智能助手未配置（RASA_URL），暂时无法使用。")
    return RasaAssistant(settings.rasa_url, settings.rasa_jwt_secret, timeout=settings.hotline_timeout_seconds)


AssistantDep = Annotated[RasaAssistant, Depends(get_assistant)]


@router.post("/ask", response_model=answers.HotlineAnswer, responses=error_responses(400, 413, 422, 503))
def ask(body: HotlineQuestion, actor: StaffDep, assistant: AssistantDep, session: SessionDep) -> dict:
    sender_id = f"hotline-{body.conversation}"
    # The question itself is not kept: a caller's ID number may be in it. Recorded once the
    # assistant has answered (or not): no transaction stays open while Rasa thinks.
    try:
        messages = assistant.ask(sender_id, body.question.strip())
    except AssistantUnavailable as exc:
        logger.warning("hotline: the assistant did not answer (%s)", exc)
        audit.record(session, actor=f"{actor}:hotline", action="hotline_ask", target=sender_id)
        raise AppError(503, "assistant_unavailable", "智能助手暂时无法连接，请稍后再试；可先按办事指南解答来电。",
                       keep_writes=True) from exc
    audit.record(session, actor=f"{actor}:hotline", action="hotline_ask", target=sender_id)
    return {
        "conversation": body.conversation,
        "sender_id": sender_id,
        # `citation` is what the agent sees: the response's source, or that it has none.
        "messages": [{**m.public(), "citation": m.source or NO_SOURCE} for m in messages],
    }
