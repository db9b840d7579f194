"""SDK objects ↔ the crew document the API and the canvas use, and CrewAI-style YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from kasal import Agent, Crew, Task
from kasal.crews.schemas import CrewBody
from kasal.sdk import CrewDefinitionError, Tool


def _crew() -> Crew:
    researcher = Agent(
        role="Research Analyst",
        goal="Find market insights about {market}",
        backstory="Ten years in retail.",
        llm="gpt-4o",
        tools=["current_datetime", Tool(tool_id="http_request", config={"timeout_s": 5})],
    )
    writer = Agent(role="Writer", goal="Write clearly", model="demo", max_iter=5)
    research = Task(
        description="Analyze competitor pricing in {market}. Be thorough.",
        expected_output="A short report",
        agent=researcher,
    )
    summary = Task(
        name="Summary",
        description="Summarise the findings",
        expected_output="Three bullets",
        agent=writer,
        context=[research],
        markdown=True,
        output_file="output/summary.md",
    )
    return Crew(agents=[researcher], tasks=[research, summary], name="Pricing watch")


def test_the_document_has_keys_from_roles_and_tasks_laid_out_left_to_right() -> None:
    document = _crew().to_document()

    CrewBody.model_validate(document)  # what the crews API accepts
    assert document["name"] == "Pricing watch"
    assert [a["key"] for a in document["agents"]] == ["research_analyst", "writer"]  # added
    assert [t["key"] for t in document["tasks"]] == [
        "analyze_competitor_pricing_in_market_be",
        "summary",
    ]
    research, summary = document["tasks"]
    assert research["agent"] == "research_analyst"
    assert summary["agent"] == "writer"
    assert summary["context"] == [research["key"]]
    assert summary["markdown"] is True
    assert (research["output_file"], summary["output_file"]) == (None, "output/summary.md")
    assert document["agents"][0]["llm"] == "gpt-4o"
    assert document["agents"][0]["tools"] == [
        {"tool_id": "current_datetime", "config": {}},
        {"tool_id": "http_request", "config": {"timeout_s": 5}},
    ]
    nodes = document["layout"]["nodes"]
    assert set(nodes) == {"research_analyst", "writer", research["key"], "summary"}
    assert nodes[research["key"]]["x"] < nodes["summary"]["x"]  # left to right
    assert nodes["research_analyst"]["x"] == nodes[research["key"]]["x"]  # above its task
    assert nodes["research_analyst"]["y"] < nodes[research["key"]]["y"]


def test_keys_never_clash_and_explicit_keys_are_kept() -> None:
    one = Agent(role="Analyst", goal="g", model="demo")
    two = Agent(role="Analyst", goal="g", model="demo")
    tasks = [
        Task(description="Analyst", expected_output="x", agent=one),
        Task(description="Analyst", expected_output="x", agent=two, key="final"),
    ]
    document = Crew(agents=[one, two], tasks=tasks).to_document()

    keys = [a["key"] for a in document["agents"]] + [t["key"] for t in document["tasks"]]
    assert keys == ["analyst", "analyst_2", "analyst_3", "final"]
    assert document["name"] == "Analyst crew"

    clash = [Task(description="a", expected_output="x", agent=one, key="same")] * 2
    with pytest.raises(CrewDefinitionError, match="'same' is used more than once"):
        Crew(agents=[one], tasks=clash).to_document()


def test_context_must_be_a_task_of_the_crew() -> None:
    agent = Agent(role="A", goal="g", model="demo")
    outside = Task(description="Elsewhere", expected_output="x", agent=agent)
    inside = Task(description="Here", expected_output="x", agent=agent, context=[outside])
    with pytest.raises(CrewDefinitionError, match="not in the crew"):
        Crew(agents=[agent], tasks=[inside]).to_document()


def test_yaml_round_trips_through_the_servers_converter(tmp_path: Path) -> None:
    crew = _crew()
    text = crew.to_yaml()

    assert "# file: agents.yaml" in text
    assert "# file: tasks.yaml" in text
    again = Crew.from_yaml(text)
    assert again.to_document() == crew.to_document()

    path = tmp_path / "pricing.yaml"
    path.write_text(text)
    from_file = Crew.from_yaml(path)
    assert from_file.to_document() == crew.to_document()
    assert Crew.from_yaml(str(path)).name == "Pricing watch"


def test_hand_written_crewai_yaml_is_read() -> None:
    text = """\
# file: agents.yaml
researcher:
  role: Senior researcher
  goal: Uncover {topic}
  backstory: Curious.
  llm: demo
---
# file: tasks.yaml
research_task:
  description: Research {topic}
  expected_output: Ten bullet points
  agent: researcher
"""
    crew = Crew.from_yaml(text)

    assert crew.name == "crew"
    assert [a.role for a in crew.agents] == ["Senior researcher"]
    assert crew.tasks[0].agent is crew.agents[0]
    assert crew.tasks[0].key == "research_task"
    result = crew.kickoff(inputs={"topic": "tea"}, client=None, verbose=False)
    assert result.status == "succeeded"


def test_yaml_problems_name_the_file_and_line() -> None:
    text = (
        "# file: agents.yaml\nresearcher:\n  role: R\n  goal: G\n  colour: blue\n"
        "---\n# file: tasks.yaml\nwork:\n  description: D\n  expected_output: E\n"
    )
    with pytest.raises(CrewDefinitionError) as raised:
        Crew.from_yaml(text)
    message = str(raised.value)
    assert "cannot be imported" in message
    assert "crew.yaml:5" in message
    assert "colour" in message
