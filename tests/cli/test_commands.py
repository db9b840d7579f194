"""The CLI through typer's CliRunner, against a real server."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from kasal.cli import app as kasal_cli
from kasal.client import Kasal
from tests.cli.support import environment, free_port, invoke
from tests.client.support import Account, scripting_account
from tests.executions.support import use_scripted_model
from tests.factories import crew_document
from tests.support.llm_server import ScriptedLLMServer, error
from tests.support.server import LiveServer


@pytest.fixture
async def account(app: FastAPI, client: httpx.AsyncClient, live: LiveServer) -> Account:
    return await scripting_account(app, client, live)


@pytest.fixture
def env(account: Account, tmp_path: Path) -> dict[str, str | None]:
    return environment(tmp_path / "config", account.url, account.token)


async def test_login_checks_the_token_and_saves_it_privately(
    account: Account, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    no_env = environment(config, None, None)

    logged_in = invoke(
        ["login", "--url", account.url + "/api/v1", "--token", account.token], no_env
    )
    assert logged_in.exit_code == 0, logged_in.stderr
    assert account.actor.user.email in logged_in.stderr
    assert logged_in.stdout == ""
    saved = config / "config.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text()) == {"url": account.url, "token": account.token}

    listed = invoke(["crews", "list", "--json"], no_env)  # the saved login is used
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == []

    prompted = invoke(["login"], no_env, stdin=f"{account.url}\n{account.token}\n")
    assert prompted.exit_code == 0, prompted.stderr
    assert invoke(["logout"], no_env).exit_code == 0
    assert not saved.exists()


async def test_login_errors_are_one_clear_line(account: Account, tmp_path: Path) -> None:
    no_env = environment(tmp_path / "config", None, None)
    url = f"http://127.0.0.1:{free_port()}"

    unreachable = invoke(["login", "--url", url, "--token", account.token], no_env)
    assert unreachable.exit_code == 2
    assert unreachable.stderr.strip() == f"error: Cannot reach Kasal at {url}: connection refused"

    refused = invoke(["login", "--url", account.url, "--token", "kasal_pat_wrong"], no_env)
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"error: The token was refused by {account.url}")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "config" / "config.json").exists()

    nothing = invoke(["crews", "list"], no_env)
    assert nothing.exit_code == 2
    assert "kasal login" in nothing.stderr


async def test_crews_list_show_import_export(
    account: Account, env: dict[str, str | None], tmp_path: Path
) -> None:
    with Kasal(account.url, account.token) as kasal:
        crew = kasal.crews.create(crew_document("Market research"))

    listed = invoke(["crews", "list", "--json"], env)
    assert listed.exit_code == 0
    assert [(c["id"], c["name"]) for c in json.loads(listed.stdout)] == [
        (str(crew.id), "Market research")
    ]
    table = invoke(["crews", "list"], env)
    assert "Market research" in table.stdout

    shown = invoke(["crews", "show", "Market research", "--json"], env)
    assert json.loads(shown.stdout)["agents"][0]["key"] == "researcher"
    human = invoke(["crews", "show", str(crew.id)], env)
    assert "researcher" in human.stdout
    assert "topic, audience" in human.stdout

    exported = tmp_path / "market.yaml"
    assert invoke(["crews", "export", "Market research", "-o", str(exported)], env).exit_code == 0
    to_stdout = invoke(["crews", "export", "Market research"], env)
    assert to_stdout.stdout == exported.read_text()

    imported = invoke(["crews", "import", str(exported), "--json"], env)
    assert imported.exit_code == 0, imported.stderr
    assert json.loads(imported.stdout)["name"] == "Market research (2)"
    from_stdin = invoke(["crews", "import", "-"], env, stdin=exported.read_text())
    assert from_stdin.exit_code == 0
    assert "Market research (3)" in from_stdin.stderr

    unknown = invoke(["crews", "show", "No such crew"], env)
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: No crew with id or name 'No such crew'"


async def test_run_follows_to_the_end_and_the_exit_code_tells_how_it_went(
    account: Account,
    env: dict[str, str | None],
    live: LiveServer,
    llm_server: ScriptedLLMServer,
) -> None:
    with Kasal(account.url, account.token) as kasal:
        kasal.crews.create(crew_document("Market research"))

    ran = invoke(["run", "Market research", "-i", "topic=tea", "--input", "audience=buyers"], env)
    assert ran.exit_code == 0, ran.stderr
    assert "Demo result for Write" in ran.stdout  # the final answer, on stdout
    assert "✓ Research" in ran.stderr  # progress, on stderr
    assert "succeeded in" in ran.stderr

    as_json = invoke(
        ["run", "Market research", "-i", "topic=tea", "-i", "audience=x", "--json"], env
    )
    assert as_json.exit_code == 0
    execution = json.loads(as_json.stdout)
    assert execution["status"] == "succeeded"
    assert execution["inputs"] == {"topic": "tea", "audience": "x"}

    missing = invoke(["run", "Market research"], env)
    assert missing.exit_code == 2
    assert "topic, audience" in missing.stderr

    malformed = invoke(["run", "Market research", "-i", "topic"], env)
    assert malformed.exit_code == 2
    assert "key=value" in malformed.stderr

    unknown = invoke(["run", "Nope"], env)
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: No crew with id or name 'Nope'"

    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, account.actor, llm_server)
    llm_server.responder = lambda request: error(401, "Incorrect API key provided")
    failing = crew_document(
        "Failing",
        agents=[
            {"key": "researcher", "role": "R", "goal": "G", "llm": model},
            {"key": "writer", "role": "W", "goal": "G", "llm": model},
        ],
    )
    with Kasal(account.url, account.token) as kasal:
        kasal.crews.create(failing)
    failed = invoke(["run", "Failing", "-i", "topic=a", "-i", "audience=b"], env)
    assert failed.exit_code == 1
    assert "The run failed" in failed.stderr
    assert failed.stdout == ""


async def test_run_attaches_files_to_the_run(
    account: Account, env: dict[str, str | None], tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Tea grows on hills.")
    with Kasal(account.url, account.token) as kasal:
        kasal.crews.create(crew_document("Market research"))

    inputs = ["-i", "topic=tea", "-i", "audience=all"]
    ran = invoke(["run", "Market research", *inputs, "-a", str(notes), "--json"], env)
    assert ran.exit_code == 0, ran.stderr
    execution_id = json.loads(ran.stdout)["id"]
    async with httpx.AsyncClient(base_url=account.url) as http:
        url = f"/api/v1/executions/{execution_id}/files/attachments/notes.txt"
        attached = await http.get(url, headers=account.actor.headers)
    assert attached.text == "Tea grows on hills."

    missing = invoke(["run", "Market research", *inputs, "--attach", str(tmp_path / "no")], env)
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


async def test_run_file_imports_then_updates_then_runs(
    account: Account, env: dict[str, str | None], tmp_path: Path
) -> None:
    path = tmp_path / "brief.yaml"
    path.write_text(
        "# file: agents.yaml\n"
        "writer:\n  role: Writer\n  goal: Write about {topic}\n  backstory: Brief.\n"
        "  llm: demo\n"
        "---\n# file: tasks.yaml\n"
        "write:\n  description: Write about {topic}\n  expected_output: A line\n"
        "  agent: writer\n"
    )
    first = invoke(["run", "--file", str(path), "-i", "topic=tea"], env)
    assert first.exit_code == 0, first.stderr
    assert "Write about tea" in first.stdout

    path.write_text(path.read_text().replace("A line", "Two lines"))
    second = invoke(["run", "--file", str(path), "-i", "topic=tea", "--json"], env)
    assert second.exit_code == 0, second.stderr
    with Kasal(account.url, account.token) as kasal:
        crews = kasal.crews.list()
        assert [(c.name, c.version) for c in crews] == [("brief", 2)]
        assert kasal.crews.find("brief").tasks[0].expected_output == "Two lines"

    missing = invoke(["run", "--file", str(tmp_path / "none.yaml")], env)
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


async def test_executions_list_show_logs_cancel(
    account: Account, env: dict[str, str | None]
) -> None:
    with Kasal(account.url, account.token) as kasal:
        crew = kasal.crews.create(crew_document("Market research"))
        execution = kasal.executions.start(crew.id, {"topic": "tea", "audience": "all"})
        kasal.executions.wait(execution.id)
    run_id = str(execution.id)

    listed = invoke(["executions", "list", "--json"], env)
    assert [e["id"] for e in json.loads(listed.stdout)] == [run_id]
    by_crew = invoke(
        ["executions", "list", "--crew", "Market research", "--status", "succeeded"], env
    )
    assert run_id in by_crew.stdout
    assert (
        json.loads(invoke(["executions", "list", "--status", "failed", "--json"], env).stdout) == []
    )

    shown = json.loads(invoke(["executions", "show", run_id, "--json"], env).stdout)
    assert shown["status"] == "succeeded"
    human = invoke(["executions", "show", run_id], env)
    assert "succeeded" in human.stdout
    assert "Demo result" in human.stdout

    logs = invoke(["executions", "logs", run_id], env)
    lines = logs.stdout.splitlines()
    assert "execution.queued" in lines[0]
    assert "execution.succeeded" in lines[-1]
    followed = invoke(["executions", "logs", run_id, "--follow", "--json"], env)
    events = [json.loads(line) for line in followed.stdout.splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "execution.succeeded"

    ended = invoke(["executions", "cancel", run_id], env)
    assert ended.exit_code == 1
    assert "already ended" in ended.stderr
    unknown = invoke(["executions", "show", "0b6f0c1e-8f7c-4f65-9a2a-1c9e5b7d2a10"], env)
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: No such execution"


def test_a_bad_setting_stops_a_server_command_with_its_message(tmp_path: Path) -> None:
    env = {"KASAL_DATA_DIR": str(tmp_path), "KASAL_CORS_ORIGINS": "*"}
    result = CliRunner().invoke(kasal_cli, ["db", "current"], env=env)
    assert result.exit_code == 2
    assert "KASAL_CORS_ORIGINS" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_procrastinate_queue_is_refused_without_postgresql(tmp_path: Path) -> None:
    env = {"KASAL_DATA_DIR": str(tmp_path), "KASAL_QUEUE": "procrastinate"}
    result = CliRunner().invoke(kasal_cli, ["worker"], env=env)
    assert result.exit_code == 2
    assert "KASAL_QUEUE=procrastinate needs PostgreSQL" in result.stderr


def test_worker_says_it_needs_the_procrastinate_queue(tmp_path: Path) -> None:
    result = CliRunner().invoke(kasal_cli, ["worker"], env={"KASAL_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "KASAL_QUEUE=procrastinate" in result.stderr
    assert "Traceback" not in result.stderr
