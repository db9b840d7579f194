"""The OpenAPI document is the contract the web app's types are generated from: it must be
complete (ids, every error in the one shape, media types) and name the event types."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import ValidationError
from typer.testing import CliRunner

import kasal
from kasal.app import create_app
from kasal.cli import app as cli
from kasal.core.openapi import ErrorResponse
from kasal.engine.spec import EngineEvent
from kasal.events import EventType
from tests.support.app import make_settings

Operation = tuple[str, str, dict[str, Any]]
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


@pytest.fixture(scope="module")
def application(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """Built, never started: the document needs no database."""
    return create_app(
        make_settings("sqlite+aiosqlite:///unused.db", tmp_path_factory.mktemp("oas"))
    )


@pytest.fixture(scope="module")
def document(application: FastAPI) -> dict[str, Any]:
    return application.openapi()


@pytest.fixture(scope="module")
def routes(application: FastAPI) -> list[APIRoute]:
    return [
        cast(APIRoute, context)  # a context reads as its effective route
        for context in iter_route_contexts(application.routes)
        if isinstance(context.original_route, APIRoute) and context.include_in_schema
    ]


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_has_a_readable_unique_id(document: dict[str, Any]) -> None:
    ids = [operation.get("operationId", "") for _, _, operation in operations(document)]
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)+", i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    paths = document["paths"]
    assert paths["/api/v1/crews"]["post"]["operationId"] == "crews_create"
    assert paths["/api/v1/executions"]["get"]["operationId"] == "executions_list"
    assert paths["/api/v1/api-keys/{key_id}"]["patch"]["operationId"] == "api_keys_update"
    assert paths["/api/v1/auth/login"]["post"]["operationId"] == "auth_login"


def test_fastapi_validation_shape_is_gone(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in json.dumps(document)
    assert "ValidationError" not in document["components"]["schemas"]


def test_every_error_response_is_the_error_shape(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == ERROR_CONTENT, (method, path, status)
                assert response["description"], (method, path, status)
    schema = document["components"]["schemas"]["ErrorResponse"]
    assert schema["required"] == ["error"]
    info = document["components"]["schemas"]["ErrorInfo"]
    assert set(info["required"]) == {"code", "message", "details"}


def test_operations_that_take_input_document_422(document: dict[str, Any]) -> None:
    checked = 0
    for path, method, operation in operations(document):
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in operation["responses"], (method, path)
            checked += 1
        if "requestBody" in operation:
            assert "413" in operation["responses"], (method, path)
    assert checked > 50
    # The login reads its body itself (JSON or a form), yet it is still documented.
    assert "422" in document["paths"]["/api/v1/auth/login"]["post"]["responses"]


def test_authenticated_operations_document_401(document: dict[str, Any]) -> None:
    open_ones = set()
    for path, method, operation in operations(document):
        if operation.get("security"):
            assert "401" in operation["responses"], (method, path)
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        else:
            open_ones.add(operation["operationId"])
    assert open_ones == {
        "system_health",
        "system_ready",
        "system_info",
        "auth_login",
        "auth_refresh",
        "auth_logout",
    }
    assert "401" in document["paths"]["/api/v1/auth/login"]["post"]["responses"]


def _needs_a_role(dependant: Dependant) -> bool:
    """A role check: the instance-admin dependency, or one made by `auth.deps._role`."""
    for dependency in dependant.dependencies:
        name = getattr(dependency.call, "__qualname__", "")
        if name == "require_admin" or name.startswith("_role.") or _needs_a_role(dependency):
            return True
    return False


def test_role_gated_operations_document_403(
    routes: list[APIRoute], document: dict[str, Any]
) -> None:
    gated = [route for route in routes if _needs_a_role(route.dependant)]
    assert len(gated) > 20
    for route in gated:
        for method in route.methods:
            responses = document["paths"][route.path_format][method.lower()]["responses"]
            assert "403" in responses, (method, route.path_format)


def test_path_ids_and_the_active_group_document_404(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "{" in path or "x-kasal-group" in headers:
            assert "404" in operation["responses"], (method, path)


def test_conflicts_and_limits_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path, method in [
        ("/api/v1/crews", "post"),
        ("/api/v1/crews/{crew_id}", "put"),
        ("/api/v1/executions/{execution_id}/cancel", "post"),
        ("/api/v1/groups/{group_id}/members", "post"),
    ]:
        assert "409" in paths[path][method]["responses"], (method, path)
    login = paths["/api/v1/auth/login"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]
    assert "429" not in paths["/health"]["get"]["responses"]


def test_exports_imports_and_streams_declare_their_media_types(document: dict[str, Any]) -> None:
    paths = document["paths"]
    export = paths["/api/v1/crews/{crew_id}/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"application/yaml", "application/json", "application/zip"}
    assert export["application/zip"]["schema"] == {"type": "string", "format": "binary"}
    upload = paths["/api/v1/crews/import"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json", "application/yaml"} <= set(upload)
    assert upload["multipart/form-data"]["schema"]["required"] == ["file"]
    events = paths["/api/v1/executions/{execution_id}/events"]["get"]["responses"]["200"]
    assert set(events["content"]) == {"application/json", "text/event-stream"}


def test_event_types_are_the_catalogue_as_an_enum(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["EventType"]["enum"] == [member.value for member in EventType]
    assert schemas["EventRead"]["properties"]["type"] == {"$ref": "#/components/schemas/EventType"}


def test_the_engine_cannot_emit_a_type_outside_the_catalogue() -> None:
    assert EngineEvent(type="task.completed").type is EventType.task_completed
    with pytest.raises(ValidationError):
        EngineEvent(type="task.done")


# `<kind>.<word>` strings that are not events: file names, and the group feed's frame type.
_NOT_EVENTS = re.compile(r".*\.(ya?ml|json|zip|py)|execution\.status")
_EVENT_LIKE = re.compile(
    r"(execution|approval|flow|step|crew|task|agent|tool|knowledge|llm|memory)\.[a-z_]+"
)


def _string_constants(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_event_type_strings_are_written_only_in_the_catalogue() -> None:
    package = Path(kasal.__file__).parent
    catalogue = package / "events.py"
    strays = [
        f"{path.relative_to(package)}:{line}: {text!r}"
        for path in sorted(package.rglob("*.py"))
        if path != catalogue
        for line, text in _string_constants(path)
        if _EVENT_LIKE.fullmatch(text) and not _NOT_EVENTS.fullmatch(text)
    ]
    assert strays == []
    assert {text for _, text in _string_constants(catalogue) if _EVENT_LIKE.fullmatch(text)} == {
        member.value for member in EventType if member is not EventType.log
    }


def test_the_cli_prints_the_document_without_a_server(document: dict[str, Any]) -> None:
    printed = CliRunner().invoke(cli, ["openapi"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == document


async def test_the_errors_answered_are_the_documented_shape(client: httpx.AsyncClient) -> None:
    invalid = await client.post("/api/v1/auth/login", json={"username": 3})
    assert invalid.status_code == 422
    assert ErrorResponse.model_validate(invalid.json()).error.code == "validation_error"
    anonymous = await client.get("/api/v1/users/me")
    assert anonymous.status_code == 401
    assert ErrorResponse.model_validate(anonymous.json()).error.code == "not_authenticated"
