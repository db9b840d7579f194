"""Every route with an id in its path, called with another group's id, answers 404.

The routes come from the app's OpenAPI document, so a new route is covered the day it is
added. Which resource a route is about is read from its first path parameter (`{crew_id}`
is a crew); a seeder per parameter name creates one in the owner's team through the API.
A route whose parameter has no seeder fails the test: its author adds a line to SEEDERS
(or, for data that is not a group's, to NOT_GROUP_DATA with the reason).

Each route is called with the team's ids by a stranger (their own personal group), by a
member of the team acting in another group of theirs (X-Kasal-Group), and last by the owner,
who must not get a 404: that proves the ids were real.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from kasal.auth.models import Role
from kasal.engine.embeddings import OFFLINE_MODEL
from kasal.engine.vectors import LanceStore, Record
from kasal.memory.folders import folder_for
from tests.approvals.support import paused_run
from tests.factories import Actor, add_api_key, add_to_group, crew_document, make_actor, make_crew
from tests.factories import make_group as create_group
from tests.support.pet_api import DOCUMENT

PATH_PARAMETER = re.compile(r"\{(\w+)\}")
_names = itertools.count(1)


@dataclass(frozen=True)
class Tenancy:
    """The owner's team (group A), a stranger in no shared group, and a member of the team
    who also has a group of their own (group B)."""

    owner: Actor
    team: uuid.UUID
    stranger: Actor
    member: Actor
    data_dir: Path  # the server's, for data no API creates (memories are saved by runs)
    app: FastAPI  # for data only a run creates (a paused run's approval)


Seeder = Callable[[httpx.AsyncClient, Tenancy], Awaitable[dict[str, str]]]


async def _post(client: httpx.AsyncClient, world: Tenancy, url: str, body: Any) -> Any:
    response = await client.post(url, json=body, headers=world.owner.in_group(world.team))
    assert response.status_code in (201, 202), f"seeding {url}: {response.text}"
    return response.json()


async def seed_crew(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    crew = await make_crew(client, world.owner, crew_document("Secret"), group_id=world.team)
    return {"crew_id": crew["id"], "version": "1"}


async def seed_flow(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    crew = await seed_crew(client, world)
    step = {"key": "only", "kind": "crew", "crew_id": crew["crew_id"]}
    flow = await _post(client, world, "/api/v1/flows", {"name": "Secret flow", "steps": [step]})
    return {"flow_id": flow["id"], "version": "1"}


async def seed_execution(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    crew = await seed_crew(client, world)
    run = {"crew_id": crew["crew_id"], "inputs": {"topic": "secrets", "audience": "us"}}
    execution = await _post(client, world, "/api/v1/executions", run)
    return {"execution_id": execution["id"], "path": "report.md"}


async def seed_agent(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    return {"agent_id": (await _post(client, world, "/api/v1/agents", {"role": "Spy"}))["id"]}


async def seed_task(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    return {"task_id": (await _post(client, world, "/api/v1/tasks", {"name": "Spy"}))["id"]}


async def seed_api_key(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    key = await add_api_key(client, world.owner, "openai", "sk-secret", group_id=world.team)
    return {"key_id": str(key["id"])}


async def seed_model(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    key = f"team-model-{next(_names)}"
    body = {"key": key, "provider": "openai", "model": "gpt-4o-mini"}
    return {"key": (await _post(client, world, "/api/v1/models", body))["key"]}


async def seed_mcp_server(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    # A public address needs no allow-list; nothing answers there, so its test fails fast.
    body = {
        "name": f"team-mcp-{next(_names)}",
        "transport": "streamable_http",
        "url": "http://8.8.8.8:9/mcp",
        "headers": {"Authorization": "Bearer secret"},
        "connect_timeout_s": 0.5,
    }
    return {"server_id": (await _post(client, world, "/api/v1/mcp-servers", body))["id"]}


async def seed_token(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/tokens", json={"name": "secret"}, headers=world.owner.headers
    )
    assert response.status_code == 201, response.text
    return {"token_id": response.json()["id"]}


async def seed_openapi_source(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    body = {"name": "secret", "document": DOCUMENT, "base_url": "https://api.example.com"}
    return {"source_id": (await _post(client, world, "/api/v1/openapi-sources", body))["id"]}


async def seed_connection(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    # A file that does not exist: its test fails at once, read-only mode never creates it.
    body = {"name": f"team-db-{next(_names)}", "url": "sqlite:////nonexistent/kasal-tenant.db"}
    return {"connection_id": (await _post(client, world, "/api/v1/connections", body))["id"]}


async def seed_chat(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    crew = await seed_crew(client, world)
    chat = await _post(client, world, "/api/v1/chats", {"crew_id": crew["crew_id"]})
    return {"chat_id": chat["id"]}


async def seed_knowledge_base(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    base = await _post(client, world, "/api/v1/knowledge", {"name": f"kb-{next(_names)}"})
    response = await client.post(
        f"/api/v1/knowledge/{base['id']}/files",
        files={"file": ("secret.md", b"# Secret")},
        headers=world.owner.in_group(world.team),
    )
    assert response.status_code == 201, f"seeding a knowledge file: {response.text}"
    return {"base_id": base["id"], "file_id": response.json()["id"]}


async def seed_memory(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    """A memory of the team's crew, written where its runs save them (no run needed)."""
    document = {**crew_document("Remembers"), "memory": "crew", "embedder": OFFLINE_MODEL}
    crew = await make_crew(client, world.owner, document, group_id=world.team)
    folder = folder_for(world.data_dir, world.team, "crew", uuid.UUID(crew["id"]))
    LanceStore(folder).add([Record(id="m-secret", text="secret", vector=[1.0, 0.0], source="/")])
    return {"memory_id": "m-secret", "query": f"crew_id={crew['id']}"}


async def seed_schedule(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    crew = await seed_crew(client, world)
    body = {"crew_id": crew["crew_id"], "name": "nightly", "cron": "0 3 * * *"}
    return {"schedule_id": (await _post(client, world, "/api/v1/schedules", body))["id"]}


async def seed_trigger(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    crew = await seed_crew(client, world)
    body = {"crew_id": crew["crew_id"], "name": "ci"}
    return {"trigger_id": (await _post(client, world, "/api/v1/triggers", body))["id"]}


async def seed_webhook(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    body = {"url": "https://8.8.8.8/kasal-hook", "events": ["execution.succeeded"]}
    return {"webhook_id": (await _post(client, world, "/api/v1/webhooks", body))["id"]}


async def seed_group(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    return {"group_id": str(world.team), "user_id": str(world.member.user.id)}


async def seed_approval(client: httpx.AsyncClient, world: Tenancy) -> dict[str, str]:
    _, approval_id = await paused_run(world.app, world.team)
    return {"approval_id": approval_id}


SEEDERS: dict[str, Seeder] = {
    "crew_id": seed_crew,
    "flow_id": seed_flow,
    "execution_id": seed_execution,
    "agent_id": seed_agent,
    "task_id": seed_task,
    "key_id": seed_api_key,
    "key": seed_model,
    "token_id": seed_token,
    "server_id": seed_mcp_server,
    "group_id": seed_group,
    "source_id": seed_openapi_source,
    "connection_id": seed_connection,
    "chat_id": seed_chat,
    "base_id": seed_knowledge_base,
    "memory_id": seed_memory,
    "schedule_id": seed_schedule,
    "trigger_id": seed_trigger,
    "webhook_id": seed_webhook,
    "approval_id": seed_approval,
}
NOT_GROUP_DATA = {
    "tool_id": "built-in tools are one catalogue for every group; a group only switches them",
    "user_id": "users are instance-wide and managed by instance admins only (403 to others)",
}
# Routes whose path holds no group's id, each with the reason; their own tests cover them.
_TEMPLATE = "a template's key is a name every group has its own copy of (tests/templates)"
NOT_BY_ID = {
    "POST /api/v1/triggers/{trigger_id}/fire": "opened by the trigger's own secret, not by a "
    "user: another group's user gets the 401 anyone without it gets (tests/triggers)",
    "GET /api/v1/templates/{key}": _TEMPLATE,
    "PUT /api/v1/templates/{key}": _TEMPLATE,
    "POST /api/v1/templates/{key}/reset": _TEMPLATE,
}
# Where the group is the path's subject, a member of it rightly sees it whatever their
# X-Kasal-Group says; only the stranger applies there.
ADDRESSED_BY_PATH = {"group_id"}

# Bodies for the request schemas that have required fields; others get `{}` or nothing.
BODIES: dict[str, Callable[[Tenancy], Any]] = {
    "CrewCreate": lambda _: crew_document("Draft"),
    "CrewReplace": lambda _: {**crew_document("Changed"), "version": 1},
    "FlowReplace": lambda _: {"name": "Changed", "version": 1},
    "FlowCreate": lambda _: {"name": "Draft flow"},
    "CrewPatch": lambda _: {"version": 1, "description": "changed"},
    "GroupUpdate": lambda _: {"name": "Renamed"},
    "MemberAdd": lambda world: {"email": world.stranger.user.email, "role": "viewer"},
    "MemberUpdate": lambda _: {"role": "viewer"},
    "MessageCreate": lambda _: {"content": "Hello"},
    "SearchRequest": lambda _: {"query": "secret"},
    "ApprovalAnswer": lambda _: {"decision": "approve"},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    definition: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def parameters(self) -> list[str]:
        return PATH_PARAMETER.findall(self.path)


def id_operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, definition)
        for path, methods in document["paths"].items()
        for method, definition in methods.items()
        if PATH_PARAMETER.search(path)
    ]


def request_body(
    operation: Operation, document: dict[str, Any], world: Tenancy
) -> tuple[bool, Any]:
    """(whether to send a body, the body) for an operation, from its request schema. A form
    (an upload) gets a small text file in each of its fields."""
    content = operation.definition.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        ref = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
        fields = document["components"]["schemas"][ref]["properties"]
        return True, {"files": dict.fromkeys(fields, ("tenant.md", b"# tenant"))}
    if "application/json" not in content:
        return False, None
    schema = content["application/json"]["schema"]
    ref = next((s["$ref"] for s in [schema, *schema.get("anyOf", [])] if "$ref" in s), None)
    if ref is None:  # a body without a named schema: send none
        return False, None
    name = ref.rsplit("/", 1)[-1]
    if name in BODIES:
        return True, BODIES[name](world)
    required = document["components"]["schemas"][name].get("required", [])
    assert not required, f"{operation.label}: add a {name} body with {required} to BODIES"
    return True, {}


async def _call(
    client: httpx.AsyncClient, operation: Operation, url: str, body: tuple[bool, Any], **kw: Any
) -> httpx.Response:
    send, payload = body
    if send and isinstance(payload, dict) and set(payload) == {"files"}:
        kw["files"] = payload["files"]
    elif send:
        kw["json"] = payload
    return await client.request(operation.method, url, **kw)


def _not_found(response: httpx.Response) -> bool:
    if response.status_code != 404:
        return False
    error = response.json().get("error", {})
    return (
        str(error.get("code", "")).endswith("_not_found")
        and isinstance(error.get("message"), str)
        and isinstance(error.get("details"), list)
    )


async def _check(
    client: httpx.AsyncClient, operation: Operation, world: Tenancy, document: dict[str, Any]
) -> list[str]:
    """What went wrong for one operation (nothing when all is well)."""
    first = operation.parameters[0]
    ids = await SEEDERS[first](client, world)
    missing = set(operation.parameters) - set(ids)
    if missing:
        return [f"{operation.label}: the {first} seeder gives no {sorted(missing)}"]
    url = operation.path.format(**ids) + (f"?{ids['query']}" if "query" in ids else "")
    body = request_body(operation, document, world)
    callers = {"stranger": world.stranger.headers}
    if first not in ADDRESSED_BY_PATH:
        own_group = world.member.user.personal_group_id
        callers["team member in their own group"] = world.member.in_group(own_group)
    problems = []
    for who, headers in callers.items():
        response = await _call(client, operation, url, body, headers=headers)
        if not _not_found(response):
            problems.append(
                f"{operation.method} {url} as {who}: {response.status_code} {response.text}"
            )
    owner = await _call(client, operation, url, body, headers=world.owner.in_group(world.team))
    if owner.status_code == 404:  # then the 404s above prove nothing
        problems.append(f"{operation.method} {url} as its owner: 404 {owner.text[:300]!r}")
    return problems


async def _tenancy(app: FastAPI, client: httpx.AsyncClient) -> Tenancy:
    owner, stranger, member = [await make_actor(app, client) for _ in range(3)]
    team = await create_group(client, owner, "Team A")
    await add_to_group(app, team, member.user, Role.editor)
    return Tenancy(owner, team, stranger, member, app.state.settings.data_dir, app)


async def test_another_groups_ids_are_not_found_on_every_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    document = app.openapi()
    operations = [o for o in id_operations(document) if o.label not in NOT_BY_ID]
    unknown = {
        f"{{{o.parameters[0]}}} ({o.label})"
        for o in operations
        if o.parameters[0] not in SEEDERS and o.parameters[0] not in NOT_GROUP_DATA
    }
    assert not unknown, f"no seeder for {sorted(unknown)}: add one to SEEDERS in {__name__}"
    problems: list[str] = []
    for operation in operations:
        if operation.parameters[0] in SEEDERS:
            # A fresh team per route: a write that got through must not spoil the next one.
            problems += await _check(client, operation, await _tenancy(app, client), document)
    covered = sum(o.parameters[0] in SEEDERS for o in operations)
    assert not problems, f"{len(problems)} problems on {covered} routes:\n" + "\n".join(problems)
