"""Failed-login limits per client address and per account (sliding window, in memory).

In memory is per API process: with N replicas an attacker gets at most N times the
budget, which still turns an online guessing attack from millions of tries into dozens.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

from kasal.core.errors import RateLimited


class LoginLimiter:
    def __init__(self, max_per_account: int, max_per_ip: int, window_s: int) -> None:
        self._limits = {"account": max_per_account, "ip": max_per_ip}
        self._window_s = window_s
        self._failures: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    def check(self, ip: str, account: str) -> None:
        now = time.monotonic()
        for kind, key in (("ip", ip), ("account", account.lower())):
            failures = self._recent((kind, key), now)
            if len(failures) >= self._limits[kind]:
                retry_after = math.ceil(failures[0] + self._window_s - now)
                raise RateLimited(
                    "too_many_login_attempts",
                    "Too many failed sign-in attempts. Try again later.",
                    retry_after_s=max(retry_after, 1),
                )

    def record_failure(self, ip: str, account: str) -> None:
        now = time.monotonic()
        self._failures[("ip", ip)].append(now)
        self._failures[("account", account.lower())].append(now)

    def record_success(self, account: str) -> None:
        self._failures.pop(("account", account.lower()), None)

    def reset(self) -> None:
        self._failures.clear()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self._window_s:
            failures.popleft()
        return failures
