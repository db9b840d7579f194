"""`kasal crews import`: a CrewAI project folder or zip, named from its files, with the
notes and the blocking problems printed at their file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.cli.support import environment, invoke
from tests.client.support import Account, scripting_account
from tests.crews.test_crewai_projects import PROJECTS, project_zip
from tests.support.server import LiveServer


@pytest.fixture
async def account(app: FastAPI, client: httpx.AsyncClient, live: LiveServer) -> Account:
    return await scripting_account(app, client, live)


@pytest.fixture
def env(account: Account, tmp_path: Path) -> dict[str, str | None]:
    return environment(tmp_path / "config", account.url, account.token)


async def test_a_project_folder_imports_named_after_it_with_notes_at_their_lines(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    folder = tmp_path / "job_posting"
    shutil.copytree(PROJECTS / "job_posting", folder)
    (folder / ".venv" / "lib").mkdir(parents=True)
    (folder / ".venv" / "lib" / "crew.py").write_text("this is not the project's crew.py")

    imported = invoke(["crews", "import", str(folder)], env)

    assert imported.exit_code == 0, imported.stderr
    assert "Imported 'job posting'" in imported.stderr
    assert "warning: crew.py:31: writer_agent(): tool 'WebsiteSearchTool'" in imported.stderr
    # SerperDevTool became web_search on Serper: the run needs the group's Serper key.
    errors = [line for line in imported.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, imported.stderr
    assert "no serper API key: add one under Settings > API keys" in errors[0]


async def test_a_zip_with_a_blocking_problem_prints_it_as_an_error_with_its_line(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    archive = tmp_path / "poems.zip"
    archive.write_bytes(project_zip("poem_writer"))
    tasks = PROJECTS / "poem_writer/src/poem_writer/config/tasks.yaml"
    unassigned = tmp_path / "unassigned" / "config"
    unassigned.mkdir(parents=True)
    shutil.copy(PROJECTS / "poem_writer/src/poem_writer/config/agents.yaml", unassigned)
    (unassigned / "tasks.yaml").write_text(tasks.read_text().replace("  agent: poet\n", ""))

    as_json = invoke(["crews", "import", str(archive), "--json"], env)
    blocked = invoke(["crews", "import", str(unassigned.parent)], env)

    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["name"] == "poems"
    assert blocked.exit_code == 0, blocked.stderr
    assert "error: tasks.yaml:1: " in blocked.stderr, blocked.stderr


async def test_a_file_that_cannot_be_imported_names_each_problems_file_and_line(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "# file: agents.yaml\na:\n  role: r\n  colour: blue\n"
        "---\n# file: tasks.yaml\nt:\n  description: d\n  agent: ghost\n"
    )

    refused = invoke(["crews", "import", str(broken)], env)

    assert refused.exit_code == 2
    assert "broken.yaml:4: Unknown field 'colour'" in refused.stderr
    assert "broken.yaml:9: Task 't' names agent 'ghost'" in refused.stderr
