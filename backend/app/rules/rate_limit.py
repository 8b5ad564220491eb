"""Limits on look-ups of personal data (name + ID number), so the lists cannot be walked
through, without handing a stranger a way to lock the holder out.

What is limited is each client's own behaviour:
- every look-up, per client (`per_client` in the window);
- wrong guesses (name and ID number matching nothing), per client (`misses_per_client`) and
  per client and ID number (`misses_per_client_id`).
A correct name and ID number is refused only when that same client is over its own limits:
however many wrong names other clients try for an ID number, its holder still gets in.

The global brake: when an ID number collects `brake_misses_per_id` wrong guesses from all
clients within `brake_window_seconds`, every client's allowance for that ID number drops to
`BRAKED_MISSES_PER_CLIENT_ID` (one typo forgiven). A guesser spread over many addresses then
needs a new client for every second guess; the holder, who types their own name, is not
refused by it.

`LookupLimiter` keeps the windows in this process's memory (`make run`: one backend).
`RedisLookupLimiter` keeps them in Redis sorted sets, so that every replica counts the same
guesses (REDIS_URL; deploy/, `make cluster`); each check and record is one Lua script, atomic
across replicas. While Redis cannot be reached it falls back to its own in-memory limiter,
so a look-up is neither let through unchecked nor refused for an outage of the store.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

log = logging.getLogger("rate_limit")

# Wrong guesses a client may make for an ID number while that number is braked.
BRAKED_MISSES_PER_CLIENT_ID = 2
# Keys kept before idle ones are forgotten (each window's keys are few unless attacked).
MAX_KEYS = 50_000


class SlidingWindow:
    """Moments of events per key within the last `window_seconds`."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def _current(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def count(self, key: str, now: float) -> int:
        if key not in self._events:
            return 0
        return len(self._current(key, now))

    def wait(self, key: str, limit: int, now: float) -> float | None:
        """Seconds until the key is below `limit` again; None when it is below now."""
        if key not in self._events:
            return None if limit > 0 else self.window
        events = self._current(key, now)
        if len(events) < limit:
            return None
        if limit <= 0 or not events:
            return self.window
        return max(1.0, events[len(events) - limit] + self.window - now)

    def add(self, key: str, now: float) -> None:
        if len(self._events) > MAX_KEYS:
            self._forget_idle(now)
        self._events[key].append(now)

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, events in self._events.items() if not events or events[-1] <= now - self.window]
        for key in idle:
            del self._events[key]


@dataclass(frozen=True)
class LookupLimits:
    per_client: int = 30
    misses_per_client: int = 10
    misses_per_client_id: int = 5
    window_seconds: float = 600
    brake_misses_per_id: int = 50
    brake_window_seconds: float = 3600


class LookupLimiter:
    """`admit` before a look-up (seconds to wait when refused), `missed` after a wrong guess."""

    def __init__(self, limits: LookupLimits, clock=time.monotonic) -> None:  # noqa: ANN001
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._lookups = SlidingWindow(limits.window_seconds)
        self._client_misses = SlidingWindow(limits.window_seconds)
        self._client_id_misses = SlidingWindow(limits.window_seconds)
        self._id_misses = SlidingWindow(limits.brake_window_seconds)
        # ID numbers are kept only as keyed hashes, the key living and dying with the process.
        self._salt = secrets.token_bytes(16)

    def id_key(self, id_number: str) -> str:
        return hashlib.blake2b(id_number.encode(), key=self._salt, digest_size=16).hexdigest()

    def _allowance(self, id_key: str, now: float) -> int:
        limits = self.limits
        if self._id_misses.count(id_key, now) >= limits.brake_misses_per_id:
            return min(limits.misses_per_client_id, BRAKED_MISSES_PER_CLIENT_ID)
        return limits.misses_per_client_id

    def admit(self, client: str, id_number: str) -> float | None:
        """Record one look-up by `client` of `id_number`, or say how long the client must wait."""
        id_key = self.id_key(id_number)
        now = self._clock()
        with self._lock:
            waits = [
                self._lookups.wait(client, self.limits.per_client, now),
                self._client_misses.wait(client, self.limits.misses_per_client, now),
                self._client_id_misses.wait(f"{client}\n{id_key}", self._allowance(id_key, now), now),
            ]
            refused = [w for w in waits if w is not None]
            if refused:
                return max(refused)
            self._lookups.add(client, now)
            return None

    def missed(self, client: str, id_number: str) -> None:
        """The look-up matched nothing: a wrong guess by this client."""
        id_key = self.id_key(id_number)
        now = self._clock()
        with self._lock:
            self._client_misses.add(client, now)
            self._client_id_misses.add(f"{client}\n{id_key}", now)
            self._id_misses.add(id_key, now)


# One look-up's check and record, atomic in Redis. The windows are sorted sets of moments
# (score) with unique members; the same rules as `SlidingWindow.wait` and `_allowance`.
# KEYS: lookups[client], misses[client], misses[client, id], misses[id]
# ARGV: now, window, brake_window, per_client, misses_per_client, misses_per_client_id,
#       brake_misses_per_id, braked_allowance, member
_ADMIT = """
local now, window, brake_window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, 3 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window) end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - brake_window)
local allowance = tonumber(ARGV[6])
if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[7]) then
  allowance = math.min(allowance, tonumber(ARGV[8]))
end
local limits = {tonumber(ARGV[4]), tonumber(ARGV[5]), allowance}
local longest = nil
for i = 1, 3 do
  local count, limit, wait = redis.call('ZCARD', KEYS[i]), limits[i], nil
  if count >= limit then
    if limit <= 0 or count == 0 then
      wait = window
    else
      local oldest = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
      wait = math.max(1, tonumber(oldest[2]) + window - now)
    end
  end
  if wait and (not longest or wait > longest) then longest = wait end
end
if longest then return tostring(longest) end
redis.call('ZADD', KEYS[1], now, ARGV[9])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return false
"""

# A wrong guess, recorded in three windows at once. KEYS: misses[client], misses[client, id],
# misses[id]; ARGV: now, window, brake_window, member.
_MISSED = """
local now, window, brake_window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, 3 do redis.call('ZADD', KEYS[i], now, ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
redis.call('PEXPIRE', KEYS[2], math.ceil(window * 1000))
redis.call('PEXPIRE', KEYS[3], math.ceil(brake_window * 1000))
return 1
"""


class RedisLookupLimiter:
    """`LookupLimiter`'s rules with the windows in Redis, shared by every backend replica.

    ID numbers appear only as hashes keyed with a salt kept in Redis itself (made once by
    whichever replica comes first), so the replicas agree on the keys and nothing in Redis
    reveals an ID number. Moments are wall-clock seconds: monotonic clocks differ between
    processes."""

    def __init__(self, client: "redis.Redis", limits: LookupLimits, *, prefix: str = "zj-cert:lookup",
                 clock=time.time) -> None:  # noqa: ANN001
        self.limits = limits
        self._redis = client
        self._prefix = prefix
        self._clock = clock
        self._admit = client.register_script(_ADMIT)
        self._missed = client.register_script(_MISSED)
        self._salt: bytes | None = None
        # Used while Redis is unreachable: this replica's own counts, as under `make run`.
        self.fallback = LookupLimiter(limits, clock=clock)

    def _shared_salt(self) -> bytes:
        if self._salt is None:
            key = f"{self._prefix}:salt"
            self._redis.set(key, secrets.token_bytes(16), nx=True)
            self._salt = self._redis.get(key)
        return self._salt

    def id_key(self, id_number: str) -> str:
        return hashlib.blake2b(id_number.encode(), key=self._shared_salt(), digest_size=16).hexdigest()

    def _keys(self, client: str, id_key: str) -> dict[str, str]:
        p = self._prefix
        return {"lookups": f"{p}:lookups:{client}", "client_misses": f"{p}:misses:{client}",
                "client_id_misses": f"{p}:misses:{client}:{id_key}", "id_misses": f"{p}:id-misses:{id_key}"}

    def _unreachable(self, exc: Exception) -> None:
        log.warning("look-up limiter: Redis unreachable (%s); this replica counts alone meanwhile",
                    type(exc).__name__)

    def admit(self, client: str, id_number: str) -> float | None:
        import redis

        limits = self.limits
        try:
            keys = self._keys(client, self.id_key(id_number))
            wait = self._admit(
                keys=[keys["lookups"], keys["client_misses"], keys["client_id_misses"], keys["id_misses"]],
                args=[repr(self._clock()), limits.window_seconds, limits.brake_window_seconds,
                      limits.per_client, limits.misses_per_client, limits.misses_per_client_id,
                      limits.brake_misses_per_id, BRAKED_MISSES_PER_CLIENT_ID, uuid.uuid4().hex])
        except redis.RedisError as exc:
            self._unreachable(exc)
            return self.fallback.admit(client, id_number)
        return None if wait is None else float(wait)

    def missed(self, client: str, id_number: str) -> None:
        import redis

        limits = self.limits
        try:
            keys = self._keys(client, self.id_key(id_number))
            self._missed(keys=[keys["client_misses"], keys["client_id_misses"], keys["id_misses"]],
                         args=[repr(self._clock()), limits.window_seconds, limits.brake_window_seconds,
                               uuid.uuid4().hex])
        except redis.RedisError as exc:
            self._unreachable(exc)
            self.fallback.missed(client, id_number)
