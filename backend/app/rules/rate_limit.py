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

Kept in this process's memory: the backend runs as one process per deployment (see README);
several replicas would need a shared store.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

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
