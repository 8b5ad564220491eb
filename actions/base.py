"""What every action that talks to the backend shares: the non-blocking call and the
one way of saying that the backend failed."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.backend import ApiError, ApiResult, BackendClient
from actions.refusals import refusal_messages


async def call_backend(tracker: Tracker, method: str, *args: Any, **kwargs: Any) -> ApiResult:
    """Run one `BackendClient` method in a worker thread: the event loop never blocks.

    The client is built per call from the environment, with the conversation's sender id
    as its X-Client-Id."""
    client = BackendClient.from_env(client_id=tracker.sender_id)
    return await asyncio.to_thread(getattr(client, method), *args, **kwargs)


def utter_backend_error(dispatcher: CollectingDispatcher, error: ApiError) -> None:
    """A failed call: 'unavailable, try later / 12333', or the domain's response for the
    refusal's code (actions/refusals.py); the backend's own message is never shown."""
    if error.transient:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return
    for response, values in refusal_messages(error):
        dispatcher.utter_message(response=response, **values)


class BackendAction(Action, ABC):
    """Base of actions that call the backend; subclasses define `name` and `run`."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    async def backend(self, tracker: Tracker, method: str, *args: Any, **kwargs: Any) -> ApiResult:
        return await call_backend(tracker, method, *args, **kwargs)
