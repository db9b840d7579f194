"""What a run needs to call the operations of an OpenAPI document the group registered.

The API process parses the document once, when it is registered (see the `openapi` domain),
into these plain models; a run receives the ones its crew names in `RunRequest.openapi`,
with the secret of the source's auth decrypted for this run only. Every `$ref` is already
resolved, so the engine never reads the document itself.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ParameterLocation = Literal["path", "query", "header"]
AuthType = Literal["none", "api_key", "bearer"]
KeyLocation = Literal["header", "query"]

# The argument that carries the request body; parameters never take this name (see the
# domain's parser, which renames a parameter that would).
BODY_ARG = "body"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenApiParameter(_Model):
    """One parameter of an operation: sent as `name`, offered to the model as `arg`."""

    name: str
    arg: str  # a Python identifier, unique within the operation's arguments
    location: ParameterLocation
    required: bool = False
    description: str = ""
    json_schema: dict[str, Any] = Field(default_factory=dict)


class OpenApiOperation(_Model):
    """One operation, which becomes one tool."""

    name: str  # the handle in `openapi:<source>/<name>`
    method: str  # upper case
    path: str  # the document's path template, e.g. /pets/{petId}
    summary: str = ""
    description: str = ""
    parameters: list[OpenApiParameter] = Field(default_factory=list)
    body_schema: dict[str, Any] | None = None  # a JSON request body; None: no body
    body_required: bool = False

    def args_schema(self) -> dict[str, Any]:
        """The JSON schema of the tool's arguments: the parameters, and `body` if any."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for parameter in self.parameters:
            schema = dict(parameter.json_schema)
            if parameter.description:
                schema["description"] = parameter.description
            properties[parameter.arg] = schema
            if parameter.required:
                required.append(parameter.arg)
        if self.body_schema is not None:
            properties[BODY_ARG] = {**self.body_schema, "description": "The JSON request body."}
            if self.body_required:
                required.append(BODY_ARG)
        return {"type": "object", "properties": properties, "required": required}


class OpenApiAuth(_Model):
    """How every call to the source authenticates. `secret` travels only inside a run."""

    type: AuthType = "none"
    location: KeyLocation | None = None  # api_key only
    name: str | None = None  # api_key only: the header or query parameter
    secret: SecretStr | None = None


class OpenApiSource(_Model):
    """A registered document as one run sees it."""

    name: str
    base_url: str
    auth: OpenApiAuth = Field(default_factory=OpenApiAuth)
    operations: list[OpenApiOperation]
    timeout_s: float = 15.0
    max_response_bytes: int = 100_000
