"""`http_request`: the public web as is, and the base of every tool that calls out.

Every call goes through `outbound.fetch`, which holds the defences against server-side
request forgery and the size and time caps.
"""

from __future__ import annotations

from typing import Any, Literal

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.spec import ToolSettings
from kasal.engine.tools.addresses import AddressPolicy
from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, HttpRequestConfig
from kasal.engine.tools.outbound import Fetched, Limits, fetch, policy_for


class SafeHttpTool(BaseTool):
    """A tool that calls out through `fetch`, under the operator's address policy."""

    settings: ToolSettings = Field(default_factory=ToolSettings)
    address_policy: AddressPolicy | None = Field(
        None, description="Overrides the public-address check (None: per settings)."
    )

    def _fetch(self, url: str, limits: Limits | None = None, **options: Any) -> Fetched:
        policy = self.address_policy or policy_for(self.settings)
        limits = limits or Limits(self.settings.http_timeout_s, self.settings.http_max_bytes)
        return fetch(url, policy=policy, limits=limits, **options)


class HttpRequestArgs(BaseModel):
    url: str = Field(description="Absolute http or https URL.")
    method: Literal["GET", "POST"] = Field("GET", description="GET (default) or POST.")
    body: str | None = Field(None, description="Body to send with POST (JSON or text).")


class HttpRequestTool(SafeHttpTool):
    name: str = "http_request"
    description: str = CATALOG["http_request"].description
    args_schema: type[BaseModel] = HttpRequestArgs
    config: HttpRequestConfig = Field(default_factory=HttpRequestConfig)

    def _run(self, url: str, method: str = "GET", body: str | None = None) -> str:
        headers = {}
        if body is not None and body.lstrip().startswith(("{", "[")):
            headers["Content-Type"] = "application/json"
        try:
            content = body.encode() if body is not None else None
        except UnicodeError as exc:  # a lone surrogate
            raise ToolError(f"The request to {url} cannot be sent: {exc}.") from None
        answer = self._fetch(
            url,
            method=method,
            content=content,
            headers=headers,
            allowed_hosts=self.config.allowed_hosts,
        )
        head = f"HTTP {answer.status_code} {answer.reason}"
        note = f"\n[truncated after {len(answer.content)} bytes]" if answer.truncated else ""
        return f"{head}\nContent-Type: {answer.content_type}\n\n{answer.text()}{note}"
