"""The `kasal` command as a real process: exit codes, --json on stdout, Ctrl-C cancelling."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.client import AsyncKasal
from tests.cli.support import free_port, process_env, run_kasal, start_kasal
from tests.client.support import Account, scripting_account
from tests.executions.support import two_step_crew, use_scripted_model
from tests.factories import crew_document
from tests.support.llm_server import ScriptedLLMServer
from tests.support.server import LiveServer


@pytest.fixture
async def account(app: FastAPI, client: httpx.AsyncClient, live: LiveServer) -> Account:
    return await scripting_account(app, client, live)


async def test_json_output_and_exit_codes(account: Account, tmp_path: Path) -> None:
    env = process_env(tmp_path, account.url, account.token)
    async with AsyncKasal(account.url, account.token) as kasal:
        await kasal.crews.create(crew_document("Market research"))

    listed = await asyncio.to_thread(run_kasal, ["crews", "list", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert [c["name"] for c in json.loads(listed.stdout)] == ["Market research"]

    ran = await asyncio.to_thread(
        run_kasal,
        ["run", "Market research", "-i", "topic=tea", "-i", "audience=all", "--json"],
        env,
    )
    assert ran.returncode == 0, ran.stderr
    execution = json.loads(ran.stdout)  # nothing but the JSON on stdout
    assert execution["status"] == "succeeded"
    assert "▶ Research" in ran.stderr  # progress as lines: stderr is not a terminal

    logs = await asyncio.to_thread(
        run_kasal, ["executions", "logs", execution["id"], "--json"], env
    )
    assert json.loads(logs.stdout.splitlines()[-1])["type"] == "execution.succeeded"


async def test_errors_are_one_line_on_stderr_with_exit_code_2(
    account: Account, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    cases = {
        "wrong url": (process_env(tmp_path, url, account.token), ["crews", "list"]),
        "bad token": (process_env(tmp_path, account.url, "kasal_pat_bad"), ["crews", "list"]),
        "unknown crew": (process_env(tmp_path, account.url, account.token), ["run", "Nope"]),
        "no login": (process_env(tmp_path, None, None), ["executions", "list", "--json"]),
    }
    expected = {
        "wrong url": f"error: Cannot reach Kasal at {url}: connection refused",
        "bad token": f"error: The token was refused by {account.url}",
        "unknown crew": "error: No crew with id or name 'Nope'",
        "no login": "error: No Kasal server configured",
    }
    for name, (env, args) in cases.items():
        finished = await asyncio.to_thread(run_kasal, args, env)
        assert finished.returncode == 2, (name, finished.stderr)
        assert finished.stdout == "", name
        assert len(finished.stderr.strip().splitlines()) == 1, (name, finished.stderr)
        assert finished.stderr.startswith(expected[name]), (name, finished.stderr)


async def test_ctrl_c_cancels_the_run_on_the_server_and_exits_130(
    account: Account, live: LiveServer, llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    llm_server.delay = 60  # a slow model: the run is still going when Ctrl-C comes
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, account.actor, llm_server)
    async with AsyncKasal(account.url, account.token) as kasal:
        crew = await kasal.crews.create(two_step_crew(model))

        process = start_kasal(
            ["run", str(crew.id), "-i", "topic=tides"],
            process_env(tmp_path, account.url, account.token),
        )
        stderr: list[str] = []
        assert process.stderr is not None
        reader = threading.Thread(target=lambda: stderr.extend(process.stderr or []), daemon=True)
        reader.start()
        try:
            await llm_server.wait_for_chat_requests(1)  # running, inside the slow LLM call
            running = await kasal.executions.list(crew_id=crew.id)
            assert [e.status for e in running] == ["running"]
            process.send_signal(signal.SIGINT)
            code = await asyncio.to_thread(process.wait, 60)
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(10)
        execution = await kasal.executions.get(running[0].id)

    assert code == 130, "".join(stderr)
    assert execution.status == "cancelled"
    assert any("Cancelling execution" in line for line in stderr)
    assert any("The run is cancelled" in line for line in stderr)
