"""The files of a run: a task's `output_file` written in the run folder, listed and
downloaded from the run, scoped to its group, refused outside the folder, gone after the
retention sweep.

Real HTTP, real worker processes, the scripted LLM server, real folders.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from kasal.core.db import utcnow
from kasal.executions.models import Execution, Status
from kasal.executions.workdirs import RunFolders
from tests.executions.support import create_crew, start, two_step_crew, use_scripted_model, wait_for
from tests.factories import make_actor
from tests.support.llm_server import ScriptedLLMServer, text
from tests.support.server import LiveServer


def with_output_files(document: dict[str, Any], research: str, write: str) -> dict[str, Any]:
    first, second = document["tasks"]
    return {
        **document,
        "tasks": [{**first, "output_file": research}, {**second, "output_file": write}],
    }


async def test_a_run_writes_its_output_files_and_serves_them_to_its_group_only(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    owner, stranger = await make_actor(app, client), await make_actor(app, client)
    llm_server.script(text("Tides follow the moon."), text("# Tides\n\nThe moon pulls."))
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, owner, llm_server)
        document = with_output_files(two_step_crew(model), "notes/{topic}.txt", "output/report.md")
        crew_id = await create_crew(http, owner, document)
        execution = await start(http, owner, crew_id, {"topic": "tides"})
        done = await wait_for(http, owner, execution["id"])
        assert done["status"] == "succeeded", done["error"]
        url = f"/api/v1/executions/{execution['id']}/files"

        listed = await http.get(url, headers=owner.headers)
        report = await http.get(f"{url}/output/report.md", headers=owner.headers)
        notes = await http.get(f"{url}/notes/tides.txt", headers=owner.headers)
        missing = await http.get(f"{url}/output/other.md", headers=owner.headers)
        strangers = [
            await http.get(f"{url}{tail}", headers=stranger.headers)
            for tail in ("", "/output/report.md")
        ]

    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["truncated"] is False
    assert [(f["path"], f["size"], f["media_type"]) for f in body["files"]] == [
        ("notes/tides.txt", len("Tides follow the moon."), "text/plain"),
        ("output/report.md", len("# Tides\n\nThe moon pulls."), "text/markdown"),
    ]
    assert report.status_code == 200
    assert report.text == "# Tides\n\nThe moon pulls."
    assert report.headers["content-type"].startswith("text/markdown")
    assert report.headers["content-disposition"] == 'attachment; filename="report.md"'
    assert notes.text == "Tides follow the moon."
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "run_file_not_found"
    assert [r.status_code for r in strangers] == [404, 404]
    assert {r.json()["error"]["code"] for r in strangers} == {"execution_not_found"}


async def test_downloads_outside_the_run_folder_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    execution = await start(client, actor, crew_id)  # no workers here: it stays queued
    folder = await RunFolders(app.state.settings.data_dir, 3600).create(uuid.UUID(execution["id"]))
    (folder / ".crewai").mkdir()
    (folder / ".crewai" / "store.db").write_text("engine data")
    (folder / "report.md").write_text("mine")
    (folder / "outside.md").symlink_to(app.state.settings.data_dir / "kasal-secret.md")
    url = f"/api/v1/executions/{execution['id']}/files"

    listed = (await client.get(url, headers=actor.headers)).json()
    answers = {
        tail: await client.get(f"{url}/{tail}", headers=actor.headers)
        for tail in (
            "..%2F..%2Fkasal.db",
            "%2E%2E/x",
            ".crewai/store.db",
            "a%5Cb",
            "%2Fetc%2Fpasswd",
        )
    }
    linked = await client.get(f"{url}/outside.md", headers=actor.headers)
    too_long = [
        await client.get(f"{url}/{tail}", headers=actor.headers)
        for tail in ("a" * 300, "a/" * 3000 + "b")
    ]

    assert [f["path"] for f in listed["files"]] == ["report.md"]  # no engine store, no link
    assert {tail: r.status_code for tail, r in answers.items()} == dict.fromkeys(answers, 422)
    assert {r.json()["error"]["code"] for r in answers.values()} == {"invalid_file_path"}
    assert linked.status_code == 404
    assert [r.json()["error"]["code"] for r in too_long] == ["run_file_not_found"] * 2


async def finish_as_if_it_ran(app: FastAPI, execution_id: uuid.UUID) -> None:
    async with app.state.sessionmaker() as session:
        row = await session.get(Execution, execution_id)
        assert row is not None
        row.status, row.started_at, row.finished_at = Status.succeeded, utcnow(), utcnow()
        await session.commit()


async def test_a_swept_run_says_its_files_are_gone(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    execution = await start(client, actor, crew_id)
    url = f"/api/v1/executions/{execution['id']}/files"
    before_start = await client.get(url, headers=actor.headers)
    premature = await client.get(f"{url}/report.md", headers=actor.headers)
    await finish_as_if_it_ran(app, uuid.UUID(execution["id"]))
    folders = RunFolders(app.state.settings.data_dir, retention_s=0)
    await folders.create(uuid.UUID(execution["id"]))

    swept = await folders.sweep(app.state.sessionmaker, active=())
    listing = await client.get(url, headers=actor.headers)
    download = await client.get(f"{url}/report.md", headers=actor.headers)

    assert before_start.json() == {"files": [], "truncated": False}
    assert premature.status_code == 409
    assert premature.json()["error"]["code"] == "run_not_started"
    assert uuid.UUID(execution["id"]) in swept
    assert (listing.status_code, download.status_code) == (404, 404)
    assert {listing.json()["error"]["code"], download.json()["error"]["code"]} == {"run_files_gone"}


async def test_an_output_file_outside_the_folder_is_a_problem_and_the_run_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    document = with_output_files(two_step_crew("demo"), "../escape.md", "/etc/report.md")
    crew_id = await create_crew(client, actor, document)

    report = await client.post(f"/api/v1/crews/{crew_id}/validate", headers=actor.headers)
    refused = await client.post(
        "/api/v1/executions",
        json={"crew_id": crew_id, "inputs": {"topic": "x"}},
        headers=actor.headers,
    )

    problems = [p for p in report.json()["problems"] if p["code"] == "invalid_output_file"]
    assert [(p["pointer"], p["severity"]) for p in problems] == [
        ("/tasks/0/output_file", "error"),
        ("/tasks/1/output_file", "error"),
    ]
    assert refused.status_code == 422
    assert "invalid_output_file" in {p["code"] for p in refused.json()["error"]["details"]}
