"""OpenAPI operations as tools, against a real local API that records what reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crewai.tools import BaseTool
from crewai.utilities.agent_utils import convert_tools_to_openai_schema
from pydantic import SecretStr

from kasal.engine.openapi_spec import OpenApiAuth, OpenApiSource
from kasal.engine.spec import CrewSpec, RunRequest, ToolRef, ToolSettings
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.factory import build_tools
from kasal.openapi.document import parse
from tests.cli.support import free_port
from tests.support.pet_api import DOCUMENT, PetApi, pet_api

SECRET = "pets-SECRET-0123456789+/="  # what a query string encodes, too
ALLOW_LOOPBACK = ToolSettings(http_allow_private=True)


@pytest.fixture(scope="module")
def module_api() -> Iterator[PetApi]:
    with pet_api() as running:
        yield running


@pytest.fixture
def api(module_api: PetApi) -> PetApi:
    module_api.received.clear()
    return module_api


def _source(api: PetApi, auth: OpenApiAuth | None = None, **values: Any) -> OpenApiSource:
    return OpenApiSource(
        name="pets",
        base_url=f"{api.url}/v1",
        auth=auth or OpenApiAuth(),
        operations=parse(DOCUMENT).operations,
        **values,
    )


def _tools(
    source: OpenApiSource, tool_id: str, tmp_path: Path, settings: ToolSettings = ALLOW_LOOPBACK
) -> dict[str, BaseTool]:
    request = RunRequest(
        execution_id="run",
        crew=CrewSpec(name="c", agents=[], tasks=[]),
        work_dir=str(tmp_path),
        tools=settings,
        openapi={source.name: source},
    )
    tools = build_tools([ToolRef(tool_id=tool_id)], ToolContext(request, tmp_path))
    return {tool.name: tool for tool in tools}


def test_a_source_gives_a_tool_per_operation_with_its_parameters(
    tmp_path: Path, api: PetApi
) -> None:
    tools = _tools(_source(api), "openapi:pets", tmp_path)
    assert sorted(tools) == ["pets_createPet", "pets_getPet", "pets_listPets"]
    schemas, _, _ = convert_tools_to_openai_schema(list(tools.values()))
    by_name = {s["function"]["name"]: s["function"] for s in schemas}
    get_pet = by_name["pets_get_pet"]
    assert "One pet by id (GET /pets/{petId})" in get_pet["description"]
    properties = get_pet["parameters"]["properties"]
    assert properties["petId"]["type"] == "integer"
    assert properties["petId"]["description"] == "The pet's id"
    assert set(properties) == {"petId", "X_Trace_Id"}
    body = by_name["pets_create_pet"]["parameters"]["properties"]["body"]
    assert body["properties"]["name"] == {"type": "string"}  # the $ref, resolved


def test_one_operation_alone(tmp_path: Path, api: PetApi) -> None:
    assert list(_tools(_source(api), "openapi:pets/getPet", tmp_path)) == ["pets_getPet"]


def test_path_query_header_and_body_reach_the_api(tmp_path: Path, api: PetApi) -> None:
    tools = _tools(_source(api), "openapi:pets", tmp_path)
    one = tools["pets_getPet"].run(petId=42, X_Trace_Id="trace-1")
    listed = tools["pets_listPets"].run(limit=5, tag="dog")
    created = tools["pets_createPet"].run(body={"name": "Fido", "tag": "dog"})
    assert one.startswith("HTTP 200 OK")
    assert '"id": 42' in one
    assert '"Rex"' in listed
    assert created.startswith("HTTP 201")
    assert '"Fido"' in created
    get_call, list_call, post_call = api.calls
    assert (get_call.method, get_call.path) == ("GET", "/v1/pets/42")
    assert get_call.headers["x-trace-id"] == "trace-1"
    assert list_call.query == {"limit": "5", "tag": "dog"}
    assert (post_call.method, post_call.body) == ("POST", {"name": "Fido", "tag": "dog"})
    assert post_call.headers["content-type"] == "application/json"


def test_a_path_argument_cannot_leave_its_segment(tmp_path: Path, api: PetApi) -> None:
    tools = _tools(_source(api), "openapi:pets/getPet", tmp_path)
    with pytest.raises(ToolError):  # the API answers 404 for the encoded id
        tools["pets_getPet"].run(petId="1/../../openapi.json")
    assert api.calls[0].path == "/v1/pets/1%2F..%2F..%2Fopenapi.json"


@pytest.mark.parametrize(
    ("auth", "where"),
    [
        (OpenApiAuth(type="api_key", location="header", name="X-Api-Key"), "header"),
        (OpenApiAuth(type="api_key", location="query", name="api_key"), "query"),
        (OpenApiAuth(type="bearer"), "bearer"),
    ],
)
def test_the_auth_reaches_the_api_and_never_the_model(
    tmp_path: Path, api: PetApi, auth: OpenApiAuth, where: str
) -> None:
    source = _source(api, auth.model_copy(update={"secret": SecretStr(SECRET)}))
    tool = _tools(source, "openapi:pets/getPet", tmp_path)["pets_getPet"]
    answer = tool.run(petId=1, X_Trace_Id="no")
    [call] = api.calls
    sent = {
        "header": call.headers.get("x-api-key"),
        "query": call.query.get("api_key"),
        "bearer": call.headers.get("authorization"),
    }[where]
    assert sent == (f"Bearer {SECRET}" if where == "bearer" else SECRET)
    assert SECRET not in answer


def test_a_failed_call_tells_the_model_the_status_and_body(tmp_path: Path, api: PetApi) -> None:
    tool = _tools(_source(api), "openapi:pets/getPet", tmp_path)["pets_getPet"]
    with pytest.raises(ToolError, match=r"GET /pets/\{petId\} answered HTTP 404 Not Found") as e:
        tool.run(petId=404)
    assert "no pet with id 404" in str(e.value)


def test_a_private_address_is_refused_unless_the_operator_allows_it(
    tmp_path: Path, api: PetApi
) -> None:
    tool = _tools(_source(api), "openapi:pets/getPet", tmp_path, ToolSettings())["pets_getPet"]
    with pytest.raises(ToolError, match=r"Refused: .* a loopback address"):
        tool.run(petId=1)
    assert not api.calls


def test_an_error_never_shows_the_secret(tmp_path: Path, api: PetApi) -> None:
    """A failed connection names the URL, which holds a query key: the key is cut out."""
    auth = OpenApiAuth(type="api_key", location="query", name="key", secret=SecretStr(SECRET))
    source = _source(api, auth).model_copy(update={"base_url": f"http://127.0.0.1:{free_port()}"})
    tool = _tools(source, "openapi:pets/getPet", tmp_path)["pets_getPet"]
    with pytest.raises(ToolError, match="failed") as failed:
        tool.run(petId=1)
    assert "key=[secret]" in str(failed.value)
    assert SECRET not in str(failed.value)


def test_the_answer_is_cut_at_the_source_limit(tmp_path: Path, api: PetApi) -> None:
    source = _source(api, max_response_bytes=10)
    answer = _tools(source, "openapi:pets/listPets", tmp_path)["pets_listPets"].run()
    assert answer.endswith("[truncated after 10 bytes]")
