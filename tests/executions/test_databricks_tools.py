"""A crew that asks Databricks Genie, end to end against the fake workspace: the group's
stored databricks token (or, in Databricks Apps mode, the signed-in user's forwarded token,
and with nobody signed in the app's service principal's) reaches every workspace request and
no event, a missing token is a problem at save time, and a refused one fails the run with a
clear error."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

from kasal.auth.repository import UserRepository
from kasal.schedules import service as schedules
from tests.executions.support import (
    all_events,
    create_crew,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import Actor, make_actor
from tests.support.fake_workspace import GENIE_SQL, SPACE_ID, bearer, fake_workspace
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.server import LiveServer, live_settings

TOKEN = "dapi-e2e-group-token-1414213562"
EXPIRED = "dapi-e2e-expired-token-1732050807"
USER_TOKEN = "dapi-e2e-forwarded-user-token-2236067977"
CLIENT_ID = "6f1c1e2a-app-principal"
CLIENT_SECRET = "dose-e2e-principal-secret-1618033988"


async def test_a_crew_asks_genie_with_the_groups_token(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    with fake_workspace(TOKEN) as workspace:
        settings = live_settings(db_url, tmp_path, databricks_host=workspace.url)
        with LiveServer(settings) as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                model = await use_scripted_model(http, actor, llm_server)
                tools = [{"tool_id": "databricks_genie", "config": {"space_id": SPACE_ID}}]
                crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))

                refused = await http.post(
                    "/api/v1/executions",
                    json={"crew_id": crew_id, "inputs": {"topic": "sales"}},
                    headers=actor.headers,
                )
                assert refused.status_code == 422
                (problem,) = refused.json()["error"]["details"]
                assert problem["code"] == "missing_tool_key"
                assert "uses the Databricks workspace" in problem["message"]

                key = {"name": "Workspace", "provider": "databricks", "value": TOKEN}
                stored = await http.post("/api/v1/api-keys", json=key, headers=actor.headers)
                assert stored.status_code == 201, stored.text

                llm_server.script(
                    tool_call("databricks_genie", {"question": "What is the revenue by region?"}),
                    text("North leads with 120.50."),
                    text("North sells most."),
                )
                done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
                events = await all_events(http, actor, done["id"])

                # The token expires: the next run stops at the first workspace call.
                update = {"value": EXPIRED}
                patched = await http.patch(
                    f"/api/v1/api-keys/{stored.json()['id']}", json=update, headers=actor.headers
                )
                assert patched.status_code == 200, patched.text
                llm_server.script(
                    tool_call("databricks_genie", {"question": "Revenue?"}),
                    text("never read"),
                )
                failed = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
                failed_events = await all_events(http, actor, failed["id"])

    assert done["status"] == "succeeded", done
    calls = workspace.api_requests()
    assert [r.method for r in calls[:2]] == ["POST", "GET"]
    assert calls[0].path == f"/api/2.0/genie/spaces/{SPACE_ID}/start-conversation"
    answer = llm_server.chat_requests[1].prompt
    assert GENIE_SQL in answer
    assert "north | 120.50" in answer
    completed = next(e for e in events if e["type"] == "tool.completed")
    assert completed["data"]["tool_id"] == "databricks_genie"
    assert "Conversation id:" in completed["data"]["output"]
    assert TOKEN not in json.dumps(events)

    assert failed["status"] == "failed", failed
    assert "The Databricks workspace refused the token (HTTP 401)" in failed["error"]
    assert "never read" not in json.dumps(failed_events)
    assert EXPIRED not in json.dumps(failed_events) + json.dumps(failed)
    assert {bearer(r) for r in calls if r.path.endswith("start-conversation")} == {TOKEN, EXPIRED}
    assert {bearer(r) for r in calls[:3]} == {TOKEN}  # the first run's calls


async def test_a_run_without_a_workspace_host_fails_saying_what_to_set(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    with LiveServer(live_settings(db_url, tmp_path)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            model = await use_scripted_model(http, actor, llm_server)
            key = {"name": "Workspace", "provider": "databricks", "value": TOKEN}
            stored = await http.post("/api/v1/api-keys", json=key, headers=actor.headers)
            assert stored.status_code == 201, stored.text
            tools = [{"tool_id": "databricks_sql", "config": {"warehouse_id": "wh"}}]
            crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))
            failed = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
    assert failed["status"] == "failed", failed
    assert "DATABRICKS_HOST" in failed["error"]
    assert llm_server.chat_requests == []


async def test_in_databricks_apps_the_tools_call_with_the_users_token(
    app: FastAPI, llm_server: ScriptedLLMServer, db_url: str, tmp_path: Path
) -> None:
    email = "ana@corp.example"
    headers = {"X-Forwarded-Email": email, "X-Forwarded-Access-Token": USER_TOKEN}
    with fake_workspace(USER_TOKEN) as workspace:
        settings = live_settings(
            db_url, tmp_path, auth_mode="databricks", databricks_host=workspace.url
        )
        with LiveServer(settings) as server:
            async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
                assert (await http.get("/api/v1/crews")).status_code == 200  # provisions Ana
                async with app.state.sessionmaker() as session:
                    user = await UserRepository(session).by_email(email)
                assert user is not None
                actor = Actor(user, headers)
                model = await use_scripted_model(http, actor, llm_server)
                tools = [{"tool_id": "databricks_genie", "config": {"space_id": SPACE_ID}}]
                created = await http.post("/api/v1/crews", json=two_step_crew(model, tools=tools))
                assert created.status_code == 201, created.text
                assert created.json()["problems"] == []  # no stored databricks key needed
                genie = (await http.get("/api/v1/tools/databricks_genie")).json()
                assert genie["credentials"] == [{"provider": "databricks", "configured": True}]
                llm_server.script(
                    tool_call("databricks_genie", {"question": "Revenue by region?"}),
                    text("North leads."),
                    text("North sells most."),
                )
                run = await start(http, actor, created.json()["id"])
                done = await wait_for(http, actor, run["id"])
                events = await all_events(http, actor, done["id"])
                keys = (await http.get("/api/v1/api-keys")).json()["items"]

    assert done["status"] == "succeeded", done
    assert len(workspace.api_requests()) == 3
    assert {bearer(r) for r in workspace.api_requests()} == {USER_TOKEN}
    assert USER_TOKEN not in json.dumps(events) + json.dumps(done)
    assert [k["provider"] for k in keys] == ["openai"]  # the user's token was never stored


async def test_runs_with_no_user_present_act_as_the_apps_service_principal(
    app: FastAPI, llm_server: ScriptedLLMServer, db_url: str, tmp_path: Path
) -> None:
    """A user's run calls the workspace with the user's token; a trigger's and a schedule's
    run, with nobody signed in, with the OAuth token of the app's service principal."""
    email = "ben@corp.example"
    headers = {"X-Forwarded-Email": email, "X-Forwarded-Access-Token": USER_TOKEN}
    with fake_workspace(USER_TOKEN, clients={CLIENT_ID: CLIENT_SECRET}) as workspace:
        settings = live_settings(
            db_url,
            tmp_path,
            auth_mode="databricks",
            databricks_host=workspace.url,
            databricks_client_id=CLIENT_ID,
            databricks_client_secret=CLIENT_SECRET,
        )
        with LiveServer(settings) as server:
            async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
                assert (await http.get("/api/v1/crews")).status_code == 200  # provisions Ben
                async with app.state.sessionmaker() as session:
                    user = await UserRepository(session).by_email(email)
                assert user is not None
                actor = Actor(user, headers)
                model = await use_scripted_model(http, actor, llm_server)
                tools = [{"tool_id": "databricks_genie", "config": {"space_id": SPACE_ID}}]
                crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))

                def script(answer: str) -> None:
                    llm_server.script(
                        tool_call("databricks_genie", {"question": f"{answer}?"}),
                        text(answer),
                        text(answer),
                    )

                script("By the user")
                users = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
                user_calls = len(workspace.api_requests())

                trigger = await http.post(
                    "/api/v1/triggers", json={"crew_id": crew_id, "name": "Nightly"}
                )
                assert trigger.status_code == 201, trigger.text
                script("By the trigger")
                fired = await http.post(
                    f"/api/v1/triggers/{trigger.json()['id']}/fire",
                    json={"topic": "sales"},
                    headers={"Authorization": f"Bearer {trigger.json()['token']}"},
                )
                assert fired.status_code == 202, fired.text
                triggered = await wait_for(http, actor, fired.json()["id"])
                trigger_calls = len(workspace.api_requests())

                body = {"crew_id": crew_id, "name": "Brief", "cron": "*/5 * * * *"}
                schedule = await http.post(
                    "/api/v1/schedules", json={**body, "inputs": {"topic": "sales"}}
                )
                assert schedule.status_code == 201, schedule.text
                script("By the schedule")
                first = datetime.fromisoformat(schedule.json()["next_fire_times"][0])
                state = server.app.state
                server.call(
                    schedules.fire_due(
                        state.sessionmaker,
                        state.bus,
                        state.dispatcher,
                        first,
                        120,
                        settings.service_principal,
                    )
                )
                fires = await http.get(f"/api/v1/schedules/{schedule.json()['id']}/fires")
                (fire,) = fires.json()["items"]
                assert fire["execution_id"], fire
                scheduled = await wait_for(http, actor, fire["execution_id"])
                events = [
                    await all_events(http, actor, run["id"]) for run in (triggered, scheduled)
                ]

    assert [run["status"] for run in (users, triggered, scheduled)] == ["succeeded"] * 3
    calls = workspace.api_requests()
    assert {bearer(r) for r in calls[:user_calls]} == {USER_TOKEN}
    principal = {bearer(r) for r in calls[user_calls:]}
    assert len(principal) == 1  # one token, cached by the SDK across both runs
    assert {workspace.issued[t] for t in principal if t} == {CLIENT_ID}
    assert any(r.path.endswith("start-conversation") for r in calls[user_calls:trigger_calls])
    assert any(r.path.endswith("start-conversation") for r in calls[trigger_calls:])
    token_requests = [r for r in workspace.requests if r.path == "/oidc/v1/token"]
    assert len(token_requests) == 1
    leaked = json.dumps(events) + json.dumps([triggered, scheduled])
    assert not any(token in leaked for token in principal if token)
    assert CLIENT_SECRET not in leaked
