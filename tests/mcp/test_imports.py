"""CrewAI projects whose agents carry `mcps`: mapped to the group's servers by URL."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import make_actor

SERVER_URL = "http://127.0.0.1:9/mcp"

AGENTS = """\
researcher:
  role: Researcher
  goal: Find facts about {topic}
  backstory: Careful.
writer:
  role: Writer
  goal: Write it up
  backstory: Clear.
  mcps:
    - http://127.0.0.1:9/mcp#add
    - https://unknown.example/mcp
"""

TASKS = """\
research:
  description: Research {topic}
  expected_output: Facts
  agent: researcher
write:
  description: Write it up
  expected_output: A paragraph
  agent: writer
"""

CREW_PY = """\
from crewai import Agent, Crew, Task
from crewai.mcp import MCPServerHTTP, MCPServerStdio
from crewai.project import CrewBase, agent, crew, task


@CrewBase
class Facts:
    @agent
    def researcher(self) -> Agent:
        return Agent(
            config=self.agents_config["researcher"],
            mcps=[MCPServerHTTP(url="HTTP://127.0.0.1:9/mcp/"), MCPServerStdio(command="npx")],
        )

    @agent
    def writer(self) -> Agent:
        return Agent(config=self.agents_config["writer"])

    @task
    def research(self) -> Task:
        return Task(config=self.tasks_config["research"])

    @task
    def write(self) -> Task:
        return Task(config=self.tasks_config["write"])

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks)
"""


def project(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"facts/{name}", text)
    return buffer.getvalue()


async def test_mcps_map_to_registered_servers_and_the_rest_is_reported(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    server = {"name": "remote", "transport": "streamable_http", "url": SERVER_URL}
    response = await mcp_client.post("/api/v1/mcp-servers", json=server, headers=actor.headers)
    assert response.status_code == 201, response.text
    files = {"config/agents.yaml": AGENTS, "config/tasks.yaml": TASKS, "crew.py": CREW_PY}

    response = await mcp_client.post(
        "/api/v1/crews/import",
        content=project(files),
        headers={**actor.headers, "Content-Type": "application/zip"},
    )

    assert response.status_code == 201, response.text
    crew: dict[str, Any] = response.json()
    tools = {a["key"]: [t["tool_id"] for t in a["tools"]] for a in crew["agents"]}
    assert tools == {"researcher": ["mcp:remote"], "writer": ["mcp:remote/add"]}
    notes = [n["message"] for n in crew["notes"]]
    assert any("MCPServerStdio(command='npx')" in n and "no URL" in n for n in notes)
    unknown = [n for n in crew["notes"] if "https://unknown.example/mcp" in n["message"]]
    assert len(unknown) == 1
    assert "not registered in this group" in unknown[0]["message"]
    assert unknown[0]["file"].endswith("agents.yaml")
    assert unknown[0]["line"] is not None
