"""A hung action server answered within seconds, honestly.

Rasa 3.6 waits up to 300 s for the action server (`DEFAULT_REQUEST_TIMEOUT`, with no
setting in endpoints.yml) and, when the call fails, logs that the action's events are lost
and goes on as if the action had run, without a word to the applicant. Here, in the Rasa
process (imported by `bot/__init__.py`, which Rasa imports for its channels):

- each call to the action server ends after `ACTION_TIMEOUT_SECONDS` (default 8: the
  actions' own backend calls end after 3 s, so a healthy action server is well inside it);
- a call that times out, cannot connect or gets a 5xx is answered with the domain's
  `utter_action_server_unavailable` as the action's only event. Nothing else of the
  action happens: no slot is set, a form asks its question again, and a submission that
  may or may not have reached the backend is sent again with the same idempotency key when
  the applicant retries (the backend returns the one application).

A validation refusal (400 from the action server) is not a failure and goes on as Rasa
handles it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

UNAVAILABLE_RESPONSE = "utter_action_server_unavailable"
DEFAULT_ACTION_TIMEOUT_SECONDS = 8.0


def action_timeout_seconds() -> float:
    return float(os.environ.get("ACTION_TIMEOUT_SECONDS") or DEFAULT_ACTION_TIMEOUT_SECONDS)


def bound_remote_actions() -> None:
    """Idempotent: Rasa may import the channels more than once."""
    import rasa.core.actions.action as action_module
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
    from rasa.shared.exceptions import RasaException

    if getattr(RemoteAction.run, "_bounded", False):
        return
    # RemoteAction.run reads this module global for its request's timeout.
    action_module.DEFAULT_REQUEST_TIMEOUT = action_timeout_seconds()
    unbounded_run = RemoteAction.run

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
        try:
            return await unbounded_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except (RasaException, asyncio.TimeoutError) as failure:
            logger.error("Action server failed on %s (%s): told the applicant, the action's events are dropped",
                         self.name(), type(failure.__cause__ or failure).__name__)
            message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
            return [create_bot_utterance(message)] if message else []

    run._bounded = True  # type: ignore[attr-defined]
    RemoteAction.run = run  # type: ignore[method-assign]
