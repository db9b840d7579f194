"""The OpenAPI document, complete: readable operation ids and every error in the one shape.

FastAPI documents the success response of each route and a 422 in its own
`HTTPValidationError` shape, which is not what Kasal answers. This module gives every
operation the errors it can really answer, all as `ErrorResponse`, derived from what the
route is made of rather than listed by hand, so a new route is documented by construction:

- 422 wherever the operation takes input (parameters or a body);
- 413 wherever it takes a body, and 429 on every `/api` operation (the edge limits);
- 404 wherever the path names a resource (a row of another group is "not found" too);
- whatever its dependencies declare with `@raises(...)` (sign-in: 401, a role: 403, the
  active group: 404), however deep they are nested;
- what only its service knows (a name taken: 409), declared on the route with
  `responses=error_responses(Conflict)`.

`kasal openapi` prints the document without starting a server or touching a database;
the web app generates its API types from that output.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, cast

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

from kasal.core.errors import InvalidInput, KasalError, NotFound, RateLimited

ERROR_SCHEMA = "ErrorResponse"
_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
_ERRORS_ATTRIBUTE = "__kasal_raises__"
# FastAPI's own 422 shape; Kasal never answers it (core/http.py turns it into ours).
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

_DESCRIPTIONS = {
    401: "Not signed in, or the token is not valid (or expired)",
    403: "Your role does not allow this",
    404: "No such resource (in your group)",
    409: "The request conflicts with the current state",
    413: "The request body is too large",
    422: "The request is not valid",
    429: "Too many requests: wait as long as Retry-After says",
}
_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": "How to authenticate (RFC 6750)",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer"},
        }
    },
}


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable and machine-readable, e.g. `crew_not_found`")
    message: str = Field(description="For humans; may change between versions")
    details: list[Any] = Field(description="Per-field problems, offending values, hints")


class ErrorResponse(BaseModel):
    """Every error Kasal answers, whatever the status."""

    error: ErrorInfo


Call = TypeVar("Call", bound=Callable[..., Any])


def raises(*errors: type[KasalError]) -> Callable[[Call], Call]:
    """Declare the errors a dependency can raise, so every route that uses it (directly or
    through other dependencies) documents them."""

    def declare(dependency: Call) -> Call:
        setattr(dependency, _ERRORS_ATTRIBUTE, errors)
        return dependency

    return declare


# A Server-Sent Events body, as clients (and schemathesis) read it: a series of events,
# each with an `event` name, its `data` (JSON text) and, where it can be resumed, an `id`.
SSE_CONTENT: dict[str, Any] = {
    "text/event-stream": {
        "schema": {
            "type": "object",
            "properties": {
                "event": {"type": "string"},
                "data": {"type": "string", "description": "The event as JSON"},
                "id": {"type": "string"},
            },
        }
    }
}


def error_responses(*errors: type[KasalError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the errors only a route's service knows it can raise."""
    return {status: _response(status) for status in sorted({e.status_code for e in errors})}


def operation_id(route: APIRoute) -> str:
    """`crews_create`, `executions_list`, `auth_login`: the tag, then the function's verb.

    The tag's noun is dropped from the end of the function name (`create_crew` in
    `crews`), so generated clients read `crews.create` rather than `crews.create_crew`.
    """
    tag = str(route.tags[0]) if route.tags else "default"
    prefix = tag.replace("-", "_")
    words = route.name.split("_")
    noun = prefix.split("_")
    for form in (noun, [*noun[:-1], noun[-1].removesuffix("s")]):
        if len(words) > len(form) and words[-len(form) :] == form:
            words = words[: -len(form)]
            break
    return f"{prefix}_{'_'.join(words)}"


def install(app: FastAPI) -> None:
    """Make `app.openapi()` (and `/api/openapi.json`) answer the completed document."""
    generate = app.openapi
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = generate()  # cached by FastAPI until the routes change
        if not completed or completed[0] is not document:
            complete(document, app)
            completed[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], app: FastAPI) -> None:
    """Add the derived error responses to every operation of `document`, in place."""
    for route in _api_routes(app):
        for method in route.methods or ():
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation["responses"]
            declared = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
            for status in declared | _derived(route, operation):
                given = responses.get(str(status), {}).get("description")
                responses[str(status)] = _response(status, given)
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    definition = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(definition.pop("$defs", {}))
    schemas[ERROR_SCHEMA] = definition
    document["components"]["schemas"] = dict(sorted(schemas.items()))


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield cast(APIRoute, context)  # a context reads as its effective route


def _derived(route: APIRoute, operation: dict[str, Any]) -> set[int]:
    statuses = {e.status_code for e in _declared_by_dependencies(route.dependant)}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(InvalidInput.status_code)
    if "requestBody" in operation:
        statuses.add(413)
    if route.path_format.startswith("/api/"):
        statuses.add(RateLimited.status_code)
    if "{" in route.path_format:
        statuses.add(NotFound.status_code)
    return statuses


def _declared_by_dependencies(dependant: Dependant) -> Iterable[type[KasalError]]:
    for dependency in dependant.dependencies:
        yield from getattr(dependency.call, _ERRORS_ATTRIBUTE, ())
        yield from _declared_by_dependencies(dependency)


def _response(status: int, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description or _DESCRIPTIONS.get(status) or http.HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": _REF}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response
