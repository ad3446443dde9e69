"""A token bucket: how many messages one session may send in a burst and per minute.

A person types a handful of messages a minute; a script (or a stuck key) sends hundreds, and each
one may cost a grade and a model call. The clock is passed in so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """`per_minute` tokens refill evenly over a minute; a burst of up to `burst` (default:
    `per_minute`) is allowed after a pause."""

    def __init__(self, per_minute: int, *, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_minute = per_minute
        self.capacity = float(burst if burst is not None else per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.clock = clock
        self.tokens = self.capacity
        self.updated = clock()

    def take(self) -> float | None:
        """Spend a token: None when allowed, else the seconds until one is available."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate
