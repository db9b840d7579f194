"""Every validation rule, on documents in memory: no database, no app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kasal.crews import document
from kasal.crews.schemas import CrewBody
from kasal.crews.validation import Catalog, problems
from kasal.engine.tools.refs import SourceFacts
from kasal.engine.validate import CODES, PLACEHOLDER, schema_issue
from tests.factories import crew_document


@dataclass(frozen=True)
class Model:
    provider: str = "openai"
    model: str = "gpt-4o"
    kind: str = "chat"
    enabled: bool = True
    has_key: bool = True


CATALOG = Catalog(
    models={
        "demo": Model(provider="demo", model="demo"),
        "gpt-4o": Model(),
        "keyless": Model(has_key=False),
        "off": Model(enabled=False),
        "embed": Model(kind="embedding", model="text-embedding-3-small"),
    },
    tools={"http_request": True, "current_datetime": True, "file_read": False},
    sources={
        ("mcp", "github"): SourceFacts(enabled=True, tools=frozenset({"create_issue"})),
        ("mcp", "fresh"): SourceFacts(enabled=True),  # never discovered: any tool name
        ("mcp", "off"): SourceFacts(enabled=False),
    },
)


def body(**overrides: Any) -> CrewBody:
    return CrewBody.model_validate(crew_document("Test", **overrides))


def codes(crew: CrewBody, catalog: Catalog = CATALOG) -> list[tuple[str, str, str]]:
    return [(p.pointer, p.code, p.severity) for p in problems(crew, catalog)]


def agent(key: str = "researcher", **fields: Any) -> dict[str, Any]:
    return {"key": key, "role": "R", "goal": "G", "llm": "demo", **fields}


def task(key: str, agent_key: str | None = "researcher", **fields: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "description": "D",
        "expected_output": "E",
        "agent": agent_key,
        **fields,
    }


def test_a_complete_crew_has_no_problems() -> None:
    assert codes(body()) == []


def test_an_empty_crew_lacks_agents_and_tasks() -> None:
    assert codes(body(agents=[], tasks=[])) == [
        ("/agents", "no_agents", "error"),
        ("/tasks", "no_tasks", "error"),
    ]


def test_empty_texts_are_reported_each_with_its_pointer() -> None:
    crew = body(
        agents=[agent(role=" ", goal="")],
        tasks=[task("t", description="", expected_output="\n")],
    )
    assert codes(crew) == [
        ("/agents/0/role", "empty_field", "error"),
        ("/agents/0/goal", "empty_field", "error"),
        ("/tasks/0/description", "empty_field", "error"),
        ("/tasks/0/expected_output", "empty_field", "error"),
    ]


@pytest.mark.parametrize(
    ("llm", "code"),
    [
        (None, "agent_without_model"),
        ("nope", "unknown_model"),
        ("off", "model_disabled"),
        ("keyless", "missing_api_key"),
        ("embed", "wrong_model_kind"),
    ],
)
def test_agent_models_must_exist_be_enabled_have_a_key_and_chat(llm: str | None, code: str) -> None:
    crew = body(agents=[agent(llm=llm)], tasks=[task("t")])
    assert codes(crew) == [("/agents/0/llm", code, "error")]


def test_hierarchical_needs_a_manager_model_and_tolerates_unassigned_tasks() -> None:
    crew = body(process="hierarchical", agents=[agent()], tasks=[task("t", None)])
    assert codes(crew) == [
        ("/manager_llm", "manager_llm_missing", "error"),
        ("/tasks/0/agent", "task_without_agent", "warning"),
    ]
    managed = body(process="hierarchical", manager_llm="off", agents=[agent()], tasks=[task("t")])
    assert codes(managed) == [("/manager_llm", "model_disabled", "error")]


def test_memory_needs_an_embedding_model() -> None:
    assert codes(body(memory=True)) == [("/embedder", "memory_without_embedder", "error")]
    assert codes(body(memory=True, embedder="gpt-4o")) == [
        ("/embedder", "wrong_model_kind", "error")
    ]
    assert codes(body(memory=True, embedder="embed")) == []


def test_a_sequential_task_needs_an_existing_agent() -> None:
    crew = body(
        agents=[agent()],
        tasks=[task("a", None), task("b", "ghost"), task("c", "a"), task("d")],
    )
    assert codes(crew) == [
        ("/tasks/0/agent", "task_without_agent", "error"),
        ("/tasks/1/agent", "unknown_agent", "error"),
        ("/tasks/2/agent", "unknown_agent", "error"),
    ]
    message = problems(crew, CATALOG)[2].message
    assert "'a'" in message
    assert "a task" in message


def test_an_agent_without_tasks_is_a_warning_in_sequential_crews_only() -> None:
    crew = body(agents=[agent(), agent("idle")], tasks=[task("t")])
    assert codes(crew) == [("/agents/1", "unused_agent", "warning")]
    managed = body(
        process="hierarchical",
        manager_llm="gpt-4o",
        agents=[agent(), agent("idle")],
        tasks=[task("t")],
    )
    assert codes(managed) == []


def test_context_must_name_earlier_tasks() -> None:
    crew = body(
        agents=[agent()],
        tasks=[
            task("a", context=["b"]),
            task("b", context=["a", "a"]),
            task("c", context=["ghost", "researcher", "c"]),
        ],
    )
    assert codes(crew) == [
        ("/tasks/0/context/0", "context_cycle", "error"),
        ("/tasks/1/context/0", "context_cycle", "error"),
        ("/tasks/1/context/1", "duplicate_context", "warning"),
        ("/tasks/2/context/0", "unknown_context", "error"),
        ("/tasks/2/context/1", "unknown_context", "error"),
        ("/tasks/2/context/2", "context_cycle", "error"),
    ]


def test_a_forward_context_without_a_cycle_is_a_later_task() -> None:
    crew = body(agents=[agent()], tasks=[task("a", context=["b"]), task("b")])
    assert codes(crew) == [("/tasks/0/context/0", "context_later_task", "error")]


def test_a_long_cycle_is_found() -> None:
    crew = body(
        agents=[agent()],
        tasks=[task("a", context=["c"]), task("b", context=["a"]), task("c", context=["b"])],
    )
    assert ("/tasks/0/context/0", "context_cycle", "error") in codes(crew)


def test_tools_must_exist_be_enabled_and_be_configured_right() -> None:
    tools = [
        {"tool_id": "http_request", "config": {"allowed_hosts": ["example.com"]}},
        {"tool_id": "teleport"},
        {"tool_id": "file_read"},
        {"tool_id": "current_datetime", "config": {"colour": "blue"}},
        {"tool_id": "http_request"},
    ]
    crew = body(agents=[agent(tools=tools)], tasks=[task("t", tools=[{"tool_id": "nope"}])])
    assert codes(crew) == [
        ("/agents/0/tools/1/tool_id", "unknown_tool", "error"),
        ("/agents/0/tools/2/tool_id", "tool_disabled", "error"),
        ("/agents/0/tools/3/config", "invalid_tool_config", "error"),
        ("/agents/0/tools/4/tool_id", "duplicate_tool", "warning"),
        ("/tasks/0/tools/0/tool_id", "unknown_tool", "error"),
    ]
    assert "colour" in problems(crew, CATALOG)[2].message


def test_tools_of_configured_sources_must_exist_and_be_enabled() -> None:
    tools = [
        {"tool_id": "mcp:github"},
        {"tool_id": "mcp:github/create_issue"},
        {"tool_id": "mcp:fresh/anything"},
        {"tool_id": "mcp:github/delete_repo"},
        {"tool_id": "mcp:gitlab"},
        {"tool_id": "openapi:github"},  # the same name, another kind of source
        {"tool_id": "mcp:off"},
        {"tool_id": "mcp:github", "config": {"x": 1}},
    ]
    crew = body(agents=[agent(tools=tools)], tasks=[task("t")])
    assert codes(crew) == [
        ("/agents/0/tools/3/tool_id", "unknown_source_tool", "error"),
        ("/agents/0/tools/4/tool_id", "unknown_tool_source", "error"),
        ("/agents/0/tools/5/tool_id", "unknown_tool_source", "error"),
        ("/agents/0/tools/6/tool_id", "tool_source_disabled", "error"),
        ("/agents/0/tools/7/config", "invalid_tool_config", "error"),
        ("/agents/0/tools/7/tool_id", "duplicate_tool", "warning"),
    ]
    assert "it offers: create_issue" in problems(crew, CATALOG)[0].message
    assert "no OpenAPI document 'github'" in problems(crew, CATALOG)[2].message


def test_human_input_pauses_a_sequential_crew_only() -> None:
    assert codes(body(agents=[agent()], tasks=[task("t", human_input=True)])) == []
    hierarchical = body(
        process="hierarchical",
        manager_llm="gpt",
        agents=[agent()],
        tasks=[task("t", human_input=True)],
    )
    planning = body(planning=True, agents=[agent()], tasks=[task("t", human_input=True)])
    concurrent = body(
        agents=[agent()],
        tasks=[task("t", human_input=True, async_execution=True), task("u")],
    )
    for crew in (hierarchical, planning, concurrent):
        assert ("/tasks/0/human_input", "human_input_unsupported", "error") in codes(crew)


GOOD_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "tags": {"type": "array"}},
    "required": ["title"],
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"output_format": "json", "output_schema": GOOD_SCHEMA}, []),
        (
            {"output_format": "json"},
            [("/tasks/0/output_schema", "json_output_without_schema", "warning")],
        ),
        (
            {"output_format": "json", "output_schema": {"type": "string"}},
            [("/tasks/0/output_schema", "invalid_output_schema", "error")],
        ),
        (
            {"output_schema": GOOD_SCHEMA},
            [("/tasks/0/output_schema", "schema_without_json_output", "error")],
        ),
    ],
)
def test_json_output_needs_a_valid_schema(
    fields: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    assert codes(body(agents=[agent()], tasks=[task("t", **fields)])) == expected


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object"},
        {"type": "object", "properties": []},
        {"type": "object", "properties": {"a": "string"}},
        {"type": "object", "properties": {"a": {}}},
        {"type": "object", "properties": {"a": {"type": "text"}}},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]},
        {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "x"}}}},
        {
            "type": "object",
            "properties": {"a": {"type": "object", "properties": {"b": {"type": 1}}}},
        },
    ],
)
def test_schema_issues_are_explained(schema: dict[str, Any]) -> None:
    assert schema_issue(schema) is not None


def test_schemas_with_references_and_unions_are_accepted() -> None:
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "item": {"$ref": "#/$defs/Item"},
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "pair": {"type": ["string", "null"]},
        },
        "$defs": {"Item": {"type": "object", "properties": {"n": {"type": "integer"}}}},
    }
    assert schema_issue(schema) is None


def test_the_last_task_cannot_run_asynchronously() -> None:
    crew = body(
        agents=[agent(), agent("w")],
        tasks=[task("a", async_execution=True), task("b", "w", async_execution=True)],
    )
    assert codes(crew) == [("/tasks/1/async_execution", "last_task_async", "error")]


def test_tasks_running_at_once_cannot_share_an_agent() -> None:
    crew = body(
        agents=[agent()],
        tasks=[task("a", async_execution=True), task("b", async_execution=True), task("c")],
    )
    assert codes(crew) == [("/tasks/1/agent", "concurrent_agent", "error")]


def test_every_problem_at_once_and_every_code_is_documented() -> None:
    crew = body(
        process="hierarchical",
        memory=True,
        agents=[agent(llm=None, role="")],
        tasks=[task("a", "ghost", human_input=True, context=["zzz"])],
    )
    found = problems(crew, CATALOG)
    assert len(found) >= 6
    assert {p.code for p in found} <= set(CODES)
    assert all(p.message for p in found)


def test_edges_are_derived_from_assignments_and_context() -> None:
    crew = body(
        agents=[agent("r"), agent("w")],
        tasks=[task("a", "r"), task("b", "w", context=["a", "a", "ghost"]), task("c", "ghost")],
    )
    assert [(e.id, e.kind) for e in document.edges(crew)] == [
        ("r->a", "assignment"),
        ("w->b", "assignment"),
        ("a->b", "context"),
    ]


def test_inputs_are_crewai_placeholders_in_first_seen_order() -> None:
    crew = body(
        agents=[agent(role="Expert on {topic}", goal="{goal_1} for {topic}", backstory="{{json}}")],
        tasks=[
            task(
                "t",
                description='Use {audience}; emit {"a": 1} and {{double}} and {9bad}',
                expected_output="{format-x}",
            )
        ],
    )
    # CrewAI has no escape: `{{double}}` needs the input `double` (and becomes `{value}`).
    assert document.inputs(crew) == ["topic", "goal_1", "json", "audience", "double", "format-x"]


def test_the_placeholder_rule_is_crewais_own() -> None:
    from crewai.utilities import string_utils

    assert PLACEHOLDER.pattern == string_utils._VARIABLE_PATTERN.pattern
    text = 'A {single}, a {{double}}, JSON {"a": 1} and {9bad}'
    inputs = {"single": "S", "double": "D"}
    assert string_utils.interpolate_only(text, inputs) == 'A S, a {D}, JSON {"a": 1} and {9bad}'
    assert PLACEHOLDER.findall(text) == ["single", "double"]


def test_a_document_converts_to_the_engine_spec() -> None:
    crew = body(
        agents=[agent(tools=[{"tool_id": "http_request", "config": {"allowed_hosts": ["a.b"]}}])],
        tasks=[task("t", name="", tools=[{"tool_id": "current_datetime"}])],
    )
    spec = document.to_spec(crew)
    assert spec.agents[0].tools[0].config == {"allowed_hosts": ["a.b"]}
    assert spec.tasks[0].name == "t"  # an unnamed task is called by its key
    assert spec.tasks[0].tools[0].tool_id == "current_datetime"
    assert spec.name == "Test"


def test_docs_list_every_code() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "crews.md").read_text(encoding="utf-8")
    assert [code for code in CODES if f"`{code}`" not in docs] == []
