"""CrewAI projects, as their authors write them, import and run as they are.

The corpus in `projects/` has the shapes public projects use (`crewai create`'s
`src/<pkg>/` layout, a flat one, crew.py doing the wiring or the YAML doing it). Each is
zipped here, imported, checked against the assignments CrewAI itself would make, and
run on the scripted model. `crew.py` and `main.py` are read, never executed.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kasal.crews import porting
from kasal.crews.service import model_resolver
from tests.crews.test_porting import Model
from tests.executions.support import wait_for
from tests.factories import Actor, make_actor
from tests.support.llm_server import ScriptedLLMServer
from tests.support.server import LiveServer

PROJECTS = Path(__file__).parent / "projects"
MARKERS = ("IMPORTED_CREW_PY_RAN", "IMPORTED_CREW_PY_CLASS_RAN", "IMPORTED_MAIN_PY_RAN")
RESOLVE = model_resolver(
    {"demo": Model("demo", "demo"), "scripted": Model("openai", "scripted-model")}
)


@dataclass(frozen=True)
class Expected:
    folder: str
    name: str
    # task key → agent key, in the order CrewAI runs the tasks
    assignments: dict[str, str | None]
    process: str = "sequential"
    context: dict[str, list[str]] = field(default_factory=dict)
    tools: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    # words some note must contain, e.g. a tool left out
    notes: tuple[str, ...] = ()
    output_files: dict[str, str] = field(default_factory=dict)  # task key → its output_file


CORPUS = [
    Expected(
        "latest_ai_development",
        "Latest Ai Development",
        {"research_task": "researcher", "reporting_task": "reporting_analyst"},
        inputs={"topic": "AI LLMs", "current_year": ""},
        notes=("current_year",),
        output_files={"reporting_task": "report.md"},
    ),
    Expected(
        "marketing_strategy",
        "Marketing Posts Crew",
        {
            "research_task": None,
            "project_understanding_task": None,
            "marketing_strategy_task": None,
        },
        process="hierarchical",
        inputs={
            "customer_domain": "crewai.com",
            "project_description": "CrewAI, a leading provider of multi-agent systems, aims to "
            "revolutionize marketing automation for its enterprise clients.",
        },
        notes=("memory",),
    ),
    Expected(
        "job_posting",
        "Job Posting Crew",
        {
            "research_company_culture_task": "research_agent",
            "write_job_description_task": "writer_agent",
        },
        context={"write_job_description_task": ["research_company_culture_task"]},
        tools={"research_agent": ["web_page", "web_search"], "writer_agent": ["file_read"]},
        inputs={
            "company_domain": "careers.wbd.com",
            "company_description": "Warner Bros. Discovery is a premier global media company.",
            "hiring_needs": "Production Assistant, for a TV production set in Los Angeles "
            "in June 2025",
        },
        notes=("WebsiteSearchTool",),
    ),
    Expected(
        "stock_report",
        "Stock Report Crew",
        {"financial_analysis": "financial_analyst"},
        inputs={"company_stock": "AMZN"},
    ),
    Expected(
        "trip_planner",
        "Trip Crew",
        {
            "identify_task": "city_selection_agent",
            "gather_task": "local_expert",
            "plan_task": "travel_concierge",
        },
        context={"gather_task": ["identify_task"], "plan_task": ["identify_task", "gather_task"]},
        inputs={
            "origin": "Lisbon",
            "cities": "Kyoto, Seoul",
            "date_range": "May 2026",
            "interests": "food and temples",
        },
    ),
    Expected(
        "poem_writer",
        "Poem Crew",
        {"write_poem": "poet"},
        inputs={"topic": "the sea", "tone": "plain", "sentence_count": ""},
    ),
    Expected(
        "blog_writer",
        "Blog Writer Crew",
        {"writer_task": "writer", "polish": "editor"},
        context={"polish": ["writer_task"]},  # `draft`, the method reading tasks.yaml's writer
        inputs={"subject": "ast"},
        notes=("spare_agent", "shares its name"),
    ),
    Expected(
        "side_effects",
        "Side Effects Crew",
        {"summarize": "summarizer"},
        inputs={"text": "  Tides rise and fall twice a day.  "},
        notes=("create_directory",),
        output_files={"summarize": "output/summary.md"},
    ),
]
IDS = [case.folder for case in CORPUS]
ANSWER = '{"title": "Tides", "points": ["high", "low"], "score": 0.9, "buy": true}'


def project_zip(folder: str, *, prefix: str | None = None) -> bytes:
    """The project folder zipped as a user would: the folder itself at the top."""
    root = PROJECTS / folder
    top = folder if prefix is None else prefix
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                name = path.relative_to(root).as_posix()
                archive.writestr(f"{top}/{name}" if top else name, path.read_bytes())
    return buffer.getvalue()


def _literal_inputs(expected: Expected) -> dict[str, str]:
    """main.py's literal inputs: the crew's default inputs."""
    return {k: v for k, v in expected.inputs.items() if v}


def _computed_inputs(expected: Expected) -> dict[str, str]:
    """Values for main.py's computed inputs (`datetime.now().year`), as the Run dialog asks:
    the literal ones are the crew's default inputs."""
    return {k: f"a {k}" for k, v in expected.inputs.items() if not v}


# ---------------------------------------------------------------- reading, no database


@pytest.mark.parametrize("expected", CORPUS, ids=IDS)
def test_a_project_imports_with_the_assignments_crewai_makes(
    expected: Expected, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # were crew.py or main.py run, their files would land here
    imported = porting.import_file(
        "upload.zip", project_zip(expected.folder, prefix=""), RESOLVE, "scripted", named=False
    )
    body = imported.body
    assert body.name == expected.name  # from the @CrewBase class: nothing else names it
    assert body.process == expected.process
    assert {t.key: t.agent for t in body.tasks} == expected.assignments
    assert [t.key for t in body.tasks] == list(expected.assignments)
    assert {t.key: t.context for t in body.tasks if t.context} == expected.context
    tools = {a.key: [t.tool_id for t in a.tools] for a in body.agents if a.tools}
    assert tools == expected.tools
    assert all(a.llm == "scripted" for a in body.agents)
    assert body.default_inputs == _literal_inputs(expected)
    assert {t.key: t.output_file for t in body.tasks if t.output_file} == expected.output_files
    notes = " ".join(n.message for n in imported.notes)
    for words in expected.notes:
        assert words in notes, imported.notes
    assert os.listdir(tmp_path) == []


def test_crew_py_tools_llm_and_links_are_read_with_their_lines() -> None:
    imported = porting.import_file("job_posting.zip", project_zip("job_posting"), RESOLVE)
    rag = next(n for n in imported.notes if "WebsiteSearchTool" in n.message)
    assert (rag.file, rag.line) == ("crew.py", 31)
    research = imported.body.agents[0]
    search = next(t for t in research.tools if t.tool_id == "web_search")
    assert search.config == {"provider": "serper"}  # SerperDevTool: the group's Serper key
    assert imported.body.name == "job posting"  # the file's name wins over the class


def test_a_simple_output_model_becomes_the_tasks_json_schema() -> None:
    body = porting.import_file("s.zip", project_zip("stock_report"), RESOLVE).body
    [task] = body.tasks
    assert task.output_format == "json"
    assert task.output_schema == {
        "title": "StockReport",
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "points": {"type": "array", "items": {"type": "string"}},
            "score": {"type": "number"},
            "buy": {"type": "boolean"},
        },
        "required": ["title", "points", "score", "buy"],
    }
    assert body.agents[0].llm == "scripted"  # `llm: openai/scripted-model` in agents.yaml


def _one_file_project(crew_py: str, tasks_yaml: str = "t:\n  description: d\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config/agents.yaml", "a:\n  role: r\n  goal: g\n  backstory: b\n")
        archive.writestr("config/tasks.yaml", tasks_yaml + "  expected_output: e\n")
        archive.writestr("crew.py", crew_py)
    return buffer.getvalue()


def test_fields_kasal_runs_differently_are_kept_or_noted_never_refused() -> None:
    crew_py = """
from pydantic import BaseModel

class Loose(BaseModel):
    data: dict

@CrewBase
class Crew_:
    @agent
    def a(self):
        return Agent(config=self.agents_config["a"], llm=self.pick(), step_callback=log)

    @task
    def t(self):
        return Task(config=self.tasks_config["t"], agent=self.a(), human_input=True,
                    output_json=Loose, guardrail=check)
"""
    imported = porting.import_file("p.zip", _one_file_project(crew_py), RESOLVE, "demo")
    [task] = imported.body.tasks
    assert (task.agent, task.human_input, task.output_format) == ("a", True, "json")
    assert task.output_schema is None  # `dict` is not simple: JSON without a schema
    lines = {(n.line, n.message.split(":")[0]) for n in imported.notes}
    assert {(11, "a()"), (16, "t()")} <= lines
    assert any("guardrail" in n.message for n in imported.notes)
    assert any("step_callback" in n.message for n in imported.notes)
    assert imported.body.agents[0].llm == "demo"


def test_yaml_tools_name_the_tool_methods_of_crew_py() -> None:
    """CrewAI resolves `tools: [name]` in tasks.yaml through the class's `@tool` methods."""
    crew_py = """
scraper = ScrapeWebsiteTool()

@CrewBase
class Crew_:
    @tool
    def reader(self):
        return FileReadTool(file_path="notes.txt")

    @tool
    def scrape(self):
        return scraper

    @tool
    def custom(self):
        return MyOwnTool()

    @agent
    def a(self):
        return Agent(config=self.agents_config["a"])

    @task
    def t(self):
        return Task(config=self.tasks_config["t"], agent=self.a())
"""
    tasks_yaml = "t:\n  description: d\n  tools: [reader, scrape, custom, teleport, file_write]\n"
    imported = porting.import_file("p.zip", _one_file_project(crew_py, tasks_yaml), RESOLVE)
    [task] = imported.body.tasks
    assert [t.tool_id for t in task.tools] == ["file_read", "web_page", "file_write"]
    left_out = [(n.file, n.line, n.message) for n in imported.notes if "Tool left out" in n.message]
    assert left_out == [
        (
            "tasks.yaml",
            3,
            "Tool left out: the @tool method custom() returns MyOwnTool, "
            "which has no Kasal equivalent.",
        ),
        (
            "tasks.yaml",
            3,
            "Tool left out: 'teleport' is neither a @tool method of crew.py nor a Kasal tool.",
        ),
    ]


def test_a_crew_py_that_does_not_parse_is_a_note_and_the_yaml_still_imports() -> None:
    imported = porting.import_file(
        "p.zip", _one_file_project("def broken(:\n", "t:\n  description: d\n  agent: a\n"), RESOLVE
    )
    assert imported.body.tasks[0].agent == "a"
    assert [(n.file, n.line) for n in imported.notes] == [("crew.py", 1)]


# ---------------------------------------------------------------- over HTTP, and runs


async def _scripted_default(http: httpx.AsyncClient, actor: Actor, llm: ScriptedLLMServer) -> None:
    """A group whose first working model is the scripted one, as a fresh group with one key
    and one custom model would be once the others are switched off."""
    body = {"key": "scripted", "provider": "openai", "model": "scripted-model"}
    response = await http.post(
        "/api/v1/models", json={**body, "base_url": llm.base_url}, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    for provider in ("openai", "serper"):  # SerperDevTool became web_search, on Serper
        key = {"name": provider, "provider": provider, "value": f"{provider}-test-key"}
        response = await http.post("/api/v1/api-keys", json=key, headers=actor.headers)
        assert response.status_code == 201, response.text
    models = (await http.get("/api/v1/models", headers=actor.headers)).json()["items"]
    for model in models:
        if model["provider"] == "openai" and model["key"] != "scripted" and model["enabled"]:
            response = await http.patch(
                f"/api/v1/models/{model['key']}", json={"enabled": False}, headers=actor.headers
            )
            assert response.status_code == 200, response.text


async def _import(
    http: httpx.AsyncClient, actor: Actor, data: bytes, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/crews/import",
        content=data,
        headers={**actor.headers, "Content-Type": "application/zip", **(headers or {})},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize("expected", CORPUS, ids=IDS)
async def test_a_project_runs_to_succeeded_on_the_default_model(
    expected: Expected,
    app: FastAPI,
    client: httpx.AsyncClient,
    live: LiveServer,
    llm_server: ScriptedLLMServer,
) -> None:
    # One answer fits every task: the JSON the stock report's schema asks for is text too.
    llm_server.responder = lambda request: ANSWER
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        await _scripted_default(http, actor, llm_server)
        crew = await _import(http, actor, project_zip(expected.folder))
        assert [p for p in crew["problems"] if p["severity"] == "error"] == []
        assert {a["llm"] for a in crew["agents"]} == {"scripted"}
        assert crew["default_inputs"] == _literal_inputs(expected)
        assert set(crew["inputs"]) <= set(expected.inputs)
        body = {"crew_id": crew["id"], "inputs": _computed_inputs(expected)}
        response = await http.post("/api/v1/executions", json=body, headers=actor.headers)
        assert response.status_code == 202, response.text
        done = await wait_for(http, actor, response.json()["id"])
    assert done["status"] == "succeeded", done["error"]


async def test_without_a_working_model_imported_agents_get_the_demo_model(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await _import(client, actor, project_zip("trip_planner"))
    assert {a["llm"] for a in crew["agents"]} == {"demo"}
    assert any("'demo'" in n["message"] for n in crew["notes"])


async def test_a_raw_body_takes_its_name_from_the_files_or_the_disposition(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    by_folder = await _import(client, actor, project_zip("trip_planner"))
    by_class = await _import(client, actor, project_zip("trip_planner", prefix=""))
    named = await _import(
        client,
        actor,
        project_zip("trip_planner", prefix=""),
        {"Content-Disposition": 'attachment; filename="../Holidays.zip"'},
    )
    assert [by_folder["name"], by_class["name"], named["name"]] == [
        "trip planner",
        "Trip Crew",
        "Holidays",
    ]


async def test_a_local_model_is_the_default_once_its_endpoint_answers(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    response = await client.patch(
        "/api/v1/models/llama3.1", json={"base_url": llm_server.base_url}, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    crew = await _import(client, actor, project_zip("poem_writer"))
    assert [a["llm"] for a in crew["agents"]] == ["llama3.1"]
