"""The SDK with a server configured: the crew is saved there, runs there, and shows there."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal import Agent, Crew, Task
from kasal.client import AsyncKasal, Kasal
from kasal.sdk import RunFailedError
from tests.client.support import Account, isolate_login, scripting_account
from tests.executions.support import use_scripted_model
from tests.support.llm_server import ScriptedLLMServer, error
from tests.support.server import LiveServer


@pytest.fixture
async def account(
    app: FastAPI,
    client: httpx.AsyncClient,
    live: LiveServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Account:
    """A user and token, given to the SDK the way a script gets them: KASAL_URL/KASAL_TOKEN."""
    isolate_login(monkeypatch, tmp_path / "config")
    found = await scripting_account(app, client, live)
    monkeypatch.setenv("KASAL_URL", found.url)
    monkeypatch.setenv("KASAL_TOKEN", found.token)
    return found


def _start_python(script: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (our interpreter, our script)
        [sys.executable, str(script)], env=env, stderr=subprocess.PIPE, text=True
    )


def _quick_start() -> Crew:
    researcher = Agent(role="Research Analyst", goal="Find market insights", model="demo")
    task = Task(
        description="Analyze competitor pricing", expected_output="A short report", agent=researcher
    )
    return Crew(agents=[researcher], tasks=[task])


async def test_the_quick_start_runs_on_the_server(account: Account) -> None:
    crew = _quick_start()
    result = crew.kickoff()

    assert result.status == "succeeded"
    assert "Analyze competitor pricing" in result.raw
    assert result.execution_id is not None
    assert result.tasks_output[0].agent == "Research Analyst"
    assert result.token_usage.total_tokens > 0
    with Kasal(account.url, account.token) as kasal:
        execution = kasal.executions.get(result.execution_id)
        saved = kasal.crews.get(crew.id or "")
    assert execution.status == "succeeded"
    assert execution.result == result.raw
    assert str(execution.crew_id) == crew.id == result.crew_id
    # Saved so that it opens on the canvas: keys, models and a left-to-right layout.
    assert saved.name == "Research Analyst crew"
    assert [a.key for a in saved.agents] == ["research_analyst"]
    assert saved.agents[0].llm == "demo"
    assert saved.tasks[0].agent == "research_analyst"
    assert set(saved.layout["nodes"]) == {"research_analyst", "analyze_competitor_pricing"}
    assert saved.errors == []


async def test_saving_again_updates_only_when_the_crew_changed(account: Account) -> None:
    crew = _quick_start()
    crew_id = crew.save()
    assert crew.save() == crew_id  # unchanged: no new version

    with Kasal(account.url, account.token) as kasal:
        assert kasal.crews.get(crew_id).version == 1
        moved = kasal.crews.get(crew_id).document()
        moved["layout"]["nodes"]["research_analyst"] = {"x": 999.0, "y": 5.0}  # on the canvas
        kasal.crews.update(crew_id, moved)

        again = _quick_start()  # a fresh script run: found by name
        again.tasks[0].expected_output = "A one-page report"
        assert again.save() == crew_id
        saved = kasal.crews.get(crew_id)
    assert saved.version == 3
    assert saved.tasks[0].expected_output == "A one-page report"
    assert saved.layout["nodes"]["research_analyst"] == {"x": 999.0, "y": 5.0}  # kept


async def test_inputs_and_model_names_resolved_by_the_catalog(account: Account) -> None:
    writer = Agent(role="Writer", goal="Write about {topic}", model="demo/demo")
    crew = Crew(
        name="Topic writer",
        agents=[writer],
        tasks=[Task(description="Write about {topic}", expected_output="A line", agent=writer)],
    )
    result = crew.kickoff(inputs={"topic": "tea"})

    assert "Write about tea" in result.raw
    loaded = Crew.load("Topic writer")
    assert loaded.id == crew.id
    assert loaded.agents[0].model == "demo"  # "demo/demo" is the catalog's key "demo"


async def test_a_failed_run_raises_with_its_result(
    account: Account, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, account.actor, llm_server)
    llm_server.responder = lambda request: error(401, "Incorrect API key provided")
    agent = Agent(role="Analyst", goal="Analyse", model=model)
    crew = Crew(agents=[agent], tasks=[Task(description="Go", expected_output="x", agent=agent)])

    with pytest.raises(RunFailedError) as failed:
        crew.kickoff()
    result = failed.value.result
    assert result.status == "failed"
    assert result.execution_id is not None
    assert result.error


async def test_kickoff_async_on_the_server(account: Account) -> None:
    result = await _quick_start().kickoff_async()
    assert result.status == "succeeded"
    assert result.execution_id is not None


async def test_ctrl_c_in_a_script_cancels_its_run_on_the_server(
    account: Account, live: LiveServer, llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    llm_server.delay = 60
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, account.actor, llm_server)
    script = tmp_path / "script.py"
    script.write_text(
        "from kasal import Agent, Task, Crew\n"
        f"agent = Agent(role='Analyst', goal='Analyse', model={model!r})\n"
        "task = Task(description='Go', expected_output='x', agent=agent)\n"
        "try:\n"
        "    Crew(name='Slow', agents=[agent], tasks=[task]).kickoff()\n"
        "except KeyboardInterrupt:\n"
        "    raise SystemExit(130)\n"
    )
    env = {
        **os.environ,
        "KASAL_CONFIG_DIR": str(tmp_path),
        "KASAL_URL": account.url,
        "KASAL_TOKEN": account.token,
    }
    process = _start_python(script, env)
    try:
        await llm_server.wait_for_chat_requests(1)
        process.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(process.wait, 60)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 130, process.stderr.read() if process.stderr else ""
    async with AsyncKasal(account.url, account.token) as kasal:
        runs = await kasal.executions.list()
        assert [r.status for r in runs] == ["cancelled"]
