"""What runs leave on disk: private modes, nothing shared between groups, and cleanup.

Real folders, real SQLite files, real worker processes and crewai's real stores.
"""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from kasal.app import create_app
from kasal.executions.models import Execution, Status
from kasal.executions.workdirs import RunFolders
from tests.executions.support import (
    create_crew,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import Actor, make_actor
from tests.support.app import make_settings
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.server import LiveServer, live_settings

TASK_OUTPUTS = "latest_kickoff_task_outputs"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_under(root: Path) -> Iterator[Path]:
    return (path for path in root.rglob("*") if path.is_file())


def holding(root: Path, marker: str) -> list[Path]:
    """Every file under `root` whose bytes contain `marker` (sqlite pages included)."""
    return [path for path in files_under(root) if marker.encode() in path.read_bytes()]


def task_output_rows(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {TASK_OUTPUTS}").fetchone()[0])  # noqa: S608


async def test_the_database_file_and_the_data_dir_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = data / "kasal.db"
    settings = make_settings(f"sqlite+aiosqlite:///{database}", data)

    for attempt in ("fresh install", "loose modes from an older install"):
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            companions = [database.with_name(f"kasal.db-{end}") for end in ("wal", "shm")]
            assert all(path.exists() for path in companions), attempt
            assert mode(data) == 0o700, attempt
            assert {path.name: mode(path) for path in (database, *companions)} == {
                "kasal.db": 0o600,
                "kasal.db-wal": 0o600,
                "kasal.db-shm": 0o600,
            }, attempt
        data.chmod(0o755)
        for path in data.glob("kasal.db*"):
            path.chmod(0o644)


async def test_run_folders_and_crewai_storage_keep_each_groups_data_to_itself(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    data = live.settings.data_dir
    alpha, beta = await make_actor(app, client), await make_actor(app, client)
    tools = [{"tool_id": "file_write", "config": {}}]

    async def run(actor: Actor, marker: str) -> str:
        llm_server.script(
            tool_call("file_write", {"path": "notes.txt", "content": f"notes {marker}"}),
            text(f"Facts {marker}"),
            text(f"Thought: done\nFinal Answer: Brief {marker}"),
        )
        async with httpx.AsyncClient(base_url=live.url) as http:
            model = await use_scripted_model(http, actor, llm_server)
            crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))
            execution = await start(http, actor, crew_id)
            done = await wait_for(http, actor, execution["id"])
        assert done["status"] == "succeeded", done["error"]
        assert done["task_outputs"]["research"] == f"Facts {marker}"
        return str(execution["id"])

    alpha_run = await run(alpha, "alpha-7f3c")
    beta_run = await run(beta, "beta-91d2")

    storage = data / "crewai"
    shared = storage / f"{TASK_OUTPUTS}.db"
    assert shared.exists()  # crewai made its shared store, and
    assert task_output_rows(shared) == 0  # wrote nothing of either run there
    assert holding(storage, "alpha-7f3c") == []
    assert holding(storage, "beta-91d2") == []
    alpha_dir, beta_dir = data / "runs" / alpha_run, data / "runs" / beta_run
    assert [p.name for p in files_under(alpha_dir)] == ["notes.txt"]  # crewai's store is gone
    assert holding(beta_dir, "alpha-7f3c") == []
    assert {mode(p) for p in (storage, data / "runs", alpha_dir, beta_dir)} == {0o700}

    async with httpx.AsyncClient(base_url=live.url) as http:
        url = f"/api/v1/executions/{alpha_run}"
        assert (await http.delete(url, headers=alpha.headers)).status_code == 204
    assert not alpha_dir.exists()
    assert holding(data, "alpha-7f3c") == []
    assert holding(beta_dir, "beta-91d2") == [beta_dir / "notes.txt"]


async def test_deleting_an_execution_removes_its_run_folder(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    execution = await start(client, actor, crew_id)  # no workers here: it stays queued
    url = f"/api/v1/executions/{execution['id']}"
    folders = RunFolders(app.state.settings.data_dir, retention_s=3600)
    folder = await folders.create(uuid.UUID(execution["id"]))
    (folder / "deep" / "er").mkdir(parents=True)
    (folder / "deep" / "er" / "notes.txt").write_text("group data")

    assert (await client.delete(url, headers=actor.headers)).status_code == 409
    assert folder.exists()  # an active run keeps its folder
    await client.post(f"{url}/cancel", headers=actor.headers)
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
    assert not folder.exists()
    assert (await client.delete(url, headers=actor.headers)).status_code == 404


async def test_the_sweep_removes_expired_and_orphaned_folders_only(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    actor = await make_actor(app, client)
    now = datetime.now(UTC)
    day_ago = now - timedelta(days=1)
    rows = {
        "old_success": Execution(status=Status.succeeded, finished_at=day_ago),
        "old_failure": Execution(status=Status.interrupted, finished_at=day_ago),
        "recent": Execution(status=Status.cancelled, finished_at=now),
        "running_long": Execution(status=Status.running, created_at=day_ago),
        "requeued": Execution(status=Status.queued, created_at=day_ago),
        "running_here": Execution(status=Status.failed, finished_at=day_ago),
    }
    async with app.state.sessionmaker() as session:
        for row in rows.values():
            row.group_id = actor.user.personal_group_id
            row.crew_name, row.crew_version, row.spec, row.inputs = "Crew", 1, {}, {}
            session.add(row)
        await session.commit()
    folders = RunFolders(tmp_path, retention_s=1800)
    ids = {name: row.id for name, row in rows.items()} | {"deleted": uuid.uuid4()}
    for execution_id in ids.values():
        folder = await folders.create(execution_id)
        (folder / "sub").mkdir()
        (folder / "sub" / "notes.txt").write_text("group data")
    (folders.runs / "not-a-run").mkdir()
    (folders.runs / str(uuid.uuid4())).write_text("a file, not a run folder")
    before = sorted(p.name for p in folders.runs.iterdir())

    removed = await folders.sweep(app.state.sessionmaker, active={ids["running_here"]})

    assert sorted(removed) == sorted([ids["old_success"], ids["old_failure"], ids["deleted"]])
    left = sorted(p.name for p in folders.runs.iterdir())
    assert left == sorted(set(before) - {str(eid) for eid in removed})
    assert await folders.sweep(app.state.sessionmaker, active={ids["running_here"]}) == []
    assert mode(folders.runs) == 0o700


async def test_the_dispatcher_sweeps_finished_runs_after_the_retention(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    """Retention 1 s, a run of 4 s: its folder stays while it runs, and goes after."""
    actor = await make_actor(app, client)
    llm_server.script(text("Slow facts.", delay=4), text("Thought: done\nFinal Answer: Brief."))
    with LiveServer(live_settings(db_url, tmp_path, run_retention_s=1)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            model = await use_scripted_model(http, actor, llm_server)
            crew_id = await create_crew(http, actor, two_step_crew(model))
            execution = await start(http, actor, crew_id)
            folder = tmp_path / "runs" / execution["id"]
            await llm_server.wait_for_chat_requests(1)
            await asyncio.sleep(2)  # two sweeps past the retention, mid-run
            assert folder.is_dir()
            done = await wait_for(http, actor, execution["id"])
            assert done["status"] == "succeeded"
            for _ in range(300):  # the next sweeps, within a few seconds
                if not folder.exists():
                    break
                await asyncio.sleep(0.1)
    assert not folder.exists()
