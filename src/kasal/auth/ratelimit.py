"""Failed-login limits per client address and per account (moving window, in memory).

Counted with `limits`' moving window in its memory storage, which drops an address's or
account's entries once they leave the window: an attacker cycling through made-up accounts
cannot grow this process's memory without bound.

In memory is per API process: with N replicas an attacker gets at most N times the
budget, which still turns an online guessing attack from millions of tries into dozens.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from kasal.core.errors import RateLimited

_NAMESPACE = "login"


class LoginLimiter:
    def __init__(self, max_per_account: int, max_per_ip: int, window_s: int) -> None:
        self._items: dict[str, RateLimitItem] = {
            "account": RateLimitItemPerSecond(max_per_account, window_s, namespace=_NAMESPACE),
            "ip": RateLimitItemPerSecond(max_per_ip, window_s, namespace=_NAMESPACE),
        }
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    def check(self, ip: str, account: str) -> None:
        for kind, key in self._keys(ip, account):
            item = self._items[kind]
            if not self._limiter.test(item, kind, key):
                reset_at = self._limiter.get_window_stats(item, kind, key).reset_time
                raise RateLimited(
                    "too_many_login_attempts",
                    "Too many failed sign-in attempts. Try again later.",
                    retry_after_s=max(math.ceil(reset_at - time.time()), 1),
                )

    def record_failure(self, ip: str, account: str) -> None:
        for kind, key in self._keys(ip, account):
            self._limiter.hit(self._items[kind], kind, key)

    def record_success(self, account: str) -> None:
        self._limiter.clear(self._items["account"], "account", account.lower())

    def reset(self) -> None:
        self._storage.reset()

    @staticmethod
    def _keys(ip: str, account: str) -> tuple[tuple[str, str], ...]:
        return (("ip", ip), ("account", account.lower()))
