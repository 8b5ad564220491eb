"""Rasa's Redis lock store, kept working while Redis is away.

With several Rasa processes the lock store in Redis keeps one turn of a conversation at a
time, whichever process runs it. Rasa's `RedisLockStore` raises when Redis cannot be
reached, and Rasa then answers the turn with silence (the REST channel returns `[]`, the
widget shows nothing). Here each process falls back to its own in-memory locks for as long
as Redis fails (nginx keeps a widget or WeChat conversation on one process, so its turns
are still taken one at a time) and goes back to Redis as soon as it answers again.

deploy/endpoints.yml:
    lock_store:
      type: bot.lock_store.FallbackRedisLockStore
      url: <host>
      port: <port>
      db: <db>
      key_prefix: zjcert
      socket_timeout: 1
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Text

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)


class FallbackRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # a custom lock store gets its endpoint config
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        if "socket_timeout" in kwargs:
            kwargs["socket_timeout"] = float(kwargs["socket_timeout"])
        super().__init__(**kwargs)
        self.local = InMemoryLockStore()
        self._redis_down = False

    def _fell_back(self, error: Exception) -> None:
        if not self._redis_down:
            logger.warning("lock_store.redis_unreachable error=%s: this process locks alone until Redis "
                           "answers again", type(error).__name__)
        self._redis_down = True

    def _back(self) -> None:
        if self._redis_down:
            logger.warning("lock_store.redis_back: locks are shared again")
        self._redis_down = False

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        try:
            lock = super().get_lock(conversation_id)
        except redis.RedisError as e:
            self._fell_back(e)
            return self.local.get_lock(conversation_id)
        self._back()
        # A turn that began while Redis was away holds its lock here until it ends.
        return lock or self.local.get_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        if self.local.get_lock(lock.conversation_id) is not None:
            self.local.save_lock(lock)
            return
        try:
            super().save_lock(lock)
            self._back()
        except redis.RedisError as e:
            self._fell_back(e)
            self.local.save_lock(lock)

    def delete_lock(self, conversation_id: Text) -> None:
        if self.local.get_lock(conversation_id) is not None:
            self.local.delete_lock(conversation_id)
            return
        try:
            super().delete_lock(conversation_id)
            self._back()
        except redis.RedisError as e:
            self._fell_back(e)
