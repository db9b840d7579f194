"""`http_request`: lets an agent read the public web, and nothing else.

A model picks the URL, so the tool defends against server-side request forgery:
every address the host resolves to must be public (loopback, private, link-local,
multicast, reserved and other non-global ranges are refused unless the operator
sets `http_allow_private`), the connection goes to the checked address (so a DNS
answer cannot change between check and connect), redirects are followed by hand
and each hop is checked again, and the body is capped in size and time.
Proxies from the environment are ignored: a proxy would connect on our behalf to
addresses we never checked.
"""

from __future__ import annotations

import time
from typing import Literal
from urllib.parse import urljoin

import httpx
from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.spec import ToolSettings
from kasal.engine.tools.addresses import AddressPolicy, checked_address, policy
from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, HttpRequestConfig

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}


class HttpRequestArgs(BaseModel):
    url: str = Field(description="Absolute http or https URL.")
    method: Literal["GET", "POST"] = Field("GET", description="GET (default) or POST.")
    body: str | None = Field(None, description="Body to send with POST (JSON or text).")


class HttpRequestTool(BaseTool):
    name: str = "http_request"
    description: str = CATALOG["http_request"].description
    args_schema: type[BaseModel] = HttpRequestArgs
    settings: ToolSettings = Field(default_factory=ToolSettings)
    config: HttpRequestConfig = Field(default_factory=HttpRequestConfig)
    address_policy: AddressPolicy | None = Field(
        None, description="Overrides the public-address check (None: per settings)."
    )

    def _run(self, url: str, method: str = "GET", body: str | None = None) -> str:
        try:
            return self._fetch(url, method, body)
        except (httpx.HTTPError, OSError) as exc:
            raise ToolError(f"The request to {url} failed: {exc or type(exc).__name__}") from None
        except UnicodeError as exc:  # a host name IDNA cannot encode, a body with a lone surrogate
            raise ToolError(f"The request to {url} cannot be sent: {exc}.") from None

    def _fetch(self, url: str, method: str, body: str | None) -> str:
        deadline = time.monotonic() + self.settings.http_timeout_s
        timeout = httpx.Timeout(self.settings.http_timeout_s)
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                request = self._pinned_request(client, url, method, body)
                response = client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code not in REDIRECTS or not location:
                        return self._describe(response, deadline)
                finally:
                    response.close()
                url = urljoin(url, location)
                if response.status_code in (301, 302, 303):
                    method, body = "GET", None  # what browsers do; 307/308 keep the method
        raise ToolError(f"Too many redirects (more than {MAX_REDIRECTS}).")

    def _policy(self) -> AddressPolicy:
        if self.address_policy is not None:
            return self.address_policy
        return policy(self.settings.http_allow_private)

    def _pinned_request(
        self, client: httpx.Client, url: str, method: str, body: str | None
    ) -> httpx.Request:
        """A request to the checked address of `url`'s host, keeping its name for Host/SNI."""
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ToolError(f"Invalid URL {url!r}: {exc}") from None
        host = target.host
        if target.scheme not in ("http", "https") or not host:
            raise ToolError(f"Only absolute http(s) URLs are allowed, not {url!r}.")
        if self.config.allowed_hosts and host.lower() not in {
            h.lower() for h in self.config.allowed_hosts
        }:
            raise ToolError(f"Host {host!r} is not in this tool's allowed hosts.")
        port = target.port or (443 if target.scheme == "https" else 80)
        ip = checked_address(host, port, self._policy())
        headers = {"Host": target.netloc.decode("ascii")}
        if body is not None and body.lstrip().startswith(("{", "[")):
            headers["Content-Type"] = "application/json"
        return client.build_request(
            method,
            target.copy_with(host=str(ip)),
            headers=headers,
            content=body.encode() if body is not None else None,
            extensions={"sni_hostname": host},
        )

    def _describe(self, response: httpx.Response, deadline: float) -> str:
        cap = self.settings.http_max_bytes
        data = b""
        cut = False
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > cap or time.monotonic() > deadline:
                cut = True
                break
        data = data[:cap]
        try:
            text = data.decode(response.charset_encoding or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            text = data.decode("utf-8", errors="replace")
        head = f"HTTP {response.status_code} {response.reason_phrase}"
        kind = response.headers.get("content-type", "unknown")
        note = f"\n[truncated after {len(data)} bytes]" if cut else ""
        return f"{head}\nContent-Type: {kind}\n\n{text}{note}"
