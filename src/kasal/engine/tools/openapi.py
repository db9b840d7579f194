"""`openapi:<source>[/<operation>]`: the operations of a registered OpenAPI document as tools.

Each operation is one tool whose arguments are its parameters (and `body`, the JSON request
body). The argument schema the model sees is the document's, but the values are passed on
as the model wrote them: the API itself is the judge of its input, and an answer such as
"422: name is required" is what helps the model correct a call. Every call goes through
`outbound.fetch` (public addresses only, unless the operator allows private ones; time and
size caps), and the source's secret never reaches the model: it is cut out of every text
the tool returns or raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from crewai.tools import BaseTool
from pydantic import BaseModel, Field, create_model
from pydantic_core import to_jsonable_python

from kasal.engine.openapi_spec import BODY_ARG, OpenApiOperation, OpenApiSource
from kasal.engine.spec import RunRequest
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.http import SafeHttpTool
from kasal.engine.tools.outbound import Limits
from kasal.engine.tools.refs import SourceFacts, SourceRef

ERROR_BODY_CHARS = 2_000  # of a failed call's body, in the error the model reads
REDACTED = "[secret]"


def source_facts(request: RunRequest) -> dict[tuple[str, str], SourceFacts]:
    """The rules' view of the documents resolved for this run (only enabled ones are)."""
    return {
        ("openapi", name): SourceFacts(True, frozenset(op.name for op in source.operations))
        for name, source in request.openapi.items()
    }


def openapi_tools(ref: SourceRef, ctx: ToolContext) -> list[BaseTool]:
    """One tool per operation the reference names (all of them for `openapi:<source>`)."""
    source = ctx.request.openapi[ref.source]
    return [
        OpenApiOperationTool(
            name=f"{source.name}_{operation.name}",
            description=_description(operation),
            args_schema=_args_model(operation),
            settings=ctx.request.tools,
            source=source,
            operation=operation,
        )
        for operation in source.operations
        if ref.tool in (None, operation.name)
    ]


class OpenApiOperationTool(SafeHttpTool):
    source: OpenApiSource
    operation: OpenApiOperation

    def _run(self, **arguments: Any) -> str:
        call = _Call.of(self.source, self.operation, to_jsonable_python(arguments))
        limits = Limits(
            min(self.source.timeout_s, self.settings.http_timeout_s),
            min(self.source.max_response_bytes, self.settings.http_max_bytes),
        )
        try:
            answer = self._fetch(
                call.url,
                limits=limits,
                method=self.operation.method,
                content=call.content,
                headers=call.headers,
            )
        except ToolError as exc:
            raise ToolError(self._redact(str(exc))) from None
        head = f"HTTP {answer.status_code} {answer.reason}"
        text = self._redact(answer.text())
        if not 200 <= answer.status_code < 300:
            where = f"{self.operation.method} {self.operation.path}"
            raise ToolError(f"{where} answered {head}: {text[:ERROR_BODY_CHARS]}")
        note = f"\n[truncated after {len(answer.content)} bytes]" if answer.truncated else ""
        return f"{head}\nContent-Type: {answer.content_type}\n\n{text}{note}"

    def _redact(self, text: str) -> str:
        """`text` without the secret, as sent or as a query string encodes it."""
        if self.source.auth.secret is None:
            return text
        secret = self.source.auth.secret.get_secret_value()
        for form in (secret, quote_plus(secret), quote(secret, safe="")):
            text = text.replace(form, REDACTED)
        return text


@dataclass
class _Call:
    """The URL, headers and body of one call, from the model's arguments and the auth."""

    base_url: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=lambda: {"Accept": "application/json"})
    content: bytes | None = None

    @classmethod
    def of(
        cls, source: OpenApiSource, operation: OpenApiOperation, arguments: Mapping[str, Any]
    ) -> _Call:
        call = cls(source.base_url, operation.path)
        for parameter in operation.parameters:
            value = arguments.get(parameter.arg)
            if value is None:
                if parameter.required:
                    raise ToolError(f"The argument {parameter.arg!r} is required.")
                continue
            if parameter.location == "path":
                call.path = call.path.replace(f"{{{parameter.name}}}", quote(_text(value), safe=""))
            elif parameter.location == "query":
                values = value if isinstance(value, list) else [value]
                call.query.extend((parameter.name, _text(v)) for v in values)
            else:
                call.headers[parameter.name] = _text(value)
        body = arguments.get(BODY_ARG) if operation.body_schema is not None else None
        if body is not None:
            call.content = json.dumps(body).encode()
            call.headers["Content-Type"] = "application/json"
        call._authenticate(source)
        return call

    def _authenticate(self, source: OpenApiSource) -> None:
        """Last, so that no parameter the model fills can replace or shadow the secret."""
        auth = source.auth
        if auth.secret is None or auth.type == "none":
            return
        secret = auth.secret.get_secret_value()
        if auth.type == "bearer":
            self._set_header("Authorization", f"Bearer {secret}")
        elif auth.location == "query" and auth.name:
            self.query = [(k, v) for k, v in self.query if k != auth.name]
            self.query.append((auth.name, secret))
        elif auth.name:
            self._set_header(auth.name, secret)

    def _set_header(self, name: str, value: str) -> None:
        self.headers = {k: v for k, v in self.headers.items() if k.lower() != name.lower()}
        self.headers[name] = value

    @property
    def url(self) -> str:
        query = f"?{urlencode(self.query)}" if self.query else ""
        return f"{self.base_url.rstrip('/')}{self.path}{query}"


def _text(value: Any) -> str:
    """A parameter value as it goes on the wire (JSON for booleans, objects and arrays)."""
    return value if isinstance(value, str) else json.dumps(value)


def _description(operation: OpenApiOperation) -> str:
    summary = operation.summary or operation.description or operation.name
    return f"{summary} ({operation.method} {operation.path})"


def _args_model(operation: OpenApiOperation) -> type[BaseModel]:
    """The tool's arguments: the document's schemas for the model to read, any value kept."""
    schema = operation.args_schema()
    required = set(schema["required"])
    fields: dict[str, Any] = {
        arg: (Any, Field(... if arg in required else None, json_schema_extra=arg_schema))
        for arg, arg_schema in schema["properties"].items()
    }
    return create_model(f"{operation.name}_args", **fields)
