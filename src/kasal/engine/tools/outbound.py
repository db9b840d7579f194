"""The one way Kasal reaches a URL that a user or a model chose (`fetch`).

Every call defends against server-side request forgery:
every address the host resolves to must be public (loopback, private, link-local,
multicast, reserved and other non-global ranges are refused unless the operator
sets `http_allow_private`), the connection goes to the checked address (so a DNS
answer cannot change between check and connect), redirects are followed by hand
and each hop is checked again (the caller's headers, which may carry a key, go to the
first origin only), and the body is capped in size and time.
Proxies from the environment are ignored: a proxy would connect on our behalf to
addresses we never checked.

No crewai here: the API process fetches through it too (an OpenAPI document by URL).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from kasal.engine.spec import ToolSettings
from kasal.engine.tools.addresses import AddressPolicy, checked_address, policy
from kasal.engine.tools.base import ToolError

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}


def policy_for(settings: ToolSettings) -> AddressPolicy:
    return policy(settings.http_allow_private)


@dataclass(frozen=True)
class Limits:
    timeout_s: float  # for the whole exchange, redirects included
    max_bytes: int  # of the body; the rest is not read


@dataclass(frozen=True)
class Fetched:
    """An answer, its body read up to the limits."""

    status_code: int
    reason: str
    url: str  # the final URL, after redirects
    content_type: str
    charset: str | None
    content: bytes
    truncated: bool

    def text(self) -> str:
        try:
            return self.content.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ToolError if it is not (or was cut)."""
        if self.truncated:
            raise ToolError(f"The answer of {self.url} is larger than the limit; it was cut.")
        try:
            return json.loads(self.content)
        except ValueError:
            raise ToolError(f"The answer of {self.url} is not JSON.") from None


def fetch(
    url: str,
    *,
    policy: AddressPolicy,
    limits: Limits,
    method: str = "GET",
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    allowed_hosts: Collection[str] = (),
) -> Fetched:
    """`url`, fetched safely (see the module's docstring). Every failure is a ToolError."""
    try:
        return _Exchange(policy, limits, dict(headers or {}), allowed_hosts).run(
            url, method, content
        )
    except (httpx.HTTPError, OSError) as exc:
        raise ToolError(f"The request to {url} failed: {exc or type(exc).__name__}") from None
    except UnicodeError as exc:  # a host name IDNA cannot encode, a body with a lone surrogate
        raise ToolError(f"The request to {url} cannot be sent: {exc}.") from None


class _Exchange:
    """One request and the redirects it leads to, within one deadline."""

    def __init__(
        self,
        policy: AddressPolicy,
        limits: Limits,
        headers: dict[str, str],
        allowed_hosts: Collection[str],
    ) -> None:
        self.policy = policy
        self.limits = limits
        self.headers = headers
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.deadline = time.monotonic() + limits.timeout_s
        self.origin: tuple[str, bytes] | None = None  # of the first request

    def run(self, url: str, method: str, content: bytes | None) -> Fetched:
        timeout = httpx.Timeout(self.limits.timeout_s)
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                request = self._pinned_request(client, url, method, content)
                response = client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code not in REDIRECTS or not location:
                        return self._read(response, url)
                finally:
                    response.close()
                url = urljoin(url, location)
                if response.status_code in (301, 302, 303):
                    method, content = "GET", None  # what browsers do; 307/308 keep the method
        raise ToolError(f"Too many redirects (more than {MAX_REDIRECTS}).")

    def _pinned_request(
        self, client: httpx.Client, url: str, method: str, content: bytes | None
    ) -> httpx.Request:
        """A request to the checked address of `url`'s host, keeping its name for Host/SNI."""
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ToolError(f"Invalid URL {url!r}: {exc}") from None
        host = target.host
        if target.scheme not in ("http", "https") or not host:
            raise ToolError(f"Only absolute http(s) URLs are allowed, not {url!r}.")
        if self.allowed_hosts and host.lower() not in self.allowed_hosts:
            raise ToolError(f"Host {host!r} is not in this tool's allowed hosts.")
        ip = checked_address(
            host, target.port or (443 if target.scheme == "https" else 80), self.policy
        )
        origin = (target.scheme, target.netloc)
        if self.origin is None:
            self.origin = origin
        elif origin != self.origin:
            self.headers = {}  # a key meant for one service must not follow a redirect away
        return client.build_request(
            method,
            target.copy_with(host=str(ip)),
            headers={**self.headers, "Host": target.netloc.decode("ascii")},
            content=content,
            extensions={"sni_hostname": host},
        )

    def _read(self, response: httpx.Response, url: str) -> Fetched:
        cap = self.limits.max_bytes
        data = b""
        cut = False
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > cap or time.monotonic() > self.deadline:
                cut = True
                break
        return Fetched(
            status_code=response.status_code,
            reason=response.reason_phrase,
            url=url,
            content_type=str(response.headers.get("content-type", "unknown")),
            charset=response.charset_encoding,
            content=data[:cap],
            truncated=cut,
        )
