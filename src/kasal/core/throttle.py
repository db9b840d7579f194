"""The general API rate limit: per credential, and per client address.

A request that presents a credential (a bearer token; in Databricks Apps mode the forwarded
user) spends that credential's budget; one that presents none spends its address's budget.
Valid credentials do not spend the address's budget, because behind a proxy (Databricks
Apps, a company NAT) many users share one address and would throttle each other. A request
that presents a credential and is answered 401 does spend it, and a credential is refused
while its address is out of budget: made-up tokens cannot buy unlimited requests.

Counting uses `limits`' moving window in memory, whose entries expire with the window. It
is per API process (see `kasal.auth.ratelimit` for why that is enough).
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasal.core.errors import error_body

_EXEMPT = ("/health",)


class RateLimitMiddleware:
    """Pure ASGI; placed outside the body guard, so a throttled client's body is never read."""

    def __init__(self, app: ASGIApp, limit: str, *, trust_forwarded_email: bool) -> None:
        self.app = app
        self._item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._trust_forwarded_email = trust_forwarded_email

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        address = ("ip", scope["client"][0] if scope.get("client") else "unknown")
        credential = self._credential(scope)
        if credential is not None and self._limiter.test(self._item, *address):
            spent = credential
        else:
            spent = address  # no credential, or one from an address already out of budget
        if not self._limiter.hit(self._item, *spent):
            await self._refuse(scope, receive, send, spent)
            return

        async def charge_failed_credential(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self._limiter.hit(self._item, *address)
            await send(message)

        await self.app(scope, receive, send if spent == address else charge_failed_credential)

    def _credential(self, scope: Scope) -> tuple[str, str] | None:
        headers = dict(scope["headers"])
        scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            # Keyed by a digest: the limiter's memory never holds a usable token.
            return ("token", hashlib.sha256(token.strip()).hexdigest())
        email = headers.get(b"x-forwarded-email")
        if self._trust_forwarded_email and email:
            return ("user", email.decode("latin-1").lower())
        return None

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, str]
    ) -> None:
        reset_at = self._limiter.get_window_stats(self._item, *key).reset_time
        retry_after = max(math.ceil(reset_at - time.time()), 1)
        body = error_body("rate_limited", f"Too many requests; try again in {retry_after} s")
        response = JSONResponse(body, status_code=429, headers={"Retry-After": str(retry_after)})
        await response(scope, receive, send)
