"""A task's `output_file`: written by the engine into the run folder, never outside it.

Real crewai on the scripted LLM server; the folder is the test's own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kasal.engine.run import run_crew
from kasal.engine.spec import CrewSpec, EngineEvent, LLMConfig
from kasal.engine.validate import RunFacts, check, output_file_issue, required_inputs
from tests.engine.specs import request, two_agent_crew, types
from tests.support.llm_server import ScriptedLLMServer, error


def with_output_files(crew: CrewSpec, *paths: str | None) -> CrewSpec:
    tasks = [
        t.model_copy(update={"output_file": p}) for t, p in zip(crew.tasks, paths, strict=True)
    ]
    return crew.model_copy(update={"tasks": tasks})


async def test_each_task_output_lands_in_its_file_inside_the_run_folder(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script("Tea is a leaf.", "# Tea\n\nA leaf, brewed.")
    crew = with_output_files(two_agent_crew(), "notes/{topic}.txt", "report.md")

    result = await run_crew(request(crew, [scripted_llm], tmp_path, topic="tea"), lambda e: None)

    assert result.status == "succeeded", result.error
    assert (tmp_path / "notes" / "tea.txt").read_text() == "Tea is a leaf."
    assert (tmp_path / "report.md").read_text() == "# Tea\n\nA leaf, brewed."


async def test_a_json_task_writes_its_object_indented(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script("Facts.", json.dumps({"title": "Tea", "score": 3}))
    crew = two_agent_crew()
    writer = crew.tasks[1].model_copy(update={"output_format": "json", "output_file": "out.json"})
    crew = crew.model_copy(update={"tasks": [crew.tasks[0], writer]})

    result = await run_crew(request(crew, [scripted_llm], tmp_path), lambda e: None)

    assert result.status == "succeeded", result.error
    written = (tmp_path / "out.json").read_text()
    assert json.loads(written) == {"title": "Tea", "score": 3}
    assert "\n  " in written


async def test_a_failed_run_keeps_the_files_of_the_tasks_that_finished(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script("Tea is a leaf.", error(401, "Incorrect API key provided"))
    crew = with_output_files(two_agent_crew(), "notes.txt", "report.md")

    result = await run_crew(request(crew, [scripted_llm], tmp_path), lambda e: None)

    assert result.status == "failed"
    assert (tmp_path / "notes.txt").read_text() == "Tea is a leaf."
    assert not (tmp_path / "report.md").exists()


async def test_an_input_that_would_leave_the_folder_is_refused_before_any_call(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    run_folder = tmp_path / "run"
    crew = with_output_files(two_agent_crew(), "{topic}.md", None)
    events: list[EngineEvent] = []

    run = request(crew, [scripted_llm], run_folder, topic="../escaped")
    result = await run_crew(run, events.append)

    assert result.status == "failed"
    assert result.error is not None
    assert "The output file of task 'research' is not usable with these inputs" in result.error
    assert types(events) == ["crew.started", "crew.failed"]
    assert llm_server.chat_requests == []
    assert not (tmp_path / "escaped.md").exists()


@pytest.mark.parametrize(
    "path",
    [
        "../report.md",
        "out/../../report.md",
        "/etc/report.md",
        "~/report.md",
        "C:/report.md",
        "out\\report.md",
        ".crewai/x.db",
        "out/",
        "",
        "a\x00b",
    ],
)
def test_paths_outside_the_run_folder_are_refused_by_the_rule(path: str) -> None:
    assert output_file_issue(path) is not None
    crew = with_output_files(two_agent_crew(), path, None)
    found = [f for f in check(crew, RunFacts(["scripted"])) if f.code == "invalid_output_file"]
    assert [(f.pointer, f.severity) for f in found] == [("/tasks/0/output_file", "error")]


@pytest.mark.parametrize("path", ["report.md", "output/report.md", "out/{topic}-v1.json"])
def test_relative_paths_inside_the_folder_pass(path: str) -> None:
    assert output_file_issue(path) is None


def test_placeholders_of_an_output_file_are_inputs_of_the_run() -> None:
    crew = with_output_files(two_agent_crew(), "{region}/{topic}.md", None)
    assert required_inputs(crew) == ["topic", "region"]
