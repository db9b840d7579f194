"""run_crew end to end: real crewai, real HTTP to the scripted LLM."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from kasal.engine.run import run_crew
from kasal.engine.spec import EngineEvent, LLMConfig, TaskSpec
from tests.engine.specs import request, two_agent_crew, types
from tests.support.llm_server import RecordedRequest, ScriptedLLMServer, error, text, tool_call

RESEARCHER_SPAN = ["task.started", "agent.started"]


async def test_two_agents_with_a_tool_call(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script(
        tool_call("current_datetime", {"timezone": "Europe/Paris"}),
        "Tea was first brewed long ago.",
        "Tea is an old and loved drink.",
    )
    events: list[EngineEvent] = []
    crew = two_agent_crew(tools=("current_datetime",))

    result = await run_crew(request(crew, [scripted_llm], tmp_path), events.append)

    assert result.status == "succeeded", result.error
    assert result.result == "Tea is an old and loved drink."
    assert result.task_outputs == {
        "research": "Tea was first brewed long ago.",
        "write": "Tea is an old and loved drink.",
    }
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.usage.completion_tokens > 0
    expected_cost = (result.usage.prompt_tokens * 1.0 + result.usage.completion_tokens * 4.0) / 1e6
    assert result.usage.cost == pytest.approx(expected_cost)

    assert types(events) == [
        "crew.started",
        *["task.started", "agent.started", "llm.started", "llm.completed"],
        *["tool.started", "tool.completed", "llm.started", "llm.completed"],
        *["agent.completed", "task.completed"],
        *["task.started", "agent.started", "llm.started", "llm.completed"],
        *["agent.completed", "task.completed"],
        "crew.completed",
    ]
    inner = [e for e in events if not e.type.startswith("crew.")]
    research = [e for e in inner if e.task_key == "research"]
    assert {(e.task_key, e.agent_key) for e in inner} == {
        ("research", "researcher"),
        ("write", "writer"),
    }
    assert len(research) > len(inner) // 2  # the tool round trip happened in research

    (tool_done,) = [e for e in events if e.type == "tool.completed"]
    assert tool_done.data["tool"] == "current_datetime"
    assert tool_done.data["args"] == {"timezone": "Europe/Paris"}
    assert "Europe/Paris" in tool_done.data["output"]
    assert isinstance(tool_done.data["duration_ms"], int)
    llm_done = [e for e in events if e.type == "llm.completed"]
    assert all(e.data["model"] == "gpt-4o-mini" for e in llm_done)
    assert sum(e.data["total_tokens"] for e in llm_done) == result.usage.total_tokens
    assert all(isinstance(e.data["duration_ms"], int) for e in llm_done)
    assert events[-1].data["result"] == result.result

    first, after_tool, writer = llm_server.chat_requests
    assert {r.headers["authorization"] for r in (first, after_tool, writer)} == {
        "Bearer sk-test-key"
    }
    assert first.tool_names == ["current_datetime"]
    assert "Research tea" in first.prompt
    tool_message = after_tool.messages[-1]
    assert tool_message["role"] == "tool"
    assert "Europe/Paris" in tool_message["content"]
    assert "Tea was first brewed long ago." in writer.prompt  # the first task is context


async def test_file_write_tool_writes_into_work_dir(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script(
        tool_call("file_write", {"path": "notes/tea.md", "content": "# Tea"}), "Saved.", "Done."
    )
    events: list[EngineEvent] = []
    crew = two_agent_crew(tools=("file_write",))

    result = await run_crew(request(crew, [scripted_llm], tmp_path), events.append)

    assert result.status == "succeeded", result.error
    assert (tmp_path / "notes" / "tea.md").read_text() == "# Tea"
    (done,) = [e for e in events if e.type == "tool.completed"]
    assert done.data["output"] == "Wrote 5 bytes to notes/tea.md."


async def test_a_tool_error_goes_back_to_the_model(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script(tool_call("file_read", {"path": "../../etc/passwd"}), "Could not.", "Ok.")
    events: list[EngineEvent] = []
    crew = two_agent_crew(tools=("file_read",))

    result = await run_crew(request(crew, [scripted_llm], tmp_path), events.append)

    assert result.status == "succeeded", result.error
    (failed,) = [e for e in events if e.type == "tool.failed"]
    assert failed.task_key == "research"
    assert "'..' is not allowed" in failed.data["error"]
    assert "'..' is not allowed" in llm_server.chat_requests[1].messages[-1]["content"]


async def test_demo_model_runs_offline(tmp_path: Path) -> None:
    demo = LLMConfig(key="demo", provider="demo", model="demo")
    events: list[EngineEvent] = []
    crew = two_agent_crew(llm=None)  # agents without a model use the run's only model

    result = await run_crew(request(crew, [demo], tmp_path), events.append)

    assert result.status == "succeeded", result.error
    assert result.task_outputs["research"].startswith("Demo result for Research: Research tea.")
    assert result.task_outputs["write"].startswith("Demo result for Write: Write about tea.")
    assert result.usage.total_tokens > 0
    assert result.usage.cost is None
    assert types(events)[-1] == "crew.completed"
    chunks = "".join(e.data["text"] for e in events if e.type == "llm.chunk")
    assert "Demo result for Write" in chunks


async def test_demo_model_answers_json_tasks_with_their_schema(tmp_path: Path) -> None:
    demo = LLMConfig(key="demo", provider="demo", model="demo")
    crew = two_agent_crew(llm="demo")
    schema = {
        "type": "object",
        "properties": {"title": {"type": "string"}, "score": {"type": "integer"}},
        "required": ["title", "score"],
    }
    json_task = crew.tasks[1].model_copy(update={"output_format": "json", "output_schema": schema})
    crew = crew.model_copy(update={"tasks": [crew.tasks[0], json_task]})

    result = await run_crew(request(crew, [demo], tmp_path), lambda e: None)

    assert result.status == "succeeded", result.error
    assert json.loads(result.task_outputs["write"]) == {"title": "demo", "score": 0}


async def test_async_tasks_run_side_by_side(tmp_path: Path) -> None:
    demo = LLMConfig(key="demo", provider="demo", model="demo")
    crew = two_agent_crew(llm="demo")
    first = crew.tasks[0].model_copy(update={"async_execution": True})
    second = first.model_copy(update={"key": "research2", "agent": "writer"})
    summary = crew.tasks[1].model_copy(update={"context": ["research", "research2"]})
    events: list[EngineEvent] = []

    result = await run_crew(
        request(crew.model_copy(update={"tasks": [first, second, summary]}), [demo], tmp_path),
        events.append,
    )

    assert result.status == "succeeded", result.error
    assert list(result.task_outputs) == ["research", "research2", "write"]
    started = [e.task_key for e in events if e.type == "task.started"]
    assert started == ["research", "research2", "write"]
    first_done = next(i for i, e in enumerate(events) if e.type == "task.completed")
    assert first_done > next(i for i, e in enumerate(events) if e.task_key == "research2")


@pytest.mark.parametrize(
    ("provider", "model", "authorization"),
    [
        ("deepseek", "deepseek-chat", "Bearer sk-test-key"),
        ("ollama", "llama3", "Bearer sk-test-key"),
        ("databricks", "my-endpoint", "Bearer sk-test-key"),  # through litellm
    ],
)
async def test_other_providers_send_per_run_credentials(
    llm_server: ScriptedLLMServer,
    scripted_llm: LLMConfig,
    tmp_path: Path,
    provider: str,
    model: str,
    authorization: str,
) -> None:
    config = scripted_llm.model_copy(update={"provider": provider, "model": model})
    llm_server.script("Facts.", "A short text.")
    events: list[EngineEvent] = []

    result = await run_crew(request(two_agent_crew(), [config], tmp_path), events.append)

    assert result.status == "succeeded", result.error
    assert result.task_outputs == {"research": "Facts.", "write": "A short text."}
    assert result.usage.total_tokens > 0
    assert {(r.headers["authorization"], r.body["model"]) for r in llm_server.chat_requests} == {
        (authorization, model)
    }
    assert "".join(e.data["text"] for e in events if e.type == "llm.chunk") == "Facts.A short text."


async def test_streaming_emits_chunks(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    answer = "Green tea and black tea come from the same plant, Camellia sinensis."
    llm_server.script("Facts.", answer)
    events: list[EngineEvent] = []

    result = await run_crew(request(two_agent_crew(), [scripted_llm], tmp_path), events.append)

    assert result.status == "succeeded", result.error
    assert all(r.body["stream"] is True for r in llm_server.chat_requests)
    writer_events = [e for e in events if e.task_key == "write"]
    kinds = [e.type for e in writer_events]
    first_chunk, last_chunk = kinds.index("llm.chunk"), len(kinds) - kinds[::-1].index("llm.chunk")
    assert kinds.index("llm.started") < first_chunk
    assert last_chunk <= kinds.index("llm.completed")
    chunks = [e.data["text"] for e in writer_events if e.type == "llm.chunk"]
    assert len(chunks) > 1
    assert "".join(chunks) == answer


async def test_json_output_with_schema(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    crew = two_agent_crew()
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "year": {"type": "integer"}},
        "required": ["name", "year"],
    }
    json_task = crew.tasks[1].model_copy(
        update={"output_format": "json", "output_schema": schema, "markdown": True}
    )
    crew = crew.model_copy(update={"tasks": [crew.tasks[0], json_task]})
    llm_server.script("Facts.", '{"name": "Sencha", "year": 1738}')

    result = await run_crew(request(crew, [scripted_llm], tmp_path), lambda e: None)

    assert result.status == "succeeded", result.error
    assert json.loads(result.task_outputs["write"]) == {"name": "Sencha", "year": 1738}


async def test_concurrent_runs_do_not_mix_events(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    def answer(request: RecordedRequest) -> str:
        marker = "alpha" if "alpha" in request.prompt else "beta"
        return f"{marker} says hello to everyone here."

    llm_server.responder = answer
    llm_server.delay = 0.05
    events: dict[str, list[EngineEvent]] = {"alpha": [], "beta": []}

    results = await asyncio.gather(
        *(
            run_crew(
                request(two_agent_crew(prefix=name), [scripted_llm], tmp_path / name),
                events[name].append,
            )
            for name in ("alpha", "beta")
        )
    )

    for name, result in zip(("alpha", "beta"), results, strict=True):
        assert result.status == "succeeded", result.error
        own = events[name]
        assert types(own).count("task.completed") == 2
        assert {e.task_key for e in own} == {None, f"{name}research", f"{name}write"}
        assert {e.agent_key for e in own} == {None, f"{name}researcher", f"{name}writer"}
        chunks = "".join(e.data["text"] for e in own if e.type == "llm.chunk")
        assert chunks == f"{name} says hello to everyone here." * 2
    alpha_total = sum(e.data["total_tokens"] for e in events["alpha"] if e.type == "llm.completed")
    assert alpha_total == results[0].usage.total_tokens


async def test_cancelling_a_run_stops_it_promptly(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script(text("Too late.", delay=60))
    events: list[EngineEvent] = []
    run = asyncio.create_task(
        run_crew(request(two_agent_crew(), [scripted_llm], tmp_path), events.append)
    )
    await llm_server.wait_for_chat_requests(1)

    started = time.monotonic()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert time.monotonic() - started < 1
    assert types(events) == ["crew.started", "task.started", "agent.started", "llm.started"]
    llm_server.reset()  # the abandoned call now ends; nothing more is emitted
    await asyncio.sleep(0.3)
    assert types(events)[-1] == "llm.started"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_provider_down_fails_with_an_actionable_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    down = LLMConfig(
        key="scripted", provider="openai", model="gpt-4o-mini", base_url=url, api_key=SecretStr("k")
    )
    events: list[EngineEvent] = []

    result = await run_crew(request(two_agent_crew(), [down], tmp_path), events.append)

    assert result.status == "failed"
    assert result.error == (
        f"Could not connect to openai (model 'scripted') at {url}. "
        "Check the endpoint URL and that the service is running."
    )
    assert types(events)[-4:] == ["llm.failed", "agent.failed", "task.failed", "crew.failed"]
    assert events[-1].data["error"] == result.error


async def test_rejected_key_fails_mentioning_the_key(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script(error(401, "Incorrect API key provided"))
    events: list[EngineEvent] = []

    result = await run_crew(request(two_agent_crew(), [scripted_llm], tmp_path), events.append)

    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(
        "The model provider rejected the API key for openai (model 'scripted') (401)."
    )
    assert len(llm_server.chat_requests) == 1  # neither the SDK nor crewai retried
    assert events[-1].type == "crew.failed"


async def test_invalid_spec_fails_before_any_call(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    crew = two_agent_crew()
    asks_human = crew.tasks[0].model_copy(update={"human_input": True, "async_execution": True})
    orphan = TaskSpec(key="orphan", name="O", description="d", expected_output="e", agent="nobody")
    crew = crew.model_copy(update={"tasks": [asks_human, crew.tasks[1], orphan]})
    events: list[EngineEvent] = []

    result = await run_crew(request(crew, [scripted_llm], tmp_path), events.append)

    assert result.status == "failed"
    assert result.error is not None
    assert "Task 'research' asks for a person's review" in result.error
    assert "Task 'orphan' is assigned to 'nobody', which is not in the crew" in result.error
    assert types(events) == ["crew.started", "crew.failed"]
    assert llm_server.chat_requests == []


async def test_missing_input_fails_clearly(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    run = request(two_agent_crew(), [scripted_llm], tmp_path).model_copy(update={"inputs": {}})

    result = await run_crew(run, lambda e: None)

    assert result.status == "failed"
    assert result.error is not None
    assert "The input 'topic' is missing" in result.error


async def test_planning_runs_before_the_tasks(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    plans = [
        {"task_number": n, "task": name, "plan": f" Plan {n}: use {{braces}}."}
        for n, name in ((1, "Research"), (2, "Write"))
    ]
    llm_server.script(json.dumps({"list_of_plans_per_task": plans}), "Facts.", "Text.")

    result = await run_crew(
        request(two_agent_crew(planning=True), [scripted_llm], tmp_path), lambda e: None
    )

    assert result.status == "succeeded", result.error
    assert "Plan 1: use (braces)." in llm_server.chat_requests[1].prompt
    assert "Plan 2: use (braces)." in llm_server.chat_requests[2].prompt


async def test_hierarchical_crew_with_manager(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    crew = two_agent_crew(process="hierarchical", manager_llm="scripted")
    llm_server.script("Managed research.", "Managed text.")

    result = await run_crew(request(crew, [scripted_llm], tmp_path), lambda e: None)

    assert result.status == "succeeded", result.error
    assert result.task_outputs == {"research": "Managed research.", "write": "Managed text."}
    assert "Delegate" in " ".join(llm_server.chat_requests[0].tool_names).title()


async def test_memory_uses_the_configured_embedder(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    embedder = scripted_llm.model_copy(update={"key": "embed", "model": "text-embedding-3-small"})
    crew = two_agent_crew(memory=True, embedder="embed")

    result = await run_crew(request(crew, [scripted_llm, embedder], tmp_path), lambda e: None)

    assert result.status == "succeeded", result.error
    embeddings = [r for r in llm_server.requests if r.path == "/v1/embeddings"]
    assert embeddings
    assert {r.headers["authorization"] for r in embeddings} == {"Bearer sk-test-key"}
    assert {r.body["model"] for r in embeddings} == {"text-embedding-3-small"}


async def test_memory_without_an_embedder_is_refused(
    scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    result = await run_crew(
        request(two_agent_crew(memory=True), [scripted_llm], tmp_path), lambda e: None
    )

    assert result.status == "failed"
    assert result.error is not None
    assert "Memory needs an embedding model" in result.error
